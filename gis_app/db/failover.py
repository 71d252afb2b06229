"""A ``pg_auto_failover`` formation on loopback: a monitor and two PostgreSQL 15 nodes.

``gis-app db cluster up`` builds it in a folder of the project (``var/formation``): the monitor
and ``node1`` / ``node2``, each with its own data folder, port and ``pg_autoctl run`` process
(the keeper, which starts and supervises its PostgreSQL). ``node2`` is a streaming standby of
``node1`` with synchronous replication: ``pg_autoctl`` keeps ``synchronous_standby_names =
'ANY 1 (…)'`` on the primary while the standby is healthy (``replication-quorum`` true on both
nodes, ``number_sync_standbys`` 0, its defaults for two nodes), so a commit the app acknowledged
is on both nodes. When the primary fails the monitor promotes the standby; a failed node that
is started again rejoins as a standby (``pg_rewind`` by its keeper).

The app reaches the formation with a multi-host URL (SQLAlchemy's documented form for libpq's
fallback hosts, ``?host=h1:p1&host=h2:p2``) and ``target_session_attrs=read-write``: each new
connection tries the nodes in turn and keeps the one that accepts writes, so after a switch the
app finds the new primary by itself.

PostgreSQL refuses to run as root: as root every ``pg_autoctl`` command runs as the
``postgres`` system user, with its configuration (``XDG_*`` folders) inside the formation's
folder, so it touches nothing outside it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from gis_app.db.provision import PG_MAJOR, _pkglibdir, find_bindir, preload_libraries
from gis_app.domain.errors import ProvisioningError

DEBIAN_PACKAGES = ("pg-auto-failover-cli", f"postgresql-{PG_MAJOR}-auto-failover")
INSTALL_HINT = (
    "pg_auto_failover is required for the formation. On Debian/Ubuntu: sudo apt-get install -y "
    + " ".join(DEBIAN_PACKAGES)
    + " (bash scripts/bootstrap.sh --test installs them)"
)
NODES = ("node1", "node2")
APP_USER = "gis_app"
#: the role pg_autoctl replicates (and rewinds) with
REPLICATOR = "pgautofailover_replicator"

#: the monitor's health checks (``pgautofailover.*``, milliseconds): a node whose keeper has
#: not reported for ``node_considered_unhealthy_timeout`` and whose PostgreSQL fails a check is
#: failed over. pg_auto_failover's defaults (5 s checks, 20 s unhealthy) made the switch take
#: about half a minute; these keep it to a few seconds on loopback.
_MONITOR_CHECKS = {
    "pgautofailover.health_check_period": "1000",
    "pgautofailover.health_check_timeout": "1000",
    "pgautofailover.health_check_max_retries": "1",
    "pgautofailover.health_check_retry_delay": "500",
}

#: a primary that reaches neither the monitor nor its standby for this many seconds stops
#: taking writes (demotes itself), and the monitor waits this long plus the margin below
#: before it promotes the standby of a primary it cannot reach, so that two primaries never
#: take writes at once. pg_auto_failover's defaults (20 s and 30 s) were most of the
#: 35 s the app answered 503 in the drill; on loopback a partition is a dead process.
NETWORK_PARTITION_TIMEOUT_S = 4
_PRIMARY_DEMOTE_TIMEOUT_MS = (NETWORK_PARTITION_TIMEOUT_S + 2) * 1000

#: the nodes' resources: pg_autoctl sizes shared_buffers at a quarter of the machine's memory
#: for every node; three servers on one machine each taking a quarter would overcommit it
_TUNING = {
    "shared_buffers": "'256MB'",
    "effective_cache_size": "'1GB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'256MB'",
}

#: pg_hba.conf lines initdb writes that trust every local login; the formation replaces them
_INITDB_TRUST = ("local", "host")


def _is_root() -> bool:
    return os.geteuid() == 0


def find_pg_autoctl() -> str:
    """The ``pg_autoctl`` program, or :class:`ProvisioningError` saying how to install it."""
    found = shutil.which("pg_autoctl")
    bindir = find_bindir()
    if found is None or bindir is None:
        raise ProvisioningError(INSTALL_HINT)
    if not (_pkglibdir(bindir) / "pgautofailover.so").exists():
        raise ProvisioningError(f"the monitor's extension is missing. {INSTALL_HINT}")
    return found


@dataclass(frozen=True)
class NodeState:
    """One node as the monitor sees it."""

    name: str
    port: int
    reported: str  # the state the node's keeper last reported (primary, secondary, …)
    assigned: str  # the state the monitor wants it in
    healthy: bool

    @property
    def settled(self) -> bool:
        """True when the node is in the state the monitor assigned."""
        return self.reported == self.assigned


class Formation:
    """A monitor and two nodes in ``base_dir``, on ``ports`` (monitor, node1, node2)."""

    def __init__(
        self,
        base_dir: Path,
        ports: tuple[int, int, int] | None = None,
        database: str = "gis_app",
        *,
        unhealthy_timeout_s: float = 4.0,
    ) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.database = database
        self.unhealthy_timeout_s = unhealthy_timeout_s
        self.meta_file = self.base_dir / "formation.json"
        self.password_file = self.base_dir / f"{APP_USER}.password"
        stored = self._stored_ports()
        if stored is not None:
            ports = stored  # a formation keeps the ports it was made with
        if ports is None:
            raise ValueError("a new formation needs its ports")
        self.ports = {"monitor": ports[0], NODES[0]: ports[1], NODES[1]: ports[2]}

    # -- paths, processes ------------------------------------------------------------------
    def _stored_ports(self) -> tuple[int, int, int] | None:
        try:
            meta = json.loads(self.meta_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return (meta["ports"]["monitor"], meta["ports"][NODES[0]], meta["ports"][NODES[1]])

    def pgdata(self, name: str) -> Path:
        """The data folder of ``monitor``, ``node1`` or ``node2``."""
        return self.base_dir / name

    @property
    def exists(self) -> bool:
        """True when the formation was created (``up`` finished once)."""
        return self.meta_file.exists() and self.password_file.exists()

    def _env(self) -> dict[str, str]:
        bindir = find_bindir()
        path = f"{bindir}:/usr/bin:/bin" if bindir else "/usr/bin:/bin"
        b = self.base_dir
        return {
            "HOME": str(b),
            "XDG_CONFIG_HOME": str(b / "config"),
            "XDG_DATA_HOME": str(b / "share"),
            "XDG_RUNTIME_DIR": str(b / "run"),
            "PATH": path,
            "LANG": "C.UTF-8",
        }

    def _command(self, *args: str) -> list[str]:
        env = [f"{k}={v}" for k, v in self._env().items()]
        cmd = ["env", "-i", *env, find_pg_autoctl(), *args]
        return ["runuser", "-u", "postgres", "--", *cmd] if _is_root() else cmd

    def _autoctl(self, *args: str, timeout_s: float = 180) -> str:
        res = subprocess.run(
            self._command(*args), capture_output=True, text=True, cwd="/", timeout=timeout_s
        )
        if res.returncode != 0:
            tail = (res.stderr.strip() or res.stdout.strip()).splitlines()[-6:]
            raise ProvisioningError(
                f"pg_autoctl {' '.join(args[:2])} failed ({res.returncode}): {' | '.join(tail)}"
            )
        return res.stdout

    def _pid_file(self, name: str) -> Path:
        return self.base_dir / f"{name}.run.pid"

    def _log_file(self, name: str) -> Path:
        return self.base_dir / f"{name}.log"

    def running(self, name: str) -> bool:
        """True when the ``pg_autoctl`` process this formation started for ``name`` lives."""
        try:
            pid = int(self._pid_file(name).read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ValueError):
            return False
        return b"pg_autoctl" in cmdline and str(self.pgdata(name)).encode() in cmdline

    def _spawn(self, name: str, *args: str) -> None:
        """Start ``pg_autoctl ARGS`` for ``name`` in a session of its own (its process group
        holds the keeper and its PostgreSQL), logging to ``<name>.log``."""
        with self._log_file(name).open("ab") as log:
            proc = subprocess.Popen(
                self._command(*args),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd="/",
                start_new_session=True,
            )
        self._pid_file(name).write_text(str(proc.pid))

    def _run(self, name: str) -> None:
        if not self.running(name):
            self._spawn(name, "run", "--pgdata", str(self.pgdata(name)))

    def kill(self, name: str) -> None:
        """SIGKILL the node's keeper and its PostgreSQL at once, as a machine that dies.

        (Killing PostgreSQL alone is not a failure pg_auto_failover fails over for: its
        keeper restarts it in a second.)
        """
        pid = int(self._pid_file(name).read_text())
        os.killpg(pid, signal.SIGKILL)
        postmaster = self.pgdata(name) / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            os.kill(int(postmaster.read_text().splitlines()[0]), signal.SIGKILL)

    # -- state -----------------------------------------------------------------------------
    def state(self) -> list[NodeState]:
        """The nodes as the monitor sees them (needs the monitor running)."""
        out = self._autoctl(
            "show", "state", "--pgdata", str(self.pgdata("monitor")), "--json", timeout_s=30
        )
        return [
            NodeState(
                n["nodename"],
                n["nodeport"],
                n["current_group_state"],
                n["assigned_group_state"],
                n["health"] == 1,
            )
            for n in json.loads(out or "[]")
        ]

    def primary(self) -> NodeState | None:
        """The node that is primary and settled, if any."""
        for node in self.state():
            if node.settled and node.reported == "primary":
                return node
        return None

    def wait_for(
        self, ok: Callable[[dict[str, NodeState]], bool], what: str, timeout_s: float = 120
    ) -> dict[str, NodeState]:
        """Poll the monitor until ``ok(states by name)``; :class:`ProvisioningError` after
        ``timeout_s`` naming ``what`` and the last states."""
        deadline = time.monotonic() + timeout_s
        last: dict[str, NodeState] = {}
        while True:
            try:
                last = {n.name: n for n in self.state()}
                if ok(last):
                    return last
            except ProvisioningError:
                pass  # the monitor is starting
            if time.monotonic() > deadline:
                seen = ", ".join(f"{n.name} {n.reported}→{n.assigned}" for n in last.values())
                raise ProvisioningError(f"{what}: not reached in {timeout_s:.0f} s ({seen})")
            time.sleep(0.5)

    def wait_healthy(self, timeout_s: float = 120) -> dict[str, NodeState]:
        """Wait for one primary and one secondary, both settled."""
        return self.wait_for(
            lambda s: (
                sorted(n.reported for n in s.values() if n.settled) == ["primary", "secondary"]
            ),
            "a primary and a secondary",
            timeout_s,
        )

    def url(self) -> str:
        """The app's SQLAlchemy URL: both nodes, the one accepting writes wins."""
        if not self.password_file.exists():
            raise ProvisioningError(f"no formation in {self.base_dir}; run `gis-app db cluster up`")
        pw = self.password_file.read_text().strip()
        hosts = "&".join(f"host=127.0.0.1:{self.ports[n]}" for n in NODES)
        return (
            f"postgresql+psycopg2://{APP_USER}:{pw}@/{self.database}?{hosts}"
            "&target_session_attrs=read-write"
        )

    def libpq_url(self) -> str:
        """The same for psql and QGIS (libpq's own multi-host form)."""
        pw = self.password_file.read_text().strip()
        hosts = ",".join(f"127.0.0.1:{self.ports[n]}" for n in NODES)
        return (
            f"postgresql://{APP_USER}:{pw}@{hosts}/{self.database}?target_session_attrs=read-write"
        )

    # -- lifecycle -------------------------------------------------------------------------
    def up(self, *, log: Callable[[str], None] = print, timeout_s: float = 300) -> None:
        """Create the formation (first time), or start whichever of its processes is not
        running; return once there is a primary and a secondary.

        A node that failed (or was killed) and is started again rejoins as a standby.
        """
        find_pg_autoctl()
        if not self.exists:
            self._create(log, timeout_s)
        else:
            for name in ("monitor", *NODES):
                if not self.running(name):
                    log(f"starting {name} (port {self.ports[name]})")
                    self._run(name)
        self.wait_healthy(timeout_s)

    def _prepare_dir(self, log: Callable[[str], None]) -> None:
        if self.base_dir.exists() and any(self.base_dir.iterdir()):
            raise ProvisioningError(
                f"{self.base_dir} is not empty but holds no complete formation; remove it "
                "(gis-app db cluster destroy) and retry"
            )
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir.chmod(0o700)
        if _is_root():
            # the postgres user must pass through the folders above (search bit only)
            for folder in self.base_dir.parents:
                mode = folder.stat().st_mode
                if not mode & stat.S_IXOTH:
                    log(f"letting the postgres user pass through {folder} (o+x)")
                    folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
            shutil.chown(self.base_dir, "postgres", "postgres")
        for sub in ("config", "share", "run"):  # pg_autoctl's files (run: its pid files)
            (self.base_dir / sub).mkdir(mode=0o700)
            if _is_root():
                shutil.chown(self.base_dir / sub, "postgres", "postgres")

    def _create(self, log: Callable[[str], None], timeout_s: float) -> None:
        self._prepare_dir(log)
        bindir = find_bindir()
        assert bindir is not None  # find_pg_autoctl checked
        pg_ctl = str(bindir / "pg_ctl")
        common = ["--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--pgctl", pg_ctl]

        log(f"creating the monitor on 127.0.0.1:{self.ports['monitor']}")
        monitor = str(self.pgdata("monitor"))
        self._autoctl(
            "create", "monitor", "--pgdata", monitor, "--pgport", str(self.ports["monitor"]),
            *common,
        )  # fmt: skip
        self._autoctl("config", "set", "--pgdata", monitor, "postgresql.listen_addresses",
                      "127.0.0.1")  # fmt: skip
        self._settings("monitor", _TUNING | _MONITOR_CHECKS | {
            "pgautofailover.node_considered_unhealthy_timeout":
                str(int(self.unhealthy_timeout_s * 1000)),
            "pgautofailover.primary_demote_timeout": str(_PRIMARY_DEMOTE_TIMEOUT_MS),
        })  # fmt: skip
        self._restrict_hba("monitor")
        self._run("monitor")
        monitor_uri = (
            f"postgres://autoctl_node@127.0.0.1:{self.ports['monitor']}/pg_auto_failover"
            "?sslmode=disable"
        )

        def create_node(name: str, *extra: str) -> list[str]:
            return [
                "create", "postgres", "--pgdata", str(self.pgdata(name)),
                "--pgport", str(self.ports[name]), "--listen", "127.0.0.1", "--name", name,
                "--dbname", self.database, "--monitor", monitor_uri, *common, *extra,
            ]  # fmt: skip

        log(f"creating node1 (primary) on 127.0.0.1:{self.ports[NODES[0]]}")
        self._autoctl(*create_node(NODES[0]), timeout_s=timeout_s)
        self._partition_timeout(NODES[0])
        preload = ",".join(("pg_stat_statements", *preload_libraries(bindir)))
        self._settings(NODES[0], _TUNING | {"shared_preload_libraries": f"'{preload}'"})
        self._restrict_hba(NODES[0])
        self._run(NODES[0])
        self.wait_for(
            lambda s: NODES[0] in s and s[NODES[0]].settled and s[NODES[0]].reported == "single",
            "node1 running alone",
            timeout_s,
        )
        password = secrets.token_urlsafe(24)
        self._app_role(password, timeout_s)

        # node2 copies node1 (pg_basebackup, which pg_autoctl runs with a spread checkpoint:
        # it waited 90 s on an idle server; an immediate checkpoint ends the wait)
        log(f"creating node2 (standby) on 127.0.0.1:{self.ports[NODES[1]]}")
        with self._log_file(NODES[1]).open("ab") as node_log:
            create = subprocess.Popen(
                self._command(*create_node(NODES[1])),
                stdin=subprocess.DEVNULL,
                stdout=node_log,
                stderr=subprocess.STDOUT,
                cwd="/",
            )
        deadline = time.monotonic() + timeout_s
        while create.poll() is None:
            if time.monotonic() > deadline:
                create.kill()
                break
            self._checkpoint(NODES[0])
            time.sleep(1)
        if create.wait() != 0:
            raise ProvisioningError(
                f"node2 did not join: {self._log_tail(NODES[1])} (log {self._log_file(NODES[1])})"
            )
        self._partition_timeout(NODES[1])
        self._run(NODES[1])
        self.password_file.write_text(password + "\n")
        self.password_file.chmod(0o600)
        self.meta_file.write_text(
            json.dumps({"ports": self.ports, "database": self.database}, indent=2) + "\n"
        )

    def _partition_timeout(self, name: str) -> None:
        self._autoctl(
            "config", "set", "--pgdata", str(self.pgdata(name)),
            "timeout.network_partition_timeout", str(NETWORK_PARTITION_TIMEOUT_S),
        )  # fmt: skip

    def _settings(self, name: str, settings: dict[str, str]) -> None:
        """Append ``settings`` to the node's ``postgresql.auto.conf`` (read last, so they win
        over pg_autoctl's own file); they take effect at the node's next start."""
        conf = self.pgdata(name) / "postgresql.auto.conf"
        with conf.open("a") as fh:
            fh.write("".join(f"\n{k} = {v}" for k, v in settings.items()) + "\n")

    def _restrict_hba(self, name: str) -> None:
        """Logins with a password only, except pg_autoctl's own (monitor, replication), which
        its loopback set-up trusts from 127.0.0.1; local socket logins by the same OS user.

        initdb trusted every local login (any OS user could log in as the superuser). The
        standby copies this file with its base backup.
        """
        hba = self.pgdata(name) / "pg_hba.conf"
        kept = [
            line
            for line in hba.read_text().splitlines()
            if not (line.split()[:1] and line.split()[0] in _INITDB_TRUST and "trust" in line
                    and "pg_auto_failover" not in line)
        ]  # fmt: skip
        if name == "monitor":
            # pg_autoctl's commands reach the monitor as autoctl_node over its socket
            kept.append("local   pg_auto_failover autoctl_node                          trust")
        else:
            # pg_rewind (a failed primary rejoining) reads the new primary's "postgres"
            # database as the replication user; without it the keeper copies the whole
            # cluster again (pg_basebackup) instead of rewinding what diverged
            kept.append(f"host    postgres        {REPLICATOR}  127.0.0.1/32            trust")
        kept += [
            "local   all             all                                     peer",
            "local   replication     all                                     peer",
            f"host    all             {APP_USER}         127.0.0.1/32            scram-sha-256",
        ]
        hba.write_text("\n".join(kept) + "\n")

    def _connect(self, name: str, user: str = "postgres") -> sa.Engine:
        # pg_autoctl trusts its own "postgres" login to the app database from 127.0.0.1
        return sa.create_engine(
            f"postgresql+psycopg2://{user}@127.0.0.1:{self.ports[name]}/{self.database}",
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 5},
        )

    def _app_role(self, password: str, timeout_s: float) -> None:
        """The app's login (a superuser, as in the private cluster: migrations create roles
        and extensions) owns the database, which has PostGIS."""
        eng = self._connect(NODES[0])
        deadline = time.monotonic() + timeout_s
        try:
            while True:  # the keeper may still be starting PostgreSQL
                try:
                    eng.connect().close()
                    break
                except sa.exc.OperationalError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            with eng.connect() as c:
                c.execute(
                    sa.text(f"CREATE ROLE {APP_USER} LOGIN SUPERUSER PASSWORD :pw"),
                    {"pw": password},
                )
                c.execute(sa.text(f'ALTER DATABASE "{self.database}" OWNER TO {APP_USER}'))
                c.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        finally:
            eng.dispose()

    def _checkpoint(self, name: str) -> None:
        eng = self._connect(name)
        try:
            with eng.connect() as c:
                c.execute(sa.text("CHECKPOINT"))
        except sa.exc.OperationalError:
            pass
        finally:
            eng.dispose()

    def _log_tail(self, name: str, lines: int = 4) -> str:
        try:
            text = self._log_file(name).read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:])

    def failover(self, *, timeout_s: float = 120) -> tuple[str, str]:
        """Promote the standby by hand (``pg_autoctl perform failover``): the primary is
        demoted and rejoins as the standby. Returns (old primary, new primary)."""
        before = self.primary()
        if before is None:
            raise ProvisioningError("no settled primary: the formation is already switching")
        self._autoctl(
            "perform", "failover", "--pgdata", str(self.pgdata("monitor")),
            "--wait", str(int(timeout_s)), timeout_s=timeout_s + 30,
        )  # fmt: skip
        after = self.wait_healthy(timeout_s)
        new = next(n.name for n in after.values() if n.reported == "primary")
        return before.name, new

    def down(self, *, log: Callable[[str], None] = print, timeout_s: float = 60) -> bool:
        """Stop the nodes, then the monitor; False when nothing was running."""
        stopped = False
        for name in (*NODES[::-1], "monitor"):
            if not self.running(name):
                continue
            log(f"stopping {name}")
            with contextlib.suppress(ProvisioningError, subprocess.TimeoutExpired):
                self._autoctl("stop", "--pgdata", str(self.pgdata(name)), timeout_s=timeout_s)
            deadline = time.monotonic() + timeout_s
            while self.running(name) and time.monotonic() < deadline:
                time.sleep(0.2)
            if self.running(name):
                log(f"{name} did not stop in {timeout_s:.0f} s: killing it")
                self.kill(name)
            stopped = True
        return stopped

    def destroy(self, *, log: Callable[[str], None] = print) -> None:
        """Stop everything and delete the formation's folder."""
        self.down(log=log)
        for name in ("monitor", *NODES):
            if self.running(name):
                self.kill(name)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def events(self, count: int = 20) -> str:
        """The monitor's last state changes (``pg_autoctl show events``)."""
        return self._autoctl(
            "show", "events", "--pgdata", str(self.pgdata("monitor")), "--count", str(count),
            timeout_s=30,
        )  # fmt: skip

    def describe(self) -> str:
        """One line per node for ``gis-app db cluster status``."""
        lines = [f"formation in {self.base_dir}"]
        if not self.running("monitor"):
            return "\n".join([*lines, f"monitor (port {self.ports['monitor']}): not running"])
        lines.append(f"monitor: 127.0.0.1:{self.ports['monitor']}")
        for n in self.state():
            proc = "running" if self.running(n.name) else "not running"
            health = "healthy" if n.healthy else "unreachable"
            state = n.reported if n.settled else f"{n.reported} → {n.assigned}"
            lines.append(f"{n.name}: 127.0.0.1:{n.port} {state}, {health}, keeper {proc}")
        return "\n".join(lines)


#: SQLSTATE of a write refused by a server that is (now) read-only: a standby
_READ_ONLY_SQLSTATE = "25006"


def drop_demoted_connections(engine: sa.Engine) -> None:
    """Treat "cannot execute … in a read-only transaction" as a lost connection on an engine
    whose URL asks for a writable server (``target_session_attrs=read-write``/``primary``).

    Such a connection was opened to the primary, which has since been demoted to a standby
    (a switchover keeps the server up, so the connection survives). SQLAlchemy then
    invalidates it and every older connection of the pool, the request gets 503 (as for a
    server that went away) instead of 500, and the next connection finds the new primary.
    """
    attrs = engine.url.query.get("target_session_attrs")
    if attrs not in ("read-write", "primary"):
        return

    @sa.event.listens_for(engine, "handle_error")
    def _demoted(ctx: sa.engine.ExceptionContext) -> None:
        if getattr(ctx.original_exception, "pgcode", None) == _READ_ONLY_SQLSTATE:
            ctx.is_disconnect = True
