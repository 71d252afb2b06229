"""`gis-app import` of bench parcels against `ogr2ogr` loading the same file, in the same run.

For each size (default 10k and 100k features) the script builds a bench inventory as
``bench/api_bench.py`` does (a migrated template, the sample's sites and synthetic
sites up to ``size`` obeying the product's rules, derived tables), exports it with
``gis-app export --format gpkg`` (the file a planner would get, with Chinese labels) and
then, ``--runs`` times, interleaved (the order alternates each run):

* ``gis-app import FILE`` (the CLI, as a planner runs it, in a subprocess) into a fresh copy of
  the template with the sample and the bench's jurisdiction — all checks, the per-row report,
  the sites written with their history and derived tables, committed; the phases are timed
  from the CLI's progress lines;
* ``ogr2ogr -f PostgreSQL`` of the same file into a scratch table of the same database (COPY,
  no checks, no derived tables): the floor a loader can reach on this machine.

``--file`` imports a GeoPackage this bench exported before instead (the 1M one takes an hour
to build). ``--row-by-row-sizes`` also imports those sizes through the per-row path (the bulk
threshold raised above the file), for the before/after figure. Each measurement records the
load average and the CPU time stolen by the hypervisor (``/proc/stat``) while it ran, and the
import's peak resident memory (the kernel's account of the child, ``wait4``). Results go to
``bench/results/import_bench.{json,md}`` (``--out`` names them); the databases are dropped.

    .venv/bin/python bench/import_bench.py                        # 10k, 100k; 2 runs each
    .venv/bin/python bench/import_bench.py --sizes 10000 --runs 3 --row-by-row-sizes 10000
    .venv/bin/python bench/import_bench.py --file sites_1m.gpkg --runs 1 --out import_bench_1m
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pyogrio
import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.api_bench import (
    ROOT,
    _load,
    build_database,
    drop_database,
    machine,
    make_template,
    widen_jurisdiction,
)
from gis_app.db import migrate, provision
from gis_app.db.engine import make_engine
from gis_app.settings import DatabaseSettings

RESULTS = ROOT / "bench" / "results"
TARGET_PER_S = 10_000
T = TypeVar("T")
#: the sample's sites, in every bench inventory beside the synthetic ones (counted from the
#: sample, which has grown since this bench was written)
SAMPLE_SITES = len(
    json.loads((ROOT / "data" / "parcels" / "sites.geojson").read_text())["features"]
)


def _cpu_times() -> list[int]:
    """The aggregate CPU line of /proc/stat: user nice system idle iowait irq softirq steal."""
    return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]


class _Gauge:
    """Wall time, load average and CPU shares (busy, stolen) over one measurement."""

    def __enter__(self) -> _Gauge:
        self.load_before = os.getloadavg()[0]
        self.cpu0 = _cpu_times()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0
        d = [b - a for a, b in zip(self.cpu0, _cpu_times(), strict=True)]
        total = sum(d) or 1
        self.busy_pct = round(100 * (total - d[3] - d[4]) / total, 1)
        self.steal_pct = round(100 * d[7] / total, 1)
        self.load = round(max(self.load_before, os.getloadavg()[0]), 2)

    def figures(self, features: int) -> dict:
        """The measurement as stored."""
        return {
            "seconds": round(self.seconds, 2),
            "features_per_s": round(features / self.seconds),
            "load_1min": self.load,
            "cpu_busy_pct": self.busy_pct,
            "cpu_steal_pct": self.steal_pct,
        }


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIS_APP_")}
    return env | {"GIS_APP_DATABASE_URL": url, "PYTHONPATH": str(ROOT)} | extra


def _fresh(server_url: str, template: str, name: str) -> str:
    """A fresh database: the sample and the bench's jurisdiction, no synthetic sites."""
    url, _ = build_database(server_url, template, name, 0, log=lambda m: None)
    eng = make_engine(url)
    with eng.begin() as c:
        widen_jurisdiction(c)
    eng.dispose()
    return url


