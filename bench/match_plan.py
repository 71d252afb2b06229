"""EXPLAIN (ANALYZE, BUFFERS) of the match query on a synthetic inventory of N sites.

Creates a throw-away database on the project's server (the private cluster unless
GIS_APP_DATABASE_URL is set), migrates it, loads the sample (jurisdiction, infrastructure,
constraint zones and 77 real-looking sites), bulk-inserts N synthetic sites (``INSERT …
SELECT generate_series``: buffered random points inside the jurisdiction, attributes drawn
with the sample's proportions) and their buildings, refreshes the derived tables in bulk,
then times the match of two typical requirements and writes the plans and timings to
``bench/results/match_plan_<N>.txt``. The database is dropped afterwards (``--keep`` keeps it).

    .venv/bin/python bench/match_plan.py [--sites 100000] [--runs 30] [--keep | --reuse DB]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gis_app.db import migrate, provision
from gis_app.db.engine import make_engine
from gis_app.matching import sql as match_sql
from gis_app.matching.engine import apply_settings, run_match
from gis_app.matching.spec import parse_spec
from gis_app.services.inventory import load_sample
from gis_app.settings import DatabaseSettings

RESULTS = Path(__file__).resolve().parent / "results"

REQUIREMENTS = {
    "land: 50–80 亩 class-2 industrial, cleared, ≤ 10 km from a 10,000-DWT berth": {
        "project_name": "bench land",
        "need": "land",
        "land_use_codes": ["100102"],
        "land_mu_min": 50,
        "land_mu_max": 80,
        "readiness_min": "cleared",
        "max_km_port": 10,
        "port_berth_dwt_min": 10000,
        "power_kva": 5000,
        "preferred_townships": ["展茅街道", "东港街道"],
    },
    "plant: 3,000 m² vacant plant, ≥ 8 m, ≥ 1,500 kg/m², 10-t crane, lease": {
        "project_name": "bench plant",
        "need": "plant",
        "gfa_m2_min": 3000,
        "height_min_m": 8,
        "floor_load_min_kg_m2": 1500,
        "crane_min_t": 10,
        "tenure": "lease",
    },
}

# (kind, weight, planned uses with their GB 50137 class)
_KINDS = (
    ("land", 70),
    ("standard_plant", 9),
    ("plant", 9),
    ("building", 8),
    ("shoreline", 2),
    ("island", 2),
)
_LAND_USES = (
    ("100101", "M1"),
    ("100102", "M2"),
    ("100103", "M3"),
    ("110101", "W1"),
    ("110102", "W2"),
    ("0901", "B1"),
    ("090104", "B14"),
    ("0902", "B2"),
    ("1204", "H23"),
)

SYNTH_SITES = """
WITH j AS (SELECT geom, ST_Envelope(geom) AS box FROM jurisdiction LIMIT 1),
pts AS (
    SELECT p.geom AS pt, row_number() OVER () AS n
      FROM j, LATERAL (SELECT (ST_Dump(ST_GeneratePoints(j.geom, :n, 42))).geom) p
),
attrs AS (
    SELECT n, pt,
           hashint8(n) AS h1, hashint8(n + 7919) AS h2, hashint8(n + 104729) AS h3,
           abs(hashint8(n + 1299709)) % 1000 / 1000.0 AS u
      FROM pts
)
INSERT INTO site (code, name_zh, name_en, kind, block, township, platform, geom,
                  planned_use, legacy_use, ownership, supply_stage, readiness, utilities,
                  policy_status, policy_progress_pct, planning_status, quota_status,
                  supply_mode, reserve_price_wan_per_mu, shoreline_m, berth_dwt, water_depth_m,
                  availability, verified_at, far_min, far_max, height_limit_m,
                  district_code)
