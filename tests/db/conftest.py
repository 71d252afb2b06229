"""Fixtures of the database tests: writing as psql or QGIS does."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import psycopg2.extensions
import pytest

from gis_app.db.db_logins import libpq_url


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
