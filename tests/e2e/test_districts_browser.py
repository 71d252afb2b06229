"""Districts in Chromium (issue 26): an officer picks a district in the map's search form (the
search, the drawn sites and the list follow, the URL keeps it, the popup names the district in
the page's language), and opens the city dashboard: the districts side by side with the
figures SQL counts here, a click on a district drills down to its own dashboard."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from e2e_helpers import open_page, wait_idle
from writers import DINGHAI, PUTUO, add_requirements

from gis_app.domain import vocab

#: requirements recorded per district for the pipeline (status → how many)
REQUIREMENTS = {DINGHAI: {"new": 1, "visiting": 1}, PUTUO: {"negotiating": 2, "dropped": 1}}

#: per district: what the city view shows, counted here without the app's queries
_FIGURES = """
    SELECT s.district_code AS key,
           count(*) FILTER (WHERE s.availability = 'available') AS available_sites,
           COALESCE(sum(ST_Area(s.geom::geography)) FILTER (
               WHERE s.availability = 'available' AND s.kind = 'land'), 0) / (10000 / 15.0)
               AS available_land_mu,
           COALESCE(sum(b.vacant) FILTER (WHERE s.availability = 'available'), 0)
               AS vacant_gfa_m2
      FROM site s
      LEFT JOIN (SELECT site_id, sum(vacant_gfa_m2) AS vacant FROM building GROUP BY 1) b
             ON b.site_id = s.id
     WHERE s.retired_at IS NULL
     GROUP BY 1
"""


def _number(text: str) -> float:
    return float(text.replace(",", "").strip())


def _wait_ready(page) -> None:
    page.wait_for_function(
        "() => document.body.getAttribute('data-dashboard-state') !== 'loading'", timeout=30000
    )
    assert page.get_attribute("body", "data-dashboard-state") == "ready"


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


def test_city_dashboard_shows_districts_side_by_side_and_drills_down(browser, live_app):
    add_requirements(live_app.engine, REQUIREMENTS)
    with live_app.engine.connect() as c:
        figures = {r["key"]: r for r in c.execute(sa.text(_FIGURES)).mappings()}
        names = dict(
            c.execute(sa.text("SELECT code, name_zh FROM district WHERE level = 'district'")).all()
        )
    w = open_page(browser, live_app, "/dashboard")
    page = w.page
    _wait_ready(page)
    assert page.inner_text("#gis-scope-name") == "全市"

    # one row per district, by code, each with the figures counted above
    rows = page.locator("#table-districts tr[data-key]")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.key)") == sorted(names)
    for code, want in figures.items():
        row = page.locator(f"#table-districts tr[data-key='{code}']")

        def cell(col: str, row=row) -> float:
            return _number(row.locator(f"td[data-col='{col}']").inner_text())

        assert row.locator("td").first.inner_text() == names[code]
        assert cell("available_sites") == want["available_sites"]
        land = float(want["available_land_mu"])
        assert cell("available_land_mu") == pytest.approx(land, abs=0.02)
        assert cell("vacant_gfa_m2") == pytest.approx(float(want["vacant_gfa_m2"]), abs=0.1)
        statuses = REQUIREMENTS[code]
        open_now = sum(n for s, n in statuses.items() if s in vocab.OPEN_REQUIREMENT_STATUSES)
        assert cell("open_requirements") == open_now
        for status in vocab.REQUIREMENT_STATUS.keys:
            assert cell(f"req_{status}") == statuses.get(status, 0), (code, status)
    chart = page.evaluate("() => window.gisDashboard.charts.districts.data.labels")
    assert chart == [names[k] for k in sorted(names)]

    # drill down: the district's own dashboard, every figure narrowed to it
    with page.expect_navigation():
        page.click(f"#table-districts tr[data-key='{DINGHAI}'] a")
    assert parse_qs(urlparse(page.url).query)["district_code"] == [DINGHAI]
    _wait_ready(page)
    assert "定海区（示意范围）" in page.inner_text("h1")
    assert page.inner_text("#gis-scope-name") == "定海区（示意范围）"
    assert page.locator("#card-districts").count() == 0
    dh = figures[DINGHAI]
    assert _number(page.inner_text("#kpi-available_sites")) == dh["available_sites"]
    assert _number(page.inner_text("#kpi-available_land_mu")) == pytest.approx(
        float(dh["available_land_mu"]), abs=0.06
    )
    assert _number(page.inner_text("#kpi-requirements")) == sum(REQUIREMENTS[DINGHAI].values())
    with live_app.engine.connect() as c:
        blocks = set(
            c.execute(
                sa.text("SELECT DISTINCT block FROM site WHERE district_code = :d"), {"d": DINGHAI}
            ).scalars()
        )
    labels = page.evaluate("() => window.gisDashboard.charts.available.data.labels")
    assert set(labels) == blocks
    href = page.get_attribute('a[data-chart="blockers"][data-format="csv"]', "href")
    assert f"district_code={DINGHAI}" in href
    body = page.request.get(live_app.base_url + href).text()
    assert all(b in body for b in blocks)
    assert page.get_attribute("#gis-map-link", "href").endswith(f"district_code={DINGHAI}")

    # and back to the whole city
    with page.expect_navigation():
        page.click("#gis-city-link")
    _wait_ready(page)
    assert page.locator("#table-districts tr[data-key]").count() == len(names)
    assert w.errors == []
    assert [u for u in w.requests if not u.startswith(live_app.base_url + "/")] == []
    page.context.close()
