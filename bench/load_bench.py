"""50 officers at once: latency, throughput and errors of the default server under load.

For each inventory (the sample's 77 sites; 100k synthetic sites over Zhejiang's extent plus the
sample, built like ``bench/api_bench.py``) the script serves the app with the default server
command (``gis-app serve``, in a subprocess on 127.0.0.1) and drives ``--users`` concurrent
keep-alive officers for ``--seconds`` with the officers' mix of ``bench/load_driver.py`` (a
bbox search of a random quarter of the inventory's extent, a random site's detail, a match of a
land or a plant requirement; no pause between requests, so this is the worst case of a busy
morning), while one more client asks ``/readyz`` twice a second. The client runs on the same
2 cores as the server and PostgreSQL.

Results go to ``bench/results/load_bench.json`` and ``.md``.

    .venv/bin/python bench/load_bench.py                          # sample and 100k, 50 users, 60 s
    .venv/bin/python bench/load_bench.py --sizes 0 --seconds 20   # the sample only, shorter
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk_driver  # noqa: E402
from bench.api_bench import (  # noqa: E402
    RESULTS,
    build_database,
    drop_database,
    machine,
    make_template,
)
from bench.load_driver import Inventory, LoadRun, ServedApp, officer_mix, run_load  # noqa: E402
from cli.main import default_workers  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

TARGET_P95_MS = 300


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def measure(
    url: str,
    token: str,
    users: int,
    seconds: float,
    think_s: float,
    clients: list[str],
    servers: list[str],
    rounds: int = 1,
) -> list[dict]:
    """Serve the app on ``url`` once per entry of ``servers`` (see :func:`server_env`), all
    side by side, and drive ``users`` officers for ``seconds`` with each of
    ``clients`` ("wrk", "python"): without pause, then (``think_s`` > 0) pausing ``think_s`` on
    average between requests. With ``rounds`` > 1 the servers and clients take turns, round
    after round (the order reversed every other round), so that a slow spell of the host falls
    on all of them; each configuration's figures are then the medians over its rounds."""
    inv = Inventory.read(url)
    apps: dict[str, ServedApp] = {}
    runs: dict[tuple[float, str, str], list[dict]] = {}
    try:
        for w in servers:
            apps[w] = ServedApp(url, server_env(w))
        for app in apps.values():
            # warm up: every kind of request a few times in every process, so first-use costs
            # are not in the figures
            asyncio.run(run_load(app.base_url, token, users=6, duration_s=4, mix=officer_mix(inv)))
        configs = [(w, c) for w in servers for c in clients]
        for pause in (0.0, think_s) if think_s else (0.0,):
            for r in range(rounds):
                for w, client in configs if r % 2 == 0 else configs[::-1]:
                    one = _one_run(apps[w], inv, token, client, users, seconds, pause)
                    print(
                        f"    round {r + 1}, server {w}, {client}, pause {pause}: "
                        f"{one['requests_per_s']} req/s p95 {one['p95_ms']} ms "
                        f"(steal {one['cpu_steal_pct']} %)",
                        flush=True,
                    )
                    runs.setdefault((pause, w, client), []).append(one)
    finally:
        logs = {w: app.stop() for w, app in apps.items()}
    out = []
    for (pause, w, client), rs in runs.items():
        env = server_env(w)
        out.append(
            _medians(rs)
            | {
                "client": client,
                "think_s": pause,
                "workers": int(env.get("GIS_APP_WORKERS", default_workers())),
                "pool_size": int(env.get("GIS_APP_POOL_SIZE", DatabaseSettings().pool_size)),
                "server_errors_logged": logs[w].count("Traceback"),
            }
        )
    return out


def server_env(spec: str) -> dict[str, str]:
    """The environment of a server configuration: ``default`` (what ``gis-app serve`` does
    unconfigured), ``N`` (N processes) or ``NxP`` (N processes of P pooled connections each)."""
    if spec == "default":
        return {}
    workers, _, pool = spec.partition("x")
    env = {"GIS_APP_WORKERS": str(int(workers))}
    if pool:
        env["GIS_APP_POOL_SIZE"] = str(int(pool))
    return env


