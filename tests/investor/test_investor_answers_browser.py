"""Browser test: an investor answers on the recommendation page in Chromium, as on a phone.

Every form of /r/{token} is submitted the way the investor does it (tick, type, press send):
the answer arrives in the database, the page says thanks, and a refused answer shows a page
that leads back to the recommendation. The page keeps ``Referrer-Policy: no-referrer``, so
Chromium sends ``Origin: null`` with these posts (issue 18, defect 1).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from investor_helpers import Env, Rec
from test_investor_browser import PHONE


@pytest.fixture
def phone(browser) -> Iterator:
    """A phone-sized browser page that records the origin of every POST it sends."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.posts = []  # type: ignore[attr-defined]
    page.on(
        "request",
        lambda r: (
            page.posts.append(r.headers.get("origin"))  # type: ignore[attr-defined]
            if r.method == "POST"
            else None
        ),
    )
    yield page
    context.close()


def _feedback(env: Env) -> list[tuple]:
    with env.engine.connect() as c:
        return [
            tuple(r)
            for r in c.exec_driver_sql(
                "SELECT s.code, f.kind, f.reason, f.question, f.language FROM feedback f "
                "LEFT JOIN site s ON s.id = f.site_id ORDER BY f.id"
            )
        ]


def test_investor_sends_every_kind_of_answer(phone, live: str, rec: Rec, env: Env) -> None:
    page = phone
    url = f"{live}/r/{rec.token('zh')}"
    page.goto(url)
    assert page.evaluate("document.referrer") == ""

    # 感兴趣 on the first site, with a note
    sheet = page.locator("#site-PT-BL-001")
    sheet.get_by_role("radio", name="感兴趣").check()
    sheet.locator("textarea[name=question]").fill("能否提供地块的地勘报告？")
    sheet.get_by_role("button", name="提交").click()
    page.wait_for_url("**sent=interested**")
    assert page.locator(".inv-sent").is_visible()
    assert "#site-PT-BL-001" in page.url

    # 不合适 with the reason, on another site
    sheet = page.locator("#site-PT-KF-009")
    sheet.get_by_role("radio", name="不合适").check()
    sheet.locator("textarea[name=reason]").fill("面积偏小，需要 80 亩以上")
    sheet.get_by_role("button", name="提交").click()
    page.wait_for_url("**sent=not_suitable**")

    # 预约考察 in English, after switching the page's language
    page.click("#lang-switch")
    page.wait_for_load_state()
    sheet = page.locator("#site-PT-ZM-002")
    sheet.locator("input[name=kind][value=visit_request]").check()
    sheet.get_by_role("button", name="Send").click()
    page.wait_for_url("**sent=visit_request**")
    assert page.locator(".inv-sent").is_visible()

    # the general question at the foot of the page
    page.locator("#question-general").fill("What are the electricity prices for industry?")
    page.locator("#question button[type=submit]").click()
    page.wait_for_url("**sent=question**")
    assert page.url.endswith("#question")

    # Chromium sent Origin: null (no-referrer), and the answers arrived all the same
    assert page.posts and set(page.posts) == {"null"}  # type: ignore[attr-defined]
    assert _feedback(env) == [
        ("PT-BL-001", "interested", None, "能否提供地块的地勘报告？", "zh"),
        ("PT-KF-009", "not_suitable", "面积偏小，需要 80 亩以上", None, "zh"),
        ("PT-ZM-002", "visit_request", None, None, "en"),
        (None, "question", None, "What are the electricity prices for industry?", "en"),
    ]
    with env.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM share_link WHERE view_count >= 4").scalar()


def test_refused_answer_leads_back_to_the_page(phone, live: str, rec: Rec, env: Env) -> None:
    page = phone
    url = f"{live}/r/{rec.token('zh')}"
    page.goto(url)
    # 不合适 without a reason is refused with a page that says why and leads back
    sheet = page.locator("#site-PT-BL-001")
    sheet.get_by_role("radio", name="不合适").check()
    sheet.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    assert "/feedback" in page.url
    assert page.locator("[role=alert]").inner_text().strip()
    back = page.locator("#back-to-page")
    back.click()
    page.wait_for_load_state()
    assert page.url.startswith(url)
    assert page.locator("#site-PT-BL-001").is_visible()
    # a form whose token was tampered with is refused as not from the page, nothing stored
    page.evaluate(
        "document.querySelector('#question input[name=form_token]').value = 'x'.repeat(64)"
    )
    page.locator("#question-general").fill("tampered")
    page.locator("#question button[type=submit]").click()
    page.wait_for_load_state()
    assert "recommendation page" in page.locator("[role=alert]").inner_text()
    page.locator("#back-to-page").click()
    page.wait_for_load_state()
    assert page.url.startswith(url)
    assert _feedback(env) == []
