"""`gis-app export` per format against `ogr2ogr -f GPKG` of the same rows and columns.

The script builds a bench inventory as ``bench/api_bench.py`` does (a migrated template, the
sample's sites and ``--synthetic`` synthetic sites obeying the product's rules, derived
tables, ANALYZE) or reuses one (``--reuse DB``, e.g. kept by ``--keep`` or by ``api_bench.py
--keep``). Then, ``--rounds`` times, interleaved (the order rotates each round):

* ``gis-app export --format F`` for each format of ``--formats`` (the CLI in a subprocess, as
  a planner runs it: every site, Chinese labels beside codes, the file the office gets);
* ``ogr2ogr -f GPKG`` from the same database with ``-sql`` the same SELECT the export runs
  (``gis_app.db.export_queries``: the same rows, the same columns, labels joined in SQL), the
  geometry as PostGIS's own column and dates as dates, GeoPackage 1.2 like the export.

Each run records wall time, the peak memory of the process (``ru_maxrss``), the load average
and the CPU time stolen by the hypervisor while it ran; each file's feature count is checked.
The ratio is speed (``ogr2ogr`` seconds ÷ export seconds, medians): 1.0 is as fast as
``ogr2ogr`` writing a GeoPackage, the issue's target for the export is ≥ 0.7. Results go to
``bench/results/export_bench.{json,md}``; a database the script built is dropped unless
``--keep``.

    .venv/bin/python bench/export_bench.py                        # 100k sites, 3 rounds
    .venv/bin/python bench/export_bench.py --synthetic 10000 --rounds 2 --formats gpkg csv
    .venv/bin/python bench/export_bench.py --reuse gis_app_bench_export_100000_123
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyogrio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.api_bench import (
    ROOT,
    _load,
    _url,
    build_database,
    count_sites,
    drop_database,
    machine,
    make_template,
)
from bench.import_bench import _Gauge, _pg_dsn
from gis_app.db import export_queries, provision
from gis_app.db.engine import make_engine
from gis_app.db.models import SRID
from gis_app.db.site_queries import SiteFilter
from gis_app.io import export
from gis_app.settings import DatabaseSettings

RESULTS = ROOT / "bench" / "results"
FORMATS = ("gpkg", "shp", "geojson", "csv", "xlsx")
#: the issue's target: the export at least this fraction of ogr2ogr's speed (GeoPackage)
TARGET_RATIO = 0.7
#: GNU time (Debian package ``time``): the peak memory of each command
GNU_TIME = "/usr/bin/time"


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIS_APP_")}
    path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env | {"GIS_APP_DATABASE_URL": url, "PYTHONPATH": path}


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``cmd``: wall time, peak memory (GNU time's ``%M``: the command's own, not the
    forked bench's), load, CPU steal; raise on failure."""
    with tempfile.TemporaryDirectory(prefix="gis_app_export_bench_run_") as tmp:
        rss, err = Path(tmp) / "rss", Path(tmp) / "stderr"
        with err.open("wb") as stderr, _Gauge() as g:
            code = subprocess.call(
                [GNU_TIME, "-f", "%M", "-o", str(rss), *cmd],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=ROOT,
            )
        if code != 0:
            tail = err.read_bytes()[-2000:].decode("utf-8", "replace")
            raise RuntimeError(f"{' '.join(cmd[:5])} failed ({code}): {tail}")
        max_rss_kb = int(rss.read_text().split()[-1])
    fig = g.figures(1)
    del fig["features_per_s"]
    return fig | {"max_rss_mb": round(max_rss_kb / 1024)}


def ogr2ogr_sql(url: str) -> str:
    """The export's SELECT (every site, GeoPackage columns) for ``ogr2ogr -sql``: parameters
    bound, the geometry as PostGIS's column and dates as dates, so that GDAL types them."""
    spec = dataclasses.replace(export._columns("gpkg", SRID), geometry="native", dates=(), times=())
    sql, params = export_queries.export_select(SiteFilter(), spec)
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            return export_queries.literal_sql(c, sql, params)
    finally:
        eng.dispose()