def _one_run(
    app: ServedApp,
    inv: Inventory,
    token: str,
    client: str,
    users: int,
    seconds: float,
    pause: float,
) -> dict:
    """One run of one client against one server: its figures and CPU per request."""
    load_before = _load()
    cpu_before = _cpu_seconds(app.proc.pid)
    host_before = _host_cpu()
    if client == "wrk":
        with _Prober(app.base_url) as prober:
            res = wrk_driver.run_wrk(
                app.base_url, token, inv, users=users, duration_s=seconds, think_s=pause
            )
        cpu = {k: v - cpu_before[k] for k, v in _cpu_seconds(app.proc.pid).items()}
        cpu["client"] += res.pop("client_cpu_s")
        figures = res | {
            "load_before": load_before,
            "load_after": _load(),
            "readyz": prober.figures(),
            "per_request": {},
        }
        n = res["requests"]
    else:
        run = asyncio.run(
            run_load(
                app.base_url,
                token,
                users=users,
                duration_s=seconds,
                mix=officer_mix(inv),
                think_s=pause,
            )
        )
        cpu = {k: v - cpu_before[k] for k, v in _cpu_seconds(app.proc.pid).items()}
        figures = _figures(run, load_before)
        n = len(run.outcomes)
    host = [after - before for before, after in zip(host_before, _host_cpu(), strict=True)]
    return figures | {
        "cpu_ms_per_request": _per_request(cpu, n),
        # the host's share of this VM's CPU time taken by other guests during the run
        "cpu_steal_pct": round(100 * host[7] / max(1, sum(host)), 1),
        "cpu_idle_pct": round(100 * host[3] / max(1, sum(host)), 1),
    }


def _host_cpu() -> list[int]:
    """The machine's CPU time counters (``/proc/stat``: user nice system idle iowait irq
    softirq steal …)."""
    with open("/proc/stat", encoding="ascii") as f:
        return [int(v) for v in f.readline().split()[1:]]


def _medians(rs: list[dict]) -> dict:
    """One configuration's figures over its rounds: medians of the timings and rates, sums
    of the errors, every round's p95 and throughput kept."""
    if len(rs) == 1:
        return rs[0] | {"rounds": 1}

    def med(key: str) -> float | None:
        vals = [r[key] for r in rs if r.get(key) is not None]
        return round(statistics.median(vals), 1) if vals else None

    by_status: dict[str, int] = {}
    for r in rs:
        for k, v in r["by_status"].items():
            by_status[str(k)] = by_status.get(str(k), 0) + v
    return {
        "rounds": len(rs),
        "requests": sum(r.get("requests", 0) for r in rs),
        "requests_per_s": med("requests_per_s"),
        "p50_ms": med("p50_ms"),
        "p95_ms": med("p95_ms"),
        "p99_ms": med("p99_ms"),
        "p95_ms_rounds": [r["p95_ms"] for r in rs],
        "requests_per_s_rounds": [r["requests_per_s"] for r in rs],
        "errors": sum(r["errors"] for r in rs),
        "by_status": by_status,
        "readyz": {
            "probes": sum(r["readyz"]["probes"] for r in rs),
            "ok": sum(r["readyz"]["ok"] for r in rs),
            "max_ms": max(r["readyz"]["max_ms"] for r in rs),
        },
        "load_before": rs[0]["load_before"],
        "load_after": rs[-1]["load_after"],
        "cpu_steal_pct": med("cpu_steal_pct"),
        "cpu_idle_pct": med("cpu_idle_pct"),
        "cpu_ms_per_request": {
            k: round(statistics.median(r["cpu_ms_per_request"][k] for r in rs), 2)
            for k in rs[0]["cpu_ms_per_request"]
        },
        "socket_errors": {
            k: sum(r.get("socket_errors", {}).get(k, 0) for r in rs)
            for k in ("connect", "read", "write", "timeout")
        },
        "per_request": {
            kind: {
                "requests": sum(r["per_request"][kind]["requests"] for r in rs),
                "p50_ms": round(statistics.median(r["per_request"][kind]["p50_ms"] for r in rs), 1),
                "p95_ms": round(statistics.median(r["per_request"][kind]["p95_ms"] for r in rs), 1),
            }
            for kind in rs[0]["per_request"]
            if all(r["per_request"].get(kind, {}).get("p95_ms") is not None for r in rs)
        },
    }