SELECT 'BN-' || lpad(n::text, 7, '0'), '合成地块 ' || n, 'Synthetic site ' || n,
       k.kind, b.block, b.township, NULL,
       ST_Multi(ST_Transform(ST_Buffer(ST_Transform(pt, 4550),
                sqrt((5 + u * 145) * 10000.0 / 15 / pi()), 'quad_segs=4'), 4490)),
       lu.c2023, lu.gb, 'state',
       (ARRAY['approved_unsupplied','land_bank','supplied_unused','idle','inefficient',
              'reserved_planning'])[1 + abs(h2) % 6],
       (ARRAY['cleared','cleared','partly_cleared','raw'])[1 + abs(h3) % 4],
       ARRAY['road','water','power']::text[],
       (ARRAY['delivered','delivered','clearing','approved','notice'])[1 + abs(h1 >> 8) % 5],
       NULL,
       (ARRAY['approved','approved','drafting','amending'])[1 + abs(h2 >> 8) % 4],
       (ARRAY['approved','in_annual_plan','applied','pending'])[1 + abs(h3 >> 8) % 4],
       'listing', round((15 + u * 30)::numeric, 1),
       CASE WHEN k.kind IN ('shoreline', 'island') THEN 200 + abs(h1) % 800 END,
       CASE WHEN k.kind = 'shoreline' THEN (ARRAY[5000, 10000, 30000, 50000])[1 + abs(h2) % 4] END,
       CASE WHEN k.kind = 'shoreline' THEN 8 + abs(h3) % 12 END,
       (ARRAY['available','available','available','available','reserved','reserved',
              'negotiating','negotiating','signed','unavailable'])[1 + abs(h1 >> 16) % 10],
       current_date - (abs(h2 >> 16) % 900)::int,
       1.0, 2.5, 40,
       gis_app_home_district()  -- triggers are off: no district from the outline
  FROM attrs
 CROSS JOIN LATERAL (
       SELECT kind FROM (VALUES {kinds}) v(kind, lo, hi)
        WHERE abs(h1) % 100 >= lo AND abs(h1) % 100 < hi) k
 CROSS JOIN LATERAL (
       SELECT c2023, gb FROM (VALUES {uses}) v(i, c2023, gb)
        WHERE i = abs(h3) % {n_uses}) lu
 CROSS JOIN LATERAL (
       SELECT block, township FROM (VALUES
         ('展茅', '展茅街道'), ('东港', '东港街道'), ('六横', '六横镇'), ('勾山', '勾山街道'),
         ('沈家门城区', '沈家门街道'), ('朱家尖', '朱家尖街道')) v(block, township)
        OFFSET abs(h2) % 6 LIMIT 1) b
"""

SYNTH_BUILDINGS = """
INSERT INTO building (site_id, code, name_zh, building_type, floors, gfa_m2, vacant_gfa_m2,
                      min_split_m2, occupancy, offer, rent_yuan_m2_month, floor_height_m,
                      floor_load_kg_m2, crane_t, power_kva)
SELECT s.id, s.code || '-B' || g, s.name_zh || ' ' || g || '号楼',
       CASE WHEN s.kind = 'building' THEN 'office'
            WHEN g = 1 THEN 'standard_plant' ELSE 'single_storey_plant' END,
       1, x.gfa, CASE WHEN x.r % 4 = 0 THEN 0 ELSE x.gfa END, x.gfa / 2,
       CASE WHEN x.r % 4 = 0 THEN 'let' ELSE 'vacant' END,
       (ARRAY['lease', 'lease_or_sale', 'sale'])[1 + x.r % 3],
       12 + x.r % 8, 6 + x.r % 8, 1000 + 500 * (x.r % 5), (ARRAY[0, 5, 10, 16, 20])[1 + x.r % 5],
       400 + 200 * (x.r % 6)
  FROM site s
 CROSS JOIN generate_series(1, 3) g
 CROSS JOIN LATERAL (SELECT abs(hashint8(s.id * 10 + g)) AS r) h
 CROSS JOIN LATERAL (SELECT 1500 + (h.r % 60) * 100.0 AS gfa, h.r) x
 WHERE s.code LIKE 'BN-%' AND s.kind IN ('standard_plant', 'plant', 'building')
   AND g <= 1 + s.id % 3
