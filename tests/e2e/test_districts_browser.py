"""Districts in Chromium (issue 26): an officer picks a district in the map's search form (the
search, the drawn sites and the list follow, the URL keeps it, the popup names the district in
the page's language)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa
from e2e_helpers import open_page, wait_idle
from writers import DINGHAI


def test_map_search_by_district_kept_in_the_url_and_named_in_the_popup(browser, live_app):
    with live_app.engine.connect() as c:
        want = set(
            c.execute(
                sa.text("SELECT id FROM site WHERE district_code = :d AND retired_at IS NULL"),
                {"d": DINGHAI},
            ).scalars()
        )
    assert want
    w = open_page(browser, live_app, "/")
    page = w.page
    wait_idle(page)
    option = page.locator(f"#f-district_code option[value='{DINGHAI}']")
    assert option.inner_text() == "定海区（示意范围）"
    page.select_option("#f-district_code", DINGHAI)
    page.wait_for_function(
        "d => new URLSearchParams(location.search).get('district_code') === d", arg=DINGHAI
    )
    wait_idle(page)
    assert parse_qs(urlparse(page.url).query)["district_code"] == [DINGHAI]
    listed = page.locator("#gis-list li[data-site-id]").evaluate_all(
        "els => els.map(e => Number(e.dataset.siteId))"
    )
    assert set(listed) == want
    assert page.evaluate("gisApp.drawnSiteCount()") == len(want)
    assert int(page.get_attribute("#gis-list-status", "data-total")) == len(want)

    # a row's popup names the district, in Chinese, then in English after the switch
    page.locator("#gis-list li[data-site-id]").first.click()
    popup = page.locator(".gis-popup")
    popup.wait_for()
    assert "定海区（示意范围）" in popup.inner_text()
    assert DINGHAI not in popup.inner_text()
    page.click("#gis-lang")
    page.wait_for_function(
        "() => (document.querySelector('.gis-popup') || {}).innerText"
        "?.includes('Dinghai District (illustrative part)')"
    )
    assert option.inner_text() == "Dinghai District (illustrative part)"

    # the page URL, opened again, holds the search: the district is selected
    page.goto(page.url)
    wait_idle(page)
    selected = page.eval_on_selector(
        "#f-district_code", "s => [...s.selectedOptions].map(o => o.value)"
    )
    assert selected == [DINGHAI]
    assert page.evaluate("gisApp.drawnSiteCount()") == len(want)
    assert page.locator("#gis-problems").is_hidden()
    assert w.errors == []
    page.context.close()
