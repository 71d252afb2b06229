"""A hot standby of the private cluster for reads, and how far behind the primary it is.

``gis-app db replica up`` copies the running private cluster with ``pg_basebackup`` into
another data folder (``GIS_APP_REPLICA_DATA_DIR``) and starts it as a streaming standby on
another port (``GIS_APP_REPLICA_PORT``). It streams from a physical replication slot, so the
primary keeps every WAL segment the standby has not received yet (up to
``max_slot_wal_keep_size``, set here, so a standby left stopped cannot fill the primary's
disk: past that the slot is given up and the standby must be made again). The cluster made by
``gis-app db up`` already allows it: ``wal_level = replica``, ``max_wal_senders = 10`` and
``pg_hba.conf`` lines for replication from 127.0.0.1 are initdb's defaults.

The app learns the standby's position from :class:`ReplicaMonitor` (one per server process):
it asks the standby what it has replayed and the primary where its WAL ends, about once a
second, and says whether reads may go there (up, replaying, within the lag limits) and whether
a given write (its LSN) has been replayed there yet.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gis_app.db import provision
from gis_app.domain.errors import InvalidInput, ProvisioningError
from gis_app.settings import DatabaseSettings

log = logging.getLogger("gis_app.replica")

#: the primary's physical replication slot the private standby streams from
SLOT = "gis_app_standby"
#: WAL the primary keeps for a standby that stopped receiving it; beyond it the slot is lost
MAX_SLOT_WAL_KEEP = "4GB"
#: the standby's name in the primary's pg_stat_replication
APPLICATION_NAME = "gis_app_standby"


class PrimaryNeeded(Exception):
    """Work begun on the standby found that it must be done on the primary (it would write,
    e.g. record a session's activity, or it looks for a row the standby may not have yet)."""


def parse_lsn(text: str) -> int:
    """A WAL position (``16/B374D848``) as a number of bytes."""
    hi, sep, lo = text.strip().partition("/")
    if not sep:
        raise ValueError(f"not a WAL position: {text!r}")
    return (int(hi, 16) << 32) + int(lo, 16)


def format_lsn(lsn: int) -> str:
    """A byte position as PostgreSQL writes it (``16/B374D848``)."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def write_position(conn: sa.Connection) -> int:
    """Where the primary's WAL ends now: every transaction committed before is at or before
    it (asked right after a request's writes committed; a standby that has replayed up to it
    shows them)."""
    return parse_lsn(conn.execute(sa.text("SELECT pg_current_wal_insert_lsn()::text")).scalar_one())


@dataclass(frozen=True)
class StandbyState:
    """What the process last learnt about the standby."""

    usable: bool
    reason: str
    replay_lsn: int | None = None
    lag_bytes: int | None = None
    lag_s: float | None = None
    paused: bool = False
    checked_at: float = 0.0  # time.monotonic() of the last check, 0 before the first

    def detail(self) -> dict[str, object]:
        """For ``/readyz``."""
        out: dict[str, object] = {
            "status": "ok" if self.usable else "not used",
            "reason": self.reason,
        }
        if self.replay_lsn is not None:
            out["replay_lsn"] = format_lsn(self.replay_lsn)
        if self.lag_bytes is not None:
            out["lag_bytes"] = self.lag_bytes
        if self.lag_s is not None:
            out["lag_s"] = round(self.lag_s, 3)
        if self.paused:
            out["replay_paused"] = True
        return out


@dataclass
class ReplicaMonitor:
    """Polls the standby's replay position and the primary's WAL end in a thread of its own.

    ``primary`` and ``standby`` are engines of their own (one connection each), so that the
    check never waits for a request's connection. A check that fails, or no successful check
    for three intervals, makes the standby unusable until the next success; so does
    :meth:`mark_down`, which a request calls when the standby failed under it.
    """

    primary: sa.Engine
    standby: sa.Engine
    max_lag_s: float
    max_lag_bytes: int
    interval_s: float = 1.0
    _state: StandbyState = field(default_factory=lambda: StandbyState(False, "not checked yet"))
    #: (monotonic time, primary WAL end) of recent checks: when the standby's replay position
    #: was first passed by the primary, i.e. how old the oldest WAL it lacks is
    _samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=600))
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Check once now, then keep checking in a daemon thread."""
        self.check()
        self._thread = threading.Thread(target=self._run, name="gis_app replica check", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop checking (waits for the thread) and close the engines."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.primary.dispose()
        self.standby.dispose()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.check()

    def check(self) -> StandbyState:
        """Ask the standby and the primary once; return (and keep) what was learnt."""
        try:
            with self.standby.connect() as c:
                recovering, replay, paused = c.execute(
                    sa.text(
                        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
                        "CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END"
                    )
                ).one()
            if not recovering or replay is None:
                return self._set(StandbyState(False, "the standby is not replaying (promoted?)"))
            with self.primary.connect() as c:
                end = parse_lsn(
                    c.execute(sa.text("SELECT pg_current_wal_lsn()::text")).scalar_one()
                )
        except sa.exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            return self._set(StandbyState(False, f"unreachable: {reason[0] if reason else exc}"))
        now = time.monotonic()
        replayed = parse_lsn(replay)
        with self._lock:
            self._samples.append((now, end))
            # the first check at which the primary was past the replay position
            first_ahead = next((t for t, lsn in self._samples if lsn > replayed), None)
        lag_bytes = max(0, end - replayed)
        lag_s = 0.0 if lag_bytes == 0 or first_ahead is None else now - first_ahead
        usable = lag_s <= self.max_lag_s and lag_bytes <= self.max_lag_bytes
        reason = "replaying" if usable else "behind the primary by more than the limit"
        return self._set(
            StandbyState(usable, reason, replayed, lag_bytes, lag_s, bool(paused), checked_at=now)
        )

    def _set(self, state: StandbyState) -> StandbyState:
        if state.usable != self._state.usable:
            if state.usable:
                log.info("standby in use: %s", state.reason)
            else:
                log.warning("standby not used: %s", state.reason)
        self._state = state
        return state

    def mark_down(self, reason: str) -> None:
        """The standby failed under a request: send reads to the primary until a check
        succeeds again."""
        self._set(StandbyState(False, f"failed under a request: {reason}"))

    @property
    def state(self) -> StandbyState:
        """The last state, made unusable when no check succeeded for three intervals."""
        s = self._state
        if s.usable and time.monotonic() - s.checked_at > 3 * self.interval_s + 1:
            return StandbyState(False, "not checked recently", s.replay_lsn, s.lag_bytes, s.lag_s)
        return s

    def serves(self, after_lsn: int | None) -> bool:
        """True when reads may go to the standby, and it has replayed ``after_lsn`` (the
        caller's last write) if given."""
        s = self.state
        if not s.usable:
            return False
        return after_lsn is None or (s.replay_lsn is not None and s.replay_lsn >= after_lsn)


# -- the private cluster's standby (gis-app db replica up / down / status) -----------------


def local_standby(settings: DatabaseSettings) -> provision.LocalCluster:
    """The private cluster's standby described by ``settings``."""
    return provision.LocalCluster(
        settings.replica_data_dir, settings.replica_port, settings.pg_database
    )


def _private_primary(settings: DatabaseSettings) -> provision.LocalCluster:
    if settings.database_url:
        raise InvalidInput(
            "gis-app db replica manages a standby of the private cluster; for an external "
            "server set GIS_APP_REPLICA_URL to a standby its DBA made"
        )
    return provision.running_local_cluster(settings)


def _admin(url: str) -> sa.Engine:
    return sa.create_engine(
        make_url(url).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )


def replica_up(settings: DatabaseSettings, *, log: Callable[[str], None] = print) -> str:
    """Make (first time) and start the standby; return its URL (for GIS_APP_REPLICA_URL)."""
    primary = _private_primary(settings)
    standby = local_standby(settings)
    if standby.data_dir == primary.data_dir or standby.port == primary.port:
        raise InvalidInput("GIS_APP_REPLICA_DATA_DIR and _PORT must differ from the primary's")
    bindir = provision.ensure_packages(log=log)
    if not standby.initialized:
        _make_standby(primary, standby, bindir, log)
    if standby.start(bindir, log=log):
        log(f"standby started on 127.0.0.1:{standby.port}")
    else:
        log(f"standby already running on 127.0.0.1:{standby.port}")
    _wait_until_accepting(standby.url())
    return standby.url()


def _make_standby(
    primary: provision.LocalCluster,
    standby: provision.LocalCluster,
    bindir: Path,
    log: Callable[[str], None],
) -> None:
    if standby.data_dir.exists() and any(standby.data_dir.iterdir()):
        raise ProvisioningError(
            f"{standby.data_dir} is not empty but holds no complete standby; remove it and retry"
        )
    url = make_url(primary.url())
    admin = _admin(primary.url())
    try:
        with admin.connect() as c:
            c.execute(sa.text(f"ALTER SYSTEM SET max_slot_wal_keep_size = '{MAX_SLOT_WAL_KEEP}'"))
            c.execute(sa.text("SELECT pg_reload_conf()"))
            if not c.execute(
                sa.text("SELECT 1 FROM pg_replication_slots WHERE slot_name = :s"), {"s": SLOT}
            ).first():
                c.execute(
                    sa.text("SELECT pg_create_physical_replication_slot(:s, true)"), {"s": SLOT}
                )
    finally:
        admin.dispose()
    log(f"copying the cluster on port {primary.port} into {standby.data_dir} (pg_basebackup)")
    standby.data_dir.parent.mkdir(parents=True, exist_ok=True)
    partial = standby.data_dir.with_name(standby.data_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    partial_cluster = provision.LocalCluster(partial, standby.port)
    partial_cluster.take_ownership()
    partial_cluster._let_postgres_reach(log)
    try:
        standby._run(
            bindir,
            "pg_basebackup",
            "--pgdata",
            str(partial),
            "--wal-method=stream",
            "--checkpoint=fast",
            "--slot",
            SLOT,
            "--dbname",
            f"host={url.host} port={url.port} user={url.username}",
            env={"PGPASSWORD": url.password or ""},
        )
    except ProvisioningError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    conninfo = (
        f"host={url.host} port={url.port} user={url.username} password={url.password} "
        f"application_name={APPLICATION_NAME}"
    )
    for stale in ("postmaster.pid", "postmaster.opts", "server.log"):
        (partial / stale).unlink(missing_ok=True)
    with (partial / "postgresql.auto.conf").open("a") as fh:
        fh.write(
            "\n# hot standby for reads (gis_app.db.replica)\n"
            f"port = {standby.port}\n"
            f"unix_socket_directories = '{standby.data_dir}'\n"
            f"primary_conninfo = '{conninfo}'\n"
            f"primary_slot_name = '{SLOT}'\n"
            "hot_standby = on\n"
            # the primary keeps rows a long standby query still reads instead of cancelling it
            "hot_standby_feedback = on\n"
            "archive_mode = off\n"
        )
    (partial / "standby.signal").touch()
    partial_cluster.take_ownership()
    partial.rename(standby.data_dir)
    shutil.copy2(primary.password_file, standby.password_file)


def _wait_until_accepting(url: str, timeout_s: float = 60.0) -> None:
    """Wait until the standby accepts read-only connections (it has reached consistency)."""
    eng = sa.create_engine(url, connect_args={"connect_timeout": 5})
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                with eng.connect() as c:
                    c.execute(sa.text("SELECT 1"))
                return
            except sa.exc.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise ProvisioningError(
                        f"the standby did not accept connections: {exc.orig}"
                    ) from exc
                time.sleep(0.3)
    finally:
        eng.dispose()


def replica_down(
    settings: DatabaseSettings, *, remove: bool = False, log: Callable[[str], None] = print
) -> bool:
    """Stop the standby; with ``remove`` also drop its slot on the primary (which then keeps
    no WAL for it) and delete its data folder. Returns False when it was not running."""
    standby = local_standby(settings)
    stopped = standby.down(log=log)
    if remove:
        primary = provision.local_cluster(settings)
        if primary.running():
            admin = _admin(primary.url())
            try:
                with admin.connect() as c:
                    c.execute(
                        sa.text(
                            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                            "WHERE slot_name = :s AND NOT active"
                        ),
                        {"s": SLOT},
                    )
            finally:
                admin.dispose()
        shutil.rmtree(standby.data_dir, ignore_errors=True)
        standby.password_file.unlink(missing_ok=True)
        log(f"standby removed ({standby.data_dir}; slot {SLOT} dropped)")
    return stopped


@dataclass(frozen=True)
class ReplicaStatus:
    """What ``gis-app db replica status`` prints."""

    running: bool
    url: str
    detail: str


def replica_status(settings: DatabaseSettings) -> ReplicaStatus:
    """Whether the standby runs, and how far behind the primary it is (from the primary's
    ``pg_stat_replication`` and its slot)."""
    standby = local_standby(settings)
    if not standby.initialized:
        return ReplicaStatus(False, "", f"no standby yet in {standby.data_dir}")
    running = standby.running()
    detail = f"data {standby.data_dir}, port {standby.port}, " + (
        "running" if running else "stopped"
    )
    primary = provision.local_cluster(settings)
    if primary.running():
        admin = _admin(primary.url())
        try:
            with admin.connect() as c:
                row = c.execute(
                    sa.text(
                        "SELECT s.active, pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn), "
                        "r.state, pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn), "
                        "extract(epoch FROM r.replay_lag) "
                        "FROM pg_replication_slots s LEFT JOIN pg_stat_replication r "
                        "ON r.pid = s.active_pid WHERE s.slot_name = :s"
                    ),
                    {"s": SLOT},
                ).first()
        finally:
            admin.dispose()
        if row is None:
            detail += f"; no slot {SLOT} on the primary (make the standby again)"
        else:
            active, kept, state, behind, lag_s = row
            detail += (
                f"; slot {SLOT} {'streaming' if active else 'idle'}, WAL kept {int(kept or 0)} B"
            )
            if state is not None:
                detail += (
                    f"; {state}, {int(behind or 0)} B behind, replay lag {float(lag_s or 0):.3f} s"
                )
    return ReplicaStatus(running, standby.url(), detail)
