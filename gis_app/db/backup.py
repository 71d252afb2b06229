"""Backups of the app database (``pg_dump`` custom format) and their restore.

A backup is one file an office can copy to another machine: the whole database — inventory,
history, requirements, accounts — without the cluster's roles. A restore never overwrites a
database half-way: it restores into a new database next to the target, and only when every
object and row is in does it replace the target (``--replace``) or take its name. Personal
QGIS logins are roles of a cluster, not of a database: on another server run
``gis-app user db-login NAME`` again; the group roles they join are re-created here.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gis_app.db import db_logins, provision
from gis_app.domain.errors import InvalidInput, ProvisioningError


@dataclass(frozen=True)
class BackupFile:
    """A written backup: where, how big, and how many tables it holds."""

    path: Path
    bytes: int
    tables: int

    def summary(self) -> str:
        """One line for the command line."""
        return f"backup written: {self.path} ({self.bytes / 1e6:.1f} MB, {self.tables} tables)"


def _tool(name: str) -> str:
    bindir = provision.find_bindir()
    if bindir is None or not (bindir / name).exists():
        raise ProvisioningError(f"{name} not found: install the PostgreSQL 15 client programs")
    return str(bindir / name)


def _libpq_env(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it
    (a password on a command line is visible to every user of the machine)."""
    u = make_url(url)
    env = os.environ | {"PGPASSWORD": u.password or ""}
    conninfo = db_logins.libpq_url(u.set(password=None).render_as_string(hide_password=False))
    return conninfo, env


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    res = subprocess.run(args, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        lines = (res.stderr or res.stdout).strip().splitlines()
        # the tool's own error lines say what went wrong; the SQL it echoes after them does not
        errors = [ln.strip() for ln in lines if "error" in ln.lower() or "hint" in ln.lower()]
        raise ProvisioningError(f"{what} failed: " + " | ".join((errors or lines[-5:])[:4]))
    return res.stdout


def default_path(folder: Path, database: str) -> Path:
    """``<folder>/<database>-<UTC time>.dump``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"{database}-{stamp}.dump"


def _tables_in(path: Path, env: dict[str, str]) -> int:
    listing = _run([_tool("pg_restore"), "--list", str(path)], env, f"reading {path}")
    return sum(1 for line in listing.splitlines() if re.search(r"\bTABLE DATA\b", line))


def backup(url: str, path: Path) -> BackupFile:
    """Dump the database at ``url`` into ``path`` (custom format, compressed), then read the
    file back to make sure it is whole. A failed dump leaves no file behind."""
    path = Path(path)
    if path.exists():
        raise InvalidInput(f"backup file {path} exists already; choose another name")
    path.parent.mkdir(parents=True, exist_ok=True)
    conninfo, env = _libpq_env(url)
    partial = path.with_name(path.name + ".partial")
    try:
        _run(
            [_tool("pg_dump"), "--format=custom", "--file", str(partial), conninfo],
            env,
            "pg_dump",
        )
        tables = _tables_in(partial, env)
        partial.chmod(0o600)  # password hashes and internal notes: for the owner only
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupFile(path, path.stat().st_size, tables)


@dataclass(frozen=True)
class Restored:
    """What a restore did."""

    database: str
    tables: int
    replaced: bool

    def summary(self) -> str:
        """One line for the command line."""
        how = "replaced" if self.replaced else "created"
        return f"database {self.database!r} {how} from the backup ({self.tables} tables)"


def _exists(admin: sa.Connection, name: str) -> bool:
    return bool(
        admin.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
    )


def _quote(admin: sa.Connection, name: str) -> str:
    return admin.execute(sa.text("SELECT quote_ident(:n)"), {"n": name}).scalar_one()


def restore(url: str, path: Path, *, replace: bool = False) -> Restored:
    """Restore the backup ``path`` as the database named by ``url``.

    The backup goes into a new database first; the target is replaced (``replace``) or
    created only once the restore has fully succeeded, so a failure leaves it as it was.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"backup file {path} does not exist")
    target = make_url(url).database
    if not target:
        raise InvalidInput("the database URL names no database to restore into")
    _, env = _libpq_env(url)
    tables = _tables_in(path, env)
    staging = f"{target}_restoring"
    admin = sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            if _exists(c, target) and not replace:
                raise InvalidInput(
                    f"database {target!r} exists; restore with --replace to overwrite it, or "
                    "into another database (GIS_APP_PG_DATABASE / the URL's database name)"
                )
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {_quote(c, staging)} WITH (FORCE)"))
            c.execute(sa.text(f"CREATE DATABASE {_quote(c, staging)}"))
        staging_info, _ = _libpq_env(make_url(url).set(database=staging).render_as_string(False))
        try:
            _run(
                [
                    _tool("pg_restore"),
                    "--no-owner",
                    "--no-acl",
                    "--exit-on-error",
                    "--single-transaction",
                    "--dbname",
                    staging_info,
                    str(path),
                ],
                env,
                f"restoring {path}",
            )
        except ProvisioningError:
            with admin.connect() as c:
                c.execute(sa.text(f"DROP DATABASE IF EXISTS {_quote(c, staging)} WITH (FORCE)"))
            raise
        with admin.connect() as c:
            replaced = _exists(c, target)
            if replaced:
                c.execute(sa.text(f"DROP DATABASE {_quote(c, target)} WITH (FORCE)"))
            c.execute(sa.text(f"ALTER DATABASE {_quote(c, staging)} RENAME TO {_quote(c, target)}"))
    finally:
        admin.dispose()
    _regrant(url)
    return Restored(target, tables, replaced)


def _regrant(url: str) -> None:
    """Give the restored database's tables to the group roles of personal logins again (the
    backup carries no grants: its roles may not exist on this server)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            has_logins = conn.execute(
                sa.text("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ANY(:names))"),
                {"names": list(db_logins.group_names(conn).values())},
            ).scalar()
            if has_logins:
                db_logins.ensure_groups(conn)
    finally:
        engine.dispose()
