"""The planners' status form in a real browser: loads, refuses without a reason, saves with one."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import sqlalchemy as sa
import uvicorn

from api.app import create_app
from gis_app.db.engine import make_engine
from gis_app.services import accounts
from gis_app.settings import DatabaseSettings, Settings

PASSWORD = "form-password-1"


@pytest.fixture
def served(make_db):
    url = make_db("sample")
    eng = make_engine(url)
    with eng.begin() as c:
        accounts.create_user(c, "form-planner", PASSWORD, ["planner"])
        accounts.create_user(c, "form-officer", PASSWORD, ["officer"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(Settings(db=DatabaseSettings(database_url=url)))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", eng
    server.should_exit = True
    thread.join(timeout=10)
    eng.dispose()


def _login(browser, base: str, user: str, path: str):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/login?next={path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page, errors


def test_planner_changes_status_through_the_form(served, browser) -> None:
    base, eng = served
    with eng.connect() as c:
        sid, version = c.execute(
            sa.text("SELECT id, version FROM site WHERE code = 'PT-ZM-003'")  # signed
        ).one()
    page, errors = _login(browser, base, "form-planner", f"/sites/{sid}")
    page.wait_for_selector("#gis-status-edit:not([hidden]) select[name=availability]")
    page.select_option("select[name=availability]", "available")
    page.click("#gis-status-save")
    page.wait_for_selector(".gis-status-message.gis-status-error")
    assert "reason" in page.inner_text("#gis-status-message")
    with eng.connect() as c:
        assert c.execute(
            sa.text("SELECT version FROM site WHERE id = :i"), {"i": sid}
        ).scalar() == (version)
    page.fill("textarea[name=note]", "投资方解约")
    page.fill("input[name=doc_ref]", "解约函〔2026〕5号")
    page.click("#gis-status-save")
    page.wait_for_selector(".gis-status-message.gis-status-ok")
    with eng.connect() as c:
        row = c.execute(
            sa.text(
                "SELECT s.availability, h.note, h.doc_ref, h.changed_by FROM site s "
                "JOIN history h ON h.table_name = 'site' AND h.row_id = s.id "
                "WHERE s.id = :i ORDER BY h.id DESC LIMIT 1"
            ),
            {"i": sid},
        ).one()
    assert tuple(row) == ("available", "投资方解约", "解约函〔2026〕5号", "form-planner")
    assert not errors


def test_officers_do_not_get_the_form(served, browser) -> None:
    base, eng = served
    with eng.connect() as c:
        sid = c.execute(sa.text("SELECT id FROM site WHERE code = 'PT-KF-001'")).scalar()
    page, errors = _login(browser, base, "form-officer", f"/sites/{sid}")
    page.wait_for_load_state("networkidle")
    assert page.locator("#gis-status-edit").is_hidden()
    assert not errors
