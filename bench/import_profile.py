"""Where a bulk import's time goes: `gis-app import` of a bench inventory's GeoPackage into a
fresh copy of the sample, with PostgreSQL's function statistics on (issue 24, item 1).

Builds a bench inventory of ``--size`` sites as ``bench/import_bench.py`` does, exports it,
imports the file with the CLI (the bulk path) into a fresh database whose ``track_functions``
is ``all``, and writes the import's phases beside the database functions that took the most
time (calls, total and self ms: the statement triggers of revision 0028, the distance refresh,
the history diff, the BEFORE row checks …) to ``bench/results/import_profile_<size>.{json,md}``.
The databases are dropped. Function statistics cost a little time themselves; the phases are
for the split, ``bench/import_bench.py`` for the speed::

    .venv/bin/python bench/import_profile.py --size 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import import_bench as ib  # noqa: E402
from bench.api_bench import _load, machine, write_results  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

TOP = 30


def profile(size: int) -> dict:
    """Build, export, import with function statistics; the figures."""
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    pid = os.getpid()
    template, source, target = (f"gis_app_prof_{k}_{pid}" for k in ("tpl", "src", "imp"))
    ib.make_template(st.url, template)
    work = Path(tempfile.mkdtemp(prefix="gis_app_import_profile_"))
    doc: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(st.url),
        "size": size,
    }
    try:
        src_url, _ = ib.build_database(
            st.url, template, source, size - ib.SAMPLE_SITES, log=lambda m: None
        )
        gpkg = ib._export(src_url, work)
        ib.drop_database(st.url, source)
        url = ib._fresh(st.url, template, target)
        admin = sa.create_engine(st.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f"ALTER DATABASE {target} SET track_functions = 'all'"))
        admin.dispose()
        doc["load_start"] = _load()
        doc["import"] = ib.run_import(url, gpkg, size)
        doc["load_end"] = _load()
        time.sleep(1)  # the CLI's backend reports its statistics as it exits
        eng = sa.create_engine(url)
        with eng.connect() as c:
            doc["functions"] = [
                dict(r)
                for r in c.execute(
                    sa.text(
                        "SELECT funcname, calls, round(total_time)::bigint AS total_ms,"
                        " round(self_time)::bigint AS self_ms FROM pg_stat_user_functions"
                        " ORDER BY total_time DESC LIMIT :n"
                    ),
                    {"n": TOP},
                ).mappings()
            ]
        eng.dispose()
    finally:
        ib.drop_database(st.url, target)
        ib.drop_database(st.url, source)
        ib.drop_database(st.url, template)
        shutil.rmtree(work, ignore_errors=True)
    return doc


def markdown(doc: dict) -> str:
    """The phases and the functions, as a table."""
    m, imp = doc["machine"], doc["import"]
    lines = [
        f"# Bulk import profile, {doc['size']:,} features ({doc['started']})",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM, PostgreSQL"
        f" {m['postgresql']}. Load average at start {doc['load_start']}, at end"
        f" {doc['load_end']}. `gis-app import` (bulk path) of the bench inventory's GeoPackage"
        f" into a fresh copy of the sample, `track_functions = all`: {imp['seconds']} s,"
        f" {imp['features_per_s']:,} features/s ({imp['summary']}).",
        "",
        "Phases (s): " + ", ".join(f"{k} {v}" for k, v in imp["phases_s"].items()),
        "",
        "| function | calls | total ms | self ms |",
        "|---|---:|---:|---:|",
    ]
    for f in doc["functions"]:
        lines.append(
            f"| `{f['funcname']}` | {f['calls']:,} | {f['total_ms']:,} | {f['self_ms']:,} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the profile."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=100_000)
    args = p.parse_args(argv)
    doc = profile(args.size)
    write_results(f"import_profile_{args.size // 1000}k", doc, markdown(doc))
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
