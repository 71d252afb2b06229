"""The officers' map in headless Chromium against the app on 127.0.0.1 (sample data)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from e2e_helpers import open_page, start_app, wait_idle
from shapely.geometry import shape

from gis_app.db.engine import make_engine
from gis_app.domain.gcj02 import wgs84_to_gcj02
from gis_app.services import requirements as requirement_service
from gis_app.settings import MapSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench package
from bench.zone_checks import HOLEY_ZONE

HTML_LIMIT = 500 * 1024


def _api_total(page, query: str) -> int:
    return page.evaluate(
        "q => fetch('/api/sites?limit=1&' + q).then(r => r.json()).then(j => j.numberMatched)",
        query,
    )


def _site(page, code: str) -> dict:
    fc = page.evaluate(
        "c => fetch('/api/sites?q=' + encodeURIComponent(c)).then(r => r.json())", code
    )
    return next(f for f in fc["features"] if f["properties"]["code"] == code)


def _local(app, urls: list[str]) -> list[str]:
    return [u for u in urls if not (u.startswith(app.base_url) or u.startswith("data:"))]


def test_page_loads_offline_without_errors_or_other_hosts(browser, live_app):
    w = open_page(browser, live_app, "/")
    page = w.page
    wait_idle(page)
    assert page.evaluate("gisApp.drawnSiteCount()") > 0
    assert w.errors == []
    assert _local(live_app, w.requests) == []
    # every site of the sample is drawn, as vector tiles from the app
    assert any("/tiles/sites/" in u for u in w.requests)
    assert any("/static/vendor/leaflet@1.9.4/" in u for u in w.requests)


def test_drawn_sites_equal_api_count_and_follow_filters(browser, live_app):
    w = open_page(browser, live_app, "/")
    page = w.page
    wait_idle(page)
    total = _api_total(page, "")
    assert total == 77
    assert page.evaluate("gisApp.drawnSiteCount()") == total
    assert int(page.get_attribute("#gis-drawn-count", "data-count")) == total
    assert int(page.get_attribute("#gis-list-status", "data-total")) == total
    assert page.locator("#gis-list li").count() == total

    page.check("input[name=availability][value=available]")
    wait_idle(page)
    available = _api_total(page, "availability=available")
    assert 0 < available < total
    assert page.evaluate("gisApp.drawnSiteCount()") == available
    assert int(page.get_attribute("#gis-list-status", "data-total")) == available
    assert page.locator("#gis-list li").count() == available
    metas = page.locator("#gis-list .gis-row-meta").all_inner_texts()
    assert metas and all("可招商" in m for m in metas)
    assert any("availability=available" in u and "/tiles/sites/" in u for u in w.requests)

    page.check("input[name=kind][value=land]")
    page.fill("input[name=area_mu_min]", "50")
    wait_idle(page)
    both = _api_total(page, "availability=available&kind=land&area_mu_min=50")
    assert both < available
    assert page.evaluate("gisApp.drawnSiteCount()") == both
    assert page.locator("#gis-list li").count() == both
    assert "area_mu_min=50" in page.url and "kind=land" in page.url
    assert w.errors == []


def test_click_site_opens_popup_and_highlights_row_then_row_click_zooms(browser, live_app):
    w = open_page(browser, live_app, "/")
    page = w.page
    wait_idle(page)
    site = _site(page, "PT-KF-003")
    pid = site["properties"]["id"]
    inside = shape(site["geometry"]).representative_point()
    x0, y0, x1, y1 = shape(site["geometry"]).bounds
    page.evaluate(
        "b => gisApp.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {maxZoom: 16, animate: false})",
        [x0, y0, x1, y1],
    )
    wait_idle(page)
    assert page.evaluate("gisApp.sitesLayer._tileZoom") >= 13  # outlines, not points
    pt = page.evaluate(
        "ll => gisApp.map.latLngToContainerPoint(ll)", {"lat": inside.y, "lng": inside.x}
    )
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    popup = page.locator(".leaflet-popup-content .gis-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert site["properties"]["name_zh"] in text
    assert f"{site['properties']['area_mu']:.2f} 亩" in text
    row = page.locator(f'#gis-list li[data-site-id="{pid}"]')
    assert "gis-selected" in row.get_attribute("class")

    # a row far away: the map zooms to it, its row is highlighted, the other is not
    page.evaluate("gisApp.map.closePopup()")
    page.evaluate("gisApp.map.setView([30.0, 122.3], 10, {animate: false})")
    wait_idle(page)
    other = _site(page, "PT-LH-001")
    oid = other["properties"]["id"]
    zoom_before = page.evaluate("gisApp.map.getZoom()")
    page.click(f'#gis-list li[data-site-id="{oid}"]')
    page.locator(f'.gis-popup[data-site-id="{oid}"]').wait_for()
    wait_idle(page)
    assert page.evaluate("gisApp.map.getZoom()") > zoom_before
    ox0, oy0, ox1, oy1 = shape(other["geometry"]).bounds
    assert page.evaluate(
        "b => gisApp.map.getBounds().contains([[b[1], b[0]], [b[3], b[2]]])", [ox0, oy0, ox1, oy1]
    )
    assert "gis-selected" in page.get_attribute(f'#gis-list li[data-site-id="{oid}"]', "class")
    assert page.locator("#gis-list li.gis-selected").count() == 1
    assert w.errors == []


PHONE = {"width": 390, "height": 844}


def test_phone_topbar_wraps_by_words_and_legend_folds(browser, live_app):
    """On a phone the bar's title and links stay whole words on a wrapped bar, nothing is cut
    off at the side, and the legend starts folded so the map shows; a tap opens it."""
    w = open_page(browser, live_app, "/", viewport=PHONE)
    page = w.page
    wait_idle(page)
    bar = page.locator(".gis-topbar")
    assert page.evaluate("e => e.scrollWidth <= e.clientWidth", bar.element_handle())
    line = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize) * 1.45")
    for item in bar.locator("h1, a, button").all():
        box = item.bounding_box()
        assert box is not None and box["height"] < 2 * line, item.inner_text()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], item.inner_text()
    legend = page.locator(".gis-legend")
    assert legend.locator("summary").inner_text() == "图例"
    assert not legend.locator("details").evaluate("d => d.open")
    assert not legend.locator(".gis-legend-body").is_visible()
    folded = legend.bounding_box()
    assert folded is not None and folded["height"] < 60
    legend.locator("summary").click()
    assert "可招商" in legend.locator(".gis-legend-body").inner_text()
    page.click("#gis-lang")
    assert legend.locator("summary").inner_text() == "Legend"
    assert "Available" in legend.inner_text()
    assert w.errors == []


@pytest.mark.parametrize(
    "viewport", [PHONE, {"width": 844, "height": 390}], ids=["upright", "on_its_side"]
)
def test_phone_map_first_then_filters_and_a_list_row_shows_its_site(browser, live_app, viewport):
    """On a phone the map comes first and the page scrolls to the filters and the whole list
    (fixed panes once left the list no room: a row could not be tapped). A filter narrows the
    list; tapping a row brings the map back into view with the site's popup inside the map,
    the map's top buttons stepping aside until it closes. The same on a phone on its side."""
    w = open_page(browser, live_app, "/", viewport=viewport)
    page = w.page
    wait_idle(page)
    mapwrap = page.locator(".gis-mapwrap")
    box = mapwrap.bounding_box()
    assert box is not None and box["y"] < 200 and box["height"] >= 300
    every = int(page.get_attribute("#gis-list-status", "data-total"))
    page.check("input[name=availability][value=available]")
    wait_idle(page)
    shown = int(page.get_attribute("#gis-list-status", "data-total"))
    assert 0 < shown < every
    rows = page.locator("#gis-list li")
    assert rows.count() == shown
    assert all("可招商" in m for m in page.locator("#gis-list .gis-row-meta").all_inner_texts())
    row = rows.nth(min(3, shown - 1))
    name = row.locator(".gis-row-name").inner_text()
    row.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > box["height"] / 2
    row.click()
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    page.wait_for_timeout(500)
    assert name in popup.inner_text()
    on_map, shown_popup = mapwrap.bounding_box(), popup.bounding_box()
    assert on_map is not None and shown_popup is not None
    assert -1 <= on_map["y"] <= 1  # the map was scrolled back to the window's top
    assert shown_popup["y"] >= on_map["y"] - 1
    assert shown_popup["y"] + shown_popup["height"] <= on_map["y"] + on_map["height"] + 1
    zoom = page.locator(".leaflet-control-zoom")
    assert not zoom.is_visible()
    page.click(".leaflet-popup-close-button")
    assert zoom.is_visible()
    assert w.errors == []


