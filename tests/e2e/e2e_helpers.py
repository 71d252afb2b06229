"""Browser-test helpers: serve the app on 127.0.0.1, log in, watch requests and errors."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
import uvicorn

from api.app import create_app
from gis_app.db.district_queries import top_district
from gis_app.db.engine import make_engine
from gis_app.services import accounts
from gis_app.settings import (
    DatabaseSettings,
    EditSettings,
    MapSettings,
    SecuritySettings,
    Settings,
)

PASSWORD = "e2e-password-1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveApp:
    """An app served on 127.0.0.1 for the browser, with the database it reads."""

    base_url: str
    db_url: str
    username: str
    engine: sa.Engine
    server: uvicorn.Server
    thread: threading.Thread
    extra: dict = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the server and close the engine."""
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.engine.dispose()


def start_app(
    db_url: str,
    map_settings: MapSettings | None = None,
    *,
    lock_timeout_s: float = 3.0,
    edit: EditSettings | None = None,
) -> LiveApp:
    """Serve the app on a free local port against ``db_url`` with an officer account."""
    engine = make_engine(db_url)
    username = "e2e-officer"
    with engine.begin() as c:
        exists = c.execute(
            sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": username}
        ).first()
        if not exists:
            # an officer of the city (every district of the sample; row security, 0035)
            city = top_district(c)
            accounts.create_user(c, username, PASSWORD, ["officer"], district_code=city)
    settings = Settings(
        db=DatabaseSettings(database_url=db_url, lock_timeout_s=lock_timeout_s),
        map=map_settings or MapSettings(),
        security=SecuritySettings(),
        edit=edit or EditSettings(),
    )
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    return LiveApp(f"http://127.0.0.1:{port}", db_url, username, engine, server, thread)


@dataclass
class Watched:
    """A browser page with the console errors and requests it produced."""

    page: object
    errors: list[str]
    requests: list[str]


def open_page(
    browser,
    app: LiveApp,
    path: str = "/",
    *,
    block_other_hosts: bool = False,
    viewport: dict[str, int] | None = None,
) -> Watched:
    """Log in as the officer and open ``path``, recording console errors and every request
    (a desktop window unless ``viewport`` says otherwise, e.g. a phone's)."""
    context = browser.new_context(
        viewport=viewport or {"width": 1400, "height": 900}, locale="zh-CN"
    )
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    if block_other_hosts:
        # tests of third-party basemaps: their tiles must not be fetched from here
        def route(r):
            if r.request.url.startswith(app.base_url):
                r.continue_()
            else:
                r.abort()

        context.route("**/*", route)
    page.goto(f"{app.base_url}/login?next={path}")
    page.fill("#username", app.username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return Watched(page, errors, requests)


def wait_idle(page, timeout_ms: int = 20000) -> None:
    """Wait until the map has no tile, list or layer request in flight."""
    page.wait_for_function(
        "() => window.gisApp && document.body.getAttribute('data-gis-state') === 'idle'",
        timeout=timeout_ms,
    )
    # a debounced move or filter change may start new requests just after
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => document.body.getAttribute('data-gis-state') === 'idle'", timeout=timeout_ms
    )