@contextlib.contextmanager
def exported_inventory(
    server_url: str, size: int, prefix: str, keep: Callable[[str], T] | None = None
) -> Iterator[tuple[str, Path, T | None]]:
    """A bench inventory of ``size`` sites built and exported to a GeoPackage, for A/B import
    runs: yields (the template fresh databases are made from, the file, what ``keep`` took
    from the inventory's database before it was dropped); drops and deletes all at the end."""
    pid = os.getpid()
    template, source = f"{prefix}_tpl_{pid}", f"{prefix}_src_{pid}"
    work = Path(tempfile.mkdtemp(prefix=f"{prefix}_"))
    try:
        make_template(server_url, template)
        src_url, _ = build_database(
            server_url, template, source, size - SAMPLE_SITES, log=lambda m: None
        )
        gpkg = _export(src_url, work)
        kept = keep(src_url) if keep is not None else None
        drop_database(server_url, source)
        yield template, gpkg, kept
    finally:
        for name in (template, source):
            drop_database(server_url, name)
        shutil.rmtree(work, ignore_errors=True)


def fresh_at(server_url: str, template: str, name: str, revision: str) -> str:
    """A fresh database (:func:`_fresh`) at ``revision`` ("head", or one to go down to)."""
    url = _fresh(server_url, template, name)
    if revision != "head":
        migrate.downgrade(url, revision)
    return url


def median_lines(runs: list[dict], key: str, revisions: tuple[str, ...]) -> list[str]:
    """Per value of ``runs``' ``key`` (in order of first run), a Markdown line with the median
    seconds of each revision: ``- plain: median 0053 5.2 s, head 5.5 s``."""
    lines = []
    for value in dict.fromkeys(r[key] for r in runs):
        cells = [
            f"{rev} {statistics.median(s):.1f} s"
            for rev in revisions
            if (s := [r["seconds"] for r in runs if r[key] == value and r["revision"] == rev])
        ]
        lines.append(f"- {value}: median " + ", ".join(cells))
    return lines


def alternating(order: list, k: int) -> list:
    """Round ``k``'s order of the runs: as given in even rounds, reversed in odd ones."""
    return order if k % 2 == 0 else order[::-1]


def ab_databases(
    server_url: str, template: str, target: str, runs: list[tuple], rounds: int
) -> Iterator[tuple[int, tuple, str]]:
    """An A/B's fresh databases: per round (the ``runs`` :func:`alternating`), each run — a
    tuple whose last item is its revision — in a fresh database ``target`` at that revision
    (:func:`fresh_at`), yielded as (round from 1, run, URL) and dropped when the caller moves
    on, or stops."""
    try:
        for k in range(rounds):
            for run in alternating(runs, k):
                yield k + 1, run, fresh_at(server_url, template, target, run[-1])
                drop_database(server_url, target)
    finally:
        drop_database(server_url, target)


def _export(url: str, folder: Path) -> Path:
    made = subprocess.run(
        [sys.executable, "-m", "cli", "export", "--format", "gpkg", "--out", str(folder)],
        env=_env(url),
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=ROOT,
    )
    if made.returncode != 0:
        raise RuntimeError(made.stderr[-2000:])
    (gpkg,) = folder.glob("*.gpkg")
    return gpkg


def _count(url: str, table: str = "site") -> int:
    eng = make_engine(url)
    with eng.connect() as c:
        n = c.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    eng.dispose()
    return n


