"""Fixtures of the investor-link tests: a throw-away sample database, an officer client, an
anonymous client (the investor), and a recommendation with links built through the API."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient
from investor_helpers import Env, Rec, make_recommendation

from api.app import create_app
from gis_app.settings import DatabaseSettings, LinkSettings, MapSettings, Settings


@pytest.fixture
def env(make_db, client_as) -> Iterator[Env]:
    """A sample database copy with an officer client and an anonymous-client factory."""
    url = make_db("sample")
    engine = sa.create_engine(url)
    opened: list[TestClient] = []

    def make_anon(links: LinkSettings | None = None, client: str = "203.0.113.7") -> TestClient:
        settings = Settings(db=DatabaseSettings(database_url=url), links=links or LinkSettings())
        c = TestClient(create_app(settings), client=(client, 50000))
        c.__enter__()
        opened.append(c)
        return c

    e = Env(url, engine, client_as("officer", url=url), make_anon, opened)
    yield e
    for c in opened:
        c.__exit__(None, None, None)
    engine.dispose()


@pytest.fixture
def rec(env: Env) -> Rec:
    """A recommendation of three sample sites with a Chinese and an English link."""
    return make_recommendation(env)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(env: Env) -> Iterator[str]:
    """The app on 127.0.0.1 (basemap "none") against the test database."""
    settings = Settings(
        db=DatabaseSettings(database_url=env.url), map=MapSettings(default_basemap="none")
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
