"""A PgBouncer in transaction mode in front of a PostgreSQL server, on loopback.

Deployments with several app processes put a connection pooler between them and PostgreSQL;
in transaction mode (the one that saves server connections) a client's consecutive
transactions may run on different server connections. The app works behind one when its
settings say so (``GIS_APP_POOLER=transaction``, see :func:`gis_app.db.engine.make_engine`):
timeouts are sent per transaction, and prepared statements (``gis_app.db.prepared``) are
checked, prepared and executed within one transaction, so whichever server connection runs it
holds the statement.

:class:`PgBouncer` runs Debian's ``pgbouncer`` for the tests and the benchmark
(``bench/pooler_bench.py``); as root it runs as the ``postgres`` system user, as PgBouncer
refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from sqlalchemy.engine import make_url


def connect_advice(exc: BaseException) -> str | None:
    """What to set when a connection failed because a pooler sits in front of the server and
    the app was not told (PgBouncer refuses the ``options`` start-up parameter)."""
    if "unsupported startup parameter: options" in str(exc):
        return (
            "a connection pooler refused the session settings: set GIS_APP_POOLER=transaction "
            "(timeouts are then sent per transaction)"
        )
    return None


class PoolerError(RuntimeError):
    """PgBouncer is missing or did not start; the message says why."""


class PgBouncer:
    """``pgbouncer`` listening on ``127.0.0.1:port``, forwarding every database of the server
    at ``server_url`` (user and password from the URL) in transaction mode."""

    def __init__(
        self, server_url: str, workdir: Path, port: int, *, server_connections: int = 4
    ) -> None:
        self.server = make_url(server_url)
        self.workdir = Path(workdir)
        self.port = port
        self.server_connections = server_connections
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The server URL with the pooler's address: what the app connects to."""
        return self.server.set(host="127.0.0.1", port=self.port).render_as_string(
            hide_password=False
        )

    def _write_config(self) -> Path:
        user = self.server.username or "postgres"
        password = (self.server.password or "").replace('"', '""')
        self.workdir.mkdir(parents=True, exist_ok=True)
        userlist = self.workdir / "userlist.txt"
        userlist.write_text(f'"{user}" "{password}"\n')
        ini = self.workdir / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host={self.server.host or '127.0.0.1'} port={self.server.port or 5432}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            f"unix_socket_dir = {self.workdir}\n"
            "auth_type = scram-sha-256\n"
            f"auth_file = {userlist}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.server_connections}\n"
            "max_client_conn = 500\n"
            # the app names its connections; PgBouncer passes that on
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.workdir / 'pgbouncer.log'}\n"
            f"pidfile = {self.workdir / 'pgbouncer.pid'}\n"
        )
        for path in (self.workdir, userlist, ini):
            path.chmod(0o700 if path.is_dir() else 0o600)
            if os.geteuid() == 0:
                shutil.chown(path, "postgres", "postgres")
        return ini

    def start(self, timeout_s: float = 15.0) -> PgBouncer:
        """Start PgBouncer and wait until it accepts connections."""
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(binary).exists():
            raise PoolerError("pgbouncer is not installed (Debian package: pgbouncer)")
        ini = self._write_config()
        cmd = [binary, str(ini)]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/"
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise PoolerError(f"pgbouncer exited ({self.proc.returncode}): {err.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise PoolerError(f"pgbouncer did not listen on 127.0.0.1:{self.port} in {timeout_s} s")

    def stop(self) -> None:
        """Stop PgBouncer (its server connections close with it)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def __enter__(self) -> PgBouncer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
