"""Many districts at province scale (issue 26, item 6): a district-scoped site search and match
on an inventory split into 10 districts, beside the same requests over every district.

Copies a kept 1M inventory (``bench/api_bench.py --keep``) to ``<db>_d<k>`` and splits it: the
home district gets its own outline back (the sample's, from ``data/parcels``), the rest of the
province box is cut into ``k`` vertical stripes (synthetic districts under the sample's city,
marked illustrative, minus the sample's districts), and every synthetic site goes to the
district its bounding-box centre lies in, its match units with it (revision 0033). Written
with triggers off (as the api bench loads), so the few synthetic sites that straddle a
stripe's edge keep their outline across it (the product would refuse them; they do not change
what is measured).

Then, in process, interleaved rounds of:

* the site list as the map asks for it (count and a page of 200) for a window inside one stripe
  district, unscoped and with ``district_code`` of that district;
* the benchmark's four match requests over every district (``districts=None``, as a city
  officer of the only city gets) and scoped to one stripe district (a district officer's match,
  :func:`gis_app.services.matching.match_scope`);
* one site detail (the gauge of how busy the machine was).

Plans (``EXPLAIN (ANALYZE, BUFFERS)``) of the scoped requests, and of the matches over every
district, go to ``bench/results/district_plans_<n>.txt`` (``<out>_plans.txt`` for a run named
otherwise than the default, so that it leaves the default run's plans alone), figures to
``bench/results/<out>.{json,md}``::

    .venv/bin/python bench/district_bench.py --reuse gis_app_bench_api_1000000_7997 --rounds 12
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_bench import (  # noqa: E402
    PROVINCE,
    REQUIREMENTS,
    _admin,
    _load,
    _p95,
    _url,
    drop_database,
    machine,
    write_results,
)
from gis_app.db import provision, scope  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.db.site_queries import SiteFilter  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.spec import parse_spec  # noqa: E402
from gis_app.services import sites  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SAMPLE_DISTRICTS = ROOT / "data" / "parcels" / "jurisdiction.geojson"
#: the synthetic districts' codes: BENCH01 …
CODE = "BENCH{:02d}"
PAGE = 200


def copy_database(server_url: str, source: str, name: str) -> None:
    """``name`` as a copy of ``source`` (no one may be connected to ``source``)."""
    admin = _admin(server_url)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    admin.dispose()


def split_into_districts(conn: sa.Connection, k: int) -> dict[str, int]:
    """Give the home district its sample outline back, add ``k`` stripe districts over the
    rest of the province box and move every synthetic site to the district it lies in; the
    number of sites per district."""
    sample = json.loads(SAMPLE_DISTRICTS.read_text(encoding="utf-8"))
    outlines = {
        f["properties"]["code"]: json.dumps(f["geometry"])
        for f in sample["features"]
        if f["geometry"] is not None
    }
    home = conn.execute(sa.text("SELECT gis_app_home_district()")).scalar_one()
    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
    for code, geometry in outlines.items():
        conn.execute(
            sa.text(
                "UPDATE district SET geom = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4490))"
                " WHERE code = :c"
            ),
            {"g": geometry, "c": code},
        )
    parent = conn.execute(
        sa.text("SELECT parent_code FROM district WHERE code = :c"), {"c": home}
    ).scalar_one()
    x0, y0, x1, y1 = PROVINCE
    step = (x1 - x0) / k
    for i in range(k):
        # 0.01° beyond the box (synthetic parcels reach ~180 m past it), minus the sample's
        left = x0 - 0.01 if i == 0 else x0 + i * step
        right = x1 + 0.01 if i == k - 1 else x0 + (i + 1) * step
        conn.execute(
            sa.text(
                """INSERT INTO district (code, name_zh, name_en, level, parent_code,
                                         illustrative, note, default_epsg, geom)
                   SELECT :code, :zh, :en, 'district', :parent, true,
                          'district_bench: a stripe of the province box (synthetic)', :epsg,
                          ST_Multi(ST_CollectionExtract(ST_Difference(
                              ST_MakeEnvelope(:l, :b, :r, :t, 4490),
                              (SELECT ST_Union(geom) FROM district
                                WHERE geom IS NOT NULL AND code NOT LIKE 'BENCH%')), 3))"""
            ),
            {
                "code": CODE.format(i + 1),
                "zh": f"基准测试区 {i + 1}（合成）",
                "en": f"Bench district {i + 1} (synthetic)",
                "parent": parent,
                "l": left,
                "r": right,
                "b": y0 - 0.01,
                "t": y1 + 0.01,
                # CGCS2000 3-degree Gauss-Krüger zone of the stripe's middle (CM 120°E: 4549)
                "epsg": 4534 + (round((left + right) / 6) * 3 - 75) // 3,
            },
        )
    conn.execute(
        sa.text(
            """UPDATE site s SET district_code = d.code
                 FROM district d
                WHERE s.code LIKE 'BN-%' AND d.level = 'district' AND d.geom IS NOT NULL
                  AND ST_Intersects(d.geom, ST_SetSRID(ST_MakePoint(
                          (ST_XMin(s.geom) + ST_XMax(s.geom)) / 2,
                          (ST_YMin(s.geom) + ST_YMax(s.geom)) / 2), 4490))
                  AND s.district_code IS DISTINCT FROM d.code"""
        )
    )
    move_units(conn)
    rows = conn.execute(
        sa.text("SELECT district_code, count(*) FROM site GROUP BY 1 ORDER BY 1")
    ).all()
    return {code: n for code, n in rows}


def move_units(conn: sa.Connection) -> None:
    """Give every match unit its site's district, as ``site_unit_sync`` would have (triggers
    are off): with the unit's non-unique indexes dropped and built again afterwards (a million
    updates through four 32-column indexes took longer than building them)."""
    indexes = conn.execute(
        sa.text(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = 'match_unit'::regclass AND NOT indisunique"
        )
    ).all()
    for name, _ in indexes:
        conn.execute(sa.text(f"DROP INDEX {name}"))
    conn.execute(
        sa.text(
            "UPDATE match_unit u SET district_code = s.district_code FROM site s"
            " WHERE s.id = u.site_id AND u.district_code IS DISTINCT FROM s.district_code"
        )
    )
    for _, definition in indexes:
        conn.execute(sa.text(definition))


def _window(conn: sa.Connection, district: str, sites_wanted: int = 500) -> tuple[float, ...]:
    """A square window around a random site of ``district`` holding about ``sites_wanted``
    sites of the inventory (as a district officer's map shows it)."""
    n, area = conn.execute(
        sa.text(
            "SELECT count(*), ST_Area(ST_Envelope(ST_Collect(ST_Envelope(geom)))) FROM site"
            " WHERE district_code = :d"
        ),
        {"d": district},
    ).one()
    side = (area * sites_wanted / max(n, 1)) ** 0.5
    lon, lat = conn.execute(
        sa.text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM site"
            " WHERE district_code = :d ORDER BY id LIMIT 1 OFFSET :o) q"
        ),
        {"d": district, "o": n // 2},
    ).one()
    return (lon - side / 2, lat - side / 2, lon + side / 2, lat + side / 2)


def _timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def runtime_bench_url(owner_url: str) -> str:
    """A runtime login of the bench (no superuser, owns nothing, a member of the database's
    runtime group, as the app's own) on the database of ``owner_url``: row security applies."""
    import secrets

    from gis_app.db import db_logins

    name, password = "gis_app_bench_runtime", secrets.token_urlsafe(18)
    eng = make_engine(owner_url)
    try:
        with eng.begin() as c:
            db_logins.ensure_runtime_login(c, name, password)
    finally:
        eng.dispose()
    url = make_url(owner_url).set(username=name, password=password)
    return url.render_as_string(hide_password=False)


def measure(
    url: str, district: str, rounds: int, runtime: str | None = None, gate_ab: bool = False
) -> dict[str, Any]:
    """Interleaved rounds of the unscoped and scoped search and matches and a site detail.

    ``runtime``: measured as that login (the app's runtime login), each request with the scope
    the app binds: every district (a city officer) or the one district (its officer).
    ``gate_ab``: each scoped match also with the planner gates counting the whole table (as
    before revision 0041), interleaved."""
    shipped = match_engine.settings_sql

    def table_gate(worker: bool = True, units: Any = None, space: bool = False) -> str:
        return shipped(worker, space=space)

    eng = make_engine(runtime or url)
    specs = {key: parse_spec(body) for key, (_title, body) in REQUIREMENTS.items()}
    wall: dict[str, list[float]] = {}
    counts: dict[str, Any] = {}

    def bind(c: sa.Connection, codes: list[str] | None) -> None:
        if runtime is not None:
            scope.bind(c, scope.Scope.of(codes or every, codes or every))

    try:
        with eng.connect() as c:
            every = list(c.execute(sa.text("SELECT code FROM district")).scalars())
            c.rollback()
            bind(c, None)
            bbox = _window(c, district)
            ids = list(c.execute(sa.text("SELECT id FROM site ORDER BY random() LIMIT 300")))
            c.rollback()
            searches = {
                "search, every district": SiteFilter(bbox=bbox),
                # as its officer searches: under row security the scope alone says the district
                f"search, {district}": SiteFilter(
                    bbox=bbox, district_code=[] if runtime else [district]
                ),
            }
            search_scope = {f"search, {district}": [district]}
            scopes: dict[str, list[str] | None] = {"every district": None, district: [district]}
            today = dt.date.today()
            for r in range(rounds + 2):  # two warm-up rounds
                for name, flt in searches.items():
                    bind(c, search_scope.get(name))

                    def search(flt: SiteFilter = flt, name: str = name) -> None:
                        page = sites.list_sites(c, flt, limit=PAGE)
                        counts[name] = page.total

                    ms = _timed(search)
                    c.rollback()
                    if r >= 2:
                        wall.setdefault(name, []).append(ms)
                for key, spec in specs.items():
                    runs = [(w, codes, "") for w, codes in scopes.items()]
                    if gate_ab:
                        runs.append((district, [district], " | table gate"))
                    for where, codes, gate in runs if r % 2 == 0 else runs[::-1]:
                        bind(c, codes)
                        match_engine.settings_sql = table_gate if gate else shipped

                        def match(
                            spec: Any = spec, codes: list[str] | None = codes, key: str = key
                        ) -> None:
                            res = match_engine.run_match(c, spec, districts=codes)
                            counts[f"{key} | {codes}"] = [res.total_matches, res.total_near_misses]

                        try:
                            ms = _timed(match)
                        finally:
                            match_engine.settings_sql = shipped
                        c.rollback()
                        if r >= 2:
                            wall.setdefault(f"{key} | {where}{gate}", []).append(ms)
                bind(c, None)
                ms = _timed(lambda: sites.get_site(c, random.choice(ids)[0], today))
                c.rollback()
                if r >= 2:
                    wall.setdefault("site detail", []).append(ms)
    finally:
        eng.dispose()
    return {
        "bbox": bbox,
        "counts": counts,
        "wall_ms": {
            k: {
                "p50": round(statistics.median(v), 1),
                "p95": round(_p95(v), 1),
                "n": len(v),
            }
            for k, v in wall.items()
        },
    }


def plans(url: str, district: str, bbox: tuple[float, ...]) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the scoped search's count and of each match, scoped
    and over every district."""
    eng = make_engine(url)
    out: list[str] = []
    try:
        with eng.connect() as c:
            where, params = SiteFilter(bbox=bbox, district_code=[district]).where()
            sql = f"SELECT count(*) FROM site s WHERE {where}"
            rows = c.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params).scalars()
            out += [f"-- search count, {district}", *rows, ""]
            c.rollback()
            for key, (_title, body) in REQUIREMENTS.items():
                # the unscoped plan too: it must keep its index-only scans and size ranges
                for scope, codes in ((district, [district]), ("every district", None)):
                    query, binds = match_sql.statement(parse_spec(body), districts=codes)
                    match_engine.apply_settings(c)
                    rows = c.execute(
                        sa.text("EXPLAIN (ANALYZE, BUFFERS) " + query), binds
                    ).scalars()
                    out += [f"-- match {key}, {scope}", *rows, ""]
                    c.rollback()
    finally:
        eng.dispose()
    return "\n".join(out)


def markdown(doc: dict[str, Any]) -> str:
    """The results table."""
    m = doc["machine"]
    w = doc["wall_ms"]
    d = doc["district"]
    lines = [
        f"# Districts at scale: scoped search and match ({doc['started']})",
        "",
        f"Inventory `{doc['database']}`: {doc['sites']:,} sites in {len(doc['per_district'])}"
        f" districts ({doc['k']} synthetic stripes; the measured one, `{d}`, holds"
        f" {doc['per_district'][d]:,}). Machine: {m['nproc']} cores ({m['cpu']}),"
        f" {m['memory_gib']} GiB RAM, PostgreSQL {m['postgresql']}. Load average (1/5/15 min)"
        f" at start {doc['load_start']}, at end {doc['load_end']}. {doc['rounds']} interleaved"
        " rounds after 2 warm-ups, in process (no HTTP), as the"
        f" {doc.get('as', 'owner (no row security)')}; ms.",
        "",
        "| request | every district p50 / p95 | one district p50 / p95 | ratio of p50s |",
        "|---|---:|---:|---:|",
    ]
    pairs = [("site list, count + 200", "search, every district", f"search, {d}")]
    pairs += [(REQUIREMENTS[k][0], f"{k} | every district", f"{k} | {d}") for k in REQUIREMENTS]
    for title, every, one in pairs:
        a, b = w[every], w[one]
        lines.append(
            f"| {title} | {a['p50']} / {a['p95']} | {b['p50']} / {b['p95']} "
            f"| {b['p50'] / max(a['p50'], 0.01):.2f} |"
        )
    g = w["site detail"]
    lines += [f"| site detail (the gauge) | {g['p50']} / {g['p95']} | — | — |", ""]
    if any(k.endswith(" | table gate") for k in w):
        lines += [
            "One district's matches with the planner gates counting the district's units (as"
            " shipped, revision 0041) and the whole table's (before), interleaved:",
            "",
            "| request | district's units p50 / p95 | whole table p50 / p95 | ratio of p50s |",
            "|---|---:|---:|---:|",
        ]
        for k in REQUIREMENTS:
            a, b = w[f"{k} | {d}"], w[f"{k} | {d} | table gate"]
            lines.append(
                f"| {REQUIREMENTS[k][0]} | {a['p50']} / {a['p95']} | {b['p50']} / {b['p95']} "
                f"| {a['p50'] / max(b['p50'], 0.01):.2f} |"
            )
        lines.append("")
    lines.append("Counts (sites found; matches / near misses): " + json.dumps(doc["counts"]))
    return "\n".join(lines) + "\n"


#: the default results name (its plans keep their historic file name)
DEFAULT_OUT = "district_bench_1m"


def main(argv: list[str] | None = None) -> int:
    """Copy, split and measure."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reuse", metavar="DB", help="a kept api_bench inventory (copied, split)")
    p.add_argument(
        "--split", metavar="DB", help="a copy an earlier --keep run split (measured as it is)"
    )
    p.add_argument(
        "--runtime",
        action="store_true",
        help="measure as the app's runtime login, under row security, with the scope bound",
    )
    p.add_argument(
        "--gate-ab",
        action="store_true",
        help="also run each scoped match with the planner gates counting the whole table",
    )
    p.add_argument("--districts", type=int, default=10, help="synthetic districts (stripes)")
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--keep", action="store_true", help="keep the split copy")
    p.add_argument("--out", default=DEFAULT_OUT)
    args = p.parse_args(argv)
    if bool(args.reuse) == bool(args.split):
        p.error("give --reuse (copy and split a kept inventory) or --split (an earlier split)")
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    name = args.split or f"{args.reuse}_d{args.districts}"
    doc: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(st.url),
        "load_start": _load(),
        "database": name,
        "k": args.districts,
        "rounds": args.rounds,
    }
    t = time.perf_counter()
    url = _url(st.url, name)
    if args.split:
        eng = make_engine(url)
        with eng.connect() as c:
            doc["per_district"] = dict(
                c.execute(
                    sa.text("SELECT district_code, count(*) FROM site GROUP BY 1 ORDER BY 1")
                ).all()
            )
        eng.dispose()
    else:
        _copy_and_split(st.url, args, name, url, doc)
    print(f"ready in {time.perf_counter() - t:.0f} s: {doc['per_district']}")
    doc["sites"] = sum(doc["per_district"].values())
    district = CODE.format(args.districts // 2)
    doc["district"] = district
    doc["as"] = "runtime login, row security" if args.runtime else "owner (no row security)"
    runtime = runtime_bench_url(url) if args.runtime else None
    try:
        doc |= measure(url, district, args.rounds, runtime, args.gate_ab)
        plan_file = RESULTS / (
            f"district_plans_{doc['sites'] // 1000}k.txt"
            if args.out == DEFAULT_OUT
            else f"{args.out}_plans.txt"
        )
        doc["plan_file"] = plan_file.name
        plan_file.write_text(plans(url, district, doc["bbox"]), encoding="utf-8")
    finally:
        if not args.keep and not args.split:
            drop_database(st.url, name)
    doc["load_end"] = _load()
    write_results(args.out, doc, markdown(doc))
    print(markdown(doc))
    return 0


def _copy_and_split(
    server: str, args: argparse.Namespace, name: str, url: str, doc: dict[str, Any]
) -> None:
    copy_database(server, args.reuse, name)
    eng = make_engine(url, DatabaseSettings(statement_timeout_s=3600))
    try:
        with eng.begin() as c:
            doc["per_district"] = split_into_districts(c, args.districts)
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("ANALYZE site"))
            c.execute(sa.text("ANALYZE district"))
            # the units' new district: statistics, and the visibility map their index-only
            # scans need (rewritten rows are not all-visible until vacuumed)
            c.execute(sa.text("VACUUM ANALYZE match_unit"))
    finally:
        eng.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
