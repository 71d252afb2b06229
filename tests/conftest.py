"""Test fixtures: a real PostGIS started by the project, a migrated template database, and
per-test databases or rolled-back transactions.

The cluster is the project's private one (``gis-app db up``) unless GIS_APP_DATABASE_URL points
at an external server. Tests never use SQLite or mocks of the database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gis_app.db import db_logins, migrate, provision
from gis_app.db.engine import make_engine
from gis_app.services.inventory import SAMPLE_DIR, load_districts, load_sample
from gis_app.settings import DatabaseSettings, Settings

# Per-run names, so that two test runs on one server (two checkouts) do not clobber each other.
_RUN = f"{os.getpid()}"
TEMPLATE_EMPTY = f"gis_app_test_empty_{_RUN}"
#: the login the apps of this run serve as (conftest ``templates``)
RUNTIME_LOGIN = f"gis_app_test_runtime_{_RUN}"
TEMPLATE_SAMPLE = f"gis_app_test_sample_{_RUN}"
SHARED_SAMPLE = f"gis_app_test_{_RUN}"


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def _with_db(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_roles(c: sa.Connection, *names: str) -> None:
    """Drop the roles ``names`` this run made, where no other database still holds grants
    to them (a role with grants somewhere cannot be dropped; it is then left)."""
    for name in names:
        try:
            c.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
        except sa.exc.DBAPIError:
            c.rollback()


def _recreate(admin: sa.Engine, name: str, template: str | None = None) -> None:
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        tpl = f' TEMPLATE "{template}"' if template else ""
        c.execute(sa.text(f'CREATE DATABASE "{name}"{tpl}'))


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of the PostGIS server the tests use (started by the project if local)."""
    settings = DatabaseSettings()
    st = provision.db_up(settings, log=lambda m: None)
    assert st.running, st.detail
    return st.url


@pytest.fixture(scope="session")
def admin_engine(server_url: str) -> Iterator[sa.Engine]:
    """Autocommit engine on the maintenance database, for creating test databases."""
    eng = sa.create_engine(_admin_url(server_url), isolation_level="AUTOCOMMIT")
    yield eng
    eng.dispose()


def _load_into(url: str, load: Callable[[sa.Connection], object]) -> None:
    """Run a loader of :mod:`gis_app.services.inventory` on the database at ``url``."""
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            load(c)
    finally:
        eng.dispose()


@pytest.fixture(scope="session")
def templates(server_url: str, admin_engine: sa.Engine) -> Iterator[dict[str, str]]:
    """Two template databases: migrated with the districts only (empty); migrated with the
    sample loaded."""
    _recreate(admin_engine, TEMPLATE_EMPTY)
    empty_url = _with_db(server_url, TEMPLATE_EMPTY)
    provision.ensure_postgis(empty_url)
    migrate.upgrade(empty_url, "head")
    # apps serve as a runtime login of this run, as a deployment's do (a member of the
    # template's runtime group, whose grants every copy keeps): set for every app the tests
    # build, in this process and in the servers they start
    password = uuid.uuid4().hex
    eng = sa.create_engine(empty_url, poolclass=sa.pool.NullPool)
    try:
        with eng.begin() as c:
            db_logins.ensure_runtime_login(c, RUNTIME_LOGIN, password)
    finally:
        eng.dispose()
    saved = {k: os.environ.get(k) for k in ("GIS_APP_RUNTIME_USER", "GIS_APP_RUNTIME_PASSWORD")}
    os.environ["GIS_APP_RUNTIME_USER"] = RUNTIME_LOGIN
    os.environ["GIS_APP_RUNTIME_PASSWORD"] = password
    # an empty inventory of a configured deployment: its districts, which users need
    _load_into(empty_url, load_districts)
    _recreate(admin_engine, TEMPLATE_SAMPLE, TEMPLATE_EMPTY)
    sample_url = _with_db(server_url, TEMPLATE_SAMPLE)
    _load_into(sample_url, load_sample)
    yield {"empty": empty_url, "sample": sample_url}
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    with admin_engine.connect() as c:
        for name in (SHARED_SAMPLE, TEMPLATE_SAMPLE, TEMPLATE_EMPTY):
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        _drop_roles(c, RUNTIME_LOGIN, f"{TEMPLATE_EMPTY}_app")


