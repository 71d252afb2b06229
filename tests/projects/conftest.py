"""Fixtures of the project-ledger tests: a sample database with the illustrative ledger
recorded for ``test-officer``, and XLSX sheets made as the office makes them in Excel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gis_app.services.inventory import SAMPLE_DIR
from gis_app.services.projects import load_ledger

#: "today" of the ledger tests' loader (the sample's figures run until November 2026)
TODAY = dt.date(2026, 12, 3)


@pytest.fixture
def ledger_url(make_db, token_for) -> str:
    """A copy of the sample database with the illustrative ledger (officer ``test-officer``),
    recorded in the city's ledger: the test officer and leader are the city's (made first), and
    their reports default to the city (revision 0040)."""
    url = make_db("sample")
    for role in ("officer", "leader"):
        token_for(url, role)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            codes = load_ledger(conn, SAMPLE_DIR / "projects.json", "test-officer", TODAY)
        assert len(codes) == 12
    finally:
        engine.dispose()
    return url


@pytest.fixture
def ledger_engine(ledger_url: str) -> Iterator[sa.Engine]:
    """An engine on the ledger database (for checks straight in the database)."""
    engine = sa.create_engine(ledger_url)
    yield engine
    engine.dispose()
