"""Browser-test fixtures: the app served by uvicorn on 127.0.0.1 (the shared ``browser``
fixture, Debian's Chromium driven by Playwright, is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from e2e_helpers import LiveApp, start_app


@pytest.fixture
def live_app(make_db: Callable[..., str]) -> Iterator[LiveApp]:
    """The app on 127.0.0.1 against a throw-away copy of the sample database (basemap none)."""
    app = start_app(make_db("sample"))
    yield app
    app.stop()
