"""The least a bulk import of bench parcels can cost on this machine, beside `ogr2ogr` and
`gis-app import` of the same file, in the same run (issue 24, item 1: why 10,000 features/s
is out of reach).

The bench inventory of ``--size`` sites is built as ``bench/import_bench.py`` builds it and
exported to a GeoPackage. Its new sites' stored columns are copied, before any timing, into a
staging table of a fresh copy of the sample (the state the bulk path reaches after ``COPY``).
Then, ``--runs`` times, interleaved (the order alternates each round), each in a fresh copy:

* **floor** — one transaction on one connection doing only the work the issue asks for, each
  piece the cheapest set-based way, with every trigger and foreign-key check off
  (``session_replication_role = replica``): the rows inserted into ``site`` (its check
  constraints, generated areas and indexes); one pass of the rules (each outline's covering
  districts, which is also the jurisdiction check, and the land-use codes); one history image
  per row; per site and infrastructure kind *one* KNN candidate and *one* geodesic distance
  (fewer than the exact nearest needs); the zone overlaps and match units by the database's
  own set-based refreshes; commit. Each piece is timed;
* **import** — ``gis-app import FILE`` (the CLI, bulk path), as ``bench/import_bench.py``;
* **ogr2ogr** — the same file into a scratch table (COPY, no checks, nothing derived).

Results go to ``bench/results/import_floor.{json,md}``; the databases are dropped::

    .venv/bin/python bench/import_floor.py --size 100000 --runs 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import import_bench as ib
from bench.api_bench import _load, drop_database, finish_run, machine
from gis_app.db import provision
from gis_app.db.engine import make_engine
from gis_app.settings import DatabaseSettings

STAGE = "bench_floor_stage"

#: the floor's pieces, in order: (name, what it stands for, SQL); ``:first`` is the first
#: new site's id
PIECES: list[tuple[str, str, str]] = [
    (
        "insert",
        "rows into site: checks, generated areas, 15 indexes",
        "INSERT INTO site ({cols}) SELECT {cols} FROM " + STAGE,
    ),
    (
        "rules",
        "covering districts (and jurisdiction), land-use codes: one pass",
        """SELECT count(*) FILTER (WHERE c.n = 0), count(*) FILTER (WHERE NOT c.uses)
             FROM site s
            CROSS JOIN LATERAL (
                  SELECT (SELECT count(*) FROM district_piece p
                           WHERE p.geom ~ s.geom AND ST_Covers(p.geom, s.geom)) AS n,
                         (s.planned_use IS NULL OR EXISTS (
                              SELECT 1 FROM land_use_code u
                               WHERE u.system = '2023' AND u.code = s.planned_use))
                         AND (s.legacy_use IS NULL OR EXISTS (
                              SELECT 1 FROM land_use_code u
                               WHERE u.system = 'gb50137' AND u.code = s.legacy_use)) AS uses
                 ) c
            WHERE s.id >= :first""",
    ),
    (
        "history",
        "one image per new row (to_jsonb: cheaper than the product's, column by column)",
        """INSERT INTO history (table_name, row_id, action, changes, changed_by, db_user)
           SELECT 'site', n.id, 'insert', to_jsonb(n), 'import-floor', session_user
             FROM site n WHERE n.id >= :first""",
    ),
    (
        "distances",
        "per site and kind one KNN candidate, one geodesic distance",
        """INSERT INTO site_distance (site_id, infra_kind, infrastructure_id, distance_m)
           SELECT s.id, k.kind, n.id, ST_Distance(s.geom::geography, n.geom::geography)
             FROM site s
            CROSS JOIN (SELECT DISTINCT kind FROM infrastructure) k
            CROSS JOIN LATERAL (SELECT i.id, i.geom FROM infrastructure i
                                 WHERE i.kind = k.kind ORDER BY i.geom <-> s.geom LIMIT 1) n
            WHERE s.id >= :first""",
    ),
    (
        "overlaps",
        "zone overlaps (the database's set-based refresh)",
        "SELECT gis_app_refresh_overlap(ARRAY(SELECT id FROM site WHERE id >= :first), NULL)",
    ),
    (
        "match_units",
        "match units (the database's set-based refresh)",
        "SELECT gis_app_refresh_match_units(ARRAY(SELECT id FROM site WHERE id >= :first))",
    ),
]


def _stored_columns(conn: sa.Connection) -> list[str]:
    """site's columns a writer gives (not generated, not the identity)."""
    return list(
        conn.execute(
            sa.text(
                """SELECT column_name FROM information_schema.columns
                    WHERE table_schema = 'public' AND table_name = 'site'
                      AND is_generated = 'NEVER' AND is_identity = 'NO'
                    ORDER BY ordinal_position"""
            )
        ).scalars()
    )


