"""Reading an import file in one go against in batches: time and peak resident memory.

Each way runs ``readers.read_source`` (what ``gis-app import`` does before any check) in a
fresh Python process, so that each peak is its own (the kernel's account of the child,
``wait4``); the ways alternate over ``--runs`` rounds. "one go" sets ``readers.READ_BATCH``
above the file's features (one ``pyogrio.raw.read``, as before 2026-12-05); "batches" is as
shipped. Each process then builds every row's dict chunk by chunk, as the checks do, and that
time is reported too. No database is needed. Results go to
``bench/results/import_read_memory.{json,md}`` (``--out`` names them)::

    .venv/bin/python bench/import_read_memory.py FILE.gpkg [--runs 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_bench import _load, write_results  # noqa: E402

#: the child: read the file, then build its rows' dicts chunk by chunk; prints its timings
_CHILD = """
import json, sys, tempfile, time
from pathlib import Path
from gis_app.io.imports import readers
from gis_app.io.imports.options import ImportOptions, UploadLimits
if sys.argv[2] == "one go":
    readers.READ_BATCH = 10**12
t = time.perf_counter()
with tempfile.TemporaryDirectory() as tmp:
    src = readers.read_source(Path(sys.argv[1]), Path(tmp), ImportOptions(dry_run=True),
                              UploadLimits(max_features=10**9))
read = time.perf_counter() - t
t = time.perf_counter()
for start in range(0, len(src.rows), 10_000):
    src.rows[start:start + 10_000]
print(json.dumps({"rows": len(src.rows), "read_s": round(read, 2),
                  "rows_built_s": round(time.perf_counter() - t, 2)}))
"""

WAYS = ("one go", "batches")


def measure(path: Path, way: str) -> dict:
    """One child process reading ``path`` ``way``: its timings and peak resident memory."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), way],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    # reaped here, not by Popen, to have the child's resource usage
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{way}: {out[-2000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    return res | {"peak_rss_mb": round(usage.ru_maxrss / 1024)}


def markdown(doc: dict) -> str:
    """The results table (medians of the runs)."""
    lines = [
        f"# Reading `{doc['file']}` ({doc['rows']:,} rows): in one go vs in batches",
        "",
        f"Started {doc['started']}, {os.cpu_count()} cores; load average {doc['load_start']} at "
        f"the start, {doc['load_end']} at the end. Each way in its own process, alternating.",
        "",
        "| way | read s | rows' dicts built, chunk by chunk, s | peak resident MB |",
        "|---|---:|---:|---:|",
    ]
    for way in WAYS:
        runs = doc["runs"][way]
        med = {k: statistics.median(r[k] for r in runs) for k in ("read_s", "rows_built_s")}
        peak = max(r["peak_rss_mb"] for r in runs)
        lines.append(f"| {way} | {med['read_s']:.1f} | {med['rows_built_s']:.1f} | {peak:,} |")
    return "\n".join([*lines, "", "Times: medians; memory: the highest of the runs.", ""])


def main(argv: list[str] | None = None) -> int:
    """Run the comparison."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file", type=Path)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--out", default="import_read_memory")
    args = p.parse_args(argv)
    doc: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "file": args.file.name,
        "load_start": _load(),
        "runs": {w: [] for w in WAYS},
    }
    for run in range(args.runs):
        for way in WAYS if run % 2 == 0 else WAYS[::-1]:
            res = measure(args.file, way)
            doc["runs"][way].append(res)
            doc["rows"] = res["rows"]
            print(f"run {run + 1} {way}: {res}", flush=True)
    doc["load_end"] = _load()
    table = markdown(doc)
    write_results(args.out, doc, table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
