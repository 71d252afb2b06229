"""Accessibility (issue 21, item 2): axe-core on every page of the app, in Chinese and English,
on a desktop screen and at phone size: no critical and no serious violation.

axe-core is vendored for the tests only (tests/a11y/vendor/, re-fetched by
tests/a11y/vendor.sh); the app never serves it. It is run through the DevTools protocol
(``page.evaluate``), so the pages keep their Content-Security-Policy while they are checked.

"Every page" is checked too: each HTML page route of the app must be in :data:`PAGES`, so a new
page fails this test until it is added here.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from e2e.e2e_helpers import PASSWORD, LiveApp, start_app

from api.auth import iter_api_routes
from gis_app.services import accounts
from gis_app.services import requirements as req_service
from gis_app.services.inventory import SAMPLE_DIR
from gis_app.services.projects import load_ledger

AXE = Path(__file__).parent / "vendor" / "axe-core@4.14.1" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
BLOCKING = ("critical", "serious")
USER = "a11y-admin"


def _wait_map(page: Any) -> None:
    page.wait_for_function(
        "() => document.body.getAttribute('data-gis-state') === 'idle'", timeout=30000
    )


def _make_link(page: Any) -> None:
    """Tick the first match, name a recipient and create the link (the copy box shows)."""
    page.check(".gis-pick >> nth=0")
    page.fill("#gis-recommend-form input[name=recipient_name]", "张先生")
    page.click("#gis-recommend-save")
    page.wait_for_selector("#gis-link-box:not([hidden])")


def _open_status_form(page: Any) -> None:
    page.wait_for_selector("#gis-status-edit:not([hidden]) select[name=policy_status]")


#: every HTML page: (route path, URL to open, what to do before checking)
PAGES: list[tuple[str, str, Callable[[Any], None] | None]] = [
    ("/login", "/login", None),
    ("/", "/", _wait_map),
    ("/map", "/map", _wait_map),
    ("/sites/{site_id}", "/sites/{site}", _open_status_form),
    ("/requirements", "/requirements", None),
    ("/requirements/{requirement_id}", "/requirements/{requirement}", _make_link),
    ("/requirements/{requirement_id}/live", "/requirements/{requirement}/live", None),
    ("/dashboard", "/dashboard", None),
    ("/admin/users", "/admin/users", None),
    ("/r/{token}", "/r/{token}", None),
    ("/compare", "/compare?ids={site},{other_site}", None),
    ("/imports", "/imports", None),
    ("/sites/{site_id}/brochure", "/sites/{site}/brochure", None),
    ("/projects", "/projects", None),
    ("/projects/{project_id}", "/projects/{project}", None),
    ("/reports/indicators", "/reports/indicators?start=2026-01&end=2026-06", None),
    ("/activities", "/activities", None),
]
#: pages that are not routes of their own: the 404 of an investor link, a missing site
EXTRA_PAGES = ["/r/no-such-token-0000000000000000", "/sites/999999999"]


@pytest.fixture(scope="module")
def a11y_app(admin_engine: sa.Engine, templates: dict[str, str]) -> Iterator[LiveApp]:
    """The app on a copy of the sample, with a user of every role and a requirement."""
    name = f"gis_app_t_{uuid.uuid4().hex[:10]}"
    sample = sa.make_url(templates["sample"])
    with admin_engine.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{sample.database}"'))
    app = start_app(sample.set(database=name).render_as_string(hide_password=False))
    with app.engine.begin() as c:
        accounts.create_user(c, USER, PASSWORD, ["officer", "planner", "admin"])
    with app.engine.connect() as c:
        rid = req_service.create_requirement(
            c,
            {
                "project_name": "无障碍检查项目",
                "need": "land",
                "tenure": "buy",
                "land_mu_min": 10,
                "land_mu_max": 200,
            },
            USER,
        )["id"]
        site = c.execute(sa.text("SELECT id FROM site WHERE code = 'PT-CB-002'")).scalar()
        other = c.execute(sa.text("SELECT id FROM site WHERE code = 'PT-KF-009'")).scalar()
        load_ledger(c, SAMPLE_DIR / "projects.json", USER, dt.date(2026, 12, 3))
        project = c.execute(sa.text("SELECT min(id) FROM project")).scalar()
        c.execute(
            sa.text(
                "INSERT INTO promotion_activity (kind, held_on, officer, title, created_by)"
                " VALUES ('trip_out', '2026-02-03', :u, '赴宁波拜访企业', :u)"
            ),
            {"u": USER},
        )
        c.commit()
    app.extra.update(requirement=rid, site=site, other_site=other, project=project)
    yield app
    app.stop()
    with admin_engine.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _login(browser: Any, app: LiveApp, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{app.base_url}/login")
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return context


def _token(context: Any, app: LiveApp) -> str:
    """A fresh investor link of a recommendation of two sites, made through the API."""
    api = context.request
    csrf = api.get(f"{app.base_url}/api/me").json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    with app.engine.connect() as c:
        sites = c.execute(
            sa.text("SELECT id FROM site WHERE code IN ('PT-KF-009', 'PT-ZM-002') ORDER BY code")
        ).scalars()
        body = {"sites": [{"site_id": s} for s in sites], "title_en": "Sites", "title_zh": "推荐"}
    r = api.post(f"{app.base_url}/api/recommendations", data=body, headers=headers)
    assert r.ok, r.text()
    r = api.post(
        f"{app.base_url}/api/recommendations/{r.json()['id']}/links",
        data={"recipient_name": "Ms Smith"},
        headers=headers,
    )
    assert r.ok, r.text()
    return r.json()["url"].rsplit("/", 1)[1]


def _violations(page: Any) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "() => window.axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})))"
    )
    return [v for v in result if v["impact"] in BLOCKING]


def _page_routes(app: Any) -> set[str]:
    from fastapi.responses import HTMLResponse

    out = set()
    # through included routers (app.routes alone holds only their wrappers)
    for route in iter_api_routes(app):
        if (
            "GET" in route.methods
            and getattr(route.response_class, "value", route.response_class) is HTMLResponse
        ):
            out.add(re.sub(r":\w+}", "}", route.path_format))
    return out


def test_every_page_is_in_the_table(a11y_app: LiveApp) -> None:
    app = a11y_app.server.config.app
    routes = _page_routes(app)
    assert "/projects" in routes and "/sites/{site_id}" in routes, routes  # it sees them all
    missing = routes - {path for path, _, _ in PAGES}
    assert not missing, f"pages not checked by axe: {sorted(missing)}"


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_no_serious_violation_on_any_page(a11y_app: LiveApp, browser: Any, viewport: str) -> None:
    app = a11y_app
    context = _login(browser, app, VIEWPORTS[viewport])
    token = _token(context, app)
    page = context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    urls = [(url, prepare) for _, url, prepare in PAGES] + [(u, None) for u in EXTRA_PAGES]
    for url, prepare in urls:
        path = url.format(token=token, **app.extra)
        for lang in ("zh", "en"):
            if path == "/login":
                anon = browser.new_context(viewport=VIEWPORTS[viewport])
                target = anon.new_page()
            else:
                target = page
            sep = "&" if "?" in path else "?"
            target.goto(f"{app.base_url}{path}{sep}lang={lang}")
            target.wait_for_load_state("load")
            if prepare is not None:
                prepare(target)
            bad = _violations(target)
            if bad:
                found[f"{path}?lang={lang}"] = bad
            if path == "/login":
                anon.close()
    context.close()
    report = "\n".join(
        f"{where}: [{v['impact']}] {v['id']} ({v['help']}): {v['nodes'][:3]}"
        for where, vs in found.items()
        for v in vs
    )
    assert not found, f"{viewport}:\n{report}"