"""


def synthetic_sites_sql() -> str:
    """The INSERT of ``:n`` synthetic sites inside the jurisdiction."""
    return SYNTH_SITES.format(kinds=_kinds_values(), uses=_uses_values(), n_uses=len(_LAND_USES))


def _kinds_values() -> str:
    rows, lo = [], 0
    for kind, w in _KINDS:
        rows.append(f"('{kind}', {lo}, {lo + w})")
        lo += w
    return ", ".join(rows)


def _uses_values() -> str:
    return ", ".join(f"({i}, '{a}', '{b}')" for i, (a, b) in enumerate(_LAND_USES))


def _machine(conn: sa.Connection) -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        mem = "RAM unknown"
    pg = conn.execute(sa.text("SHOW server_version")).scalar_one()
    postgis = conn.execute(sa.text("SELECT postgis_lib_version()")).scalar_one()
    shared = conn.execute(sa.text("SHOW shared_buffers")).scalar_one()
    work = conn.execute(sa.text("SHOW work_mem")).scalar_one()
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} vCPU ({cpu}), {mem}, {platform.system()} {platform.release()}, "
        f"load average {load:.1f} when measured; "
        f"PostgreSQL {pg}, PostGIS {postgis}, shared_buffers {shared}, work_mem {work}"
    )


def build(url: str, n: int, log) -> None:
    """Migrate, load the sample and add ``n`` synthetic sites with buildings."""
    provision.ensure_postgis(url)
    migrate.upgrade(url, "head")
    eng = make_engine(url, application_name="bench load")
    try:
        with eng.connect() as c:
            load_sample(c)
        with eng.begin() as c:
            c.execute(sa.text("SET LOCAL statement_timeout = 0"))
            # a bulk load: per-row triggers off, derived tables refreshed set-wise below
            c.execute(sa.text("ALTER TABLE site DISABLE TRIGGER USER"))
            c.execute(sa.text("ALTER TABLE building DISABLE TRIGGER USER"))
            t = time.perf_counter()
            c.execute(sa.text(synthetic_sites_sql()), {"n": n})
            log(f"{n} sites inserted in {time.perf_counter() - t:.1f} s")
            t = time.perf_counter()
            c.execute(sa.text(SYNTH_BUILDINGS))
            log(f"buildings inserted in {time.perf_counter() - t:.1f} s")
            t = time.perf_counter()
            c.execute(sa.text("SELECT gis_app_refresh_site_distance(NULL)"))
            c.execute(sa.text("SELECT gis_app_refresh_overlap(NULL, NULL)"))
            c.execute(sa.text("SELECT gis_app_refresh_match_units(NULL)"))
            log(f"derived tables refreshed in {time.perf_counter() - t:.1f} s")
            c.execute(sa.text("ALTER TABLE site ENABLE TRIGGER USER"))
            c.execute(sa.text("ALTER TABLE building ENABLE TRIGGER USER"))
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE"))
    finally:
        eng.dispose()


def measure(url: str, runs: int) -> list[str]:
    """EXPLAIN ANALYZE each requirement's match query; time the full match ``runs`` times."""
    eng = make_engine(url, application_name="bench match")
    out: list[str] = []
    try:
        with eng.connect() as c:
            counts = c.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM site), (SELECT count(*) FROM building),"
                    " (SELECT count(*) FROM site_distance),"
                    " (SELECT count(*) FROM site_constraint_overlap)"
                )
            ).one()
            out.append(f"machine: {_machine(c)}")
            out.append(
                f"inventory: {counts[0]} sites, {counts[1]} buildings, {counts[2]} site_distance"
                f" rows, {counts[3]} site_constraint_overlap rows"
            )
            for title, data in REQUIREMENTS.items():
                spec = parse_spec(data)
                query, params = match_sql.statement(spec)
                c.rollback()
                apply_settings(c)  # as run_match does, for this transaction
                for _ in range(3):  # warm the cache
                    c.execute(sa.text(query), params).all()
                sql_ms, full_ms = [], []
                for _ in range(runs):
                    t = time.perf_counter()
                    c.execute(sa.text(query), params).all()
                    sql_ms.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    result = run_match(c, spec)
                    full_ms.append((time.perf_counter() - t) * 1000)
                plan = c.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + query), params).scalars()
                out += [
                    "",
                    "=" * 100,
                    f"requirement: {title}",
                    f"result: {result.total_matches} matches, "
                    f"{result.total_near_misses} near misses",
                    f"match query, {runs} runs: median {statistics.median(sql_ms):.1f} ms, "
                    f"p95 {_p95(sql_ms):.1f} ms",
                    f"run_match (query + explanations), {runs} runs: median "
                    f"{statistics.median(full_ms):.1f} ms, p95 {_p95(full_ms):.1f} ms",
                    "",
                    "EXPLAIN (ANALYZE, BUFFERS):",
                    *plan,
                ]
    finally:
        eng.dispose()
    return out


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    """Build the synthetic database, measure, write the results, drop the database."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sites", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--reuse", metavar="DB", help="measure a database kept by --keep")
    args = p.parse_args()
    status = provision.db_up(DatabaseSettings(), log=lambda m: None)
    name = args.reuse or f"gis_app_bench_{os.getpid()}"
    admin = sa.create_engine(
        make_url(status.url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    url = make_url(status.url).set(database=name).render_as_string(hide_password=False)
    if not args.reuse:
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        if not args.reuse:
            build(url, args.sites, log=print)
        else:  # the functions follow the current criteria; the data stay
            eng = make_engine(url)
            with eng.begin() as c:
                c.execute(sa.text(match_sql.install_ddl()))
            eng.dispose()
        lines = measure(url, args.runs)
    finally:
        if not (args.keep or args.reuse):
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    label = f"{args.sites // 1000}k" if args.sites % 1000 == 0 else str(args.sites)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"match_plan_{label}.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:2]))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
