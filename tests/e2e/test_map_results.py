"""The officer takes the map's results further, in Chromium: ticks sites in the list, a popup and
a sheet and compares them side by side; exports the current search (XLSX, GeoPackage, PDF,
CSV) and opens the files as their readers do; saves the search and sees the alert the database
raises when a planner's plain SQL brings a site into it."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl, quote

import sqlalchemy as sa
from e2e_helpers import open_page, wait_idle
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.needs import need

#: a search the map's filter form holds (the page keeps it in its URL)
SEARCH = "kind=land&availability=available&area_mu_min=30"


def _open(browser, app, query: str):
    """Log in and open the map with ``query`` (quoted: it goes through the login's ``next``)."""
    return open_page(browser, app, quote(f"/?{query}", safe="/"))


def _api(page, path: str):
    return page.evaluate("p => fetch(p).then(r => r.json())", path)


def _tick_row(page, site_id: int) -> None:
    page.check(f'#gis-list li[data-site-id="{site_id}"] .gis-compare-tick')


def test_compare_three_sites_ticked_in_list_popup_and_sheet(browser, live_app):
    w = _open(browser, live_app, "kind=land")
    page = w.page
    wait_idle(page)
    ids = [
        int(x)
        for x in page.eval_on_selector_all(
            "#gis-list li[data-site-id]", "els => els.map(e => e.getAttribute('data-site-id'))"
        )
    ]
    assert len(ids) >= 6
    # four in the list; a row's tick does not select (zoom to) the site
    for i in ids[:4]:
        _tick_row(page, i)
    assert page.locator("#gis-list li.gis-selected").count() == 0
    assert page.get_attribute("#gis-compare-tray", "data-count") == "4"
    # a fifth is refused with the reason
    page.click(f'#gis-list li[data-site-id="{ids[4]}"] .gis-compare-tick')
    assert not page.is_checked(f'#gis-list li[data-site-id="{ids[4]}"] .gis-compare-tick')
    assert "最多对比 4 处" in page.inner_text("#gis-tools-status")
    page.uncheck(f'#gis-list li[data-site-id="{ids[3]}"] .gis-compare-tick')
    page.uncheck(f'#gis-list li[data-site-id="{ids[2]}"] .gis-compare-tick')
    assert page.get_attribute("#gis-compare-tray", "data-count") == "2"
    # the third from the site's popup
    page.click(f'#gis-list li[data-site-id="{ids[2]}"] .gis-row-name')
    page.locator(f'.gis-popup[data-site-id="{ids[2]}"] .gis-compare-tick').check()
    assert page.get_attribute("#gis-compare-tray", "data-count") == "3"
    wait_idle(page)
    assert page.is_checked(f'#gis-list li[data-site-id="{ids[2]}"] .gis-compare-tick')

    # the sheet of the first shows it ticked; unticking there and ticking again keeps three
    page.goto(f"{live_app.base_url}/sites/{ids[0]}")
    assert page.is_checked(".gis-sheet-actions .gis-compare-tick")
    page.uncheck(".gis-sheet-actions .gis-compare-tick")
    assert page.get_attribute("#gis-compare-tray", "data-count") == "2"
    page.check(".gis-sheet-actions .gis-compare-tick")
    with page.expect_navigation():
        page.click("#gis-compare-open")
    assert "/compare?ids=" in page.url
    heads = page.eval_on_selector_all(
        "#gis-compare thead th[data-site-id]",
        "els => els.map(e => +e.getAttribute('data-site-id'))",
    )
    assert sorted(heads) == sorted(ids[:3])
    sections = page.eval_on_selector_all(
        "#gis-compare tbody", "els => els.map(e => e.getAttribute('data-section'))"
    )
    for s in (
        "identity",
        "area",
        "status",
        "supply",
        "internal",
        "buildings",
        "distances",
        "constraints",
    ):
        assert s in sections
    # every row has one cell per site; the area differs between different sites and is marked
    rows = page.locator("#gis-compare tbody tr[data-row]")
    assert rows.count() > 40
    assert page.locator('tr[data-row="area_mu"] td').count() == 3
    assert page.get_attribute('tr[data-row="area_mu"]', "class") == "gis-diff"
    assert "面积（亩）" in page.inner_text('tr[data-row="area_mu"] th')
    assert "港口" in page.inner_text('tbody[data-section="distances"]')
    # only the differences
    same = page.locator("#gis-compare tbody tr[data-row]:not(.gis-diff)").first
    assert same.is_visible()
    page.check("#gis-only-diff")
    assert not same.is_visible()
    assert page.locator('tr[data-row="area_mu"]').is_visible()
    # printable: on paper the page's controls go, the table stays
    page.emulate_media(media="print")
    assert not page.locator("#gis-print").is_visible()
    assert page.locator("#gis-compare").is_visible()
    page.emulate_media(media="screen")
    # bilingual: the English page
    page.click("#gis-lang")
    page.wait_for_url("**lang=en**")
    assert "Area (mu)" in page.inner_text('tr[data-row="area_mu"] th')
    assert "Site comparison" in page.inner_text("h1")
    # taking one out leaves two
    with page.expect_navigation():
        page.click(f'.gis-compare-remove[data-site-id="{ids[1]}"]')
    assert page.locator("#gis-compare thead th[data-site-id]").count() == 2
    assert w.errors == []


def test_a_bad_comparison_says_why(browser, live_app):
    w = open_page(browser, live_app, "/compare?ids=1")
    page = w.page
    assert page.inner_text("#gis-compare-error") == "请选择 2–4 处不同的资源进行对比（现为 1 处）。"
    page.goto(f"{live_app.base_url}/compare?ids=1,2,999999")
    assert page.inner_text("#gis-compare-error") == "找不到资源 999999。"
    page.goto(f"{live_app.base_url}/compare?ids=1,x&lang=en")
    assert page.inner_text("#gis-compare-error") == "“x” is not a site id."


def test_comparison_heads_stay_in_view_on_desktop(browser, live_app):
    """The sites' names stay at the top of the window while the rows scroll by."""
    w = open_page(browser, live_app, "/compare?ids=1,3,5,7")
    page = w.page
    page.wait_for_selector("#gis-compare tbody")
    page.mouse.move(600, 400)
    page.mouse.wheel(0, 2500)
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") > 1000
    head = page.locator("#gis-compare thead th[data-site-id]").first.bounding_box()
    assert head is not None and 0 <= head["y"] < 5
    assert w.errors == []


def test_comparison_on_a_phone_gives_the_sites_the_width(browser, live_app):
    """On a phone each label is a row of its own above the values, so the sites share the
    whole width: four sites get ~90 px each and the page does not scroll sideways; with three
    no English word is broken inside (with four, a 13-letter word may be); the sites' heads
    stay at the top, and "only differences" still hides rows."""
    phone = {"width": 390, "height": 844}
    w = open_page(browser, live_app, "/compare?ids=1,3,5,7&lang=en", viewport=phone)
    page = w.page
    page.wait_for_selector("#gis-compare tbody")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    heads = [h.bounding_box() for h in page.locator("#gis-compare thead th[data-site-id]").all()]
    assert len(heads) == 4 and all(h is not None and h["width"] >= 85 for h in heads)
    label = page.locator("#gis-compare tbody tr[data-row] th").first.bounding_box()
    assert label is not None and label["width"] >= 4 * 85
    page.goto(f"{live_app.base_url}/compare?ids=1,3,5&lang=en")
    page.wait_for_selector("#gis-compare tbody")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # every Latin word in the sites' cells is drawn on one line (none broken inside)
    broken = page.evaluate(
        """() => {
             const out = [];
             const walk = document.createTreeWalker(
               document.querySelector('#gis-compare'), NodeFilter.SHOW_TEXT);
             for (let n = walk.nextNode(); n; n = walk.nextNode()) {
               if (!n.parentElement.closest('td')) continue;
               for (const m of n.data.matchAll(/[A-Za-z]{4,}/g)) {
                 const r = document.createRange();
                 r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
                 const lines = new Set([...r.getClientRects()].map(b => Math.round(b.top)));
                 if (lines.size > 1) out.push(m[0]);
               }
             }
             return out; }"""
    )
    assert broken == []
    # the heads stay in view as the rows scroll by
    page.mouse.move(200, 400)
    page.mouse.wheel(0, 2500)
    page.wait_for_timeout(300)
    head = page.locator("#gis-compare thead th[data-site-id]").first.bounding_box()
    assert head is not None and 0 <= head["y"] < 60
    rows = page.locator("#gis-compare tbody tr[data-row]")
    shown = sum(r.is_visible() for r in rows.all())
    page.check("#gis-only-diff")
    assert 0 < sum(r.is_visible() for r in rows.all()) < shown
    assert w.errors == []


def _download(page, button: str, folder: Path) -> Path:
    with page.expect_download() as d:
        page.click(button)
    path = folder / d.value.suggested_filename
    d.value.save_as(path)
    return path


def test_export_the_current_search_from_the_map(browser, live_app, scratch_dir, monkeypatch):
    w = _open(browser, live_app, SEARCH)
    page = w.page
    wait_idle(page)
    assert set(parse_qsl(SEARCH)) <= set(parse_qsl(page.url.split("?", 1)[1]))
    want = _api(page, f"/api/sites?limit=1000&format=json&{SEARCH}")
    assert 0 < len(want) < 73

    xlsx = _download(page, "#gis-export-xlsx", scratch_dir)
    assert xlsx.suffix == ".xlsx"
    assert "已导出" in page.inner_text("#gis-tools-status")
    ws = load_workbook(xlsx)["sites"]
    heads = [c.value for c in ws[1]]
    assert {"编号", "名称", "资源类型", "招商状态", "面积（亩）"} <= set(heads)
    codes = {}
    for row in ws.iter_rows(min_row=2):
        cell = row[heads.index("编号")]
        codes[cell.value] = cell.hyperlink.target
    assert set(codes) == {s["code"] for s in want}
    for s in want:
        assert codes[s["code"]] == f"{live_app.base_url}/sites/{s['id']}"

    gpkg = _download(page, "#gis-export-gpkg", scratch_dir)
    need(shutil.which("ogrinfo") is not None, "ogrinfo (gdal-bin) is not installed")
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", str(gpkg), "sites"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Feature Count: {len(want)}" in info and "CGCS2000" in info

    pdf = PdfReader(io.BytesIO(_download(page, "#gis-export-pdf", scratch_dir).read_bytes()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "招商资源清单" in text and all(s["code"] in text for s in want)

    csv = _download(page, "#gis-export-csv", scratch_dir).read_text(encoding="utf-8-sig")
    assert len(csv.splitlines()) == 2 + len(want)

    # a list too long for paper: the reason is shown, nothing is downloaded
    from gis_app.io import export

    monkeypatch.setattr(export, "PDF_MAX_SITES", 2)
    page.click("#gis-export-pdf")
    page.wait_for_function(
        "() => document.querySelector('#gis-tools-status').classList.contains('gis-error')"
    )
    assert "超过上限 2 处" in page.inner_text("#gis-tools-status")
    assert w.errors == [] or all("422" in e for e in w.errors)


def test_save_a_search_and_see_the_alert_when_plain_sql_brings_a_site_in(browser, live_app):
    w = _open(browser, live_app, SEARCH)
    page = w.page
    wait_idle(page)
    held = page.locator("#gis-list li[data-site-id]").count()
    assert held == len(_api(page, f"/api/sites?limit=1000&format=json&{SEARCH}"))
    # no name: the reason, nothing saved
    page.click("#gis-save-search")
    page.wait_for_function(
        "() => document.querySelector('#gis-tools-status').classList.contains('gis-error')"
    )
    assert page.get_attribute("#gis-save-name", "aria-invalid") == "true"
    with live_app.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM saved_search")).scalar() == 0
    page.fill("#gis-save-name", "港口5公里可招商用地")
    page.click("#gis-save-search")
    page.locator("#gis-saved-list li[data-saved-search-id]").wait_for()
    assert "港口5公里可招商用地" in page.inner_text("#gis-saved-list")
    assert f"现有资源 {held}" in page.inner_text("#gis-saved-list")
    with live_app.engine.connect() as c:
        saved = c.execute(
            sa.text("SELECT id, owner, query FROM saved_search WHERE name = '港口5公里可招商用地'")
        ).one()
    assert saved.owner == live_app.username
    assert set(parse_qsl(saved.query)) == set(parse_qsl(SEARCH))  # in the map's order
    # the same name again is refused
    page.fill("#gis-save-name", "港口5公里可招商用地")
    page.click("#gis-save-search")
    page.wait_for_function(
        "() => document.querySelector('#gis-tools-status').classList.contains('gis-error')"
    )
    assert "你已有名为“港口5公里可招商用地”的保存查询" in page.inner_text("#gis-tools-status")

    # a planner in QGIS makes a reserved site near a port available
    near = _api(page, "/api/sites?limit=1000&format=json&kind=land&area_mu_min=30")
    site = next(s for s in near if s["availability"] != "available")
    with live_app.engine.begin() as c:  # as QGIS edits: plain SQL, no app user
        c.execute(sa.text("SET LOCAL application_name = 'QGIS'"))
        c.execute(
            sa.text("UPDATE site SET availability = 'available' WHERE id = :i"), {"i": site["id"]}
        )
    page.reload()
    alert = page.locator(f'#gis-search-alerts li[data-site-id="{site["id"]}"]')
    alert.wait_for()
    assert site["code"] in alert.inner_text() and "港口5公里可招商用地" in alert.inner_text()
    assert page.locator("#gis-saved-list .gis-new").inner_text() == "1"
    alert.locator(".gis-alert-seen").click()
    page.wait_for_function("() => document.querySelector('#gis-search-alerts').hidden")
    with live_app.engine.connect() as c:
        seen = c.execute(
            sa.text("SELECT seen_at FROM alert WHERE saved_search_id = :s"), {"s": saved.id}
        ).scalar_one()
    assert seen is not None
    # opening the saved search shows it on the map, the new site with it
    with page.expect_navigation():
        page.click(f'#gis-saved-list li[data-saved-search-id="{saved.id}"] a')
    wait_idle(page)
    assert page.locator("#gis-list li[data-site-id]").count() == held + 1
    assert w.errors == [] or all("422" in e or "409" in e for e in w.errors)
