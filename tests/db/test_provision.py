"""The private cluster: up is idempotent, down/up cycles, a stale pid file after a crash."""

from __future__ import annotations

import os
import signal
import socket
import stat
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from gis_app.db import migrate, provision
from gis_app.domain.errors import ProvisioningError
from gis_app.settings import DatabaseSettings, Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ask(url: str, sql: str):
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return c.execute(sa.text(sql)).scalar_one()
    finally:
        eng.dispose()


def _select_one(url: str) -> int:
    return _ask(url, "SELECT 1")


def _preloaded(url: str) -> str:
    return _ask(url, "SHOW shared_preload_libraries")


@pytest.mark.slow
def test_up_twice_down_up_and_stale_pid(scratch_dir: Path) -> None:
    # a checkout in a private folder, as `mktemp -d` makes one (mode 700)
    private = scratch_dir / "checkout"
    private.mkdir(mode=0o700)
    settings = DatabaseSettings(
        pg_data_dir=private / "var" / "pg", pg_port=_free_port(), database_url=None
    )
    cluster = provision.local_cluster(settings)
    try:
        first = provision.db_up(settings, log=lambda m: None)
        assert first.running and first.detail.startswith("started")
        if os.geteuid() == 0:  # the server runs as postgres: it may pass, not read
            assert stat.S_IMODE(private.stat().st_mode) == 0o701
        assert _select_one(first.url) == 1
        second = provision.db_up(settings, log=lambda m: None)
        assert second.detail.startswith("already running")
        assert second.url == first.url

        # PostGIS is loaded by the postmaster, so parallel workers do not load it each time
        assert _preloaded(first.url) == "postgis-3"

        assert provision.db_down(settings, log=lambda m: None) is True
        assert provision.db_status(settings).running is False
        assert provision.db_down(settings, log=lambda m: None) is False

        # a cluster made before the preload setting existed gets it at its next start
        conf = cluster.data_dir / "postgresql.auto.conf"
        conf.write_text(
            "".join(
                line + "\n"
                for line in conf.read_text().splitlines()
                if not line.startswith("shared_preload_libraries")
            )
        )
        said: list[str] = []
        again = provision.db_up(settings, log=said.append)
        assert again.detail.startswith("started")
        assert _select_one(again.url) == 1
        assert _preloaded(again.url) == "postgis-3"
        assert "server settings added: shared_preload_libraries" in said
        assert conf.read_text().count("shared_preload_libraries") == 1

        # GIS_APP_PG_PORT changed after the cluster was made: the server moves to the new port
        provision.db_down(settings, log=lambda m: None)
        settings = settings.model_copy(update={"pg_port": _free_port()})
        cluster = provision.local_cluster(settings)
        said.clear()
        moved = provision.db_up(settings, log=said.append)
        assert f":{settings.pg_port}/" in moved.url and _select_one(moved.url) == 1
        assert "server settings added: port" in said
        assert _ask(moved.url, "SHOW port") == str(settings.pg_port)
        # ... but not while it runs: asked for yet another port, up names both and how to move
        elsewhere = settings.model_copy(update={"pg_port": _free_port()})
        with pytest.raises(
            ProvisioningError,
            match=f"runs on port {settings.pg_port}, not {elsewhere.pg_port} .*gis-app db down",
        ):
            provision.db_up(elsewhere, log=lambda m: None)
        assert f"port {settings.pg_port}," in provision.db_status(elsewhere).detail
        assert _select_one(moved.url) == 1  # still serving where it was

        # crash: kill the postmaster hard, then leave a pid file naming a live non-postgres pid
        pid = int((cluster.data_dir / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)
        pidfile = cluster.data_dir / "postmaster.pid"
        lines = pidfile.read_text().splitlines()
        lines[0] = str(os.getpid())  # a live process that is not postgres
        pidfile.write_text("\n".join(lines) + "\n")
        assert provision.db_status(settings).running is False
        recovered = provision.db_up(settings, log=lambda m: None)
        assert recovered.detail.startswith("started")
        assert _select_one(recovered.url) == 1
    finally:
        cluster.down(log=lambda m: None)


@pytest.mark.slow
def test_readyz_fails_when_database_down(scratch_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    # the private cluster's own runtime login (made by the app), not the test run's
    db = DatabaseSettings(
        pg_data_dir=scratch_dir / "pg", pg_port=_free_port(), database_url=None, runtime_user=None
    )
    cluster = provision.local_cluster(db)
    try:
        provision.db_up(db, log=lambda m: None)
        migrate.upgrade(cluster.url())
        with TestClient(create_app(Settings(db=db))) as client:
            assert client.get("/readyz").status_code == 200
            assert client.app.state.engine.url.username == provision.RUNTIME_LOGIN
            cluster.down(log=lambda m: None)
            r = client.get("/readyz")
            assert r.status_code == 503
            assert r.json()["status"] == "unavailable"
            assert client.get("/healthz").status_code == 200
    finally:
        cluster.down(log=lambda m: None)


def test_readyz_reports_unmigrated_database(make_db) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    url = make_db("none")
    provision.ensure_postgis(url)
    with TestClient(create_app(Settings(db=DatabaseSettings(database_url=url)))) as client:
        r = client.get("/readyz")
    assert r.status_code == 503
    assert "gis-app db migrate" in r.json()["detail"]


def test_external_url_without_server_gives_clear_error() -> None:
    url = f"postgresql+psycopg2://nobody:pw@127.0.0.1:{_free_port()}/nowhere"
    with pytest.raises(ProvisioningError, match="cannot connect to"):
        provision.db_up(DatabaseSettings(database_url=url))
    with pytest.raises(ProvisioningError, match="external server"):
        provision.db_down(DatabaseSettings(database_url=url))


def test_external_url_with_postgis_is_used(server_url: str) -> None:
    st = provision.db_up(DatabaseSettings(database_url=server_url))
    assert st.mode == "external" and "PostGIS 3" in st.detail
    assert "shared_preload_libraries" not in st.detail  # the project's server preloads it


def test_external_server_without_the_preload_is_advised(server_url: str, monkeypatch) -> None:
    real = sa.create_engine

    def engine_reporting_no_preload(url, **kw):
        eng = real(url, **kw)

        @sa.event.listens_for(eng, "before_cursor_execute", retval=True)
        def _ask_other(conn, cursor, statement, params, context, executemany):
            if statement == "SHOW shared_preload_libraries":
                return "SELECT ''::text", params
            return statement, params

        return eng

    monkeypatch.setattr(provision.sa, "create_engine", engine_reporting_no_preload)
    st = provision.db_up(DatabaseSettings(database_url=server_url))
    assert st.running
    assert "add postgis-3 to the server's shared_preload_libraries" in st.detail


def test_missing_packages_message_names_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(provision, "find_bindir", lambda: None)
    monkeypatch.setattr(provision.shutil, "which", lambda name: None)
    with pytest.raises(ProvisioningError) as e:
        provision.ensure_packages()
    assert "postgresql-15-postgis-3" in str(e.value)