class _Prober:
    """Asks ``/readyz`` twice a second in a thread while a ``wrk`` run goes on."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.results: list[tuple[int | None, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=60) as c:
            while not self._stop.is_set():
                t = time.perf_counter()
                try:
                    status: int | None = c.get("/readyz").status_code
                except httpx.HTTPError:
                    status = None
                self.results.append((status, (time.perf_counter() - t) * 1000))
                self._stop.wait(0.5)

    def __enter__(self) -> _Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def figures(self) -> dict:
        """Probes sent, answered with 200, and the slowest answer (ms)."""
        return {
            "probes": len(self.results),
            "ok": sum(1 for s, _ in self.results if s == 200),
            "max_ms": round(max((ms for _, ms in self.results), default=0), 1),
        }


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the server's worker processes)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += parents.get(p, [])
    return out


def _cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the app server (all its processes), the PostgreSQL processes
    and this client."""
    tick = os.sysconf("SC_CLK_TCK")

    def of(pids: list[int]) -> float:
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a backend that ended meanwhile
            total += sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
        return total

    postgres = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True)
    return {
        "app": of(_tree(server_pid)),
        "postgres": of([int(p) for p in postgres.stdout.split()]),
        "client": time.process_time(),
    }


def _per_request(cpu: dict[str, float], requests: int) -> dict[str, float]:
    return {k: round(1000 * v / max(requests, 1), 2) for k, v in cpu.items()}


def _figures(run: LoadRun, load_before: str) -> dict:
    summary = run.summary()
    probes = [p.status for p in run.probes]
    return summary | {
        "load_before": load_before,
        "load_after": _load(),
        "readyz": {
            "probes": len(probes),
            "ok": sum(1 for s in probes if s == 200),
            "max_ms": round(max((p.ms for p in run.probes), default=0), 1),
        },
    }