def test_site_sheet_fits_a_small_phone_in_both_languages(browser, live_app):
    """At 360 px the site sheet never scrolls sideways, in Chinese or English: a table wider
    than the screen (the overlaps' English headings) scrolls in its own box instead."""
    w = open_page(browser, live_app, "/", viewport={"width": 360, "height": 700})
    page = w.page
    sid = _site(page, "PT-BL-001")["id"]
    fits = "s => s.scrollWidth <= s.clientWidth"
    for lang in ("zh", "en"):
        page.goto(f"{live_app.base_url}/sites/{sid}?lang={lang}")
        sheet = page.locator(".gis-sheet")
        sheet.wait_for()
        assert sheet.evaluate(fits), lang
        overlaps = page.locator("#gis-overlaps")
        box = overlaps.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 360, lang
    assert w.errors == []


def test_desktop_legend_starts_open(browser, live_app):
    w = open_page(browser, live_app, "/")
    page = w.page
    wait_idle(page)
    assert page.locator(".gis-legend details").evaluate("d => d.open")
    assert page.locator(".gis-legend [data-legend=availability-available]").is_visible()


def test_language_switch(browser, live_app):
    w = open_page(browser, live_app, "/")
    page = w.page
    wait_idle(page)
    assert page.inner_text("#gis-lang") == "English"
    legend = page.inner_text(".gis-legend")
    assert "可招商" in legend
    page.click("#gis-lang")
    assert page.inner_text("#gis-lang") == "中文"
    assert "Available" in page.inner_text(".gis-legend")
    assert "Kind" in page.inner_text("#gis-filters")
    assert "lang=en" in page.url
    first = page.locator("#gis-list li").first
    first.click()
    popup = page.locator(".leaflet-popup-content .gis-popup")
    popup.wait_for()
    assert "Area" in popup.inner_text() and " mu" in popup.inner_text()
    page.click("#gis-lang")
    page.wait_for_function(
        "() => document.querySelector('.gis-popup') && "
        "document.querySelector('.gis-popup').innerText.includes('面积')"
    )
    assert "资源类型" in page.inner_text("#gis-filters")
    assert w.errors == []


