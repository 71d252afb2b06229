"""Every form and button of the requirement pages submitted in Chromium as an officer would,
checking what the page shows and what the database holds afterwards (issue 18).

Covered here: the list page's new-requirement form (every kind of input), its filters and the
alert "seen" button; the requirement page's change form and status form (including two
officers saving on the same version: the second is told, keeps what was typed, and nothing of
the first is lost), the match options (re-match) form, and the recommendation form with its
copy button. The rest of the workflow (extend and revoke a link) is in
test_requirement_workflow.py; the registry in test_forms_registry.py lists which test covers
which form.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from e2e_helpers import LiveApp, open_page

from gis_app.services import matching as match_service
from gis_app.services import requirements as req_service

PLANT = {
    "project_name": "表单测试厂房",
    "need": "plant",
    "tenure": "lease",
    "gfa_m2_min": 1000,
    "accept_availability": ["available", "negotiating"],
}


def _one(app: LiveApp, sql: str, **params: Any) -> sa.Row:
    with app.engine.connect() as c:
        return c.execute(sa.text(sql), params).one()


def _scalar(app: LiveApp, sql: str, **params: Any) -> Any:
    with app.engine.connect() as c:
        return c.execute(sa.text(sql), params).scalar()


def _requirement(app: LiveApp, **values: Any) -> int:
    with app.engine.connect() as c:
        return req_service.create_requirement(c, PLANT | values, app.username)["id"]


def _page(browser: Any, app: LiveApp, path: str) -> Any:
    w = open_page(browser, app, path)
    w.page.wait_for_load_state("domcontentloaded")
    return w


# --- the list page ------------------------------------------------------------------------


def test_create_form_stores_every_kind_of_input(live_app: LiveApp, browser: Any) -> None:
    w = _page(browser, live_app, "/requirements?lang=en")
    page = w.page
    f = "#gis-req-form"
    assert page.get_attribute(f, "data-mode") == "create"
    page.fill(f"{f} input[name=project_name]", "Cold-chain warehouse")
    page.select_option(f"{f} select[name=need]", "land")
    page.select_option(f"{f} select[name=tenure]", "buy")
    page.fill(f"{f} input[name=land_mu_min]", "30")  # number
    page.fill(f"{f} input[name=land_mu_max]", "60")
    page.fill(f"{f} input[name=preferred_townships]", "六横镇, 虾峙镇")  # list
    page.check(f"{f} input[name=accept_availability][value=negotiating]")  # choices
    page.check(f"{f} input[name=confidential]")  # bool
    page.fill(f"{f} textarea[name=notes]", "客商要求临港")  # longtext
    with page.expect_navigation():
        page.click("#gis-req-save")
    rid = int(re.search(r"/requirements/(\d+)", page.url).group(1))
    row = _one(
        live_app,
        "SELECT project_name, need, tenure, land_mu_min, land_mu_max, preferred_townships, "
        "accept_availability, confidential, notes, officer, version FROM requirement "
        "WHERE id = :i",
        i=rid,
    )
    assert row.project_name == "Cold-chain warehouse" and (row.need, row.tenure) == ("land", "buy")
    assert (row.land_mu_min, row.land_mu_max) == (30, 60)
    assert row.preferred_townships == ["六横镇", "虾峙镇"]
    assert "negotiating" in row.accept_availability
    assert row.confidential is True and row.notes == "客商要求临港"
    assert row.officer == live_app.username and row.version == 1
    # the page it lands on shows the requirement as stored
    assert "Cold-chain warehouse" in page.inner_text("h2")
    assert w.errors == []


def test_filters_form_lists_what_the_database_holds(live_app: LiveApp, browser: Any) -> None:
    ids = {
        "a": _requirement(live_app, project_name="滤甲 plant"),
        "b": _requirement(live_app, project_name="滤乙 land", need="land", gfa_m2_min=None),
        "c": _requirement(live_app, project_name="滤丙 plant"),
    }
    with live_app.engine.begin() as c:
        c.execute(
            sa.text("UPDATE requirement SET status = 'matching' WHERE id IN (:a, :b)"),
            {"a": ids["a"], "b": ids["b"]},
        )
    w = _page(browser, live_app, "/requirements")
    page = w.page
    page.select_option("#gis-req-filters select[name=status]", "matching")
    page.select_option("#gis-req-filters select[name=need]", "plant")
    page.fill("#gis-req-filters input[name=q]", "滤")
    with page.expect_navigation():
        page.click("#gis-req-filters button[type=submit]")
    assert "status=matching" in page.url and "need=plant" in page.url
    shown = page.eval_on_selector_all(
        "#gis-req-table tr[data-requirement-id]",
        "rs => rs.map(r => Number(r.dataset.requirementId))",
    )
    with live_app.engine.connect() as c:
        want = (
            c.execute(
                sa.text(
                    "SELECT id FROM requirement WHERE status = 'matching' AND need = 'plant' "
                    "AND project_name LIKE '%滤%' ORDER BY created_at DESC, id DESC"
                )
            )
            .scalars()
            .all()
        )
    assert shown == want == [ids["a"]]
    assert page.inner_text("#gis-req-total").startswith("1 ")
    # the form shows the filters it applied
    assert page.input_value("#gis-req-filters select[name=status]") == "matching"
    assert page.input_value("#gis-req-filters input[name=q]") == "滤"
    assert w.errors == []


def test_alert_seen_button_marks_the_alert_seen(live_app: LiveApp, browser: Any) -> None:
    rid = _requirement(live_app)
    with live_app.engine.begin() as c:
        site = c.execute(sa.text("SELECT id FROM site ORDER BY id LIMIT 1")).scalar_one()
        alert_ids = [
            c.execute(
                sa.text(
                    "INSERT INTO alert (requirement_id, site_id, officer, reason) "
                    "VALUES (:r, :s, :o, :why) RETURNING id"
                ),
                {"r": rid, "s": site, "o": live_app.username, "why": f"提醒 {i}"},
            ).scalar_one()
            for i in range(2)
        ]
    w = _page(browser, live_app, "/requirements")
    page = w.page
    page.click(f".gis-alert-seen[data-alert-id='{alert_ids[0]}']")
    page.wait_for_selector(f"tr[data-alert-id='{alert_ids[0]}']", state="detached")
    assert page.is_visible(f"tr[data-alert-id='{alert_ids[1]}']")
    with live_app.engine.connect() as c:
        seen = c.execute(
            sa.text("SELECT id, seen_at IS NOT NULL FROM alert WHERE id = ANY(:ids) ORDER BY id"),
            {"ids": alert_ids},
        ).all()
    assert [tuple(r) for r in seen] == [(alert_ids[0], True), (alert_ids[1], False)]
    page.reload()
    assert page.locator(f"tr[data-alert-id='{alert_ids[0]}']").count() == 0
    assert w.errors == []


# --- the requirement page: change and status forms, and concurrent officers -----------------


def test_change_form_saves_every_field_and_keeps_the_others(
    live_app: LiveApp, browser: Any
) -> None:
    rid = _requirement(live_app, preferred_townships=["展茅街道"], crane_min_t=10)
    w = _page(browser, live_app, f"/requirements/{rid}")
    page = w.page
    page.click("#gis-edit summary")
    f = "#gis-req-form"
    assert page.get_attribute(f, "data-mode") == "edit"
    assert page.input_value(f"{f} input[name=preferred_townships]") == "展茅街道"
    page.fill(f"{f} input[name=gfa_m2_min]", "2500")
    page.fill(f"{f} input[name=preferred_townships]", "")  # emptied: cleared
    page.uncheck(f"{f} input[name=accept_availability][value=negotiating]")
    with page.expect_navigation():
        page.click("#gis-req-save")
    row = _one(
        live_app,
        "SELECT gfa_m2_min, preferred_townships, accept_availability, crane_min_t, tenure, "
        "version FROM requirement WHERE id = :i",
        i=rid,
    )
    assert tuple(row) == (2500, [], ["available"], 10, "lease", 2)
    assert "2,500" in page.inner_text("#gis-req-summary")
    assert w.errors == []


def test_two_officers_change_one_requirement_the_second_is_told(
    live_app: LiveApp, browser: Any
) -> None:
    """Defect 4: both open the change form on version 1; the first saves; the second's save is
    refused (412) with a message next to the form, what they typed is still there, and the
    database keeps the first change."""
    rid = _requirement(live_app)
    first = _page(browser, live_app, f"/requirements/{rid}")
    second = _page(browser, live_app, f"/requirements/{rid}")
    for w in (first, second):
        w.page.click("#gis-edit summary")
    f = "#gis-req-form"
    first.page.fill(f"{f} input[name=gfa_m2_min]", "4000")
    second.page.fill(f"{f} input[name=gfa_m2_min]", "1500")
    second.page.fill(f"{f} textarea[name=notes]", "第二位专员的备注")
    with first.page.expect_navigation():
        first.page.click("#gis-req-save")
    assert tuple(
        _one(live_app, "SELECT gfa_m2_min, version FROM requirement WHERE id = :i", i=rid)
    ) == (
        4000,
        2,
    )

    second.page.click("#gis-req-save")
    box = second.page.locator("#gis-req-message[data-conflict=true]")
    box.wait_for()
    text = box.inner_text()
    assert "他人已修改" in text and "重新加载" in text
    assert "gis-error" in (box.get_attribute("class") or "")
    # nothing typed is lost, the save button works again, and nothing was written
    assert second.page.input_value(f"{f} input[name=gfa_m2_min]") == "1500"
    assert second.page.input_value(f"{f} textarea[name=notes]") == "第二位专员的备注"
    assert second.page.is_enabled("#gis-req-save")
    assert second.page.url.endswith(f"/requirements/{rid}")
    row = _one(live_app, "SELECT gfa_m2_min, notes, version FROM requirement WHERE id = :i", i=rid)
    assert tuple(row) == (4000, None, 2)
    # reloading shows the first officer's change; saving again then works
    with second.page.expect_navigation():
        second.page.click("#gis-req-message .gis-reload")
    second.page.click("#gis-edit summary")
    assert second.page.input_value(f"{f} input[name=gfa_m2_min]") == "4000"
    second.page.fill(f"{f} textarea[name=notes]", "第二位专员的备注")
    with second.page.expect_navigation():
        second.page.click("#gis-req-save")
    row = _one(live_app, "SELECT gfa_m2_min, notes, version FROM requirement WHERE id = :i", i=rid)
    assert tuple(row) == (4000, "第二位专员的备注", 3)
    # the refused save is the one failed request either page reports
    assert first.errors == [] and len(second.errors) == 1 and "412" in second.errors[0]


def test_status_form_moves_and_a_stale_page_is_told(live_app: LiveApp, browser: Any) -> None:
    rid = _requirement(live_app)
    first = _page(browser, live_app, f"/requirements/{rid}?lang=en")
    second = _page(browser, live_app, f"/requirements/{rid}?lang=en")
    first.page.select_option("#gis-status-form select[name=status]", "matching")
    first.page.fill("#gis-status-form input[name=note]", "客商已回复")
    with first.page.expect_navigation():
        first.page.click("#gis-status-form button[type=submit]")
    assert first.page.inner_text("#gis-req-status") == "Matching"
    row = _one(
        live_app,
        "SELECT r.status, r.version, h.note FROM requirement r JOIN history h ON "
        "h.table_name = 'requirement' AND h.row_id = r.id WHERE r.id = :i ORDER BY h.id DESC "
        "LIMIT 1",
        i=rid,
    )
    assert tuple(row) == ("matching", 2, "客商已回复")

    # the second page still shows "new": its move to "dropped" is refused, not applied
    second.page.select_option("#gis-status-form select[name=status]", "dropped")
    second.page.fill("#gis-status-form input[name=note]", "stale")
    second.page.click("#gis-status-form button[type=submit]")
    box = second.page.locator("#gis-status-message[data-conflict=true]")
    box.wait_for()
    assert "someone else changed this requirement" in box.inner_text()
    assert second.page.input_value("#gis-status-form input[name=note]") == "stale"
    assert tuple(
        _one(live_app, "SELECT status, version FROM requirement WHERE id = :i", i=rid)
    ) == (
        "matching",
        2,
    )
    with second.page.expect_navigation():
        second.page.click("#gis-status-message .gis-reload")
    assert second.page.inner_text("#gis-req-status") == "Matching"
    assert first.errors == []


# --- the requirement page: match options, recommendation, copy -----------------------------


def test_match_options_form_rematches_with_the_margin_and_length(
    live_app: LiveApp, browser: Any
) -> None:
    rid = _requirement(live_app, gfa_m2_min=3000)
    w = _page(browser, live_app, f"/requirements/{rid}")
    page = w.page
    page.fill("#gis-match-options input[name=margin_pct]", "25")
    page.fill("#gis-match-options input[name=limit]", "2")
    with page.expect_navigation():
        page.click("#gis-match-options button[type=submit]")
    assert "margin_pct=25" in page.url and "limit=2" in page.url
    shown = page.eval_on_selector_all(
        "#gis-matches .gis-result", "els => els.map(e => Number(e.dataset.siteId))"
    )
    near = page.eval_on_selector_all(
        "#gis-near-misses .gis-result", "els => els.map(e => Number(e.dataset.siteId))"
    )
    with live_app.engine.connect() as c:
        want = match_service.match_requirement(
            c, rid, req_service.Viewer(live_app.username), limit=2, margin_pct=25
        )
    assert shown == [m.site_id for m in want.matches] and len(shown) <= 2
    assert near == [m.site_id for m in want.near_misses]
    assert f"{want.total_matches:,}" in page.inner_text("#gis-match-total")
    assert float(page.input_value("#gis-match-options input[name=margin_pct]")) == 25
    # re-matching reads, it writes nothing: the requirement is unchanged
    assert _scalar(live_app, "SELECT version FROM requirement WHERE id = :i", i=rid) == 1
    assert w.errors == []


def test_recommend_form_creates_the_recommendation_and_link_then_copy(
    live_app: LiveApp, browser: Any
) -> None:
    rid = _requirement(live_app)
    w = _page(browser, live_app, f"/requirements/{rid}")
    page = w.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ticked = page.eval_on_selector_all(".gis-pick:checked", "els => els.map(e => Number(e.value))")
    assert ticked, "the sample has plants that fit"
    page.fill("#gis-recommend-form input[name=recipient_name]", "赵总")
    page.fill("#gis-recommend-form input[name=recipient_org]", "某冷链公司")
    page.fill("#gis-recommend-form input[name=expires_days]", "10")
    page.fill("#gis-recommend-form textarea[name=intro_zh]", "请查看以下资源")
    page.click("#gis-recommend-save")
    page.wait_for_selector("#gis-link-box:not([hidden])")
    url = page.input_value("#gis-link-url")
    assert url.startswith(live_app.base_url + "/r/")
    row = _one(
        live_app,
        "SELECT r.id, r.intro_zh, array_agg(s.site_id ORDER BY s.rank) AS sites, "
        "(SELECT count(*) FROM share_link l WHERE l.recommendation_id = r.id "
        " AND l.recipient_name = '赵总' AND l.recipient_org = '某冷链公司' "
        " AND l.expires_at::date - now()::date BETWEEN 9 AND 10) AS links "
        "FROM recommendation r JOIN recommendation_site s ON s.recommendation_id = r.id "
        "WHERE r.requirement_id = :i GROUP BY r.id",
        i=rid,
    )
    assert (row.intro_zh, list(row.sites), row.links) == ("请查看以下资源", ticked, 1)
    # the copy button puts the link on the clipboard
    page.click("#gis-link-copy")
    page.wait_for_function("() => document.getElementById('gis-link-copy').textContent == '已复制'")
    assert page.evaluate("navigator.clipboard.readText()") == url
    # the first recommendation moved the requirement to "recommended"; the page follows that
    # version, so a change saved next is not refused as a conflict
    assert _scalar(live_app, "SELECT status FROM requirement WHERE id = :i", i=rid) == (
        "recommended"
    )
    page.click("#gis-edit summary")
    page.fill("#gis-req-form input[name=gfa_m2_min]", "1200")
    with page.expect_navigation():
        page.click("#gis-req-save")
    assert tuple(
        _one(live_app, "SELECT gfa_m2_min, status, version FROM requirement WHERE id = :i", i=rid)
    ) == (1200, "recommended", 3)
    assert w.errors == []


def test_on_a_phone_record_a_requirement_and_send_a_link(live_app: LiveApp, browser: Any) -> None:
    """An officer at a meeting, on a phone: records the investor's need with the form, sees the
    sites that fit, sends a link — and the investor opens it on a phone. Every control is
    reached and tapped at 390 px; nothing on the pages runs off to the side."""
    phone = {"width": 390, "height": 844}
    w = open_page(browser, live_app, "/requirements", viewport=phone)
    page = w.page
    wide = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(wide)
    f = "#gis-req-form"
    page.fill(f"{f} input[name=project_name]", "手机登记厂房")
    page.select_option(f"{f} select[name=need]", "plant")
    page.select_option(f"{f} select[name=tenure]", "lease")
    page.fill(f"{f} input[name=gfa_m2_min]", "1000")
    page.check(f"{f} input[name=accept_availability][value=negotiating]")
    with page.expect_navigation():
        page.click("#gis-req-save")
    rid = int(re.search(r"/requirements/(\d+)", page.url).group(1))
    assert _one(
        live_app, "SELECT project_name, need, gfa_m2_min FROM requirement WHERE id = :i", i=rid
    ) == ("手机登记厂房", "plant", 1000)
    assert page.evaluate(wide)
    ticked = page.eval_on_selector_all(".gis-pick:checked", "els => els.map(e => Number(e.value))")
    assert ticked, "the sample has plants that fit"
    page.fill("#gis-recommend-form input[name=recipient_name]", "钱总")
    page.click("#gis-recommend-save")
    page.wait_for_selector("#gis-link-box:not([hidden])")
    url = page.input_value("#gis-link-url")
    box = page.locator("#gis-link-url").bounding_box()
    assert box is not None and box["x"] + box["width"] <= phone["width"]
    assert w.errors == []
    investor = browser.new_context(viewport=phone, is_mobile=True, has_touch=True).new_page()
    investor.goto(url)
    investor.wait_for_selector("article[data-site]")
    assert investor.evaluate(wide)
    shown = investor.eval_on_selector_all(
        "article[data-site]", "els => els.map(e => e.dataset.site)"
    )
    with live_app.engine.connect() as c:
        codes = dict(
            c.execute(sa.text("SELECT id, code FROM site WHERE id = ANY(:i)"), {"i": ticked}).all()
        )
    assert shown == [codes[i] for i in ticked]
    investor.context.close()
