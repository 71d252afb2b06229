"""Point-in-time recovery of the private cluster: base backups plus the WAL archive.

With ``GIS_APP_WAL_ARCHIVE_DIR`` set, the private cluster copies every finished WAL segment
into that folder. A base backup (``pg_basebackup``) is a copy of the whole cluster; replaying
the archived WAL on top of it brings it to any moment after the backup was taken. A restore
never touches the running cluster: it builds a new one in another folder, on another port,
stops the replay at the moment asked for and opens it for writing, so that the office can look
at it, dump what it needs, or point the app at it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gis_app.db import provision
from gis_app.domain.errors import InvalidInput, ProvisioningError
from gis_app.settings import DatabaseSettings


def _archiving(url: str) -> bool:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return c.execute(sa.text("SHOW archive_mode")).scalar_one() == "on"
    finally:
        eng.dispose()


def default_base_dir(settings: DatabaseSettings) -> Path:
    """``<backup_dir>/base-<UTC time>``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.backup_dir / f"base-{stamp}"


def base_backup(settings: DatabaseSettings, dest: Path) -> Path:
    """Copy the running private cluster into ``dest`` (with the WAL that makes the copy
    consistent). Refused unless the cluster archives its WAL: a base backup alone can only
    restore the moment it was taken."""
    if settings.database_url:
        raise InvalidInput(
            "base backups are made of the private cluster; for an external server use "
            "gis-app db backup (a dump) or the server's own backup tooling"
        )
    if settings.wal_archive_dir is None:
        raise InvalidInput(
            "set GIS_APP_WAL_ARCHIVE_DIR and restart the cluster (gis-app db down; gis-app db "
            "up) before taking base backups"
        )
    cluster = provision.running_local_cluster(settings)
    if not _archiving(cluster.url()):
        raise InvalidInput(
            "the cluster does not archive its WAL yet: restart it (gis-app db down; gis-app "
            "db up) so that GIS_APP_WAL_ARCHIVE_DIR takes effect"
        )
    dest = Path(dest).resolve()
    if dest.exists():
        raise InvalidInput(f"{dest} exists already; choose another folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    bindir = provision.find_bindir()
    if bindir is None:
        raise ProvisioningError(provision.INSTALL_HINT)
    url = make_url(cluster.url())
    res = subprocess.run(
        [
            str(bindir / "pg_basebackup"),
            "--pgdata",
            str(partial),
            "--wal-method=stream",
            "--checkpoint=fast",
            "--dbname",
            f"host={url.host} port={url.port} user={url.username}",
        ],
        capture_output=True,
        text=True,
        env=os.environ | {"PGPASSWORD": url.password or ""},
    )
    if res.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise ProvisioningError(f"pg_basebackup failed: {res.stderr.strip()[-500:]}")
    shutil.copy2(cluster.password_file, partial / "gis_app.password")
    partial.rename(dest)
    return dest


@dataclass(frozen=True)
class RecoveredCluster:
    """A cluster rebuilt from a base backup and the WAL archive."""

    data_dir: Path
    port: int
    until: dt.datetime
    url: str

    def summary(self) -> str:
        """What to do with it, for the command line."""
        return (
            f"restored the cluster as it was at {self.until.isoformat()} into {self.data_dir} "
            f"(running on port {self.port}); look at it with GIS_APP_PG_DATA_DIR="
            f"{self.data_dir} GIS_APP_PG_PORT={self.port} gis-app …, or dump it with "
            "gis-app db backup under the same settings"
        )


def restore_to(
    base: Path,
    until: dt.datetime,
    archive_dir: Path,
    data_dir: Path,
    port: int,
    *,
    database: str = "gis_app",
    timeout_s: float = 300.0,
) -> RecoveredCluster:
    """Build a new cluster in ``data_dir`` from the base backup ``base``, replay the WAL of
    ``archive_dir`` up to ``until`` (a time with its zone), open it and start it on ``port``."""
    base, data_dir, archive_dir = Path(base), Path(data_dir).resolve(), Path(archive_dir)
    if until.tzinfo is None:
        raise InvalidInput(f"--until {until.isoformat()} needs a time zone, e.g. +08:00")
    if not (base / "PG_VERSION").exists() or not (base / "gis_app.password").exists():
        raise InvalidInput(f"{base} is not a base backup made by gis-app db backup --base")
    if not archive_dir.is_dir():
        raise InvalidInput(f"WAL archive {archive_dir} does not exist")
    if data_dir.exists() and any(data_dir.iterdir()):
        raise InvalidInput(f"{data_dir} is not empty; restore into a new folder")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(base, data_dir, dirs_exist_ok=True)
    cluster = provision.LocalCluster(data_dir, port, database)
    (data_dir / "gis_app.password").rename(cluster.password_file)
    for stale in ("postmaster.pid", "postmaster.opts", "server.log"):
        (data_dir / stale).unlink(missing_ok=True)
    with (data_dir / "postgresql.auto.conf").open("a") as fh:
        fh.write(
            "\n# point-in-time recovery (gis_app.db.pitr)\n"
            f"port = {port}\n"
            f"unix_socket_directories = '{data_dir}'\n"
            "archive_mode = off\n"
            f"restore_command = 'cp \"{archive_dir.resolve()}/%f\" %p'\n"
            f"recovery_target_time = '{until.isoformat()}'\n"
            "recovery_target_action = 'promote'\n"
        )
    (data_dir / "recovery.signal").touch()
    cluster.take_ownership()
    bindir = provision.find_bindir()
    if bindir is None:
        raise ProvisioningError(provision.INSTALL_HINT)
    cluster.start(bindir, log=lambda m: None)
    _wait_until_open(cluster.url(), timeout_s)
    return RecoveredCluster(data_dir, port, until, cluster.url())


def _wait_until_open(url: str, timeout_s: float) -> None:
    """Wait for the replay to end and the cluster to accept writes."""
    eng = sa.create_engine(url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                with eng.connect() as c:
                    if not c.execute(sa.text("SELECT pg_is_in_recovery()")).scalar_one():
                        return
            except sa.exc.OperationalError:
                pass
            if time.monotonic() > deadline:
                raise ProvisioningError(f"the restored cluster was not open after {timeout_s} s")
            time.sleep(0.5)
    finally:
        eng.dispose()
