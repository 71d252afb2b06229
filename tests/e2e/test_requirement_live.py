"""The officer's side of a link in headless Chromium: after a link is made the status and the
list of recommendations follow without a reload; an investor's answer arrives on the open page
as a badge (and on the requirements list, and as an alert) until the officer marks it read."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from e2e_helpers import LiveApp, open_page

from gis_app.services import requirements as req_service

PLANT = {
    "project_name": "实时刷新测试",
    "need": "plant",
    "tenure": "lease",
    "gfa_m2_min": 1000,
    "accept_availability": ["available", "negotiating"],
}


def _scalar(app: LiveApp, sql: str, **params: Any) -> Any:
    with app.engine.connect() as c:
        return c.execute(sa.text(sql), params).scalar()


def _make_link(page: Any) -> str:
    page.fill("#gis-recommend-form input[name=recipient_name]", "钱总")
    page.click("#gis-recommend-save")
    page.wait_for_selector("#gis-link-box:not([hidden])")
    return page.input_value("#gis-link-url")


def test_link_refreshes_status_and_list_then_an_answer_shows_as_a_badge(
    live_app: LiveApp, browser: Any
) -> None:
    with live_app.engine.connect() as c:
        rid = req_service.create_requirement(c, PLANT, live_app.username)["id"]
    w = open_page(browser, live_app, f"/requirements/{rid}")
    page = w.page
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    assert page.get_attribute("#gis-req-status", "data-status") == "new"
    assert page.input_value("#gis-recommend-form input[name=title_en]") == (
        "Recommended sites: Plant"
    )
    assert page.locator("#gis-recommendations .gis-rec").count() == 0

    url = _make_link(page)
    # the copy button and the link field carry their names
    assert page.get_by_role("button", name="复制链接").is_visible()
    assert page.get_by_label("推荐链接").input_value() == url
    # the status and the list follow without a reload
    page.wait_for_selector("#gis-recommendations .gis-rec")
    page.wait_for_function(
        "() => document.getElementById('gis-req-status').dataset.status === 'recommended'"
    )
    assert page.evaluate("window.__sameDocument") is True
    assert _scalar(live_app, "SELECT status FROM requirement WHERE id = :i", i=rid) == (
        "recommended"
    )
    assert "已推荐" in page.inner_text("#gis-req-status")
    # the status form offers the moves from "recommended" now
    options = page.eval_on_selector_all(
        "#gis-status-form select[name=status] option", "os => os.map(o => o.value)"
    )
    assert "recommended" not in options and "visiting" in options
    rec_id = _scalar(live_app, "SELECT id FROM recommendation WHERE requirement_id = :i", i=rid)
    assert page.locator(f'.gis-rec[data-recommendation-id="{rec_id}"] tr[data-link-id]').count()
    assert page.locator("#gis-answers-badge").count() == 0
    # a second link for the same requirement: a second recommendation in the list, in place
    page.fill("#gis-recommend-form input[name=recipient_name]", "孙总")
    page.click("#gis-recommend-save")
    page.wait_for_function(
        "() => document.querySelectorAll('#gis-recommendations .gis-rec').length === 2"
    )

    # the investor answers on the link (their own browser, no account)
    investor = browser.new_context(locale="zh-CN")
    try:
        ip = investor.new_page()
        ip.goto(url)
        sheet = ip.locator("article.inv-site").first
        sheet.get_by_role("radio", name="感兴趣").check()
        sheet.locator("textarea[name=question]").fill("下周可以看现场吗？")
        sheet.get_by_role("button", name="提交").click()
        ip.wait_for_url("**sent=interested**")
    finally:
        investor.close()
    assert (
        _scalar(
            live_app,
            "SELECT count(*) FROM alert WHERE requirement_id = :i AND reason LIKE '客商反馈%'"
            " AND seen_at IS NULL AND officer = :o",
            i=rid,
            o=live_app.username,
        )
        == 1
    )

    # the open page shows it as it arrives (its own polling), without a reload
    page.wait_for_selector("#gis-answers-badge", timeout=45000)
    assert page.get_attribute("#gis-answers-badge", "data-count") == "1"
    assert page.evaluate("window.__sameDocument") is True
    new = page.locator(".gis-feedback.gis-new")
    assert new.count() == 1 and "下周可以看现场吗？" in new.inner_text()

    # the requirements list: a badge on the row, and the alert among the alerts
    page2 = page.context.new_page()
    page2.goto(f"{live_app.base_url}/requirements")
    badge = page2.locator(f'#gis-req-table tr[data-requirement-id="{rid}"] .gis-answers-badge')
    assert badge.get_attribute("data-count") == "1"
    assert "客商反馈 · 感兴趣" in page2.inner_text("#gis-alerts")
    page2.close()

    # marked read: the badge goes, the alert is seen
    page.click("#gis-answers-read")
    page.wait_for_selector("#gis-answers-badge", state="detached")
    assert page.locator(".gis-feedback.gis-new").count() == 0
    assert (
        _scalar(
            live_app,
            "SELECT count(*) FROM alert WHERE requirement_id = :i AND seen_at IS NULL",
            i=rid,
        )
        == 0
    )
    assert w.errors == []
    page.context.close()
