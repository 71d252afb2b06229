"""Stored script injection (issue 18): hostile text in every free-text column is shown as text.

A site name such as ``X</script><script>…</script>`` can come from a planner, a file import or
a QGIS edit. This module plants script, HTML, template-literal and spreadsheet-formula payloads
in every free-text column of sites, buildings, constraint zones, infrastructure, requirements,
recommendations, links, feedback, alerts and users of a throw-away copy of the sample database,
then opens every page in Chromium as an admin (map, site sheet with its tooltips and popups,
requirements, a requirement with its match map, dashboard, the investor page, the login page)
and asserts that nothing injected ran (``window.__pwned`` stays undefined, no dialog, no CSP
violation, no script error, no injected element) and that the payload is shown literally. The
PDF shows it literally; the CSV/XLSX exports (sites and dashboard figures) neutralise formula
cells; the standalone map export runs nothing either.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from e2e.e2e_helpers import LiveApp, start_app
from sqlalchemy.engine import make_url

from gis_app.db.engine import make_engine
from gis_app.services import accounts

#: HTML/script payload: ends a script element, adds elements with handlers, evaluates a
#: template-literal placeholder, closes a template literal and escapes its end, and is
#: reportlab Paragraph markup
HTML = (
    "X</script><script>window.__pwned=1</script>"
    '<img src=x onerror="window.__pwned=2"><svg onload="window.__pwned=4"></svg>'
    "${window.__pwned=3}`<b>B</b>'\"\\"
)
#: what a spreadsheet would evaluate at the start of a cell
FORMULAS = ('=HYPERLINK("http://evil","x")', "+1+1", "@SUM(A1)", "-1+1", "\t=1+1", "\r=1+1")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: pieces of HTML that must appear as text wherever a planted value is shown
LITERALS = (
    "</script><script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    "${window.__pwned=3}",
)
#: the name of a saved search: a formula start and every literal, 100 characters (the most)
SAVED_SEARCH_NAME = "=" + "".join(LITERALS)
PASSWORD = "sec-password-1"
ADMIN = "sec-admin"

#: free-text columns planted, per table (codes stay: they key the sample's relations)
COLUMNS: dict[str, tuple[str, ...]] = {
    "site": (
        "name_zh",
        "name_en",
        "block",
        "township",
        "platform",
        "address",
        "blocking_note",
        "source_doc",
        "verified_by",
        "description_zh",
        "description_en",
        "owner_name",
        "owner_contact",
        "internal_note",
        "negotiation_note",
    ),
    "building": ("name_zh", "name_en", "owner_contact", "internal_note"),
    "constraint_zone": ("name_zh", "name_en", "source"),
    "infrastructure": ("name_zh", "name_en"),
    "district": ("name_zh", "name_en", "note"),
    "app_user": ("display_name", "contact"),
}
#: written after the recommendation and its link are made through the API
LATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "requirement": ("project_name", "investor", "contact", "notes"),
    "recommendation": ("title_zh", "title_en", "intro_zh", "intro_en", "internal_note"),
    "recommendation_site": ("note_zh", "note_en"),
    "share_link": ("recipient_name", "recipient_org"),
    "attachment": ("filename",),
    "project": ("name", "investor", "platform", "notes"),
    "promotion_activity": ("title", "place", "counterpart", "notes"),
    "referral": ("note",),
}


def payload(i: int) -> str:
    """The i-th planted value: a formula start (each in turn), then the HTML payload."""
    return f"{FORMULAS[i % len(FORMULAS)]} {HTML}"


def _plant(c: sa.Connection, table: str, columns: tuple[str, ...]) -> None:
    """Set ``columns`` of every row of ``table`` to planted values (formula starts rotate)."""
    sets = ", ".join(
        f"{col} = (CAST(:f AS text[]))[1 + ((row_number + {k}) % {len(FORMULAS)})] || ' ' || :h"
        for k, col in enumerate(columns)
    )
    c.execute(
        sa.text(
            f"UPDATE {table} t SET {sets} FROM (SELECT ctid AS rid, "
            f"row_number() OVER (ORDER BY ctid) AS row_number FROM {table}) n "
            "WHERE t.ctid = n.rid"
        ),
        {"f": list(FORMULAS), "h": HTML},
    )


@dataclass
class Hostile:
    """The app served on a planted database, with what the tests open."""

    app: LiveApp
    url: str
    site_id: int
    requirement_id: int
    token: str
    api: httpx.Client
    project_id: int = 0
    #: a requirement of 定海区 referred to the admin's district (普陀区)
    referred_id: int = 0


@pytest.fixture(scope="module")
def hostile_db(server_url: str, admin_engine: sa.Engine, templates: dict[str, str]) -> Iterator:
    """A copy of the sample with payloads in every free-text column (module-wide)."""
    name = f"gis_app_t_{uuid.uuid4().hex[:10]}"
    template = make_url(templates["sample"]).database
    with admin_engine.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    eng = make_engine(url)
    try:
        with eng.begin() as c:
            accounts.create_user(c, ADMIN, PASSWORD, ["admin"], display_name=payload(0))
            for table, cols in COLUMNS.items():
                _plant(c, table, cols)
            c.execute(
                sa.text(
                    "UPDATE site SET photo_urls = ARRAY['javascript:window.__pwned=5',"
                    " '\" onerror=\"window.__pwned=6']"
                )
            )
        yield url
    finally:
        eng.dispose()
        with admin_engine.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def hostile(hostile_db: str) -> Iterator[Hostile]:
    """The app on 127.0.0.1 over the planted database; a recommendation with a link, feedback
    and an alert, all carrying payloads."""
    app = start_app(hostile_db)
    with app.engine.begin() as c:
        _, token = accounts.create_token(c, ADMIN, "security tests")
        site_id = c.execute(
            sa.text(
                "SELECT min(s.id) FROM site s WHERE EXISTS (SELECT 1 FROM building b"
                " WHERE b.site_id = s.id)"
            )
        ).scalar_one()
    api = httpx.Client(
        base_url=app.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    try:
        r = api.post(
            "/api/requirements",
            json={"project_name": "P", "need": "land", "tenure": "either", "investor": "I"},
        )
        assert r.status_code == 201, r.text
        requirement_id = r.json()["id"]
        with app.engine.connect() as c:
            others = (
                c.execute(
                    sa.text("SELECT id FROM site WHERE id <> :s ORDER BY id LIMIT 2"),
                    {"s": site_id},
                )
                .scalars()
                .all()
            )
        r = api.post(
            "/api/recommendations",
            json={
                "requirement_id": requirement_id,
                "sites": [{"site_id": i} for i in (site_id, *others)],
                "title_zh": "推荐",
            },
        )
        assert r.status_code == 201, r.text
        rec_id = r.json()["id"]
        r = api.post(
            f"/api/recommendations/{rec_id}/links", json={"language": "zh", "recipient_name": "X"}
        )
        assert r.status_code == 201, r.text
        link = r.json()["url"].rsplit("/r/", 1)[1]
        # a photo of the site, public (its name is planted below, as psql or QGIS could)
        from files.photo_helpers import jpeg_with_exif

        r = api.post(
            f"/api/sites/{site_id}/attachments",
            files={"file": ("photo.jpg", jpeg_with_exif(), "image/jpeg")},
            data={"public": "true"},
        )
        assert r.status_code == 201, r.text
        r = api.post(
            "/api/projects",
            json={"code": "XM-H-1", "name": "P", "sector": "trade", "investor": "I",
                  "notes": "N", "platform": "X", "site_codes": ["PT-BL-003"],
                  "milestones": {"signed": {"actual_date": "2026-01-05"}}},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        project_id = r.json()["id"]
        r = api.put(f"/api/projects/{project_id}/months/2026-02", json={"funds_registered_wan": 9})
        assert r.status_code == 200, r.text
        # the requirement referred to 定海区, and one of 定海区 referred to the admin's 普陀区
        r = api.post(
            f"/api/requirements/{requirement_id}/referrals",
            json={"to_district": "330902", "note": "N"},
        )
        assert r.status_code == 201, r.text
        with app.engine.begin() as c:
            referred_id = c.execute(
                sa.text(
                    "INSERT INTO requirement (project_name, need, district_code, created_by)"
                    " VALUES ('R', 'land', '330902', 'dh') RETURNING id"
                )
            ).scalar_one()
            c.execute(
                sa.text(
                    "INSERT INTO referral (requirement_id, from_district, to_district, note,"
                    " referred_by) VALUES (:r, '330902', '330903', 'N', 'dh')"
                ),
                {"r": referred_id},
            )
        with app.engine.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO promotion_activity (kind, held_on, officer, title, created_by)"
                    " VALUES ('trip_out', '2026-02-03', :u, 'T', :u)"
                ),
                {"u": ADMIN},
            )
            for table, cols in LATE_COLUMNS.items():
                _plant(c, table, cols)
            c.execute(
                sa.text(
                    "INSERT INTO feedback (share_link_id, site_id, kind, reason, question,"
                    " language) SELECT id, :s, 'question', :h, :h, 'zh' FROM share_link"
                ),
                {"s": site_id, "h": payload(1)},
            )
            c.execute(
                sa.text(
                    "INSERT INTO alert (requirement_id, site_id, officer, reason)"
                    " VALUES (:r, :s, :u, :h)"
                ),
                {"r": requirement_id, "s": site_id, "u": ADMIN, "h": payload(2)},
            )
        # a saved search named with the payload (its longest allowed name), and its alert
        r = api.post("/api/saved-searches?kind=land", json={"name": SAVED_SEARCH_NAME})
        assert r.status_code == 201, r.text
        with app.engine.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO alert (saved_search_id, site_id, officer, reason)"
                    " VALUES (:q, :s, :u, :h)"
                ),
                {"q": r.json()["id"], "s": site_id, "u": ADMIN, "h": payload(3)},
            )
        yield Hostile(app, hostile_db, site_id, requirement_id, link, api, project_id, referred_id)
    finally:
        api.close()
        app.stop()


# --- the browser ----------------------------------------------------------------------------

#: collects CSP violations (an inline handler or script the policy refused is injected code)
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(
    e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '')));
"""

