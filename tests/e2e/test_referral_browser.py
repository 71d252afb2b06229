"""Referral between districts in headless Chromium (issue 26, item 3): a 普陀区 officer refers
a requirement to 定海区 with a note through the form on the requirement's page; a 定海区 officer
logs in, finds it in the requirements list (marked, with the note), opens it, matches it
against Dinghai's sites and sends a link; the Putuo officer then reads the outcome — status,
matched sites, link sent — and no Dinghai site. The database is checked at each step."""

from __future__ import annotations

import sqlalchemy as sa
from e2e_helpers import PASSWORD, LiveApp
from test_admin_users import _login

from gis_app.services import accounts
from gis_app.services import requirements as req_service

PUTUO, DINGHAI = "330903", "330902"
NOTE = "客商也考虑定海临城，请协助对接（40亩左右工业用地）。"


def _users(app: LiveApp) -> int:
    """The two officers, and a Putuo requirement for light-industry land; its id."""
    with app.engine.begin() as c:
        accounts.create_user(c, "pt-officer", PASSWORD, ["officer"], district_code=PUTUO)
        accounts.create_user(c, "dh-officer", PASSWORD, ["officer"], district_code=DINGHAI)
    with app.engine.connect() as c:
        record = req_service.create_requirement(
            c,
            {
                "project_name": "转介浏览器测试·精密机械",
                "need": "land",
                "land_mu_min": 20,
                "land_mu_max": 60,
                "land_use_codes": ["1001"],
            },
            "pt-officer",
        )
    return record["id"]


def _referral(app: LiveApp, rid: int) -> sa.RowMapping | None:
    with app.engine.connect() as c:
        return (
            c.execute(sa.text("SELECT * FROM referral WHERE requirement_id = :r"), {"r": rid})
            .mappings()
            .one_or_none()
        )


