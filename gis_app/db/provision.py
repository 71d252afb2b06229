"""Provision PostgreSQL 15 + PostGIS: the project's private cluster, or a server given by URL.

The private cluster lives in a git-ignored data folder of the project, listens on 127.0.0.1 on
a port of its own and keeps its socket in the data folder, so it never collides with a system
PostgreSQL. PostgreSQL refuses to run as root, so when we are root every server command runs as
the ``postgres`` system user.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gis_app.domain.errors import ProvisioningError
from gis_app.settings import DatabaseSettings

PG_MAJOR = 15
DEBIAN_PACKAGES = ("postgresql", f"postgresql-{PG_MAJOR}-postgis-3")
SUPERUSER = "gis_app"
#: the private cluster's runtime login: the web app serves requests as it (not the owner)
RUNTIME_LOGIN = "gis_app_runtime"
INSTALL_HINT = (
    f"PostgreSQL {PG_MAJOR} with PostGIS 3 is required. On Debian/Ubuntu: "
    f"sudo apt-get update && sudo apt-get install -y postgresql postgresql-{PG_MAJOR}-postgis-3. "
    f"Elsewhere install PostgreSQL {PG_MAJOR} server binaries (initdb, pg_ctl, postgres) and "
    "the PostGIS 3 extension for it, or set GIS_APP_DATABASE_URL to a server that has PostGIS."
)


def _is_root() -> bool:
    return os.geteuid() == 0


def find_bindir() -> Path | None:
    """Return the PostgreSQL 15 server bin folder, or ``None`` when it is not installed."""
    candidates = [Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    return None


def _pg_config(bindir: Path, option: str, default: Path) -> Path:
    """A folder ``pg_config`` names (``--sharedir``, ``--pkglibdir``), else ``default``."""
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        out = subprocess.run([str(pg_config), option], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return default


def _sharedir(bindir: Path) -> Path:
    return _pg_config(bindir, "--sharedir", Path(f"/usr/share/postgresql/{PG_MAJOR}"))


def _pkglibdir(bindir: Path) -> Path:
    return _pg_config(bindir, "--pkglibdir", bindir.parent / "lib")


def preload_libraries(bindir: Path) -> tuple[str, ...]:
    """The libraries the private cluster loads at server start: PostGIS, when installed.

    A parallel worker loads every library its leader has loaded; every app session has used
    PostGIS, so without the preload each worker of a match first loaded PostGIS and its
    dependencies: a worker started in 15–26 ms, with the preload in 7–10 ms
    (``bench/worker_start.py``).
    """
    return ("postgis-3",) if (_pkglibdir(bindir) / "postgis-3.so").exists() else ()


def server_settings(bindir: Path, *, preload: bool = True) -> dict[str, str]:
    """The private cluster's settings (written to its ``postgresql.auto.conf``); ``preload``:
    with :func:`preload_libraries`."""
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "max_connections": "100",
        "shared_buffers": "'256MB'",
        "work_mem": "'32MB'",
        "maintenance_work_mem": "'256MB'",
    }
    if preload and (libraries := preload_libraries(bindir)):
        settings["shared_preload_libraries"] = f"'{','.join(libraries)}'"
    return settings


def archive_settings(archive_dir: Path) -> dict[str, str]:
    """Settings that copy every finished WAL segment into ``archive_dir`` (and never
    overwrite one there), at least every five minutes."""
    return {
        "archive_mode": "on",
        "archive_command": f'\'test ! -f "{archive_dir}/%f" && cp %p "{archive_dir}/%f"\'',
        "archive_timeout": "300",
    }


def postgis_installed(bindir: Path) -> bool:
    """True when the PostGIS extension files exist for the server in ``bindir``."""
    return (_sharedir(bindir) / "extension" / "postgis.control").exists()


def ensure_packages(*, install: bool = True, log=print) -> Path:
    """Make sure the PostgreSQL 15 + PostGIS 3 binaries exist; install them with apt if allowed.

    Returns the server bin folder. Raises :class:`ProvisioningError` with exact instructions
    when they are missing and cannot be installed here (no apt, or not root and no sudo).
    """
    bindir = find_bindir()
    if bindir is not None and postgis_installed(bindir):
        return bindir
    apt = shutil.which("apt-get")
    if not install or apt is None:
        raise ProvisioningError(INSTALL_HINT)
    prefix: list[str] = []
    if not _is_root():
        sudo = shutil.which("sudo")
        if sudo is None:
            raise ProvisioningError(INSTALL_HINT)
        prefix = [sudo, "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log(f"installing Debian packages: {' '.join(DEBIAN_PACKAGES)}")
    cmd = [*prefix, apt, "install", "-y", "-q", *DEBIAN_PACKAGES]
    if subprocess.run(cmd, env=env).returncode != 0:
        subprocess.run([*prefix, apt, "update", "-q"], env=env, check=False)
        if subprocess.run(cmd, env=env).returncode != 0:
            raise ProvisioningError("apt-get install failed. " + INSTALL_HINT)
    bindir = find_bindir()
    if bindir is None or not postgis_installed(bindir):
        raise ProvisioningError("packages installed but binaries not found. " + INSTALL_HINT)
    return bindir


@dataclass
class ClusterStatus:
    """What ``gis-app db status`` reports."""

    mode: str  # "local" or "external"
    running: bool
    url: str
    detail: str


class LocalCluster:
    """The project's private PostgreSQL cluster in a data folder."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        database: str = "gis_app",
        *,
        preload: bool = True,
        wal_archive_dir: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.database = database
        #: where the server copies each finished WAL segment (point-in-time recovery)
        self.wal_archive_dir = Path(wal_archive_dir).resolve() if wal_archive_dir else None
        #: whether the server preloads PostGIS (a benchmark compares it without)
        self.preload = preload
        self.password_file = self.data_dir.with_name(self.data_dir.name + ".password")
        #: the runtime login's password (made with the login, :func:`runtime_url`)
        self.runtime_password_file = self.data_dir.with_name(
            self.data_dir.name + ".runtime.password"
        )
        self.log_file = self.data_dir / "server.log"

    # -- helpers ---------------------------------------------------------------------------
    def _run(
        self, bindir: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        cmd = [str(bindir / args[0]), *args[1:]]
        if _is_root():
            cmd = (
                ["runuser", "-u", "postgres", "--", *cmd]
                if shutil.which("runuser")
                else ["su", "-s", "/bin/sh", "postgres", "-c", " ".join(cmd)]
            )
        res = subprocess.run(
            cmd, capture_output=True, text=True, cwd="/", env={**os.environ, **(env or {})}
        )
        if check and res.returncode != 0:
            raise ProvisioningError(
                f"{args[0]} failed ({res.returncode}): {res.stderr.strip() or res.stdout.strip()}"
            )
        return res

    @property
    def initialized(self) -> bool:
        """True when initdb has run in the data folder."""
        return (self.data_dir / "PG_VERSION").exists() and self.password_file.exists()

    def url(self) -> str:
        """SQLAlchemy URL of the cluster's database (needs an initialized cluster)."""
        if not self.password_file.exists():
            raise ProvisioningError(f"no local cluster in {self.data_dir}; run `gis-app db up`")
        pw = self.password_file.read_text().strip()
        return f"postgresql+psycopg2://{SUPERUSER}:{pw}@127.0.0.1:{self.port}/{self.database}"

    def _log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def _pid(self) -> int | None:
        return self._pid_file_line(0)

    def _pid_file_line(self, index: int) -> int | None:
        # postmaster.pid: the pid on line 1, the port on line 4
        pidfile = self.data_dir / "postmaster.pid"
        try:
            return int(pidfile.read_text().splitlines()[index])
        except (FileNotFoundError, PermissionError, IndexError, ValueError):
            return None

    def running_port(self) -> int | None:
        """The port the running server listens on (None when it is not running)."""
        return self._pid_file_line(3) if self.running() else None

    def running(self) -> bool:
        """True when a postgres process owns this data folder's pid file."""
        pid = self._pid()
        if pid is None:
            return False
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            return False
        # a crashed server may leave a pid that now belongs to an unrelated process
        return (
            bool(cmdline)
            and b"postgres" in cmdline[0]
            and str(self.data_dir).encode() in b" ".join(cmdline)
        )

    def _let_postgres_reach(self, log) -> None:
        """As root, let the ``postgres`` user traverse the folders above the data folder.

        A checkout in a private folder (``mktemp -d`` makes one with mode 700) would otherwise
        keep the server out of its own data; only the search bit (``o+x``) is added, never read.
        """
        if not _is_root():
            return
        for folder in (*self.data_dir.parent.parents[::-1], self.data_dir.parent):
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                log(f"letting the postgres user pass through {folder} (o+x)")
                folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)

    # -- lifecycle -------------------------------------------------------------------------
    def _initdb(self, bindir: Path, log) -> None:
        log(f"creating PostgreSQL cluster in {self.data_dir}")
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._let_postgres_reach(log)
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise ProvisioningError(
                f"{self.data_dir} is not empty but holds no complete cluster; remove it and retry"
            )
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        password = secrets.token_urlsafe(24)
        pwtmp = self.data_dir.parent / f".pw-{secrets.token_hex(4)}"
        pwtmp.write_text(password + "\n")
        try:
            if _is_root():
                shutil.chown(self.data_dir, "postgres", "postgres")
                shutil.chown(pwtmp, "postgres", "postgres")
            self._run(
                bindir,
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--pwfile",
                str(pwtmp),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )
        finally:
            pwtmp.unlink(missing_ok=True)
        self._ensure_settings(bindir)
        self.password_file.write_text(password + "\n")
        self.password_file.chmod(0o600)

    def _ensure_settings(self, bindir: Path) -> list[str]:
        """Append the settings this cluster lacks to its ``postgresql.auto.conf`` and name them
        (a cluster made by an earlier version gets the ones added since at its next start), and
        the port and socket folder again when the settings now name others (the last line of a
        setting is the one PostgreSQL takes): ``GIS_APP_PG_PORT`` changed after the cluster was
        made must move the server, not leave it on the old port while the app asks the new."""
        conf = self.data_dir / "postgresql.auto.conf"
        place = {"port": str(self.port), "unix_socket_directories": f"'{self.data_dir}'"}
        wanted = server_settings(bindir, preload=self.preload) | place
        if self.wal_archive_dir is not None:
            wanted |= archive_settings(self.wal_archive_dir)
        present: dict[str, str] = {}
        for line in conf.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                present[key.strip()] = value.strip()
        missing = {
            k: v for k, v in wanted.items() if k not in present or (k in place and present[k] != v)
        }
        if missing:
            with conf.open("a") as fh:
                fh.write("".join(f"\n{k} = {v}" for k, v in missing.items()) + "\n")
            if _is_root():
                shutil.chown(conf, "postgres", "postgres")
        return list(missing)

    def up(self, *, log=print) -> bool:
        """Create (first time) and start the cluster, then create the database with PostGIS.

        Idempotent: returns False when the server was already running.
        """
        bindir = ensure_packages(log=log)
        if not self.initialized and (self.data_dir / "PG_VERSION").exists():
            raise ProvisioningError(
                f"{self.data_dir} holds a cluster but {self.password_file} is missing"
            )
        if not self.initialized:
            self._initdb(bindir, log)
        if self.wal_archive_dir is not None:
            self._make_archive_dir()
        started = self.start(bindir, log=log)
        self._ensure_database()
        return started

    def start(self, bindir: Path, *, log=print) -> bool:
        """Start the server of an existing data folder; False when it was already running.

        A server running on another port than the settings name (``GIS_APP_PG_PORT`` changed
        while it ran) is not moved under the feet of whoever uses it: that is an error naming
        both ports and how to move it."""
        if self.running():
            port = self.running_port()
            if port is not None and port != self.port:
                raise ProvisioningError(
                    f"the private cluster in {self.data_dir} runs on port {port}, not"
                    f" {self.port} (GIS_APP_PG_PORT): stop it with `gis-app db down`, then"
                    f" `gis-app db up` starts it on port {self.port}"
                )
            return False
        self._let_postgres_reach(log)
        if added := self._ensure_settings(bindir):
            log(f"server settings added: {', '.join(added)}")
        stale = self.data_dir / "postmaster.pid"
        if stale.exists():
            log(f"removing stale pid file {stale}")
            stale.unlink()
        log(f"starting PostgreSQL on 127.0.0.1:{self.port}")
        res = self._run(
            bindir,
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if res.returncode != 0:
            raise ProvisioningError(
                f"PostgreSQL did not start on port {self.port} (is the port taken? set "
                f"GIS_APP_PG_PORT): {self._log_tail()}"
            )
        return True

    def take_ownership(self) -> None:
        """Give a data folder copied by another user to the server's user (mode 700)."""
        self.data_dir.chmod(0o700)
        if _is_root():
            for path in (self.data_dir, *self.data_dir.rglob("*")):
                shutil.chown(path, "postgres", "postgres")

    def _make_archive_dir(self) -> None:
        self.wal_archive_dir.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
        self.wal_archive_dir.chmod(0o700)  # type: ignore[union-attr]
        if _is_root():
            shutil.chown(self.wal_archive_dir, "postgres", "postgres")  # type: ignore[arg-type]

    def _ensure_database(self) -> None:
        admin = make_url(self.url()).set(database="postgres")
        eng = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            with eng.connect() as c:
                exists = c.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": self.database}
                ).scalar()
                if not exists:
                    c.execute(sa.text(f'CREATE DATABASE "{self.database}"'))
        finally:
            eng.dispose()
        ensure_postgis(self.url())

    def down(self, *, log=print) -> bool:
        """Stop the cluster; returns False when it was not running."""
        if not self.running():
            return False
        bindir = find_bindir()
        if bindir is None:
            raise ProvisioningError(INSTALL_HINT)
        log("stopping PostgreSQL")
        self._run(bindir, "pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        return True

    def status(self) -> ClusterStatus:
        """Report whether the cluster runs and how to reach it."""
        if not self.initialized:
            return ClusterStatus("local", False, "", f"no cluster yet in {self.data_dir}")
        running = self.running()
        port = (self.running_port() if running else None) or self.port
        detail = f"data {self.data_dir}, port {port}, " + (
            f"pid {self._pid()}" if running else "stopped"
        )
        return ClusterStatus("local", running, self.url(), detail)


def ensure_postgis(url: str) -> str:
    """Check the server at ``url`` and create the PostGIS extension if missing.

    Returns the PostGIS version. Raises :class:`ProvisioningError` naming the problem.
    """
    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10})
    try:
        with eng.connect() as c:
            avail = c.execute(
                sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            ).scalar()
            if not avail:
                where = make_url(url).render_as_string(hide_password=True)
                raise ProvisioningError(
                    f"the server of {where} has no PostGIS extension available. {INSTALL_HINT}"
                )
            try:
                c.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            except sa.exc.ProgrammingError as e:
                raise ProvisioningError(
                    "PostGIS is available but not created in this database and the user may not "
                    f"create it ({e.orig}). Ask the DBA to run: CREATE EXTENSION postgis;"
                ) from e
            return str(c.execute(sa.text("SELECT postgis_lib_version()")).scalar())
    except sa.exc.OperationalError as e:
        raise ProvisioningError(
            f"cannot connect to {make_url(url).render_as_string(hide_password=True)}: "
            f"{str(e.orig).strip()}"
        ) from e
    finally:
        eng.dispose()


