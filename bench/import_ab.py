"""A/B of one lever of the bulk import: the same GeoPackage imported (``gis-app import``, as
``bench/import_bench.py`` runs it) into fresh copies of the bench template, the two variants
alternating, several rounds.

``--compare fks``: with the two foreign keys of ``site_distance`` and with them dropped (what
replacing them by triggers could at most save). ``--compare wal``: the server's
``max_wal_size`` at 1GB (PostgreSQL's default) and at 8GB (fewer checkpoints during the load,
so fewer full-page images); the WAL written and the checkpoints requested are recorded.
``--compare price_indexes``: with the two indexes of vacant space in price order (revision
0059, a first run's bar) and with them dropped.

The first import after the template is built has run slower whatever the variant; the table
gives every run and the medians without the first.

    .venv/bin/python bench/import_ab.py --compare fks --size 100000 --rounds 3

Without ``--file`` the bench builds an inventory of ``--size`` sites and exports it first.
Results go to ``bench/results/import_ab_<compare>.{json,md}`` (``--out`` renames them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyogrio
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_bench import (  # noqa: E402
    _load,
    build_database,
    drop_database,
    machine,
    make_template,
    write_results,
)
from bench.import_bench import SAMPLE_SITES, _export, _fresh, run_import  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

DROP_FKS = (
    "ALTER TABLE site_distance"
    " DROP CONSTRAINT fk_site_distance_infrastructure_id_infrastructure,"
    " DROP CONSTRAINT fk_site_distance_site_id_site"
)
#: the two indexes of vacant space in price order (revision 0059)
DROP_PRICE_INDEXES = "DROP INDEX ix_match_unit_rent, ix_match_unit_sale"
WAL_COUNTERS = (
    "SELECT (SELECT wal_bytes FROM pg_stat_wal), (SELECT wal_fpi FROM pg_stat_wal),"
    " (SELECT checkpoints_req FROM pg_stat_bgwriter),"
    " (SELECT checkpoints_timed FROM pg_stat_bgwriter)"
)


def _sql(url: str, statement: str, *, autocommit: bool = False) -> list:
    """Run one statement on ``url``; its rows when it returns any."""
    eng = make_engine(url)
    if autocommit:
        eng = eng.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with eng.begin() as c:
            res = c.execute(sa.text(statement))
            return res.all() if res.returns_rows else []
    finally:
        eng.dispose()


def _max_wal_size(server_url: str, size: str | None) -> None:
    """Set the server's ``max_wal_size`` (None: back to its configured value) and reload."""
    change = f"SET max_wal_size = '{size}'" if size else "RESET max_wal_size"
    _sql(server_url, f"ALTER SYSTEM {change}", autocommit=True)
    _sql(server_url, "SELECT pg_reload_conf()")


COMPARISONS: dict[str, tuple[tuple[str, str], Callable[[str, str, str], None]]] = {
    # variant labels, and how to set up a variant: (server url, database url, label)
    "fks": (
        ("with foreign keys", "without"),
        lambda server, db, v: _sql(db, DROP_FKS) if v == "without" else None,
    ),
    "price_indexes": (
        ("with the price indexes", "without"),
        lambda server, db, v: _sql(db, DROP_PRICE_INDEXES) if v == "without" else None,
    ),
    "wal": (
        ("max_wal_size 1GB", "max_wal_size 8GB"),
        lambda server, db, v: _max_wal_size(server, v.split()[-1]),
    ),
}


def markdown(doc: dict) -> str:
    """The runs and their medians as a Markdown table."""
    m = doc["machine"]
    variants = COMPARISONS[doc["compare"]][0]
    lines = [
        f"# Bulk import A/B: {' vs '.join(variants)}",
        "",
        f"Started {doc['started']} on {m['nproc']} × {m['cpu']}, {m['memory_gib']} GiB, "
        f"PostgreSQL {m['postgresql']}; load average {doc['load_start']} at "
        f"the start, {doc.get('load_end', '?')} at the end. File: `{doc['file']}` "
        f"({doc['features']:,} features).",
        "",
        "| run | variant | s | features/s | CPU busy % | WAL MB | full-page images "
        "| checkpoints requested |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for k, r in enumerate(doc["runs"]):
        lines.append(
            f"| {k + 1} | {r['variant']} | {r['seconds']:.1f} | {r['features_per_s']:,.0f} "
            f"| {r.get('cpu_busy_pct', '?')} | {r['wal_bytes'] / 1e6:,.0f} | {r['wal_fpi']:,} "
            f"| {r['checkpoints_req']} |"
        )
    lines.append("")
    for v in variants:
        later = [r["seconds"] for r in doc["runs"][1:] if r["variant"] == v]
        if later:
            lines.append(f"- {v}: median {statistics.median(later):.1f} s (runs after the first)")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--compare", choices=sorted(COMPARISONS), required=True)
    p.add_argument("--file", type=Path, help="a GeoPackage this bench or import_bench exported")
    p.add_argument("--size", type=int, default=100_000, help="sites to build without --file")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", help="results file name, without suffix")
    args = p.parse_args(argv)
    variants, set_up = COMPARISONS[args.compare]
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    pid = os.getpid()
    template = f"gis_app_bench_ab_tpl_{pid}"
    make_template(st.url, template)
    work = Path(tempfile.mkdtemp(prefix="gis_app_import_ab_"))
    try:
        gpkg = args.file
        if gpkg is None:
            source = f"gis_app_bench_ab_src_{pid}"
            try:
                src_url, _ = build_database(
                    st.url, template, source, args.size - SAMPLE_SITES, log=print
                )
                gpkg = _export(src_url, work)
            finally:
                drop_database(st.url, source)
        features = pyogrio.read_info(gpkg)["features"]
        doc: dict = {
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(st.url),
            "load_start": _load(),
            "compare": args.compare,
            "file": str(args.file) if args.file else f"built: {args.size:,} sites",
            "features": features,
            "runs": [],
        }
        for r in range(args.rounds):
            for variant in variants if r % 2 == 0 else variants[::-1]:
                name = f"gis_app_bench_ab_{r}_{variants.index(variant)}_{pid}"
                try:
                    url = _fresh(st.url, template, name)
                    set_up(st.url, url, variant)
                    (w0,) = _sql(st.url, WAL_COUNTERS)
                    res = run_import(url, gpkg, features, given=True)
                    (w1,) = _sql(st.url, WAL_COUNTERS)
                finally:
                    drop_database(st.url, name)
                res |= dict(
                    zip(
                        ("wal_bytes", "wal_fpi", "checkpoints_req", "checkpoints_timed"),
                        (int(b) - int(a) for a, b in zip(w0, w1, strict=True)),
                        strict=True,
                    )
                )
                doc["runs"].append({"variant": variant, "round": r} | res)
                print(f"round {r + 1} {variant}: {res['seconds']:.1f} s", flush=True)
    finally:
        _max_wal_size(st.url, None)
        drop_database(st.url, template)
        for f in work.glob("*"):
            f.unlink()
        work.rmdir()
    doc["load_end"] = _load()
    write_results(args.out or f"import_ab_{args.compare}", doc, markdown(doc))
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