def run_import(
    url: str, path: Path, features: int, *, row_by_row: bool = False, given: bool = False
) -> dict:
    """``gis-app import`` of ``path`` into ``url``; wall time, phases, load, peak memory.
    ``given``: a file not exported by this run (how many rows are new is read from the
    import's summary, checked against the sites written)."""
    expect_new = None if given else features - SAMPLE_SITES
    # a bench file may hold the sample's sites beside a million synthetic ones
    extra = {"GIS_APP_EDIT_MAX_IMPORT_FEATURES": str(max(features, 1_000_000))}
    if row_by_row:
        extra["GIS_APP_EDIT_BULK_IMPORT_MIN_FEATURES"] = str(10**9)
    before = _count(url)
    phases: dict[str, float] = {}
    with _Gauge() as g:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "import", str(path), "--user", "import-bench"],
            env=_env(url, **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert proc.stderr is not None and proc.stdout is not None
        last, at = "start", time.perf_counter()
        said: list[str] = []
        for line in proc.stderr:
            said = [*said[-20:], line]
            if "import: " in line:
                now = time.perf_counter()
                phases[last] = round(phases.get(last, 0.0) + now - at, 2)
                last, at = line.split("import: ", 1)[1].strip(), now
        out = proc.stdout.read()
        # the child's peak resident memory, from the kernel's accounting of it
        _, status, usage = os.wait4(proc.pid, 0)
        code = proc.returncode = os.waitstatus_to_exitcode(status)
    phases[last] = round(phases.get(last, 0.0) + time.perf_counter() - at, 2)
    if code != 0:
        raise RuntimeError(f"gis-app import failed ({code}): {out[-2000:]}{''.join(said)}")
    written = _count(url) - before
    if expect_new is None:  # a given file: every row written, those the sample has not
        head = out.strip().splitlines()[0]
        if "committed" not in head or f"— {written} new" not in head or " 0 rejected" not in head:
            raise RuntimeError(f"{written} new sites written: {out[-500:]}")
    elif written != expect_new:
        raise RuntimeError(f"expected {expect_new} new sites, got {written}: {out[-500:]}")
    return g.figures(features) | {
        "phases_s": phases,
        "summary": out.strip().splitlines()[0],
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }


def _pg_dsn(url: str) -> str:
    u = make_url(url)
    return (
        f"PG:host={u.host} port={u.port} dbname={u.database} user={u.username} "
        f"password={u.password}"
    )


def run_ogr2ogr(url: str, path: Path, features: int) -> dict:
    """``ogr2ogr`` of ``path`` into a scratch table of ``url`` (dropped before and after)."""
    eng = make_engine(url)
    with eng.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS bench_ogr_scratch"))
    with _Gauge() as g:
        done = subprocess.run(
            ["ogr2ogr", "-f", "PostgreSQL", _pg_dsn(url), str(path), "-nln", "bench_ogr_scratch",
             "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST", "-overwrite"],
            capture_output=True,
            text=True,
            timeout=3600,
        )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    loaded = _count(url, "bench_ogr_scratch")
    with eng.begin() as c:
        c.execute(sa.text("DROP TABLE bench_ogr_scratch"))
    eng.dispose()
    if loaded != features:
        raise RuntimeError(f"ogr2ogr loaded {loaded} of {features} features")
    return g.figures(features)


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def markdown(doc: dict) -> str:
    """The results table."""
    m = doc["machine"]
    lines = [
        "# Import benchmark: `gis-app import` vs `ogr2ogr` (same file, same run, interleaved)",
        "",
        f"Started {doc['started']} on {m['nproc']} × {m['cpu']}, {m['memory_gib']} GiB, "
        f"PostgreSQL {m['postgresql']} (shared_buffers {m['shared_buffers']}); load average "
        f"{doc['load_start']} at the start, {doc.get('load_end', '?')} at the end. "
        f"Bulk threshold: {doc['bulk_min_features']:,} features.",
        "",
        "| features | path | app s | app features/s | ogr2ogr s | ogr2ogr features/s | "
        "app ÷ ogr2ogr speed | app peak memory MB | load (1 min) | CPU steal % |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in doc["sizes"]:
        for path in ("bulk", "row_by_row"):
            runs = s.get(path) or []
            if not runs:
                continue
            ogr = s["ogr2ogr"]
            app_fs, ogr_fs = _median(runs, "features_per_s"), _median(ogr, "features_per_s")
            lines.append(
                f"| {s['features']:,} | {path.replace('_', ' ')} | "
                f"{_median(runs, 'seconds'):.1f} | {app_fs:,.0f} | "
                f"{_median(ogr, 'seconds'):.1f} | {ogr_fs:,.0f} | {app_fs / ogr_fs:.3f} | "
                f"{max((r.get('peak_rss_mb') or 0) for r in runs):,} | "
                f"{max(r['load_1min'] for r in runs + ogr):.2f} | "
                f"{max(r['cpu_steal_pct'] for r in runs + ogr):.1f} |"
            )
    lines += ["", "Medians of the runs; load and steal are the worst seen during them.", ""]
    for s in doc["sizes"]:
        for r in s.get("bulk", []):
            phases = ", ".join(f"{k} {v:.1f} s" for k, v in r["phases_s"].items())
            lines.append(f"- {s['features']:,} bulk: {phases}")
    lines += ["", f"Target ≥ {TARGET_PER_S:,} features/s at 100k: {doc.get('target', '?')}", ""]
    return "\n".join(lines)


def _verdict(doc: dict) -> str:
    big = [s for s in doc["sizes"] if s["features"] >= 100_000 and s.get("bulk")]
    if not big:
        return "not measured (no 100k run)"
    fs = _median(big[0]["bulk"], "features_per_s")
    return f"{'met' if fs >= TARGET_PER_S else 'NOT met'} ({fs:,.0f} features/s)"


def _write(doc: dict, name: str = "import_bench") -> None:
    doc["load_end"] = _load()
    doc["target"] = _verdict(doc)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown(doc), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--row-by-row-sizes", type=int, nargs="*", default=[])
    p.add_argument(
        "--file",
        type=Path,
        help="a GeoPackage this bench exported before (a bench inventory: the sample and "
        "synthetic sites); imported instead of building and exporting an inventory per size",
    )
    p.add_argument("--out", default="import_bench", help="results file name, without suffix")
    args = p.parse_args(argv)
    write = functools.partial(_write, name=args.out)
    if shutil.which("ogr2ogr") is None:
        print("ogr2ogr is not installed (Debian package gdal-bin)", file=sys.stderr)
        return 2
    from gis_app.settings import EditSettings

    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    doc: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(st.url),
        "load_start": _load(),
        "runs": args.runs,
        "bulk_min_features": EditSettings().bulk_import_min_features,
        "sizes": [],
    }
    pid = os.getpid()
    template = f"gis_app_bench_imp_tpl_{pid}"
    make_template(st.url, template)
    work = Path(tempfile.mkdtemp(prefix="gis_app_import_bench_"))
    try:
        sizes = [pyogrio.read_info(args.file)["features"]] if args.file else args.sizes
        for n in sizes:
            if args.file:
                gpkg = args.file
            else:
                source = f"gis_app_bench_imp_src_{n}_{pid}"
                print(f"{n:,} features ({n - SAMPLE_SITES:,} synthetic): building {source}")
                try:
                    src_url, _ = build_database(
                        st.url, template, source, n - SAMPLE_SITES, log=print
                    )
                    gpkg = _export(src_url, work / f"export_{n}")
                finally:
                    drop_database(st.url, source)
            features = n
            size: dict = {
                "synthetic": n - SAMPLE_SITES,
                "features": features,
                "file_bytes": gpkg.stat().st_size,
            }
            size |= {"bulk": [], "row_by_row": [], "ogr2ogr": []}
            doc["sizes"].append(size)
            for run in range(args.runs):
                name = f"gis_app_bench_imp_{n}_{run}_{pid}"
                try:
                    url = _fresh(st.url, template, name)
                    bulk = functools.partial(run_import, given=args.file is not None)
                    steps = [("bulk", bulk), ("ogr2ogr", run_ogr2ogr)]
                    for kind, fn in steps if run % 2 == 0 else steps[::-1]:
                        res = fn(url, gpkg, features)
                        size[kind].append(res)
                        print(f"  run {run + 1} {kind}: {res}", flush=True)
                finally:
                    drop_database(st.url, name)
                write(doc)
            if n in args.row_by_row_sizes:
                name = f"gis_app_bench_imp_{n}_rows_{pid}"
                try:
                    url = _fresh(st.url, template, name)
                    res = run_import(url, gpkg, features, row_by_row=True)
                    size["row_by_row"].append(res)
                    print(f"  row by row: {res}", flush=True)
                finally:
                    drop_database(st.url, name)
                write(doc)
    finally:
        drop_database(st.url, template)
        shutil.rmtree(work, ignore_errors=True)
    write(doc)
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