def test_page_html_under_limit(browser, live_app):
    w = open_page(browser, live_app, "/")
    resp = w.page.goto(f"{live_app.base_url}/map")
    assert resp.status == 200
    body = resp.body()
    assert len(body) < HTML_LIMIT
    # the inventory is not inlined: no site code appears in the page
    assert b"PT-KF-003" not in body


def _pixel(lon: float, lat: float, z: int) -> tuple[float, float]:
    n = 256 * 2**z
    x = (lon + 180.0) / 360.0 * n
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n
    return x, y


def test_gaode_basemap_shifts_overlays_to_gcj02_and_tianditu_does_not(browser, make_db):
    app = start_app(
        make_db("sample"),
        MapSettings(
            basemaps=["tianditu_vec", "amap", "none"],
            tianditu_key="e2e-test-key",
            default_basemap="tianditu_vec",
        ),
    )
    try:
        w = open_page(browser, app, "/", block_other_hosts=True)
        site = _site(w.page, "PT-KF-003")
        pid = site["properties"]["id"]
        x0, y0, x1, y1 = shape(site["geometry"]).bounds
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        z = 16
        results = {}
        for key in ("amap", "tianditu_vec"):
            w.page.goto(f"{app.base_url}/?basemap={key}&view={cy},{cx},{z}")
            wait_idle(w.page)
            b = w.page.evaluate("id => gisApp.drawnBounds(id)", pid)
            assert b is not None and b["z"] == z
            results[key] = ((b["minx"] + b["maxx"]) / 2, (b["miny"] + b["maxy"]) / 2)
            # lat/lng overlays go through the map's CRS: the same frame as the tiles
            results[key + "_crs"] = w.page.evaluate(
                "p => { const q = gisApp.map.project([p[1], p[0]], p[2]); return [q.x, q.y]; }",
                [cx, cy, z],
            )
        gx, gy = wgs84_to_gcj02(cx, cy)
        expect_gcj = _pixel(float(gx), float(gy), z)
        expect_wgs = _pixel(cx, cy, z)
        for key, expect in (("amap", expect_gcj), ("tianditu_vec", expect_wgs)):
            assert abs(results[key][0] - expect[0]) < 1.0, (key, results[key], expect)
            assert abs(results[key][1] - expect[1]) < 1.0, (key, results[key], expect)
            crs = results[key + "_crs"]
            assert abs(crs[0] - expect[0]) < 0.01 and abs(crs[1] - expect[1]) < 0.01
        shift = math.dist(expect_gcj, expect_wgs)
        assert shift > 150  # ~480 m at about 2 m per pixel: the shift is really there
        assert w.errors == [] or all("ERR_FAILED" in e or "Failed to load" in e for e in w.errors)
        # the tile requests of the Gaode page asked for the GCJ-02 frame
        assert any("frame=gcj02" in u for u in w.requests if "/tiles/sites/" in u)
    finally:
        app.stop()


