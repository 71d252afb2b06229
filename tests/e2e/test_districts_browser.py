"""Districts in Chromium (issue 26): an officer picks a district in the map's search form (the
search, the drawn sites and the list follow, the URL keeps it, the popup names the district in
the page's language), and opens the city dashboard: the districts side by side with the
figures SQL counts here, a click on a district drills down to its own dashboard."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from e2e_helpers import PASSWORD, open_page, wait_idle
from writers import CITY, DINGHAI, PUTUO, add_requirements

from gis_app.domain import vocab
from gis_app.services import accounts

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


def test_district_leaders_ledger_and_the_city_drilling_down_and_setting_a_target(browser, live_app):
    """A Putuo officer's map lists Putuo's sites only and a Putuo leader's report sums Putuo's
    projects (no district to choose); the city's leader picks 定海区 in the report's form,
    sees Dinghai's project and sets Dinghai's target through the form: the database holds it
    as Dinghai's, and Putuo's leader still sees no trace of it (revision 0040)."""
    year = dt.date.today().year
    month = f"{year}-01"
    with live_app.engine.begin() as c:
        for name, roles, district in (
            ("pt-map-officer", ["officer"], PUTUO),
            ("pt-ledger-leader", ["leader"], PUTUO),
            ("city-ledger-leader", ["leader"], CITY),
            ("dh-act-officer", ["officer"], DINGHAI),
        ):
            accounts.create_user(c, name, PASSWORD, roles, district_code=district)
        putuo_sites = set(
            c.execute(
                sa.text("SELECT id FROM site WHERE district_code = :d AND retired_at IS NULL"),
                {"d": PUTUO},
            ).scalars()
        )
        dh = c.execute(
            sa.text(
                "INSERT INTO project (code, name, sector, district_code, officer)"
                " VALUES ('DH-E2E-1', '定海浏览器项目', 'manufacturing', :d, 'nobody')"
                " RETURNING id"
            ),
            {"d": DINGHAI},
        ).scalar_one()
        c.execute(
            sa.text(
                "INSERT INTO project_month (project_id, month, funds_fixed_asset_wan)"
                " VALUES (:p, :m, 4321)"
            ),
            {"p": dh, "m": dt.date(year, 1, 1)},
        )
        c.execute(
            sa.text(
                "INSERT INTO promotion_activity (kind, held_on, officer, title, created_by,"
                " district_code) VALUES ('trip_out', :d, 'dh-act-officer', '定海外出招商',"
                " 'dh-act-officer', :c)"
            ),
            {"d": dt.date(year, 1, 5), "c": DINGHAI},
        )
        pt = c.execute(
            sa.text(
                "INSERT INTO project (code, name, sector, district_code, officer)"
                " VALUES ('PT-E2E-1', '普陀浏览器项目', 'manufacturing', :d, 'nobody')"
                " RETURNING id"
            ),
            {"d": PUTUO},
        ).scalar_one()
        c.execute(
            sa.text(
                "INSERT INTO project_month (project_id, month, funds_fixed_asset_wan)"
                " VALUES (:p, :m, 1234)"
            ),
            {"p": pt, "m": dt.date(year, 1, 1)},
        )

    # the Putuo officer's map: Putuo's sites only
    w = open_page(browser, replace(live_app, username="pt-map-officer"), "/")
    page = w.page
    wait_idle(page)
    listed = page.locator("#gis-list li[data-site-id]").evaluate_all(
        "els => els.map(e => Number(e.dataset.siteId))"
    )
    assert listed and set(listed) <= putuo_sites
    assert int(page.get_attribute("#gis-list-status", "data-total")) == len(putuo_sites)
    page.context.close()

    # the Putuo leader's report: Putuo's project, no Dinghai trace, no district to pick
    path = f"/reports/indicators?start={month}&end={month}"
    w = open_page(browser, replace(live_app, username="pt-ledger-leader"), path)
    page = w.page
    assert page.inner_text("#gis-report-district") == "普陀区"
    assert page.locator("#gis-report-period select[name=district]").count() == 0
    funds = "#gis-indicators tr[data-indicator=funds]"
    codes = page.locator(f"{funds} li[data-code]").evaluate_all(
        "els => els.map(e => e.dataset.code)"
    )
    assert "PT-E2E-1" in codes and "DH-E2E-1" not in codes
    assert "DH-E2E-1" not in page.content() and "定海浏览器项目" not in page.content()
    page.context.close()

    # the city's leader: drills down to Dinghai with the form, then sets Dinghai's target
    w = open_page(browser, replace(live_app, username="city-ledger-leader"), path)
    page = w.page
    assert page.inner_text("#gis-report-district") == "舟山市"
    codes = page.locator(f"{funds} li[data-code]").evaluate_all(
        "els => els.map(e => e.dataset.code)"
    )
    assert {"PT-E2E-1", "DH-E2E-1"} <= set(codes)
    page.select_option("#gis-report-period select[name=district]", DINGHAI)
    with page.expect_navigation():
        page.click("#gis-report-period button[type=submit]")
    assert parse_qs(urlparse(page.url).query)["district"] == [DINGHAI]
    assert page.inner_text("#gis-report-district") == "定海区（示意范围）"
    codes = page.locator(f"{funds} li[data-code]").evaluate_all(
        "els => els.map(e => e.dataset.code)"
    )
    assert codes == ["DH-E2E-1"]
    assert float(page.get_attribute(f"{funds} .gis-actual", "data-value")) == 4321
    f = "#gis-set-target"
    page.fill(f"{f} input[name=year]", str(year))
    page.select_option(f"{f} select[name=scope]", "district")
    page.select_option(f"{f} select[name=indicator]", "funds")
    page.fill(f"{f} input[name=value]", "8642")
    with page.expect_navigation():
        page.click(f"{f} button[type=submit]")
    page.wait_for_selector("#gis-target-saved")
    assert parse_qs(urlparse(page.url).query)["district"] == [DINGHAI]
    row = page.locator(f"#gis-targets tr[data-district='{DINGHAI}'][data-indicator=funds]")
    assert row.count() == 1
    assert float(page.get_attribute(f"{funds} td:nth-child(4)", "data-value")) == 8642
    assert not w.errors, w.errors
    page.context.close()
    with live_app.engine.connect() as c:
        got = c.execute(
            sa.text(
                "SELECT district_code, value FROM indicator_target"
                " WHERE year = :y AND scope = 'district' AND indicator = 'funds'"
            ),
            {"y": year},
        ).all()
    assert [tuple(r) for r in got] == [(DINGHAI, 8642)]

    # the city's leader: the project list and the activities drilled down to 定海区 with their
    # forms
    w = open_page(browser, replace(live_app, username="city-ledger-leader"), "/projects")
    page = w.page
    shown = page.locator("#gis-projects td.gis-district").evaluate_all(
        "els => els.map(e => e.dataset.district)"
    )
    assert {PUTUO, DINGHAI} <= set(shown)
    page.select_option("#gis-project-filters select[name=district]", DINGHAI)
    with page.expect_navigation():
        page.click("#gis-project-filters button[type=submit]")
    assert parse_qs(urlparse(page.url).query)["district"] == [DINGHAI]
    rows = page.locator("#gis-projects td.gis-district").evaluate_all(
        "els => els.map(e => e.dataset.district)"
    )
    assert rows == [DINGHAI]
    assert "DH-E2E-1" in page.inner_text("#gis-projects")
    assert page.inner_text("#gis-project-total") == "1"
    page.goto(f"{live_app.base_url}/activities?year={year}")
    officers = page.locator("#gis-activity-progress").inner_text()
    assert "dh-act-officer" in officers
    page.select_option("#gis-activity-year select[name=district]", PUTUO)
    with page.expect_navigation():
        page.click("#gis-activity-year button[type=submit]")
    assert page.inner_text("#gis-activity-district") == "普陀区"
    assert "dh-act-officer" not in page.locator("#gis-activity-progress").inner_text()
    page.select_option("#gis-activity-year select[name=district]", DINGHAI)
    with page.expect_navigation():
        page.click("#gis-activity-year button[type=submit]")
    assert "dh-act-officer" in page.locator("#gis-activity-progress").inner_text()
    # …and sets Dinghai's monthly minimum with the form under it: back on Dinghai's page
    m = "#gis-set-minimum"
    page.fill(f"{m} input[name=year]", str(year))
    page.select_option(f"{m} select[name=kind]", "trip_out")
    page.fill(f"{m} input[name=per_month]", "4")
    with page.expect_navigation():
        page.click(f"{m} button[type=submit]")
    page.wait_for_selector("#gis-saved")
    assert parse_qs(urlparse(page.url).query)["district"] == [DINGHAI]
    assert page.inner_text("#gis-activity-district").startswith("定海区")
    assert page.locator("#gis-minimums li[data-kind=trip_out]").count() == 1
    assert not w.errors, w.errors
    page.context.close()
    with live_app.engine.connect() as c:
        minimums = c.execute(
            sa.text("SELECT district_code, per_month FROM activity_minimum WHERE year = :y"),
            {"y": year},
        ).all()
    assert [tuple(r) for r in minimums] == [(DINGHAI, 4)]

    # Putuo's leader: no target of Dinghai's on their report
    w = open_page(browser, replace(live_app, username="pt-ledger-leader"), path)
    assert w.page.locator(f"#gis-targets tr[data-district='{DINGHAI}']").count() == 0
    assert w.page.get_attribute(f"{funds} td:nth-child(4)", "data-value") == ""
    w.page.context.close()
