"""Fixtures for the planners' workflow: a throw-away sample database and engines on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gis_app.db.engine import make_engine
from gis_app.settings import DatabaseSettings


@pytest.fixture
def edit_url(make_db) -> str:
    """A fresh copy of the sample database (edits commit)."""
    return make_db("sample")


@pytest.fixture
def edit_engine(edit_url: str) -> Iterator[sa.Engine]:
    """Engine as the app makes it, with a short lock timeout so lock tests are quick."""
    eng = make_engine(
        edit_url,
        DatabaseSettings(lock_timeout_s=0.5, statement_timeout_s=30),
        application_name="gis_app tests",
    )
    yield eng
    eng.dispose()


@pytest.fixture
def site_ids(edit_engine: sa.Engine) -> dict[str, int]:
    """Site id by code."""
    with edit_engine.connect() as c:
        return dict(c.execute(sa.text("SELECT code, id FROM site")).all())


def version_of(engine: sa.Engine, site_id: int, table: str = "site") -> int:
    with engine.connect() as c:
        return c.execute(
            sa.text(f"SELECT version FROM {table} WHERE id = :i"), {"i": site_id}
        ).scalar()


@pytest.fixture
def version():
    """Function (engine, id[, table]) → the row's current version."""
    return version_of
