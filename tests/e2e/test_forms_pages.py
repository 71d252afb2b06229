"""The forms of the login page, the map, the site sheet and the dashboard submitted in Chromium
as their users would, checking what the page shows and what the database holds (issue 18).

Login: a wrong password is refused on the page (and counted), the right one lands on the map
with a session. The map's filter form: Apply draws exactly the sites the database has for the
filters, Reset draws them all again. The planner's status form on the site sheet: two planners
save on the same version, the second is told and reloads. The dashboard's funnel Apply: the
chart counts the requirements the database holds for the officer asked for.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from e2e_helpers import PASSWORD, LiveApp, open_page, wait_idle

from gis_app.db.engine import set_app_user
from gis_app.services import accounts

PLANNER = "e2e-planner"


def _scalar(app: LiveApp, sql: str, **params: Any) -> Any:
    with app.engine.connect() as c:
        return c.execute(sa.text(sql), params).scalar()


def _login_page(browser: Any, app: LiveApp, path: str = "/") -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.goto(f"{app.base_url}/login?next={path}")
    return page, errors


def _sessions(app: LiveApp, username: str) -> int:
    return _scalar(
        app,
        "SELECT count(*) FROM web_session s JOIN app_user u ON u.id = s.user_id "
        "WHERE u.username = :u",
        u=username,
    )


# --- login ----------------------------------------------------------------------------------


def test_login_form_refuses_a_wrong_password_then_lands_on_the_map(
    live_app: LiveApp, browser: Any
) -> None:
    page, errors = _login_page(browser, live_app, "/")
    page.fill("#username", live_app.username)
    page.fill("#password", "not-the-password")
    with page.expect_navigation() as nav:
        page.click("button[type=submit]")
    assert nav.value.status == 401
    alert = page.locator("p.error[role=alert]")
    assert alert.is_visible() and alert.inner_text().strip()
    # the form keeps the user name, clears the password, and nothing was started
    assert page.input_value("#username") == live_app.username
    assert page.input_value("#password") == ""
    assert _sessions(live_app, live_app.username) == 0
    failed = _scalar(
        live_app,
        "SELECT count(*) FROM login_attempt WHERE username = :u AND NOT success",
        u=live_app.username,
    )
    assert failed == 1

    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.split("?")[0].rstrip("/") == live_app.base_url
    page.wait_for_selector("#gis-filters")
    wait_idle(page)
    assert page.evaluate("gisApp.drawnSiteCount()") > 0
    assert _sessions(live_app, live_app.username) == 1
    assert live_app.username in page.inner_text("header")
    assert errors == []
    page.context.close()


@pytest.mark.parametrize("path", ["/", "/requirements", "/dashboard"])
def test_logout_button_ends_the_session(live_app: LiveApp, browser: Any, path: str) -> None:
    """Every officer page has a log-out button; it ends the session in the database, drops
    the cookie and lands on the login page; the pages then ask for a login again."""
    page, errors = _login_page(browser, live_app, path)
    page.fill("#username", live_app.username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_selector("header form[action='/logout'] button")
    open_sessions = (
        "SELECT count(*) FROM web_session s JOIN app_user u ON u.id = s.user_id "
        "WHERE u.username = :u AND s.ended_at IS NULL"
    )
    assert _scalar(live_app, open_sessions, u=live_app.username) == 1
    button = page.locator("header form[action='/logout'] button")
    assert button.inner_text().strip() == "退出登录"
    with page.expect_navigation():
        button.click()
    assert page.url.split("?")[0] == f"{live_app.base_url}/login", page.content()[:600]
    assert _scalar(live_app, open_sessions, u=live_app.username) == 0
    assert not [c for c in page.context.cookies() if c["name"] == "gis_app_session"]
    page.goto(f"{live_app.base_url}{path}")
    assert page.url.split("?")[0] == f"{live_app.base_url}/login"
    assert errors == []
    page.context.close()


def test_login_form_goes_back_to_the_page_asked_for(live_app: LiveApp, browser: Any) -> None:
    page, errors = _login_page(browser, live_app, "/requirements")
    page.fill("#username", live_app.username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{live_app.base_url}/requirements"
    assert page.is_visible("#gis-req-filters")
    assert _sessions(live_app, live_app.username) == 1
    assert errors == []
    page.context.close()


# --- the map's filter form ------------------------------------------------------------------


def test_map_filter_apply_and_reset(live_app: LiveApp, browser: Any) -> None:
    w = open_page(browser, live_app, "/")
    page = w.page
    wait_idle(page)
    live = "SELECT count(*) FROM site WHERE retired_at IS NULL"
    total = _scalar(live_app, live)
    assert page.evaluate("gisApp.drawnSiteCount()") == total
    # set the filters without input events (no automatic refresh): only Apply may draw them
    page.evaluate(
        """() => {
          const f = document.getElementById('gis-filters');
          f.querySelector('input[name=availability][value=available]').checked = true;
          f.querySelector('input[name=kind][value=land]').checked = true;
          f.querySelector('input[name=area_mu_min]').value = '30';
        }"""
    )
    page.wait_for_timeout(500)
    assert page.evaluate("gisApp.drawnSiteCount()") == total
    page.click("#gis-filters button[type=submit]")
    wait_idle(page)
    want = _scalar(
        live_app,
        live + " AND availability = 'available' AND kind = 'land' AND area_mu >= 30",
    )
    assert 0 < want < total
    assert page.evaluate("gisApp.drawnSiteCount()") == want
    assert page.locator("#gis-list li").count() == want
    assert int(page.get_attribute("#gis-list-status", "data-total")) == want
    assert "availability=available" in page.url and "area_mu_min=30" in page.url

    page.click("#gis-reset")
    wait_idle(page)
    assert page.evaluate("gisApp.drawnSiteCount()") == total
    assert page.locator("#gis-list li").count() == total
    assert not page.is_checked("#gis-filters input[name=availability][value=available]")
    assert page.input_value("#gis-filters input[name=area_mu_min]") == ""
    assert "area_mu_min" not in page.url and "availability" not in page.url
    assert w.errors == []


# --- the planner's status form on the site sheet ------------------------------------------


def _planner_page(browser: Any, app: LiveApp, path: str) -> tuple[Any, list[str]]:
    page, errors = _login_page(browser, app, path)
    page.fill("#username", PLANNER)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_selector("#gis-status-edit:not([hidden]) select[name=availability]")
    return page, errors


def test_site_status_form_two_planners_the_second_is_told_and_reloads(
    live_app: LiveApp, browser: Any
) -> None:
    with live_app.engine.begin() as c:
        accounts.create_user(c, PLANNER, PASSWORD, ["planner"])
        sid, version = c.execute(
            sa.text("SELECT id, version FROM site WHERE code = 'PT-KF-001'")
        ).one()
    first, first_errors = _planner_page(browser, live_app, f"/sites/{sid}")
    second, second_errors = _planner_page(browser, live_app, f"/sites/{sid}")
    # the reload button is offered only after a conflict (it used to show all the time: the
    # hidden attribute lost to .gis-button's display)
    assert second.locator("#gis-status-reload").is_hidden()
    first.fill("#gis-status-form input[name=height_limit_m]", "36")
    first.fill("#gis-status-form textarea[name=note]", "第一位规划员")
    first.click("#gis-status-save")
    first.wait_for_selector(".gis-status-message.gis-status-ok")
    row = "SELECT height_limit_m, version FROM site WHERE id = :i"
    with live_app.engine.connect() as c:
        assert tuple(c.execute(sa.text(row), {"i": sid}).one()) == (36, version + 1)

    second.fill("#gis-status-form input[name=height_limit_m]", "48")
    second.fill("#gis-status-form input[name=doc_ref]", "普自然资规〔2026〕3号")
    second.click("#gis-status-save")
    second.wait_for_selector(".gis-status-message.gis-status-error")
    assert "已被他人修改" in second.inner_text("#gis-status-message")
    assert second.locator("#gis-status-reload").is_visible()
    assert second.input_value("#gis-status-form input[name=height_limit_m]") == "48"
    with live_app.engine.connect() as c:
        assert tuple(c.execute(sa.text(row), {"i": sid}).one()) == (36, version + 1)
    # the reload button loads the current values and version; saving then works
    second.click("#gis-status-reload")
    second.wait_for_selector("#gis-status-reload", state="hidden")
    assert second.input_value("#gis-status-form input[name=height_limit_m]") == "36"
    second.fill("#gis-status-form input[name=height_limit_m]", "48")
    second.click("#gis-status-save")
    second.wait_for_selector(".gis-status-message.gis-status-ok")
    with live_app.engine.connect() as c:
        assert tuple(c.execute(sa.text(row), {"i": sid}).one()) == (48, version + 2)
        doc = c.execute(
            sa.text(
                "SELECT doc_ref FROM history WHERE table_name = 'site' AND row_id = :i "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"i": sid},
        ).scalar()
    assert doc == "普自然资规〔2026〕3号"
    assert first_errors == [] and second_errors == []
    first.context.close()
    second.context.close()


# --- the dashboard's funnel Apply ---------------------------------------------------------

_FUNNEL = """() => {
  const c = window.gisDashboard.charts.funnel;
  return { labels: c.data.labels,
           datasets: c.data.datasets.map(d => ({ key: d.gis_key, data: d.data })) };
}"""


def _wait_ready(page: Any) -> None:
    page.wait_for_function(
        "() => document.body.getAttribute('data-dashboard-state') !== 'loading'", timeout=30000
    )
    assert page.get_attribute("body", "data-dashboard-state") == "ready"


def test_dashboard_funnel_apply_counts_the_officers_requirements(
    live_app: LiveApp, browser: Any
) -> None:
    for officer, name in (("e2e-officer", "甲"), ("e2e-officer", "乙"), ("someone-else", "丙")):
        with live_app.engine.begin() as c:
            set_app_user(c, officer)
            c.execute(
                sa.text(
                    "INSERT INTO requirement (project_name, officer, need) VALUES (:n, :o, 'land')"
                ),
                {"n": name, "o": officer},
            )
    w = open_page(browser, live_app, "/dashboard?lang=en")
    page = w.page
    _wait_ready(page)

    def reached_new() -> int:
        chart = page.evaluate(_FUNNEL)
        assert chart["labels"][0] == "New"
        reached = next(d["data"] for d in chart["datasets"] if d["key"] == "reached")
        return reached[0]

    assert reached_new() == _scalar(live_app, "SELECT count(*) FROM requirement") == 3
    page.fill("#ctl-funnel-officer", "e2e-officer")
    page.click("#ctl-funnel-apply")
    _wait_ready(page)
    want = _scalar(live_app, "SELECT count(*) FROM requirement WHERE officer = 'e2e-officer'")
    assert reached_new() == want == 2
    # the downloads follow the filter
    href = page.get_attribute('a[data-chart="funnel"][data-format="csv"]', "href")
    assert "officer=e2e-officer" in href
    assert w.errors == []
