"""What keeping ``match_unit`` costs writers: per-row trigger time with and without it.

In a throw-away copy of a migrated database with the sample loaded (and one open requirement,
so the reverse-match triggers work as they do in use), the script times, alternating the two
modes in one run so that machine noise hits both alike:

* inserting ``--sites`` synthetic sites (``bench/match_plan.py``'s generator, all row triggers
  on: version, history, distances, zone overlaps, reverse match, match units) and their
  buildings, each in a transaction that is rolled back;
* ``--updates`` single-site availability changes (what a planner's status edit does);

once with every trigger and once with the match-unit triggers disabled. Results go to
``bench/results/write_bench.{json,md}``; the database is dropped.

    .venv/bin/python bench/write_bench.py
    .venv/bin/python bench/write_bench.py --sites 500 --repeats 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import api_bench, match_plan  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.services import requirements as req_service  # noqa: E402
from gis_app.services.inventory import load_sample  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
UNIT_TRIGGERS = {"site": "site_unit_sync", "building": "building_unit_sync"}
MODES = ("all triggers", "without match units")


def _set_unit_triggers(c: sa.Connection, enabled: bool) -> None:
    verb = "ENABLE" if enabled else "DISABLE"
    for table, trigger in UNIT_TRIGGERS.items():
        c.execute(sa.text(f"ALTER TABLE {table} {verb} TRIGGER {trigger}"))


def time_inserts(eng: sa.Engine, n: int, mode: str) -> tuple[float, float, int]:
    """Seconds to insert ``n`` sites and their buildings (rolled back), and the building count."""
    with eng.connect() as c:
        tx = c.begin()
        try:
            _set_unit_triggers(c, mode == MODES[0])
            t = time.perf_counter()
            c.execute(sa.text(match_plan.synthetic_sites_sql()), {"n": n})
            sites_s = time.perf_counter() - t
            t = time.perf_counter()
            n_buildings = c.execute(sa.text(match_plan.SYNTH_BUILDINGS)).rowcount
            buildings_s = time.perf_counter() - t
        finally:
            tx.rollback()
    return sites_s, buildings_s, n_buildings


def time_updates(eng: sa.Engine, n: int, mode: str) -> list[float]:
    """Milliseconds of ``n`` single-site availability changes (rolled back)."""
    out = []
    with eng.connect() as c:
        ids = list(
            c.execute(
                sa.text("SELECT id FROM site WHERE availability = 'reserved' ORDER BY id")
            ).scalars()
        )
        c.rollback()
        tx = c.begin()
        try:
            _set_unit_triggers(c, mode == MODES[0])
            for i in range(n):
                sid = ids[i % len(ids)]
                value = "negotiating" if i % 2 == 0 else "reserved"
                t = time.perf_counter()
                c.execute(
                    sa.text("UPDATE site SET availability = :v WHERE id = :id"),
                    {"v": value, "id": sid},
                )
                out.append((time.perf_counter() - t) * 1000)
        finally:
            tx.rollback()
    return out


def _describe(m: dict) -> str:
    return (
        f"{m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM, {m['os']}, "
        f"PostgreSQL {m['postgresql']} (shared_buffers {m['shared_buffers']})"
    )


def markdown(doc: dict) -> str:
    """The results as a Markdown table."""
    lines = [
        f"Machine: {doc['machine']}. Started {doc['started']}; load average at start "
        f"{doc['load_start']}, at end {doc['load_end']}.",
        "",
        f"{doc['sites']:,} synthetic sites inserted (with their buildings) into the sample "
        f"inventory with one open requirement, {doc['repeats']} times per mode, modes "
        f"alternating; {doc['updates']} single-site availability changes per mode. Medians.",
        "",
        "| mode | insert: ms per site | insert: ms per building | update one site: ms |",
        "|---|---:|---:|---:|",
    ]
    for mode in MODES:
        r = doc["modes"][mode]
        lines.append(
            f"| {mode} | {r['ms_per_site']:.2f} | {r['ms_per_building']:.2f} | "
            f"{r['update_ms_median']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sites", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--updates", type=int, default=200)
    args = p.parse_args(argv)
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    doc: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": _describe(api_bench.machine(st.url)),
        "load_start": api_bench._load(),
        "sites": args.sites,
        "repeats": args.repeats,
        "updates": args.updates,
    }
    name = f"gis_app_bench_write_{os.getpid()}"
    api_bench.make_template(st.url, name)
    url = api_bench._url(st.url, name)
    eng = make_engine(url, DatabaseSettings(statement_timeout_s=3600))
    try:
        with eng.connect() as c:
            load_sample(c)
        with eng.connect() as c:
            req_service.create_requirement(
                c, match_plan.REQUIREMENTS[next(iter(match_plan.REQUIREMENTS))], "bench"
            )
        raw: dict[str, dict[str, list[float]]] = {m: {"site": [], "building": []} for m in MODES}
        for _ in range(args.repeats):
            for mode in MODES:
                sites_s, buildings_s, n_b = time_inserts(eng, args.sites, mode)
                raw[mode]["site"].append(1000 * sites_s / args.sites)
                raw[mode]["building"].append(1000 * buildings_s / max(n_b, 1))
        doc["modes"] = {}
        for mode in MODES:
            upd = time_updates(eng, args.updates, mode)
            doc["modes"][mode] = {
                "ms_per_site": statistics.median(raw[mode]["site"]),
                "ms_per_building": statistics.median(raw[mode]["building"]),
                "update_ms_median": statistics.median(upd),
                "runs_ms_per_site": raw[mode]["site"],
            }
    finally:
        eng.dispose()
        api_bench.drop_database(st.url, name)
    doc["load_end"] = api_bench._load()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "write_bench.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    (RESULTS / "write_bench.md").write_text(markdown(doc), encoding="utf-8")
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