def test_site_sheet_shows_history_and_constraint_overlaps(browser, live_app):
    eng = live_app.engine
    with eng.begin() as c:
        sid, avail = c.execute(
            sa.text("SELECT id, availability FROM site WHERE code = 'PT-CB-002'")
        ).one()
        assert avail != "negotiating"
        c.execute(sa.text("SELECT set_config('gis_app.user', 'e2e-planner', true)"))
        c.execute(
            sa.text("UPDATE site SET availability = 'negotiating' WHERE id = :id"), {"id": sid}
        )
    with eng.connect() as c:  # an open requirement this site now meets
        rid = requirement_service.create_requirement(
            c,
            {"project_name": "仓储项目", "need": "land", "accept_availability": ["negotiating"]},
            live_app.username,
        )["id"]
    w = open_page(browser, live_app, f"/sites/{sid}")
    page = w.page
    page.wait_for_selector("#gis-history")
    history = page.inner_text("#gis-history")
    assert "e2e-planner" in history
    assert "招商状态" in history and "洽谈中" in history
    overlaps = page.locator("#gis-overlaps tr[data-zone-kind]")
    assert overlaps.count() >= 1
    kinds = {overlaps.nth(i).get_attribute("data-zone-kind") for i in range(overlaps.count())}
    assert "public_welfare_forest" in kinds
    assert "生态公益林" in page.inner_text("#gis-overlaps")
    page.wait_for_selector(".folium-map .leaflet-interactive")
    # the sheet's actions: the open requirements the site meets, and a new recommendation
    page.click("#gis-start-match")
    # the requirements it meets, each name leading to the requirement's page
    page.wait_for_selector("#gis-match-table")
    links = page.eval_on_selector_all(
        "#gis-match-table a", "els => els.map(e => e.getAttribute('href'))"
    )
    assert f"/requirements/{rid}?lang=zh" in links
    page.click("#gis-add-recommendation")
    page.wait_for_selector("#gis-link-form")
    assert "已创建推荐" in page.inner_text("#gis-action-result")
    page.fill("#gis-link-form input[name=recipient_name]", "王总")
    page.click("#gis-link-form button[type=submit]")
    page.wait_for_selector("#gis-action-result a.gis-link-open")
    url = page.input_value("#gis-link-url")
    assert url.startswith(live_app.base_url + "/r/"), url
    with eng.connect() as c:
        assert (
            c.execute(
                sa.text(
                    "SELECT count(*) FROM share_link l JOIN recommendation_site s"
                    " ON s.recommendation_id = l.recommendation_id"
                    " WHERE s.site_id = :id AND l.recipient_name = '王总'"
                ),
                {"id": sid},
            ).scalar_one()
            == 1
        )
    with eng.connect() as c:
        assert (
            c.execute(
                sa.text("SELECT count(*) FROM recommendation_site WHERE site_id = :id"), {"id": sid}
            ).scalar_one()
            == 1
        )
    assert w.errors == []
    assert _local(live_app, w.requests) == []


