"""Several server processes on one port, each with a listening socket of its own.

uvicorn's own ``--workers`` shares one listening socket between its processes: the process
that wakes first accepts every connection waiting, so 50 clients connecting at once could end
48 on one process and 2 on the other (measured with ``ss``), and the busy one's queue set the
p95. Here every process listens on its own socket of a ``SO_REUSEPORT`` group: the kernel
hands each new connection to one of them by a hash of its addresses, so they share the
connections evenly however they arrive. The sockets are bound here, before any worker starts,
so that a port in use is reported once and at once; a worker that dies is started again on
its socket.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

#: pending connections per socket (the kernel caps it at ``net.core.somaxconn``)
BACKLOG = 2048
#: a worker that ends this soon after it started failed to start
_QUICK_END_S = 20.0
#: quick ends in a row after which the server gives up (the app cannot start: see its log)
_QUICK_ENDS = 3


def bind_group(host: str, port: int, n: int) -> list[socket.socket]:
    """``n`` listening sockets on ``host:port`` in one ``SO_REUSEPORT`` group (``port`` 0:
    the first socket's free port for all)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    socks: list[socket.socket] = []
    try:
        for _ in range(n):
            sock = socket.socket(family, socket.SOCK_STREAM)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.listen(BACKLOG)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


def _worker(sock: socket.socket, log_level: str, keep_alive_s: float) -> None:
    """One server process: the app built from the environment, on its own socket."""
    import uvicorn

    config = uvicorn.Config(
        "api.app:create_app",
        factory=True,
        log_level=log_level,
        timeout_keep_alive=round(keep_alive_s),
    )
    uvicorn.Server(config).run(sockets=[sock])


def serve(
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
    keep_alive_s: float = 75.0,
    on_listening: Callable[[], None] | None = None,
) -> int:
    """Run ``workers`` server processes on ``host:port`` until SIGINT or SIGTERM; start a
    process again when it dies, unless processes keep ending as soon as they start (then
    stop all and return 1). ``on_listening`` runs once the port is bound."""
    try:
        socks = bind_group(host, port, workers)
    except OSError as e:
        print(f"gis-app serve: cannot listen on {host}:{port}: {e.strerror or e}", file=sys.stderr)
        return 1
    if on_listening is not None:
        on_listening()
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no state copied
    stopping = threading.Event()
    started: dict[int, float] = {}

    def start(i: int) -> multiprocessing.process.BaseProcess:
        proc = ctx.Process(
            target=_worker, args=(socks[i], log_level, keep_alive_s), name=f"gis_app worker {i}"
        )
        proc.start()
        started[i] = time.monotonic()
        return proc

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    procs = [start(i) for i in range(workers)]
    quick_ends, rc = 0, 0
    try:
        while not stopping.wait(0.5):
            for i, proc in enumerate(procs):
                if proc.is_alive() or stopping.is_set():
                    continue
                quick = time.monotonic() - started[i] < _QUICK_END_S
                quick_ends = quick_ends + 1 if quick else 0
                print(
                    f"gis-app serve: worker {proc.pid} ended (exit code {proc.exitcode})"
                    + ("" if quick_ends < _QUICK_ENDS else "; it keeps failing to start, stopping"),
                    file=sys.stderr,
                    flush=True,
                )
                if quick_ends >= _QUICK_ENDS:
                    stopping.set()
                    rc = 1
                    break
                procs[i] = start(i)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()  # uvicorn's graceful shutdown: answers what it has begun
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for sock in socks:
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return rc
