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
    # the refusal is worded in the page's language next to the field that moved back
    near = page.locator(".gis-status-row:has(select[name=availability]) .gis-field-error")
    assert "已签约" in near.inner_text() and "备注" in near.inner_text()
    assert page.get_attribute("textarea[name=note]", "aria-invalid") == "true"
    with eng.connect() as c:
        assert c.execute(
            sa.text("SELECT version FROM site WHERE id = :i"), {"i": sid}
        ).scalar() == (version)
    page.fill("textarea[name=note]", "投资方解约")
    page.fill("input[name=doc_ref]", "解约函〔2026〕5号")
    page.click("#gis-status-save")
    page.wait_for_selector(".gis-status-message.gis-status-ok")
    # the success message stays (across the reload that shows the change) until dismissed
    page.wait_for_timeout(1500)
    assert "已保存" in page.inner_text("#gis-status-message")
    assert page.locator(".gis-field-error").count() == 0
    page.click(".gis-status-dismiss")
    assert page.inner_text("#gis-status-message").strip() == ""
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


_REFUSALS = [
    # (what the planner does, field that gets the message, zh words, en words)
    (
        {"select": {"policy_status": "surveying"}},
        "policy_status",
        ("签订协议", "调查摸底", "备注"),
        ("Signing agreements", "Surveying", "Note / reason"),
    ),
    (
        {"select": {"policy_status": "delivered"}, "fill": {"policy_progress_pct": "60"}},
        "policy_progress_pct",
        ("已交地", "100%", "60%"),
        ("Delivered", "100 %", "60 %"),
    ),
    (
        {"fill": {"policy_progress_pct": "150"}},
        "policy_progress_pct",
        ("不能大于 100", "150"),
        ("cannot be above 100", "150"),
    ),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_refusals_are_worded_in_the_page_language_next_to_their_field(
    served, browser, lang
) -> None:
    """A backward move without a note, 已交地 at 60 % and a progress of 150 %: each refusal is
    shown next to the field it names, in the page's language, and nothing is saved."""
    base, eng = served
    with eng.connect() as c:
        sid, version = c.execute(
            sa.text("SELECT id, version FROM site WHERE code = 'PT-CB-002'")  # agreements, 65 %
        ).one()
    page, errors = _login(browser, base, "form-planner", f"/sites/{sid}?lang={lang}")
    for action, field, zh_words, en_words in _REFUSALS:
        page.goto(f"{base}/sites/{sid}?lang={lang}")
        page.wait_for_selector("#gis-status-edit:not([hidden]) select[name=policy_status]")
        for name, value in action.get("select", {}).items():
            page.select_option(f"select[name={name}]", value)
        for name, value in action.get("fill", {}).items():
            page.fill(f"input[name={name}]", value)
        page.click("#gis-status-save")
        page.wait_for_selector(".gis-status-message.gis-status-error")
        row = page.locator(f".gis-status-row:has([name={field}])")
        message = row.locator(".gis-field-error").inner_text()
        for word in zh_words if lang == "zh" else en_words:
            assert word in message, (field, message)
        assert row.locator(f"[name={field}]").get_attribute("aria-invalid") == "true"
        box = page.inner_text("#gis-status-message")
        # no English validator text on a Chinese page, nor the raw detail on an English one
        assert "policy_" not in message + box and "PT-CB-002" not in message + box
        if lang == "zh":
            assert not any(w in message + box for w in ("cannot", "reason", "maximum"))
        with eng.connect() as c:
            assert (
                c.execute(sa.text("SELECT version FROM site WHERE id = :i"), {"i": sid}).scalar()
                == version
            )
    assert not errors