def _dump_new_sites(src_url: str, path: Path) -> None:
    """The source inventory's synthetic sites' stored columns, in COPY's text format."""
    eng = make_engine(src_url)
    with eng.connect() as c:
        cols = ", ".join(_stored_columns(c))
        raw = c.connection.dbapi_connection
        assert raw is not None
        with path.open("w", encoding="utf-8") as f, raw.cursor() as cur:
            cur.copy_expert(
                f"COPY (SELECT {cols} FROM site WHERE code LIKE 'BN-%' ORDER BY id) TO STDOUT", f
            )
    eng.dispose()


def run_floor(url: str, rows: Path, features: int) -> dict:
    """Stage ``rows`` (untimed), then the floor transaction, each piece timed."""
    eng = make_engine(url, DatabaseSettings(statement_timeout_s=3600))
    with eng.begin() as c:
        cols = ", ".join(_stored_columns(c))
        c.execute(sa.text(f"CREATE TABLE {STAGE} AS SELECT {cols} FROM site WITH NO DATA"))
        raw = c.connection.dbapi_connection
        assert raw is not None
        with rows.open(encoding="utf-8") as f, raw.cursor() as cur:
            cur.copy_expert(f"COPY {STAGE} FROM STDIN", f)
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text(f"VACUUM ANALYZE {STAGE}"))
        staged = c.execute(sa.text(f"SELECT count(*) FROM {STAGE}")).scalar_one()
    pieces: dict[str, float] = {}
    with ib._Gauge() as g, eng.connect() as c:
        c.execute(sa.text("SET statement_timeout = 0"))
        c.execute(sa.text("SET session_replication_role = replica"))
        first = c.execute(sa.text("SELECT COALESCE(max(id), 0) + 1 FROM site")).scalar_one()
        for name, _, sql in PIECES:
            t = time.perf_counter()
            c.execute(sa.text(sql.format(cols=cols)), {"first": first})
            pieces[name] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        c.commit()
        pieces["commit"] = round(time.perf_counter() - t, 2)
    new = ib._count(url) - ib.SAMPLE_SITES
    if new != staged:
        raise RuntimeError(f"floor wrote {new} sites of {staged} staged")
    insert = _insert_split(eng, cols)
    eng.dispose()
    return g.figures(features) | {"pieces_s": pieces, "staged": staged, "insert_split_s": insert}


#: the insert piece taken apart (after the floor, untimed by it): the staged rows into scratch
#: copies of site with more of its definition each time
INSERT_SPLIT: list[tuple[str, str]] = [
    ("rows", "INCLUDING DEFAULTS INCLUDING IDENTITY"),
    ("+ checks", "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS"),
    ("+ generated areas", "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS"
     " INCLUDING GENERATED"),
    ("+ indexes", "INCLUDING ALL"),
]  # fmt: skip


def _insert_split(eng: sa.Engine, cols: str) -> dict[str, float]:
    """Seconds to insert the staged rows into each of :data:`INSERT_SPLIT`'s tables."""
    split: dict[str, float] = {}
    for name, like in INSERT_SPLIT:
        with eng.begin() as c:
            c.execute(sa.text("SET LOCAL statement_timeout = 0"))
            c.execute(sa.text(f"CREATE TABLE bench_floor_split (LIKE site {like})"))
            if "GENERATED" not in like:  # the areas' NOT NULL without what fills them
                c.execute(
                    sa.text(
                        "ALTER TABLE bench_floor_split ALTER COLUMN area_m2 DROP NOT NULL,"
                        " ALTER COLUMN area_mu DROP NOT NULL, ALTER COLUMN area_ha DROP NOT NULL"
                    )
                )
            t = time.perf_counter()
            c.execute(sa.text(f"INSERT INTO bench_floor_split ({cols}) SELECT {cols} FROM {STAGE}"))
            split[name] = round(time.perf_counter() - t, 2)
            c.execute(sa.text("DROP TABLE bench_floor_split"))
    return split