def run_export(url: str, fmt: str, sites: int) -> dict:
    """``gis-app export --format fmt`` of every site; its figures and the file's size."""
    with tempfile.TemporaryDirectory(prefix="gis_app_export_bench_") as folder:
        cmd = [sys.executable, "-m", "cli", "export", "--format", fmt, "--out", folder]
        res = _timed(cmd, _env(url))
        (out,) = Path(folder).iterdir()
        if fmt in ("gpkg", "geojson", "shp"):
            path = f"/vsizip/{out}/sites.shp" if fmt == "shp" else str(out)
            features = pyogrio.read_info(path)["features"]
            if features != sites:
                raise RuntimeError(f"{fmt}: {features} features, expected {sites}")
        return res | {"bytes": out.stat().st_size}


#: ogr2ogr of the same SELECT into the GDAL formats the export writes (``--same-format``): the
#: floor each of GDAL's writers sets, beside the GeoPackage reference
OGR_FORMATS = {
    "gpkg": ("GPKG", "sites.gpkg", ["-dsco", "VERSION=1.2"]),
    "shp": ("ESRI Shapefile", "sites.shp", ["-lco", "ENCODING=UTF-8"]),
    "geojson": ("GeoJSON", "sites.geojson", ["-lco", "RFC7946=YES"]),
}


def run_ogr2ogr(url: str, sql_file: Path, sites: int, fmt: str = "gpkg") -> dict:
    """``ogr2ogr -f …`` of the export's SELECT; its figures and the file's size."""
    driver, name, options = OGR_FORMATS[fmt]
    with tempfile.TemporaryDirectory(prefix="gis_app_export_bench_") as folder:
        out = Path(folder) / name
        cmd = ["ogr2ogr", "-f", driver, str(out), _pg_dsn(url), "-sql", f"@{sql_file}",
               "-nln", "sites", "-nlt", "MULTIPOLYGON", *options]  # fmt: skip
        res = _timed(cmd)
        features = pyogrio.read_info(out)["features"]
        if features != sites:
            raise RuntimeError(f"ogr2ogr: {features} features, expected {sites}")
        return res | {"bytes": sum(f.stat().st_size for f in Path(folder).iterdir())}


def _median(runs: list[dict], key: str = "seconds") -> float:
    return statistics.median(r[key] for r in runs)


def summary(doc: dict) -> list[dict]:
    """Per format: median seconds, peak memory, the ratio to ogr2ogr's GeoPackage."""
    ogr = doc["runs"]["ogr2ogr"]
    rows = []
    for name, runs in doc["runs"].items():
        if not runs:
            continue
        rows.append(
            {
                "what": name,
                "seconds": round(_median(runs), 2),
                "sites_per_s": round(doc["sites"] / _median(runs)),
                "max_rss_mb": max(r["max_rss_mb"] for r in runs),
                "mb": round(_median(runs, "bytes") / 1e6, 1),
                "ratio": round(_median(ogr) / _median(runs), 2),
                "load_max": max(r["load_1min"] for r in runs),
                "steal_max_pct": max(r["cpu_steal_pct"] for r in runs),
            }
        )
    return rows


def _setting(doc: dict) -> str:
    """Where and when: the machine, the load, the inventory."""
    m = doc["machine"]
    return (
        f"Started {doc['started']} on {m['nproc']} × {m['cpu']}, {m['memory_gib']} GiB, "
        f"{m['os']}, Python {m['python']}, PostgreSQL {m['postgresql']} (shared_buffers "
        f"{m['shared_buffers']}); load average (1/5/15 min) {doc['load_start']} at the start, "
        f"{doc.get('load_end', '?')} at the end. {doc['sites']:,} sites (database "
        f"`{doc['database']}`), {doc['rounds']} interleaved rounds; medians."
    )


