"""Fixtures of the investor-link tests: a throw-away sample database, an officer client, an
anonymous client (the investor), and a recommendation with links built through the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from investor_helpers import Env, Rec, make_recommendation

from api.app import create_app
from gis_app.settings import DatabaseSettings, LinkSettings, Settings


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
