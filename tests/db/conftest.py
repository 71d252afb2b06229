"""Fixtures of the database tests: writing as psql or QGIS does."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import psycopg2.extensions
import pytest
import sqlalchemy as sa
from people import People
from sqlalchemy.engine import make_url

from gis_app.db.db_logins import libpq_url
from gis_app.db.engine import make_engine


@pytest.fixture
def cur(sample_url: str) -> Iterator[psycopg2.extensions.cursor]:
    """A psycopg2 cursor on the sample database, as psql or QGIS would write; rolled back."""
    conn = psycopg2.connect(libpq_url(sample_url), application_name="psql")
    try:
        with conn.cursor() as c:
            yield c
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture
def people(make_db, admin_engine: sa.Engine) -> Iterator[People]:
    url = make_db("sample")
    eng = make_engine(url)
    made = People(url, eng)
    yield made
    eng.dispose()
    with admin_engine.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        for name, _, _ in made.names.values():
            c.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