def markdown(doc: dict) -> str:
    """The results table."""
    lines = [
        "# Export benchmark: `gis-app export` vs `ogr2ogr -f GPKG` (same rows and columns)",
        "",
        _setting(doc),
        "",
        "| what | seconds | sites/s | speed ÷ ogr2ogr GPKG | peak memory MB | file MB "
        "| load (1 min, max) | CPU steal % (max) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary(doc):
        what = (
            "`ogr2ogr -f GPKG`"
            if r["what"] == "ogr2ogr"
            else f"`ogr2ogr -f {OGR_FORMATS[r['what'][8:]][0]}`"
            if r["what"].startswith("ogr2ogr_")
            else f"`gis-app export` {r['what']}"
        )
        lines.append(
            f"| {what} | {r['seconds']:.2f} | {r['sites_per_s']:,} | {r['ratio']:.2f} | "
            f"{r['max_rss_mb']} | {r['mb']} | {r['load_max']:.2f} | {r['steal_max_pct']:.1f} |"
        )
    lines += [
        "",
        f"Target (issue 24): the GeoPackage export at ≥ {TARGET_RATIO}× ogr2ogr's speed — "
        f"{doc.get('target', '?')}.",
        "",
    ]
    return "\n".join(lines)


def _verdict(doc: dict) -> str:
    rows = {r["what"]: r for r in summary(doc)}
    if "gpkg" not in rows:
        return "not measured (no gpkg run)"
    ratio = rows["gpkg"]["ratio"]
    return f"{'met' if ratio >= TARGET_RATIO else 'NOT met'} ({ratio:.2f}×)"


def _write(doc: dict, name: str) -> None:
    doc["load_end"] = _load()
    doc["summary"] = summary(doc)
    doc["target"] = _verdict(doc)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown(doc), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--synthetic", type=int, default=100_000, help="synthetic sites of a built inventory"
    )
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    p.add_argument("--reuse", metavar="DB", help="measure this existing bench database")
    p.add_argument("--keep", action="store_true", help="keep the database the script built")
    p.add_argument("--name", default="export_bench", help="results file name (no suffix)")
    p.add_argument(
        "--same-format",
        action="store_true",
        help="also ogr2ogr into each GDAL format exported (Shapefile, GeoJSON)",
    )
    args = p.parse_args(argv)
    if shutil.which("ogr2ogr") is None or not Path(GNU_TIME).exists():
        print("needs ogr2ogr and GNU time (Debian packages gdal-bin, time)", file=sys.stderr)
        return 2
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    pid = os.getpid()
    built = None
    if args.reuse:
        name = args.reuse
        url = _url(st.url, name)
    else:
        name = built = f"gis_app_bench_export_{args.synthetic}_{pid}"
        template = f"gis_app_bench_export_tpl_{pid}"
        make_template(st.url, template)
        try:
            url, _ = build_database(st.url, template, name, args.synthetic, log=print)
        finally:
            drop_database(st.url, template)
    try:
        sites = count_sites(url)
        work = Path(tempfile.mkdtemp(prefix="gis_app_export_bench_sql_"))
        sql_file = work / "export.sql"
        sql_file.write_text(ogr2ogr_sql(url), encoding="utf-8")
        doc: dict = {
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(st.url),
            "load_start": _load(),
            "database": name,
            "sites": sites,
            "rounds": args.rounds,
            "batch_bytes": export.BATCH_BYTES,
            "runs": {"ogr2ogr": [], **{f: [] for f in args.formats}},
        }
        same = [f"ogr2ogr_{f}" for f in args.formats if args.same_format and f in OGR_FORMATS]
        same = [s for s in same if s != "ogr2ogr_gpkg"]
        doc["runs"] |= {s: [] for s in same}
        steps = ["ogr2ogr", *args.formats, *same]
        for rnd in range(args.rounds):
            shift = rnd % len(steps)
            for step in steps[shift:] + steps[:shift]:
                if step == "ogr2ogr":
                    res = run_ogr2ogr(url, sql_file, sites)
                elif step.startswith("ogr2ogr_"):
                    res = run_ogr2ogr(url, sql_file, sites, step.removeprefix("ogr2ogr_"))
                else:
                    res = run_export(url, step, sites)
                doc["runs"][step].append(res)
                print(f"round {rnd + 1} {step}: {res}", flush=True)
            _write(doc, args.name)
        shutil.rmtree(work, ignore_errors=True)
    finally:
        if built and not args.keep:
            drop_database(st.url, built)
    _write(doc, args.name)
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    start = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - start:.0f} s)")
    sys.exit(code)