@pytest.fixture
def make_db(server_url: str, admin_engine: sa.Engine, templates: dict[str, str]) -> Iterator:
    """Factory of throw-away databases copied from a template ('empty' or 'sample')."""
    created: list[str] = []

    def _make(template: str = "sample") -> str:
        name = f"gis_app_t_{uuid.uuid4().hex[:10]}"
        tpl = TEMPLATE_SAMPLE if template == "sample" else TEMPLATE_EMPTY
        if template == "none":
            tpl = None
        _recreate(admin_engine, name, tpl)
        created.append(name)
        return _with_db(server_url, name)

    yield _make
    with admin_engine.connect() as c:
        for name in created:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            # the runtime group a migration of this database made (copies keep the template's)
            _drop_roles(c, f"{name}_app")


@pytest.fixture(scope="session")
def sample_url(server_url: str, admin_engine: sa.Engine, templates: dict[str, str]) -> str:
    """A database with the sample loaded, shared by read-only tests (writes roll back)."""
    _recreate(admin_engine, SHARED_SAMPLE, TEMPLATE_SAMPLE)
    return _with_db(server_url, SHARED_SAMPLE)


@pytest.fixture(scope="session")
def engine(sample_url: str) -> Iterator[sa.Engine]:
    """Engine on the shared sample database."""
    eng = make_engine(sample_url, application_name="gis_app tests")
    yield eng
    eng.dispose()


@pytest.fixture
def conn(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection whose transaction is rolled back after the test."""
    with engine.connect() as c:
        tx = c.begin()
        try:
            yield c
        finally:
            tx.rollback()


@pytest.fixture
def settings(sample_url: str) -> Settings:
    """App settings pointing at the shared sample database."""
    return Settings(db=DatabaseSettings(database_url=sample_url))


@pytest.fixture
def client(settings: Settings) -> Iterator:
    """A TestClient with the app's lifespan running."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def sample_dir() -> Path:
    """The sample inventory folder."""
    return SAMPLE_DIR


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    """A folder the ``postgres`` system user can enter (pytest's tmp_path is private to root)."""
    base = Path(__file__).resolve().parent.parent / "var" / "test-scratch"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base.parent, 0o755)
    os.chmod(base, 0o755)
    d = base / uuid.uuid4().hex[:8]
    d.mkdir(mode=0o755)
    yield d
    import shutil

    shutil.rmtree(d, ignore_errors=True)


_TOKENS: dict[tuple[str, str], str] = {}


def api_token_for(url: str, role: str) -> str:
    """An API token of a test user holding ``role`` in the database at ``url`` (cached)."""
    key = (url, role)
    if key not in _TOKENS:
        from gis_app.db.district_queries import top_district
        from gis_app.services import accounts

        eng = make_engine(url)
        try:
            with eng.begin() as c:
                name = f"test-{role}"
                exists = c.execute(
                    sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": name}
                ).first()
                if not exists:
                    # an officer of the city: reads and writes every district of the sample
                    # (row security, revision 0035); tests of one district's view make their own
                    accounts.create_user(
                        c, name, "test-password-1", [role], district_code=top_district(c)
                    )
                _, token = accounts.create_token(c, name, "tests")
        finally:
            eng.dispose()
        _TOKENS[key] = token
    return _TOKENS[key]


@pytest.fixture
def token_for():
    """``token_for(url, role)`` → an API token of a test user holding ``role`` at ``url``."""
    return api_token_for


@pytest.fixture
def client_as(sample_url: str) -> Iterator:
    """Factory: ``client_as("officer", url=None)`` → a TestClient authenticated by API token.

    Without ``url`` it uses the shared sample database; pass ``make_db()``'s URL for tests that
    write through the API.
    """
    from fastapi.testclient import TestClient

    from api.app import create_app

    opened: list[TestClient] = []

    def _make(role: str, url: str | None = None) -> TestClient:
        db_url = url or sample_url
        token = api_token_for(db_url, role)
        app = create_app(Settings(db=DatabaseSettings(database_url=db_url)))
        c = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        c.__enter__()
        opened.append(c)
        return c

    yield _make
    for c in opened:
        c.__exit__(None, None, None)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's Chromium, headless, shared by every browser test (one Playwright per run).

    A missing browser fails the tests, never skips them (`scripts/bootstrap.sh --test`
    installs the Debian package ``chromium``; ``playwright install`` is not used).
    """
    import shutil

    from e2e.e2e_helpers import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: run `bash scripts/bootstrap.sh --test`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()
