"""The investor page's wording (issue 21, item 5): a plant's headline is its floor space, building
codes stay internal, English pages use the English names of blocks, townships, addresses and
descriptions (saying "Chinese only" where the data has none), and the map has a legend."""

from __future__ import annotations

import re
from typing import Any

import pytest
from investor_helpers import Env, make_recommendation
from test_investor_browser import SHOTS

# a standard plant with its buildings, a land parcel with English names, and one whose address
# (城北开山地块) has no English in the sample
CODES = ("PT-KF-009", "PT-BL-001", "PT-CB-001")


@pytest.fixture
def english(env: Env) -> tuple[Env, str]:
    env.execute("UPDATE site SET description_en = NULL WHERE code = 'PT-BL-001'")
    rec = make_recommendation(env, CODES)
    return env, rec.token("en")


def _sheet(html: str, code: str) -> str:
    start = html.index(f'id="site-{code}"')
    end = html.find("<article", start + 1)
    return html[start : end if end > 0 else len(html)]


def test_english_page_words_the_sites_as_investors_read_them(english: tuple[Env, str]) -> None:
    env, token = english
    anon = env.make_anon()
    html = anon.get(f"/r/{token}?lang=en").text
    codes = env.scalar(
        "SELECT string_agg(b.code, ',') FROM building b JOIN site s ON s.id = b.site_id "
        "WHERE s.code = 'PT-KF-009'"
    ).split(",")
    assert codes and all(codes)
    # building codes are internal: not on the page, nor in the JSON
    data = anon.get(f"/r/{token}.json").json()
    for code in codes:
        assert code not in html and code not in str(data)
    assert all("code" not in b for s in data["sites"] for b in s["buildings"])

    plant = _sheet(html, "PT-KF-009")
    vacant, total = (
        float(x)
        for x in env.scalar(
            "SELECT sum(b.vacant_gfa_m2) || ',' || sum(b.gfa_m2) FROM building b "
            "JOIN site s ON s.id = b.site_id WHERE s.code = 'PT-KF-009'"
        ).split(",")
    )
    headline = re.search(r'<p class="inv-area">(.*?)</p>', plant).group(1)
    assert headline.startswith("Floor space available")
    assert f"{vacant:,.0f} m²" in headline and f"of {total:,.0f} m²" in headline
    assert "mu" not in headline  # the parcel's area is a line of its own
    assert "<dt>Land parcel</dt>" in plant

    land = _sheet(html, "PT-BL-001")
    assert re.search(r'<p class="inv-area">Area: [\d,.]+ mu', land)
    assert "Zhanmao Subdistrict" in land and "Bailian Block" in land
    assert "Bailian Road, Zhanmao Subdistrict" in land
    zh_description = env.scalar("SELECT description_zh FROM site WHERE code = 'PT-BL-001'")
    assert f"{zh_description} (Chinese only)" in land
    # the address the data has only in Chinese is marked so
    quarry = _sheet(html, "PT-CB-001")
    address = env.scalar("SELECT address FROM site WHERE code = 'PT-CB-001'")
    assert f"{address} (Chinese only)" in quarry and "Shenjiamen Subdistrict" in quarry

    # the Chinese page stays Chinese
    zh = anon.get(f"/r/{token}?lang=zh").text
    assert "展茅街道" in _sheet(zh, "PT-BL-001") and "Chinese only" not in zh
    assert "可用建筑面积" in _sheet(zh, "PT-KF-009")


def test_the_map_has_a_legend_in_the_page_language(
    english: tuple[Env, str], live: str, browser: Any
) -> None:
    _, token = english
    page = browser.new_page()
    page.goto(f"{live}/r/{token}?lang=en", wait_until="networkidle")
    legend = page.locator("#map-legend")
    assert legend.is_visible()
    items = legend.locator("li").all_inner_texts()
    assert any("Recommended site" in t for t in items)
    # the kinds of infrastructure drawn on the map are named in the legend
    assert len(items) >= 2
    assert any(t in ("Port", "Wharf", "Ferry terminal", "Expressway interchange") for t in items), (
        items
    )
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/investor_legend_en.png", full_page=True)
    page.goto(f"{live}/r/{token}?lang=zh", wait_until="networkidle")
    assert "推荐资源" in page.locator("#map-legend").inner_text()
    page.close()


def test_why_a_site_fits_names_its_area_in_english(env: Env, live: str, browser: Any) -> None:
    """The preferred-area reason of a recommendation made from a requirement: the English page
    names the township and block by their English names, the Chinese page by the Chinese."""
    r = env.officer.post(
        "/api/requirements",
        json={
            "project_name": "六横临港项目",
            "need": "land",
            "land_use_codes": ["M"],
            "preferred_townships": ["六横镇"],
        },
    )
    assert r.status_code == 201, r.text
    r = env.officer.post("/api/recommendations", json={"requirement_id": r.json()["id"], "top": 3})
    assert r.status_code == 201, r.text
    rec = r.json()
    links = {}
    for lang in ("en", "zh"):
        made = env.officer.post(
            f"/api/recommendations/{rec['id']}/links",
            json={"recipient_name": "Ms Smith", "recipient_org": "Example Co", "language": lang},
        )
        assert made.status_code == 201, made.text
        links[lang] = made.json()["url"]
    liuheng = env.scalar(
        "SELECT count(*) FROM site WHERE id = ANY(:ids) AND township = '六横镇'",
        ids=[s["site_id"] for s in rec["sites"]],
    )
    assert liuheng, "the preferred township is among the recommended sites"
    page = browser.new_page()
    page.goto(f"{live}/r/{links['en'].rsplit('/', 1)[-1]}?lang=en", wait_until="networkidle")
    text = page.locator("main").inner_text()
    assert "Liuheng Town" in text and "六横镇" not in text, text[:2000]
    page.goto(f"{live}/r/{links['zh'].rsplit('/', 1)[-1]}?lang=zh", wait_until="networkidle")
    assert "六横镇" in page.locator("main").inner_text()
    page.close()