def measure(size: int, runs: int) -> dict:
    """Build and export the inventory; ``runs`` interleaved rounds of the three loads."""
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    doc: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(st.url),
        "size": size,
        "load_start": _load(),
        "runs": [],
    }
    work = Path(tempfile.mkdtemp(prefix="gis_app_import_floor_"))
    rows = work / "new_sites.copy"
    with ib.exported_inventory(
        st.url, size, "gis_app_floor", keep=lambda u: _dump_new_sites(u, rows)
    ) as (template, gpkg, _):
        target = "gis_app_floor_imp"
        order = ["floor", "import", "ogr2ogr"]
        try:
            for k in range(runs):
                for kind in ib.alternating(order, k):
                    url = ib._fresh(st.url, template, target)
                    if kind == "floor":
                        fig = run_floor(url, rows, size)
                    elif kind == "import":
                        fig = ib.run_import(url, gpkg, size)
                    else:
                        fig = ib.run_ogr2ogr(url, gpkg, size)
                    doc["runs"].append({"round": k + 1, "kind": kind} | fig)
                    drop_database(st.url, target)
                    print(f"round {k + 1} {kind}: {fig['seconds']:.1f} s", flush=True)
        finally:
            drop_database(st.url, target)
            rows.unlink(missing_ok=True)
            work.rmdir()
    return doc


def _med(runs: list[dict], kind: str, key: str = "seconds") -> float:
    return statistics.median(r[key] for r in runs if r["kind"] == kind)


def markdown(doc: dict) -> str:
    """The runs, the floor's pieces (medians) and the verdict."""
    runs, size = doc["runs"], doc["size"]
    m = doc["machine"]
    lines = [
        f"# Import floor, {size:,} features ({doc['started']})",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), PostgreSQL {m['postgresql']}. Load average "
        f"at start {doc['load_start']}, at end {doc.get('load_end', '?')}. Interleaved runs, "
        "each in a fresh copy of the sample with the bench's jurisdiction.",
        "",
        "| round | run | s | features/s | load | CPU busy % |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['round']} | {r['kind']} | {r['seconds']:.1f} | {r['features_per_s']:,} "
        f"| {r['load_1min']} | {r['cpu_busy_pct']} |"
        for r in runs
    ]
    floor_runs = [r for r in runs if r["kind"] == "floor"]
    lines += ["", "Floor pieces (median s; one transaction, one connection):", ""]
    lines += ["| piece | what | s |", "|---|---|---:|"]
    for name, what, _ in [*PIECES, ("commit", "commit", "")]:
        v = statistics.median(r["pieces_s"][name] for r in floor_runs)
        lines.append(f"| {name} | {what} | {v:.2f} |")
    lines += [
        "",
        "The insert piece taken apart (median s; scratch copies of site, after the floor):",
        "",
    ]
    lines += [
        "| " + " | ".join(n for n, _ in INSERT_SPLIT) + " |",
        "|" + "---:|" * len(INSERT_SPLIT),
    ]
    lines.append(
        "| "
        + " | ".join(
            f"{statistics.median(r['insert_split_s'][n] for r in floor_runs):.2f}"
            for n, _ in INSERT_SPLIT
        )
        + " |"
    )
    floor, imp, ogr = (_med(runs, k) for k in ("floor", "import", "ogr2ogr"))
    lines += [
        "",
        f"Medians: ogr2ogr {ogr:.1f} s ({size / ogr:,.0f}/s), floor {floor:.1f} s "
        f"({size / floor:,.0f}/s, {ogr / floor:.3f} of ogr2ogr), gis-app import {imp:.1f} s "
        f"({size / imp:,.0f}/s, {ogr / imp:.3f} of ogr2ogr; {imp / floor:.1f}× the floor). "
        f"Target {ib.TARGET_PER_S:,}/s = {size / ib.TARGET_PER_S:.1f} s: "
        + (
            "the floor alone is slower than the target."
            if size / floor < ib.TARGET_PER_S
            else "the floor is within the target."
        ),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", default="import_floor", help="results file name, without suffix")
    a = p.parse_args(argv)
    doc = measure(a.size, a.runs)
    finish_run(a.out, doc, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
