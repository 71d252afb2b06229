"""CPU per request of the app server with uvicorn's pure-Python HTTP parser and asyncio loop
(h11 + asyncio) against its compiled ones (httptools + uvloop), interleaved.

The same app is served on 127.0.0.1 one way, then the other, ``--rounds`` times; each round
sends the officers' mix (bbox search, site detail, match; ``bench/load_driver.py``) and
``/healthz`` requests one after the other from one keep-alive client and reads the CPU time
the server process used. Medians go to ``bench/results/server_stack_ab.{json,md}``.

    .venv/bin/python bench/server_stack_ab.py            # the sample, 3 rounds
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_bench import RESULTS, build_database, drop_database, machine, make_template  # noqa: E402
from bench.load_bench import _cpu_seconds  # noqa: E402
from bench.load_driver import Inventory, free_port, officer_mix  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

STACKS = {"h11 + asyncio": ("asyncio", "h11"), "httptools + uvloop": ("uvloop", "httptools")}


def _serve(url: str, loop: str, http: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    code = (
        "import uvicorn; uvicorn.run('api.app:create_app', factory=True, host='127.0.0.1', "
        f"port={port}, loop='{loop}', http='{http}', log_level='info')"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env=os.environ | {"GIS_APP_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the server ({loop}, {http}) did not start")


def measure(url: str, token: str, rounds: int, requests: int) -> dict[str, list[float]]:
    """App CPU ms per request of each stack, one figure per round."""
    inv = Inventory.read(url)
    rng = random.Random(25)
    mix = officer_mix(inv)
    reqs = [mix(rng) for _ in range(requests)]
    out: dict[str, list[float]] = {k: [] for k in STACKS}
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    for _ in range(rounds):
        for name, (loop, http) in STACKS.items():
            proc, base = _serve(url, loop, http)
            try:
                with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
                    for r in reqs[:50]:  # warm-up
                        c.request(r.method, r.path, params=r.params, json=r.json)
                    before = _cpu_seconds(proc.pid)["app"]
                    for r in reqs:
                        c.request(r.method, r.path, params=r.params, json=r.json)
                    for _ in range(requests // 2):
                        c.get("/healthz")
                    used = _cpu_seconds(proc.pid)["app"] - before
            finally:
                proc.terminate()
                proc.wait()
            out[name].append(round(1000 * used / (requests + requests // 2), 3))
            print(f"  {name}: {out[name][-1]} ms", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the comparison on the sample."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=600)
    args = p.parse_args(argv)
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    tpl, name = f"gis_app_bench_stack_tpl_{os.getpid()}", f"gis_app_bench_stack_{os.getpid()}"
    make_template(st.url, tpl)
    load_before = " ".join(f"{v:.2f}" for v in os.getloadavg())
    try:
        url, token = build_database(st.url, tpl, name, 0, log=lambda m: None)
        try:
            runs = measure(url, token, args.rounds, args.requests)
        finally:
            drop_database(st.url, name)
    finally:
        drop_database(st.url, tpl)
    doc = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(st.url),
        "load_before": load_before,
        "load_after": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "cpu_ms_per_request": runs,
        "median": {k: statistics.median(v) for k, v in runs.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "server_stack_ab.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    m = doc["machine"]
    md = [
        f"Machine: {m['nproc']} cores ({m['cpu']}), load average {doc['load_before']} before, "
        f"{doc['load_after']} after; {doc['started']}. One server process, one keep-alive "
        f"client; {args.requests} requests of the officers' mix and {args.requests // 2} "
        "`/healthz` per round, rounds interleaved.",
        "",
        "| server stack | app CPU ms per request, each round | median |",
        "|---|---|---:|",
    ]
    for k, v in runs.items():
        md.append(f"| {k} | {', '.join(str(x) for x in v)} | {doc['median'][k]} |")
    (RESULTS / "server_stack_ab.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