def preload_advice(url: str) -> str:
    """Advice for a server that does not preload PostGIS (empty when it does, or when its
    setting cannot be read): see :func:`preload_libraries`."""
    eng = sa.create_engine(url, connect_args={"connect_timeout": 10})
    try:
        with eng.connect() as c:
            loaded = str(c.execute(sa.text("SHOW shared_preload_libraries")).scalar())
    except sa.exc.SQLAlchemyError:
        return ""
    finally:
        eng.dispose()
    if "postgis" in loaded:
        return ""
    return (
        "advice: add postgis-3 to the server's shared_preload_libraries (and restart it): "
        "each parallel worker of a match on a large inventory then starts 9–17 ms sooner"
    )


def wait_for(url: str, timeout_s: float = 30.0) -> None:
    """Wait until the server at ``url`` accepts connections."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            ensure_postgis(url)
            return
        except ProvisioningError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def local_cluster(settings: DatabaseSettings) -> LocalCluster:
    """The private cluster described by ``settings``."""
    return LocalCluster(
        settings.pg_data_dir,
        settings.pg_port,
        settings.pg_database,
        wal_archive_dir=settings.wal_archive_dir,
    )


def running_local_cluster(settings: DatabaseSettings) -> LocalCluster:
    """The private cluster; :class:`ProvisioningError` when it is not running."""
    cluster = local_cluster(settings)
    if not cluster.running():
        raise ProvisioningError("the private cluster is not running (gis-app db up)")
    return cluster


def database_url(settings: DatabaseSettings) -> str:
    """The URL the app uses: the external one if set, else the private cluster's."""
    if settings.database_url:
        return settings.database_url
    return local_cluster(settings).url()