#: opens every tooltip of every Leaflet map, then every popup in turn; returns their HTML
OPEN_OVERLAYS = """
() => {
  const out = [];
  const maps = [];
  for (const k of Object.keys(window)) {
    try { if (window[k] instanceof L.Map) maps.push(window[k]); } catch (e) {}
  }
  for (const m of maps) {
    const layers = [];
    m.eachLayer(l => layers.push(l));
    for (const l of layers) {
      if (l.getTooltip && l.getTooltip()) {
        l.openTooltip();
        const el = l.getTooltip().getElement();
        if (el) out.push(el.innerHTML);
      }
    }
    for (const l of layers) {
      if (l.getPopup && l.getPopup()) {
        l.openPopup();
        const el = l.getPopup().getElement();
        if (el) out.push(el.innerHTML);
      }
    }
  }
  return out;
}
"""


@dataclass
class Browser:
    """One logged-in browser context shared by the page tests, with what went wrong in it."""

    context: object
    base: str
    dialogs: list[str]
    errors: list[str]


@pytest.fixture(scope="module")
def admin_browser(browser, hostile: Hostile) -> Iterator[Browser]:
    """One Chromium context logged in as an admin, watching dialogs, errors and the CSP."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.add_init_script(WATCH_CSP)
    dialogs: list[str] = []
    errors: list[str] = []

    def on_page(page) -> None:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))

    context.on("page", on_page)
    page = context.new_page()
    page.goto(f"{hostile.app.base_url}/login?next=/")
    page.fill("#username", ADMIN)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.close()
    yield Browser(context, hostile.app.base_url, dialogs, errors)
    context.close()


def _new_page(b: Browser):
    """A new page of the shared context; what went wrong before is forgotten."""
    b.dialogs.clear()
    b.errors.clear()
    return b.context.new_page()


def _assert_inert(page, b: Browser, *, literal: bool = True) -> None:
    """Nothing planted ran or became an element; the payload reads as text."""
    page.wait_for_timeout(300)  # handlers of broken images fire after the load
    assert page.evaluate("typeof window.__pwned") == "undefined", page.url
    assert b.dialogs == [], b.dialogs
    assert page.evaluate("window.__csp") == [], page.url
    assert b.errors == [], (page.url, b.errors)
    injected = page.evaluate(
        "() => Array.from(document.querySelectorAll('img[src=\"x\"], [onerror], [onload]'))"
        ".map(e => e.outerHTML)"
    )
    assert injected == [], (page.url, injected)
    if literal:
        text = page.evaluate("document.body.innerText")
        for piece in LITERALS:
            assert piece in text, (page.url, piece)


def _overlays(page) -> list[str]:
    html = page.evaluate(OPEN_OVERLAYS)
    page.wait_for_timeout(200)
    return html


def _literal_in_overlays(html: list[str]) -> bool:
    """Some tooltip or popup shows the payload as text (its HTML holds it escaped)."""
    return any("&lt;img src=x onerror=" in h and "${window.__pwned=3}" in h for h in html)


def test_site_sheet_and_its_map(admin_browser: Browser, hostile: Hostile) -> None:
    page = _new_page(admin_browser)
    page.goto(f"{admin_browser.base}/sites/{hostile.site_id}", wait_until="networkidle")
    page.wait_for_selector(".folium-map .leaflet-interactive")
    _assert_inert(page, admin_browser)
    html = _overlays(page)
    # the site's outline, the constraint zones and the infrastructure carry planted names
    assert _literal_in_overlays(html), html[:3]
    _assert_inert(page, admin_browser)
    page.close()


def test_site_files_and_brochure_page(admin_browser: Browser, hostile: Hostile) -> None:
    page = _new_page(admin_browser)
    page.goto(f"{admin_browser.base}/sites/{hostile.site_id}", wait_until="networkidle")
    page.wait_for_selector("#gis-files-list li")
    assert LITERALS[0] in page.inner_text("#gis-files-list")  # the planted file name
    page.wait_for_function("() => document.getElementById('gis-contact').value !== ''")
    assert HTML in page.input_value("#gis-contact")  # the admin's planted contact, as text
    _assert_inert(page, admin_browser)
    page.goto(f"{admin_browser.base}/sites/{hostile.site_id}/brochure", wait_until="networkidle")
    _assert_inert(page, admin_browser)
    page.close()


def test_site_map_list_popup_and_tooltips(admin_browser: Browser, hostile: Hostile) -> None:
    page = _new_page(admin_browser)
    page.goto(f"{admin_browser.base}/map", wait_until="networkidle")
    page.wait_for_function(
        "() => window.gisApp && document.body.getAttribute('data-gis-state') === 'idle'"
    )
    row = page.locator(f'#gis-list li[data-site-id="{hostile.site_id}"]')
    if row.count() == 0:
        row = page.locator("#gis-list li.gis-row").first
    row.click()
    popup = page.locator(".leaflet-popup-content .gis-popup")
    popup.wait_for()
    page.wait_for_function("() => document.body.getAttribute('data-gis-state') === 'idle'")
    assert "<img src=x onerror=" in popup.inner_text()
    # hover the selected site on the map (vector tiles): its tooltip
    box = page.locator(".folium-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + 40)
    page.mouse.move(box["x"] + box["width"] / 2 + 2, box["y"] + box["height"] / 2 + 42)
    page.wait_for_timeout(300)
    _assert_inert(page, admin_browser)
    _overlays(page)  # infrastructure tooltips of the reference layers
    _assert_inert(page, admin_browser)
    page.close()


def test_saved_searches_alerts_and_comparison(admin_browser: Browser, hostile: Hostile) -> None:
    page = _new_page(admin_browser)
    page.goto(f"{admin_browser.base}/map", wait_until="networkidle")
    page.locator("#gis-search-alerts li[data-alert-id]").wait_for()
    assert SAVED_SEARCH_NAME in page.inner_text("#gis-saved-list")
    assert "<img src=x onerror=" in page.inner_text("#gis-search-alerts")
    ticks = page.locator("#gis-list .gis-compare-tick")
    ticks.nth(0).check()
    ticks.nth(1).check()
    assert "<img src=x onerror=" in page.inner_text("#gis-compare-tray")
    _assert_inert(page, admin_browser)
    with page.expect_navigation():
        page.click("#gis-compare-open")
    assert page.locator("#gis-compare thead th[data-site-id]").count() == 2
    _assert_inert(page, admin_browser)
    page.goto(f"{admin_browser.base}/sites/{hostile.site_id}", wait_until="networkidle")
    assert "<img src=x onerror=" in page.inner_text("#gis-compare-tray")
    _assert_inert(page, admin_browser)
    page.close()


@pytest.mark.parametrize("path", ["/requirements", "/requirements/{rid}"])
def test_requirement_pages(admin_browser: Browser, hostile: Hostile, path: str) -> None:
    page = _new_page(admin_browser)
    page.goto(
        admin_browser.base + path.format(rid=hostile.requirement_id), wait_until="networkidle"
    )
    _assert_inert(page, admin_browser)
    if "{rid}" in path:
        html = _overlays(page)  # the match map: numbered sites with tooltips and popups
        assert _literal_in_overlays(html), html[:3]
        _assert_inert(page, admin_browser)
    page.close()


@pytest.mark.parametrize(
    "path", ["/requirements", "/requirements/{rid}", "/requirements/{referred}"]
)
def test_referral_notes(admin_browser: Browser, hostile: Hostile, path: str) -> None:
    page = _new_page(admin_browser)
    url = path.format(rid=hostile.requirement_id, referred=hostile.referred_id)
    page.goto(admin_browser.base + url, wait_until="networkidle")
    notes = page.locator(".gis-referral-note").all_inner_texts()
    assert notes, url
    for note in notes:
        for piece in LITERALS:
            assert piece in note, (url, piece, note)
    _assert_inert(page, admin_browser)
    page.close()


@pytest.mark.parametrize(
    "path",
    [
        "/projects",
        "/projects/{pid}",
        "/reports/indicators?start=2026-01&end=2026-06",
        "/activities?year=2026",
    ],
)
def test_project_pages(admin_browser: Browser, hostile: Hostile, path: str) -> None:
    page = _new_page(admin_browser)
    page.goto(admin_browser.base + path.format(pid=hostile.project_id), wait_until="networkidle")
    _assert_inert(page, admin_browser)
    page.close()


def test_dashboard(admin_browser: Browser) -> None:
    page = _new_page(admin_browser)
    page.goto(f"{admin_browser.base}/dashboard", wait_until="networkidle")
    page.wait_for_selector("body[data-dashboard-state=ready]")
    _assert_inert(page, admin_browser, literal=False)  # names are in charts and folded tables
    tables = page.evaluate(
        "Array.from(document.querySelectorAll('.gis-table')).map(e => e.textContent).join(' ')"
    )
    assert all(piece in tables for piece in LITERALS), tables[:300]
    html = _overlays(page)  # the block map's tooltips (block names)
    assert any("&lt;img src=x onerror=" in h for h in html), html[:3]
    _assert_inert(page, admin_browser)
    page.close()


def test_admin_users_page(admin_browser: Browser, hostile: Hostile) -> None:
    """User display names (planted) and a token named with the payload read as text."""
    from gis_app.services import accounts

    with hostile.app.engine.begin() as c:
        accounts.create_token(c, ADMIN, payload(1))
    page = _new_page(admin_browser)
    page.goto(f"{admin_browser.base}/admin/users", wait_until="networkidle")
    page.wait_for_selector("#gis-tokens")
    _assert_inert(page, admin_browser)
    page.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_investor_page(admin_browser: Browser, hostile: Hostile, lang: str) -> None:
    page = _new_page(admin_browser)
    page.goto(f"{admin_browser.base}/r/{hostile.token}?lang={lang}", wait_until="networkidle")
    page.wait_for_selector(".leaflet-container")
    _assert_inert(page, admin_browser)
    html = _overlays(page)
    assert _literal_in_overlays(html), html[:3]
    _assert_inert(page, admin_browser)
    page.close()


def test_login_page(admin_browser: Browser, browser) -> None:
    """``next`` and a refused user name are reflected into the login form: as text."""
    context = browser.new_context()
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    next_ = '/"><script>window.__pwned=1</script>'
    name = '"><img src=x onerror="window.__pwned=2">${1}`'  # within the 64 characters
    page.goto(f"{admin_browser.base}/login?next={quote(next_)}")
    assert page.input_value("input[name=next]") == next_
    page.fill("#username", name)
    page.fill("#password", "wrong-password-1")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.input_value("#username") == name
    assert page.input_value("input[name=next]") == next_
    b = Browser(context, admin_browser.base, dialogs, errors)
    _assert_inert(page, b, literal=False)
    context.close()


# --- files ----------------------------------------------------------------------------------


def test_pdf_shows_the_text_literally(hostile: Hostile) -> None:
    from pypdf import PdfReader

    r = hostile.api.get(f"/r/{hostile.token}.pdf")
    assert r.status_code == 200, r.text
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    flat = "".join(text.split())
    for piece in (*LITERALS, "<b>B</b>"):
        assert "".join(piece.split()) in flat, piece


def test_brochure_pdfs_show_the_text_literally(hostile: Hostile) -> None:
    from pypdf import PdfReader

    code = hostile.api.get(f"/r/{hostile.token}.json").json()["sites"][0]["code"]
    for url in (
        f"/sites/{hostile.site_id}/brochure.pdf",
        f"/r/{hostile.token}/sites/{code}/brochure.pdf",
    ):
        r = hostile.api.get(url)
        assert r.status_code == 200, r.text
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
        flat = "".join(text.split())
        for piece in (*LITERALS, "<b>B</b>"):
            assert "".join(piece.split()) in flat, (url, piece)


def _neutral(value: object) -> bool:
    """A cell a spreadsheet will not evaluate: not text starting like a formula (numbers may
    be negative)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return True
    try:
        float(value)
    except ValueError:
        return False
    return True


