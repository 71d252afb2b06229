"""Two versions of the app side by side over HTTP on one inventory: ratios on a noisy machine.

On a shared 2-core machine absolute latencies move by half within the hour, so a change is
judged by the ratio of two versions measured in one run: this script checks out ``--base`` (a
git revision) into a temporary worktree, serves it and the working tree with uvicorn against
the same database (an inventory kept by ``api_bench.py --keep``), and sends each request to
both in turn, 5 warm-ups then ``--runs`` times, for the match requests and the bbox search of
``api_bench.py`` and the site detail (which does not change between versions: the gauge of
the machine's noise).
The database must be at the working tree's migration; the base version must be able to run on
it (read the columns it knows).

    .venv/bin/python bench/compare_http.py --base fd053f7 --reuse gis_app_bench_api_1000000_123

Results: ``bench/results/compare_http.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import api_bench  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

WARMUPS = 5


def compare(bases: dict[str, str], token: str, runs: int) -> dict:
    """p50 / p95 per request and version, the versions' requests interleaved."""
    times: dict[tuple[str, str], list[float]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    clients = {v: httpx.Client(base_url=b, headers=headers, timeout=120) for v, b in bases.items()}
    requests = {
        key: (lambda c, body=body: c.post("/api/match", json=body))
        for key, (_, body) in api_bench.REQUIREMENTS.items()
    }
    requests["site_detail"] = lambda c: c.get("/api/sites/1")
    # the search of api_bench: a box holding about 500 sites, 500 of them returned
    first = next(iter(clients.values()))
    total = int(first.get("/api/sites", params={"limit": 1}).headers["X-Total-Count"])
    bbox, _ = api_bench.find_bbox(first, total)
    requests["bbox_search"] = lambda c: c.get("/api/sites", params={"bbox": bbox, "limit": 500})
    try:
        for key, send in requests.items():
            for i in range(WARMUPS + runs):
                for version, client in clients.items():
                    t = time.perf_counter()
                    r = send(client)
                    r.raise_for_status()
                    r.json()
                    if i >= WARMUPS:
                        times.setdefault((key, version), []).append(
                            (time.perf_counter() - t) * 1000
                        )
    finally:
        for c in clients.values():
            c.close()
    out: dict = {}
    for (key, version), ms in times.items():
        out.setdefault(key, {})[version] = {
            "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(api_bench._p95(ms), 1),
        }
    return out


def markdown(doc: dict) -> str:
    """The comparison table."""
    base, head = doc["versions"]
    lines = [
        f"{doc['runs']} requests per measure and version, interleaved, after {WARMUPS} "
        f"warm-ups, on `{doc['database']}` ({doc['sites']:,} sites); started {doc['started']}, "
        f"load average at start {doc['load_start']}, at end {doc['load_end']}. p50 / p95 ms.",
        "",
        f"| request | {base} | {head} | p50 ratio |",
        "|---|---:|---:|---:|",
    ]
    for key, by in doc["results"].items():
        a, b = by[base], by[head]
        lines.append(
            f"| {key} | {a['p50_ms']:.0f} / {a['p95_ms']:.0f} | {b['p50_ms']:.0f} / "
            f"{b['p95_ms']:.0f} | {b['p50_ms'] / a['p50_ms']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the comparison."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="git revision to compare the working tree with")
    p.add_argument("--reuse", required=True, metavar="DB", help="an inventory kept by api_bench")
    p.add_argument("--runs", type=int, default=40)
    p.add_argument("--out", default="compare_http", help="results file name (without suffix)")
    args = p.parse_args(argv)
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    url = api_bench._url(st.url, args.reuse)
    token = api_bench._new_token(url)
    rev = subprocess.run(
        ["git", "rev-parse", "--short", args.base], cwd=ROOT, check=True, capture_output=True,
        text=True,
    ).stdout.strip()  # fmt: skip
    versions = (rev, "working tree")
    doc: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": args.reuse,
        "versions": versions,
        "runs": args.runs,
        "load_start": api_bench._load(),
    }
    with tempfile.TemporaryDirectory(prefix="gis_app_compare_") as tmp:
        tree = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(tree), rev], cwd=ROOT,
                       check=True)  # fmt: skip
        procs = []
        try:
            bases = {}
            for version, root in zip(versions, (tree, ROOT), strict=True):
                bases[version], proc = api_bench.serve(url, root)
                procs.append(proc)
            doc["results"] = compare(bases, token, args.runs)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=20)
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           check=False)  # fmt: skip
    doc["sites"] = api_bench.count_sites(url)
    doc["load_end"] = api_bench._load()
    api_bench.RESULTS.mkdir(parents=True, exist_ok=True)
    (api_bench.RESULTS / f"{args.out}.json").write_text(json.dumps(doc, indent=2), "utf-8")
    (api_bench.RESULTS / f"{args.out}.md").write_text(markdown(doc), "utf-8")
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