def test_static_export_opens_from_file_without_network(browser, live_app, scratch_dir):
    import os
    import subprocess
    import sys
    from pathlib import Path

    out = Path(scratch_dir) / "export.html"
    env = {**os.environ, "GIS_APP_DATABASE_URL": live_app.db_url}
    gis_app = Path(sys.executable).with_name("gis-app")
    run = subprocess.run(
        [str(gis_app), "render-map", "--availability", "available", "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    with live_app.engine.connect() as c:
        expected = c.execute(
            sa.text("SELECT count(*) FROM site WHERE availability = 'available'")
        ).scalar_one()
    context = browser.new_context(offline=True)
    requests: list[str] = []
    errors: list[str] = []
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    page.wait_for_function("() => window.gisApp && gisApp.drawnSiteCount() > 0")
    assert page.evaluate("gisApp.drawnSiteCount()") == expected
    assert page.locator("#gis-list li").count() == expected
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert errors == []
    html = out.read_text(encoding="utf-8")
    assert "PT-" in html  # the sites are embedded
    context.close()


#: the vertices of the 基本农田 zones drawn, and whether their outline's box holds the view
_DRAWN_FARMLAND = """() => {
  const flat = a => Array.isArray(a) ? a.reduce((s, x) => s + flat(x), 0) : 1;
  let n = 0, box = null;
  gisApp.refGroups.zones.basic_farmland.eachLayer(gj => gj.eachLayer(l => {
    n += flat(l.getLatLngs());
    box = box ? box.extend(l.getBounds()) : L.latLngBounds(l.getBounds().getSouthWest(),
                                                          l.getBounds().getNorthEast());
  }));
  return {vertices: n, holds_view: !!box && box.contains(gisApp.map.getBounds())};
}"""


def test_a_zone_of_many_vertices_is_sent_cut_to_the_window(browser, make_db):
    url = make_db("sample")
    eng = make_engine(url)
    with eng.begin() as c:
        _, vertices = c.execute(sa.text(HOLEY_ZONE), {"step": 0.0001}).one()
        lat, lon = c.execute(
            sa.text(
                "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_Centroid(ST_Envelope(geom)) AS p"
                " FROM constraint_zone WHERE code = 'BIG-FARM') q"
            )
        ).one()
    eng.dispose()
    app = start_app(url)
    try:
        w = open_page(browser, app, f"/?view={lat},{lon},16")
        wait_idle(w.page)
        drawn = w.page.evaluate(_DRAWN_FARMLAND)
        # what the window needs, not the whole outline at every pan
        assert drawn["holds_view"] and 0 < drawn["vertices"] < vertices / 10, (drawn, vertices)
        asked = [u for u in w.requests if "/layers/constraint_zones" in u]
        assert asked and all("clip=1" in u for u in asked)
        # panned well past the window fetched: cut again where the officer now looks
        w.page.evaluate("gisApp.map.panBy([3000, 0], {animate: false})")
        wait_idle(w.page)
        again = w.page.evaluate(_DRAWN_FARMLAND)
        assert again["holds_view"] and 0 < again["vertices"] < vertices / 10, again
        assert len([u for u in w.requests if "/layers/constraint_zones" in u]) > len(asked)
        assert w.errors == []
    finally:
        app.stop()