def markdown(doc: dict) -> str:
    """The results table."""
    m = doc["machine"]
    lines = [
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM, {m['os']}, "
        f"Python {m['python']}, PostgreSQL {m['postgresql']}. Server: `gis-app serve` "
        f"({doc['workers_note']}), PostgreSQL and the load client on the same machine. Load "
        "clients: `wrk` (C, Debian package; `bench/wrk_driver.py`) and the Python driver "
        f"(httpx; `bench/load_driver.py`), one after the other. Started {doc['started']}.",
        "",
        f"{doc['users']} concurrent keep-alive officers, {doc['seconds']:.0f} s per run: first "
        "without any pause between requests (the worst case: latency is then users ÷ "
        "throughput), then pausing as an officer reading the answer would; mix: bbox search "
        "(limit 100), site detail, match (land or plant), a third each. Latency of answered "
        "requests in ms.",
        "",
        "| inventory | server processes × connections | client | pause between requests "
        "| requests/s | p50 | p95 | p99 | errors | by status | /readyz ok "
        "| load avg before → after |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in doc["runs"]:
        status = ", ".join(f"{k}: {v}" for k, v in r["by_status"].items())
        ready = r["readyz"]
        pause = f"{r['think_s']:g} s on average" if r["think_s"] else "none"
        lines.append(
            f"| {r['inventory']} | {_workers(r)} | {r.get('client', 'python')} | {pause} | "
            f"{r['requests_per_s']} | {r['p50_ms']} | "
            f"{r['p95_ms']} | "
            f"{r['p99_ms']} | {r['errors']} | {status} | {ready['ok']}/{ready['probes']} | "
            f"{r['load_before']} → {r['load_after']} |"
        )
    lines += ["", "CPU per request (ms; app server, PostgreSQL, load client):", ""]
    for r in doc["runs"]:
        c = r.get("cpu_ms_per_request")
        if c:
            pause = f"pause {r['think_s']:g} s" if r["think_s"] else "no pause"
            lines.append(
                f"- {r['inventory']}, server {_workers(r)}, {r.get('client', 'python')}, "
                f"{pause}: app {c['app']}, PostgreSQL {c['postgres']}, client {c['client']}"
            )
    lines += ["", "Per request kind (p50 / p95 ms; Python client only):", ""]
    for r in doc["runs"]:
        if not r["per_request"]:
            continue
        pause = f", pause {r['think_s']:g} s" if r["think_s"] else ", no pause"
        pause = f", server {_workers(r)}{pause}"
        per = "; ".join(
            f"{k} {v['p50_ms']} / {v['p95_ms']} ({v['requests']})"
            for k, v in r["per_request"].items()
        )
        lines.append(f"- {r['inventory']}{pause}: {per}")
    lines += ["", f"Target: 0 errors and p95 ≤ {TARGET_P95_MS} ms at {doc['users']} users "]
    lines[-1] += "on the sample, no pause, default server command:"
    for r in doc["runs"]:
        if r["inventory"] == "sample" and not r["think_s"]:
            met = r["errors"] == 0 and (r["p95_ms"] or 1e9) <= TARGET_P95_MS
            lines.append(
                f"- server {_workers(r)}, {r.get('client', 'python')} client: "
                f"{'met' if met else 'NOT met'} (p95 {r['p95_ms']} ms, {r['errors']} errors)"
            )
    return "\n".join(lines) + "\n"


def _workers(run: dict) -> str:
    pool = run.get("pool_size")
    return f"{run.get('workers', 1)} × {pool}" if pool else str(run.get("workers", 1))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[0, 100_000])
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument(
        "--think-s",
        type=float,
        default=2.0,
        help="second run per inventory: mean pause between an officer's requests (0: none)",
    )
    p.add_argument(
        "--clients",
        default="wrk,python" if wrk_driver.available() else "python",
        help="load clients, comma-separated: wrk (needs the wrk package), python",
    )
    p.add_argument(
        "--servers",
        nargs="+",
        default=["default"],
        help="server configurations to compare: default (gis-app serve unconfigured: one "
        "process per core), N (processes) or NxP (processes x pooled connections each)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="runs per configuration, taking turns (figures: medians over the rounds)",
    )
    p.add_argument(
        "--out",
        default="load_bench",
        help="results file name in bench/results (.json and .md)",
    )
    args = p.parse_args(argv)
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    doc: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(st.url),
        "workers_note": ", ".join(
            f"its default: one process per core, {DatabaseSettings().pool_size} connections each"
            if w == "default"
            else f"{w} (processes × connections)"
            for w in args.servers
        ),
        "users": args.users,
        "seconds": args.seconds,
        "runs": [],
    }
    template = f"gis_app_bench_load_tpl_{os.getpid()}"
    make_template(st.url, template)
    try:
        for n in args.sizes:
            name = f"gis_app_bench_load_{n}_{os.getpid()}"
            label = "sample" if n == 0 else f"{n:,} synthetic + sample"
            print(f"{label}: building {name}", flush=True)
            t = time.perf_counter()
            try:
                url, token = build_database(st.url, template, name, n, log=print)
                build_s = time.perf_counter() - t
                results = measure(
                    url,
                    token,
                    args.users,
                    args.seconds,
                    args.think_s,
                    clients,
                    args.servers,
                    args.rounds,
                )
            finally:
                drop_database(st.url, name)
            for res in results:
                doc["runs"].append(res | {"inventory": label, "build_s": round(build_s, 1)})
                print(
                    f"  {res['client']}, server {_workers(res)}, pause {res['think_s']} s: "
                    f"{res['requests_per_s']} req/s, p50 "
                    f"{res['p50_ms']} p95 {res['p95_ms']} p99 {res['p99_ms']} ms, errors "
                    f"{res['errors']} {res['by_status']}",
                    flush=True,
                )
            _write(doc, args.out)
    finally:
        drop_database(st.url, template)
    print(markdown(doc))
    return 0


def _write(doc: dict, name: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown(doc), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