def test_refer_to_dinghai_match_there_and_see_the_outcome(live_app: LiveApp, browser) -> None:
    rid = _users(live_app)

    # Putuo refers the requirement to Dinghai with a note
    page, pt_errors = _login(browser, live_app, "pt-officer", PASSWORD, f"/requirements/{rid}")
    assert page.url.endswith(f"/requirements/{rid}"), page.url
    page.wait_for_selector("#gis-refer-form")
    assert _referral(live_app, rid) is None
    # every match on Putuo's page is a Putuo site
    shown = page.eval_on_selector_all(
        ".gis-site-district", "els => els.map(e => e.dataset.district)"
    )
    assert shown and set(shown) == {PUTUO}
    page.select_option("#gis-refer-form select[name=to_district]", DINGHAI)
    page.fill("#gis-refer-form textarea[name=note]", NOTE)
    with page.expect_navigation():
        page.click("#gis-refer-form button[type=submit]")
    row = page.wait_for_selector(f"#gis-referral-outcomes tr[data-district='{DINGHAI}']")
    assert row.get_attribute("data-status") == "open"
    assert NOTE in row.inner_text() and "定海区" in row.inner_text()
    ref = _referral(live_app, rid)
    assert ref is not None
    assert (ref["from_district"], ref["to_district"], ref["note"], ref["status"]) == (
        PUTUO,
        DINGHAI,
        NOTE,
        "open",
    )
    assert ref["referred_by"] == "pt-officer" and ref["matched_count"] is None
    # Dinghai is no longer offered
    assert page.locator("#gis-refer-form").count() == 0

    # Dinghai's officer finds it in the list, marked, with the note
    dh, dh_errors = _login(browser, live_app, "dh-officer", PASSWORD, "/requirements")
    assert dh.url.endswith("/requirements"), dh.url
    inbox = dh.wait_for_selector(f"#gis-referral-inbox tr[data-requirement-id='{rid}']")
    assert NOTE in inbox.inner_text() and "普陀区" in inbox.inner_text()
    badge = dh.wait_for_selector(
        f"#gis-req-table tr[data-requirement-id='{rid}'] .gis-referred-badge"
    )
    assert "普陀区" in badge.inner_text()
    with dh.expect_navigation():
        inbox.query_selector("a").click()
    assert dh.url.split("?")[0].endswith(f"/requirements/{rid}"), dh.url
    panel = dh.wait_for_selector("#gis-referral-in")
    assert NOTE in panel.inner_text() and "普陀区" in panel.inner_text()
    # the matches on their page are Dinghai's sites only
    shown = dh.eval_on_selector_all(".gis-site-district", "els => els.map(e => e.dataset.district)")
    assert shown and set(shown) == {DINGHAI}
    assert "ZS-DH-LC-001" in dh.inner_text("#gis-matches")

    # ... accepts it
    dh.select_option("#gis-referral-answer-form select[name=status]", "accepted")
    with dh.expect_navigation():
        dh.click("#gis-referral-answer-form button[type=submit]")
    dh.wait_for_selector("#gis-referral-in[data-status='accepted']")
    ref = _referral(live_app, rid)
    assert (ref["status"], ref["status_changed_by"], ref["matched_count"]) == (
        "accepted",
        "dh-officer",
        None,
    )

    # ... runs the match for the referral: its count is kept
    with dh.expect_navigation():
        dh.click("#gis-referral-match-form button[type=submit]")
    dh.wait_for_selector("#gis-referral-in[data-status='accepted']")
    ref = _referral(live_app, rid)
    assert ref["status"] == "accepted" and ref["matched_by"] == "dh-officer"
    assert ref["matched_count"] >= 1 and ref["matched_at"] is not None
    assert dh.inner_text(".gis-referral-matched").startswith(str(ref["matched_count"]))

    # ... and sends their own recommendation link for the ticked sites
    dh.fill("#gis-recommend-form input[name=recipient_name]", "李总")
    dh.click("#gis-recommend-save")
    dh.wait_for_selector("#gis-link-box:not([hidden])")
    with live_app.engine.connect() as c:
        rec = (
            c.execute(
                sa.text(
                    "SELECT r.id, r.district_code, r.created_by, min(l.created_at) AS sent"
                    " FROM recommendation r JOIN share_link l ON l.recommendation_id = r.id"
                    " WHERE r.requirement_id = :r GROUP BY r.id"
                ),
                {"r": rid},
            )
            .mappings()
            .one()
        )
        districts = set(
            c.execute(
                sa.text(
                    "SELECT s.district_code FROM recommendation_site rs JOIN site s"
                    " ON s.id = rs.site_id WHERE rs.recommendation_id = :i"
                ),
                {"i": rec["id"]},
            ).scalars()
        )
    assert (rec["district_code"], rec["created_by"]) == (DINGHAI, "dh-officer")
    assert districts == {DINGHAI}

    # Putuo sees the outcome: accepted, how many matched, the link sent and when
    page.reload()
    row = page.wait_for_selector(f"#gis-referral-outcomes tr[data-district='{DINGHAI}']")
    assert row.get_attribute("data-status") == "accepted"
    assert row.get_attribute("data-matched") == str(ref["matched_count"])
    assert row.get_attribute("data-sent") == "true"
    text = row.inner_text()
    assert "已受理" in text and rec["sent"].isoformat()[:16].replace("T", " ") in text
    # ... and nothing of Dinghai's sites, recommendation or recipient
    body = page.content()
    assert "ZS-DH-" not in body and "李总" not in body
    assert page.locator(f"[data-recommendation-id='{rec['id']}']").count() == 0

    # Putuo closes the referral: Dinghai's list no longer holds it
    with page.expect_navigation():
        page.click(f"button.gis-referral-close[data-referral-id='{ref['id']}']")
    page.wait_for_selector("#gis-referral-outcomes tr[data-status='closed']")
    assert _referral(live_app, rid)["status"] == "closed"
    dh.goto(f"{live_app.base_url}/requirements")
    dh.wait_for_selector("#gis-req-table")
    assert dh.locator(f"#gis-referral-inbox tr[data-requirement-id='{rid}']").count() == 0
    assert pt_errors == [] and dh_errors == []
