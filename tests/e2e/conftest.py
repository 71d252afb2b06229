"""Browser-test fixtures: the app served by uvicorn on 127.0.0.1 and Debian's Chromium driven by
Playwright. A missing browser is a failure, never a skip (`scripts/bootstrap.sh --test`
installs the Debian package ``chromium``; ``playwright install`` is not used)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator

import pytest
from e2e_helpers import CHROMIUM_ARGS, LiveApp, start_app


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium (required: a browser test that cannot run fails)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: run `bash scripts/bootstrap.sh --test`")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator:
    """A headless Chromium shared by the browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def live_app(make_db: Callable[..., str]) -> Iterator[LiveApp]:
    """The app on 127.0.0.1 against a throw-away copy of the sample database (basemap none)."""
    app = start_app(make_db("sample"))
    yield app
    app.stop()