def runtime_url(settings: DatabaseSettings, *, log=print) -> str:
    """The URL the web app serves requests with: the runtime login on the database of
    :func:`database_url` (``DatabaseSettings.runtime_user``).

    With the private cluster and no runtime user configured, the login ``gis_app_runtime`` is
    made (or its password set) by the owner, its password kept beside the cluster's. With an
    external server and none configured, the owner's URL, which row-level security does not
    restrict: said in the log.
    """
    from gis_app.db import db_logins

    owner = database_url(settings)
    if settings.runtime_user:
        return (
            make_url(owner)
            .set(username=settings.runtime_user, password=settings.runtime_password)
            .render_as_string(hide_password=False)
        )
    if settings.database_url:
        log(
            "GIS_APP_RUNTIME_USER is not set: the app serves as the tables' owner, "
            "which row-level security does not restrict (see README, Configuration)"
        )
        return owner
    pw_file = local_cluster(settings).runtime_password_file
    known = pw_file.exists()
    if not known:
        # written whole under another name, then linked: server processes starting together
        # all end up with the first one's password
        tmp = pw_file.with_name(f"{pw_file.name}.{os.getpid()}")
        tmp.write_text(secrets.token_urlsafe(24) + "\n")
        tmp.chmod(0o600)
        try:
            os.link(tmp, pw_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    password = pw_file.read_text().strip()
    engine = sa.create_engine(owner, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            # one process at a time changes the roles (concurrent changes of a role fail)
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('gis_app runtime login'))"))
            db_logins.ensure_runtime_login(conn, RUNTIME_LOGIN, password)
    except (ProvisioningError, sa.exc.OperationalError) as exc:
        if not known or isinstance(exc, ProvisioningError):
            # not migrated yet (/readyz says so), or down before the login was ever made
            log(f"the app serves as the owner until restarted after `gis-app db migrate`: {exc}")
            return owner
        # the server is down: the login made before serves once it is back
    finally:
        engine.dispose()
    return (
        make_url(owner)
        .set(username=RUNTIME_LOGIN, password=password)
        .render_as_string(hide_password=False)
    )


def db_up(settings: DatabaseSettings, *, log=print) -> ClusterStatus:
    """``gis-app db up``: start the private cluster or check the external server."""
    if settings.database_url:
        version = ensure_postgis(settings.database_url)
        safe = make_url(settings.database_url).render_as_string(hide_password=True)
        detail = f"external server {safe}, PostGIS {version}"
        if advice := preload_advice(settings.database_url):
            detail += f"; {advice}"
        return ClusterStatus("external", True, settings.database_url, detail)
    cluster = local_cluster(settings)
    started = cluster.up(log=log)
    st = cluster.status()
    st.detail = ("started; " if started else "already running; ") + st.detail
    return st


def db_down(settings: DatabaseSettings, *, log=print) -> bool:
    """``gis-app db down``: stop the private cluster (an external server is never stopped)."""
    if settings.database_url:
        raise ProvisioningError(
            "GIS_APP_DATABASE_URL points to an external server, which gis-app does not manage"
        )
    return local_cluster(settings).down(log=log)


def db_status(settings: DatabaseSettings) -> ClusterStatus:
    """``gis-app db status``."""
    if settings.database_url:
        try:
            version = ensure_postgis(settings.database_url)
            return ClusterStatus("external", True, settings.database_url, f"PostGIS {version}")
        except ProvisioningError as e:
            return ClusterStatus("external", False, settings.database_url, str(e))
    return local_cluster(settings).status()
