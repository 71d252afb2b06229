"""The officers' map as a search tool, in Chromium as an officer: every filter of the API in the
page URL, areas drawn on the map, bad input refused with a message, the legend, the list.

Counts are checked three ways: the sites drawn from the vector tiles (each counted once), the
list's total for the window, and ``GET /api/sites`` for the same search (the whole
jurisdiction is in the window when the page opens).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import sqlalchemy as sa
from e2e_helpers import open_page, wait_idle

from gis_app.domain import filters

#: values of the parameters that are not one registry field's comparison
EXPLICIT_VALUES: dict[str, dict[str, str]] = {
    "q": {"q": "厂房"},
    "land_use": {"land_use": "1001"},
    "area_mu_min": {"area_mu_min": "40"},
    "area_mu_max": {"area_mu_max": "60"},
    "area_m2_min": {"area_m2_min": "20000"},
    "area_m2_max": {"area_m2_max": "40000"},
    "max_price_wan_per_mu": {"max_price_wan_per_mu": "60"},
    "verified_within_days": {"verified_within_days": "400"},
    "max_km_port": {"max_km_port": "3"},
    "max_km_wharf": {"max_km_wharf": "4"},
    "max_km_ferry": {"max_km_ferry": "2"},
    "max_km_expressway": {"max_km_expressway": "5"},
    "max_rent_yuan_m2_month": {"max_rent_yuan_m2_month": "20"},
    "near": {"near": "122.30,29.95", "radius_km": "3"},
    "radius_km": {"near": "122.20,30.00", "radius_km": "6"},
    "intersects": {
        "intersects": "POLYGON((122.28 29.88,122.42 29.9,122.44 29.98,122.3 29.99,122.28 29.88))"
    },
    "buffer_km": {
        "intersects": "LINESTRING(122.2 29.95,122.3 29.96,122.38 29.93)", "buffer_km": "1"
    },
    "bbox": {"bbox": "122.0,29.5,122.8,30.3"},
}  # fmt: skip


def _registry_value(conn: sa.Connection, flt: filters.RegistryFilter) -> str:
    """A value of the filter that the sample data holds (the most common one, or a low bound)."""
    table, column = flt.table, flt.field.name
    if flt.op == "is":
        return "true"
    if flt.op in ("min", "max"):
        share = 0.3 if flt.op == "min" else 0.7
        value = conn.execute(
            sa.text(
                f"SELECT percentile_disc({share}) WITHIN GROUP (ORDER BY {column}) FROM {table}"
                f" WHERE {column} IS NOT NULL"
            )
        ).scalar_one()
        return "1" if value is None else f"{value:g}"
    return conn.execute(
        sa.text(
            f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"
            f" GROUP BY {column} ORDER BY count(*) DESC, {column} LIMIT 1"
        )
    ).scalar_one()


def _api_total(page, query: str) -> int:
    return page.evaluate(
        "q => fetch('/api/sites?limit=1&format=json&' + q)"
        ".then(r => r.headers.get('x-total-count'))",
        query,
    )


def _counts(page) -> tuple[int, int, int]:
    wait_idle(page)
    drawn = page.evaluate("gisApp.drawnSiteCount()")
    listed = int(page.get_attribute("#gis-list-status", "data-total"))
    return drawn, listed, page.locator("#gis-list li").count()


def test_every_filter_in_the_page_url_drawn_equals_list_equals_api(browser, live_app):
    with live_app.engine.connect() as conn:
        cases = {
            f.parameter: {f.parameter: _registry_value(conn, f)} for f in filters.REGISTRY_FILTERS
        }
    cases |= EXPLICIT_VALUES
    # every parameter of the search is tried here: a new filter must be added to this test
    assert set(cases) == {p.name for p in filters.SEARCH_PARAMETERS}
    w = open_page(browser, live_app, "/")
    page = w.page
    wait_idle(page)
    nonzero = 0
    for name, params in cases.items():
        query = urlencode(params)
        page.goto(f"{live_app.base_url}/?{query}")
        drawn, listed, rows = _counts(page)
        if name == "bbox":  # the API's window opens the map there; the list follows the window
            box = [float(v) for v in params["bbox"].split(",")]
            assert page.evaluate(
                "b => gisApp.map.getBounds().contains([[b[1], b[0]], [b[3], b[2]]])", box
            )
            continue
        api = int(_api_total(page, query))
        assert drawn == listed == rows == api, (name, params, drawn, listed, rows, api)
        nonzero += api > 0
        # the search stays in the page URL and shows in the form; nothing was reported
        kept = parse_qs(urlparse(page.url).query)
        assert all(kept.get(k) == [v] for k, v in params.items()), (params, page.url)
        assert page.locator("#gis-problems").is_hidden(), page.inner_text("#gis-problems")
        if name not in ("intersects", "buffer_km"):
            assert page.evaluate(
                "n => new FormData(document.getElementById('gis-filters')).getAll(n)", name
            ) == [params[name]]
    assert nonzero >= len(cases) - 4  # the values found sites, so the counts say something
    assert w.errors == []


def _map_point(page, lon: float, lat: float) -> tuple[float, float]:
    pt = page.evaluate("ll => gisApp.map.latLngToContainerPoint(ll)", {"lat": lat, "lng": lon})
    box = page.locator(".folium-map").bounding_box()
    return box["x"] + pt["x"], box["y"] + pt["y"]


def _click(page, lon: float, lat: float) -> None:
    x, y = _map_point(page, lon, lat)
    page.mouse.click(x, y)
    page.wait_for_timeout(120)


def _url_params(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _search_of_url(page) -> str:
    keep = {k: v for k, v in _url_params(page).items() if k not in ("lang", "basemap")}
    return urlencode(keep, doseq=True)


def _open_area_tools(page) -> None:
    section = page.locator("details[data-section=search_area]")
    if section.get_attribute("open") is None:
        page.click("details[data-section=search_area] > summary")


POLYGON = [(122.28, 29.88), (122.42, 29.90), (122.44, 29.98), (122.30, 29.99)]


def test_draw_polygon_circle_line_and_a_named_place(browser, live_app):
    w = open_page(browser, live_app, "/")
    page = w.page
    wait_idle(page)
    all_sites = _counts(page)[1]
    _open_area_tools(page)

    # a polygon: click its corners, then the first corner again
    page.click("#gis-draw-polygon")
    for lon, lat in POLYGON:
        _click(page, lon, lat)
    _click(page, *POLYGON[0])
    page.wait_for_function("() => location.search.includes('intersects=')")
    drawn, listed, rows = _counts(page)
    api = int(_api_total(page, _search_of_url(page)))
    assert 0 < api < all_sites
    assert drawn == listed == rows == api
    assert "POLYGON" in _url_params(page)["intersects"][0]
    assert page.locator(".gis-legend [data-legend=search-area]").count() == 1
    assert "多边形" in page.inner_text("#gis-area-summary")

    # the shared link opens the same search
    page.goto(page.url)
    assert _counts(page)[1] == api

    # a circle: click the centre, then a point on its edge (about 3 km east)
    _open_area_tools(page)
    page.click("#gis-draw-circle")
    _click(page, 122.30, 29.95)
    _click(page, 122.331, 29.95)
    page.wait_for_function("() => location.search.includes('near=')")
    params = _url_params(page)
    assert "intersects" not in params
    assert 2.5 < float(params["radius_km"][0]) < 3.5
    drawn, listed, rows = _counts(page)
    assert drawn == listed == rows == int(_api_total(page, _search_of_url(page))) > 0

    # within 5 km of a named ferry terminal
    page.fill("#f-radius_km", "5")
    wait_idle(page)
    option = page.locator("#gis-near-place option", has_text="沈家门").first
    page.select_option("#gis-near-place", option.get_attribute("value"))
    page.wait_for_function(
        "v => new URLSearchParams(location.search).get('near') === v",
        arg=option.get_attribute("value"),
    )
    assert _url_params(page)["radius_km"] == ["5"]
    drawn, listed, rows = _counts(page)
    assert drawn == listed == rows == int(_api_total(page, _search_of_url(page))) > 0
    assert "沈家门" in page.inner_text("#gis-area-summary")

    # a centre picked on the map, with the radius in the form (5 km)
    page.click("#gis-pick-centre")
    _click(page, 122.25, 29.97)
    page.wait_for_function(
        "() => (new URLSearchParams(location.search).get('near') || '').startsWith('122.2')"
    )
    lon, lat = (float(v) for v in _url_params(page)["near"][0].split(","))
    assert abs(lon - 122.25) < 0.01 and abs(lat - 29.97) < 0.01
    assert _url_params(page)["radius_km"] == ["5"]
    drawn, listed, rows = _counts(page)
    assert drawn == listed == rows == int(_api_total(page, _search_of_url(page)))

    # a line along a road, widened by 1 km (double-click ends it)
    page.click("#gis-draw-line")
    _click(page, 122.20, 29.95)
    _click(page, 122.30, 29.96)
    x, y = _map_point(page, 122.38, 29.93)
    page.mouse.dblclick(x, y)
    page.wait_for_function("() => location.search.includes('LINESTRING')")
    assert _url_params(page)["buffer_km"] == ["1"]
    assert "near" not in _url_params(page)
    drawn, listed, rows = _counts(page)
    assert drawn == listed == rows == int(_api_total(page, _search_of_url(page))) > 0

    page.click("#gis-clear-area")
    page.wait_for_function("() => !location.search.includes('intersects')")
    assert _counts(page)[1] == all_sites
    assert w.errors == []


def _refused(page, before_url: str, before_total: int, text: str) -> None:
    page.wait_for_function(
        "t => !document.getElementById('gis-problems').hidden &&"
        " document.getElementById('gis-problems').innerText.includes(t)",
        arg=text,
    )
    wait_idle(page)
    assert page.url == before_url  # the refused search is not in the URL
    assert int(page.get_attribute("#gis-list-status", "data-total")) == before_total
    assert page.evaluate("gisApp.drawnSiteCount()") == before_total


def test_bad_areas_and_radii_are_refused_with_a_message(browser, live_app):
    w = open_page(browser, live_app, "/?availability=available")
    page = w.page
    wait_idle(page)
    url, total = page.url, _counts(page)[1]
    _open_area_tools(page)

    # a polygon whose outline crosses itself (a bow tie)
    page.click("#gis-draw-polygon")
    for lon, lat in [(122.25, 29.90), (122.40, 30.00), (122.40, 29.90), (122.25, 30.00)]:
        _click(page, lon, lat)
    _click(page, 122.25, 29.90)
    _refused(page, url, total, "边线自相交")
    assert page.input_value("#f-intersects") == ""

    # a radius of 0 and of 10,000 km
    page.fill("#f-near", "122.30,29.95")
    page.fill("#f-radius_km", "0")
    page.press("#f-radius_km", "Enter")
    _refused(page, url, total, "半径（公里）应大于 0 且不超过 500（填写的是 0）")
    page.fill("#f-radius_km", "10000")
    page.press("#f-radius_km", "Enter")
    _refused(page, url, total, "填写的是 10000")
    page.fill("#f-near", "")
    page.fill("#f-radius_km", "")
    page.press("#f-radius_km", "Enter")
    page.wait_for_function("() => document.getElementById('gis-problems').hidden")

    # links with a whole-world polygon, an area in another CRS, an unknown parameter
    for query, text in [
        ({"intersects": "POLYGON((-180 -90,180 -90,180 90,-180 90,-180 -90))"}, "范围过大"),
        ({"intersects": "SRID=4550;POLYGON((500000 3300000,510000 3300000,"
          "510000 3310000,500000 3300000))"}, "坐标系是 EPSG:4550"),
        ({"intersects": "POLYGON((500000 3300000,510000 3300000,510000 3310000,"
          "500000 3300000))"}, "投影坐标"),
        ({"max_km_port": "-3"}, "距港口 ≤应在 0 到"),  # the parameter's label, in Chinese
    ]:  # fmt: skip
        page.goto(f"{live_app.base_url}/?{urlencode(query)}")
        page.wait_for_function("() => !document.getElementById('gis-problems').hidden")
        wait_idle(page)
        assert text in page.inner_text("#gis-problems"), (query, page.inner_text("#gis-problems"))
        assert page.evaluate("gisApp.drawnSiteCount()") == 0  # nothing searched
        assert page.locator("#gis-list li").count() == 0
    page.goto(f"{live_app.base_url}/?kind=land&max_km_harbour=3&block=不存在的区块&max_km_port=abc")
    wait_idle(page)
    problems = page.inner_text("#gis-problems")
    assert "max_km_harbour" in problems and "未知参数" in problems
    assert "block=不存在的区块" in problems and "没有此值" in problems
    assert "max_km_port=abc" in problems and "不是有效的数值" in problems
    # the known filter still applies
    assert int(page.get_attribute("#gis-list-status", "data-total")) == int(
        _api_total(page, "kind=land")
    )


def test_legend_shows_every_layer_with_infrastructure_symbols(browser, live_app):
    w = open_page(browser, live_app, "/")
    page = w.page
    wait_idle(page)
    page.wait_for_selector(".gis-infra-icon")
    legend = page.locator(".gis-legend")
    for key in ("infra-port", "infra-ferry_terminal", "infra-wharf", "jurisdiction"):
        assert legend.locator(f"[data-legend={key}]").count() == 1, key
    assert legend.locator("[data-legend=zone-ecological_redline]").count() == 1
    # a symbol per kind, drawn in ink on white: not a filled circle in a site colour
    ports = page.locator(".gis-infra-icon svg.gis-symbol")
    assert (
        ports.count() >= 3 and page.locator(".gis-infra-icon circle[fill='#1a9850']").count() == 0
    )
    assert "港口" in legend.inner_text() and "客运码头" in legend.inner_text()
    # a zone layer switched off leaves the legend; switched on again, it is back
    page.hover(".leaflet-control-layers")
    page.locator(".leaflet-control-layers-overlays label", has_text="生态保护红线").click()
    assert legend.locator("[data-legend=zone-ecological_redline]").count() == 0
    page.locator(".leaflet-control-layers-overlays label", has_text="生态保护红线").click()
    assert legend.locator("[data-legend=zone-ecological_redline]").count() == 1
    assert w.errors == []


@pytest.mark.parametrize("lang", ["zh"])
def test_list_row_click_zooms_and_keeps_the_list(browser, live_app, lang):
    w = open_page(browser, live_app, f"/?lang={lang}&availability=available")
    page = w.page
    wait_idle(page)
    rows = page.locator("#gis-list li").count()
    assert rows > 3
    zoom = page.evaluate("gisApp.map.getZoom()")
    row = page.locator("#gis-list li").nth(2)
    sid = row.get_attribute("data-site-id")
    row.click()
    page.locator(f'.gis-popup[data-site-id="{sid}"]').wait_for()
    wait_idle(page)
    assert page.evaluate("gisApp.map.getZoom()") > zoom
    assert page.locator("#gis-list li").count() == rows  # not collapsed to the site in view
    assert "gis-selected" in page.get_attribute(f'#gis-list li[data-site-id="{sid}"]', "class")
    assert "列表保持不变" in page.inner_text("#gis-list-status")
    # panning afterwards makes the list follow the window again
    page.evaluate("gisApp.map.panBy([5, 5], {animate: false})")
    wait_idle(page)
    assert page.locator("#gis-list li").count() < rows
    assert w.errors == []