def _csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]


def _xlsx_cells(data: bytes) -> list[object]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    cells = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                cells.append(cell.value)
    return cells


def _assert_neutralised(cells: list[object], what: str) -> None:
    bad = [c for c in cells if not _neutral(c)]
    assert bad == [], (what, bad[:5])
    # the planted values are there, each behind the quote that keeps it text
    assert any(isinstance(c, str) and c.startswith("'=HYPERLINK(") for c in cells), what


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_site_export_neutralises_formulas(hostile: Hostile, tmp_path: Path, fmt: str) -> None:
    from gis_app.db.site_queries import SiteFilter
    from gis_app.io.export import export_sites
    from gis_app.io.imports import ImportOptions, UploadLimits
    from gis_app.io.imports.readers import read_source

    with hostile.app.engine.connect() as c:
        path, _ = export_sites(c, SiteFilter(), fmt, tmp_path)
    data = path.read_bytes()
    cells = _csv_cells(data) if fmt == "csv" else _xlsx_cells(data)
    _assert_neutralised(cells, path.name)
    # read back by the importer, the quote is gone: the stored names again
    src = read_source(path, tmp_path / "work", ImportOptions(), UploadLimits())
    with hostile.app.engine.connect() as c:
        stored = dict(c.execute(sa.text("SELECT code, name_zh FROM site")).all())
    assert {r["编号"]: r["名称"] for r in src.rows} == stored  # Chinese headers by default
    # through the API too
    r = hostile.api.get("/api/exports/sites", params={"format": fmt})
    assert r.status_code == 200, r.text
    _assert_neutralised(_csv_cells(r.content) if fmt == "csv" else _xlsx_cells(r.content), fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_dashboard_downloads_neutralise_formulas(hostile: Hostile, fmt: str) -> None:
    for name, params in (
        ("available", {"by": "block"}),
        ("available", {"by": "township"}),
        ("stale", {}),
        ("readiness", {}),
        ("blockers", {}),
        ("available", {"by": "district"}),  # district names (planted)
        ("districts", {}),
    ):
        r = hostile.api.get(f"/api/stats/{name}", params={**params, "format": fmt})
        assert r.status_code == 200, (name, r.text)
        cells = _csv_cells(r.content) if fmt == "csv" else _xlsx_cells(r.content)
        bad = [c for c in cells if not _neutral(c)]
        assert bad == [], (name, params, bad[:5])


def test_static_map_export_runs_nothing(browser, hostile: Hostile, tmp_path: Path) -> None:
    from gis_app.db.site_queries import SiteFilter
    from gis_app.services import tiles as tile_service
    from maps.export import export_html

    with hostile.app.engine.connect() as c:
        sel = tile_service.export_selection(c, SiteFilter(), max_sites=500)
    html = export_html(
        sites=sel.sites,
        jurisdiction=sel.jurisdiction,
        constraint_zones=sel.constraint_zones,
        infrastructure=sel.infrastructure,
        bounds=sel.bounds,
        title=payload(0),
        filter_text=payload(1),
    )
    out = tmp_path / "map.html"
    out.write_text(html, encoding="utf-8")
    context = browser.new_context()
    context.add_init_script(WATCH_CSP)
    dialogs: list[str] = []
    errors: list[str] = []
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    page.wait_for_selector("#gis-list li")
    b = Browser(context, "", dialogs, errors)
    _assert_inert(page, b)
    _overlays(page)
    page.locator("#gis-list li").first.click()
    page.locator(".leaflet-popup-content .gis-popup").wait_for()
    _assert_inert(page, b)
    context.close()


# --- the helpers ----------------------------------------------------------------------------


def test_escaping_helpers() -> None:
    from gis_app.io.spreadsheet import safe_cell, unquote_cell
    from maps.parts import add_script_nonce, script_text
    from maps.text import map_text

    assert map_text("`${x}`\\</script>&\"'") == (
        "&#96;&#36;{x}&#96;&#92;&lt;/script&gt;&amp;&quot;&#x27;"
    )
    assert map_text(None) == ""
    assert script_text('a("</SCRIPT>", "<!--")') == 'a("<\\/SCRIPT>", "<\\!--")'
    assert add_script_nonce('<script src="a"></script><script nonce="b">', "n") == (
        '<script nonce="n" src="a"></script><script nonce="b">'
    )
    for value in (*FORMULAS, "-", "@", "plain", "'=quoted already"):
        assert not str(safe_cell(value)).startswith(FORMULA_START)
        assert unquote_cell(safe_cell(value)) == value
    assert safe_cell(-1.5) == -1.5 and safe_cell(None) is None
