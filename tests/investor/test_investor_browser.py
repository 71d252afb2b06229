"""Browser test: the investor page in headless Chromium at a phone's size, in both languages,
draws the map with every recommended site and asks no other host for anything."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from investor_helpers import Env, Rec

PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: set to a folder to keep screenshots of the pages (for looking at the layout)
SHOTS = os.environ.get("GIS_APP_TEST_SCREENSHOTS")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_phone_page_draws_every_site_with_no_other_host(
    browser, live: str, rec: Rec, env: Env, lang: str
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # the zh link opened in its own language, and switched to English with the page's switch
    page.goto(f"{live}/r/{rec.token('zh')}", wait_until="networkidle")
    if lang == "en":
        page.click("#lang-switch")
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if lang == "zh" else "en")

    page.wait_for_selector(".leaflet-container")
    names = {
        code: env.scalar(f"SELECT name_{lang} FROM site WHERE code = :c", c=code)
        for code in ("PT-BL-001", "PT-KF-009", "PT-ZM-002")
    }
    # one numbered marker and one outline per site on the map
    markers = page.locator(".leaflet-marker-pane .rank-marker")
    assert markers.count() == len(rec.site_ids)
    assert sorted(markers.all_inner_texts()) == ["1", "2", "3"]
    outlines = page.locator(".leaflet-overlay-pane path.leaflet-interactive")
    assert outlines.count() >= len(rec.site_ids)
    # the sheets, in the page's language, each with its name
    for code, name in names.items():
        sheet = page.locator(f"#site-{code}")
        assert sheet.locator(".inv-name").inner_text().strip() == name
    title = "海洋装备项目选址推荐" if lang == "zh" else "Sites for a marine equipment project"
    assert page.locator("h1").inner_text() == title
    # fits a phone: nothing wider than the screen forces sideways scrolling of the page
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1
    map_box = page.locator("#site-map").bounding_box()
    assert map_box and map_box["width"] <= PHONE["width"] and map_box["height"] >= 300

    own = urlsplit(live).netloc
    others = [u for u in requests if urlsplit(u).scheme in ("http", "https")]
    others = [u for u in others if urlsplit(u).netloc != own]
    assert others == []
    assert errors == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/investor_{lang}.png", full_page=True)
    # printable: the forms and buttons go, the sheets and the map stay
    page.emulate_media(media="print")
    assert not page.locator(".inv-feedback").first.is_visible()
    assert not page.locator("#lang-switch").is_visible()
    assert page.locator("#site-PT-ZM-002 .inv-facts").is_visible()
    assert page.locator(".leaflet-container").is_visible()
    context.close()
