"""The officers' mix driven by ``wrk`` (Debian package ``wrk``), a load client written in C.

``bench/load_driver.py`` drives the mix from Python: on this 2-core machine that client takes
1.3–3 ms of CPU per request, a fifth to a third of what the server and PostgreSQL need, and
that CPU is taken from them. ``wrk`` sends the same requests (the Lua script below draws them
like :func:`bench.load_driver.officer_mix`: a bbox search of a random window of the
inventory, a random site's detail, one of the two matches) over ``users`` keep-alive
connections, for a fraction of the CPU. It reports latency over all requests (not per kind)
and counts statuses; the summary has the keys of :meth:`bench.load_driver.LoadRun.summary`.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.load_driver import MATCH_BODIES, Inventory

_LUA = r"""
local extent = {%(x0)r, %(y0)r, %(x1)r, %(y1)r}
local window = %(window)r
local ids = {%(ids)s}
local bodies = {%(bodies)s}
local think_ms = %(think_ms)r
local auth = %(auth)s
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(18 * 1000 + seed)
  statuses = {}
  kinds = {0, 0, 0}
end

function request()
  local kind = math.random(3)
  kinds[kind] = kinds[kind] + 1
  -- like a browser (and httpx): compressed answers, which the server spends CPU on
  local h = {["Authorization"] = auth, ["Accept-Encoding"] = "gzip, deflate"}
  if kind == 1 then
    local w, hh = (extent[3] - extent[1]) * window, (extent[4] - extent[2]) * window
    local bx = extent[1] + math.random() * (extent[3] - extent[1] - w)
    local by = extent[2] + math.random() * (extent[4] - extent[2] - hh)
    local path = string.format("/api/sites?bbox=%%.5f,%%.5f,%%.5f,%%.5f&limit=100",
                               bx, by, bx + w, by + hh)
    return wrk.format("GET", path, h)
  elseif kind == 2 then
    return wrk.format("GET", "/api/sites/" .. ids[math.random(#ids)], h)
  end
  h["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/match", h, bodies[math.random(#bodies)])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function delay()
  if think_ms <= 0 then return 0 end
  return math.floor(-math.log(1 - math.random()) * think_ms)
end

function done(summary, latency, requests)
  local st, kd = {}, {0, 0, 0}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do st[code] = (st[code] or 0) + n end
    local k = t:get("kinds")
    for i = 1, 3 do kd[i] = kd[i] + k[i] end
  end
  local parts = {}
  for code, n in pairs(st) do table.insert(parts, string.format('"%%d": %%d', code, n)) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, "p95_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "statuses": {%%s}, "sent": [%%d, %%d, %%d]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    table.concat(parts, ", "), kd[1], kd[2], kd[3]))
end
"""


#: the request kinds of the mix, in the order the script counts them
KINDS = ("bbox_search", "site_detail", "match")


def available() -> bool:
    """True when the ``wrk`` binary is installed."""
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)  # a JSON string literal is a Lua string literal


def script(inv: Inventory, token: str, think_s: float = 0.0, window: float = 0.25) -> str:
    """The Lua script of the officers' mix over ``inv``."""
    x0, y0, x1, y1 = inv.extent
    return _LUA % {
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
        "window": window,
        "ids": ", ".join(str(i) for i in inv.site_ids),
        "bodies": ", ".join(_lua_string(json.dumps(b)) for b in MATCH_BODIES),
        "think_ms": think_s * 1000,
        "auth": _lua_string(f"Bearer {token}"),
    }


def run_wrk(
    base_url: str,
    token: str,
    inv: Inventory,
    *,
    users: int,
    duration_s: float,
    think_s: float = 0.0,
    threads: int = 2,
    timeout_s: float = 60.0,
) -> dict:
    """Drive ``users`` keep-alive connections with ``wrk`` for ``duration_s`` seconds; return
    the summary (requests/s, p50/p95/p99 ms, errors, statuses) and the client's CPU seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "mix.lua"
        lua.write_text(script(inv, token, think_s), encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(
            [
                "wrk",
                f"-t{min(threads, users)}",
                f"-c{users}",
                f"-d{round(duration_s)}s",
                f"--timeout={round(timeout_s)}s",
                "-s",
                str(lua),
                base_url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds = raw["duration_us"] / 1e6
    statuses = {str(k): v for k, v in sorted(raw["statuses"].items())}
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    errors += sum(v for k, v in statuses.items() if k != "200")
    return {
        "users": users,
        "duration_s": round(seconds, 1),
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "errors": errors,
        "by_status": statuses,
        "socket_errors": {k: raw[k] for k in ("connect", "read", "write", "timeout")},
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "sent_by_kind": dict(zip(KINDS, raw["sent"], strict=True)),
        "client_cpu_s": round(
            (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 3
        ),
    }
