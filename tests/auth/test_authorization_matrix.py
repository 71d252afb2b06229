"""Authorization matrix from the app's route table.

Every route must declare a policy in code (``allow(...)`` / ``allow_anonymous()``) AND appear in
EXPECTED below with the roles that may call it. The test then calls every route with every
method as anonymous, officer, planner, admin, leader and an investor (an anonymous browser holding a
recommendation link) and fails on any unexpected allow or deny. A new route without a declared
policy, or missing from EXPECTED, fails the test.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from api.app import create_app
from api.auth import iter_api_routes, route_policy
from gis_app.settings import DatabaseSettings, Settings

ANON = "anonymous"
READ = ("officer", "planner", "admin")
OFFICE = ("officer", "admin")
PLAN = ("planner", "admin")
ADMIN = ("admin",)
LEDGER = ("officer", "planner", "leader", "admin")
FINANCE = ("officer", "leader", "admin")

# (method, path) -> roles allowed, or ANON for public routes
EXPECTED: dict[tuple[str, str], str | tuple[str, ...]] = {
    ("GET", "/healthz"): ANON,
    ("GET", "/readyz"): ANON,
    ("GET", "/login"): ANON,
    ("POST", "/login"): ANON,
    ("POST", "/logout"): (*READ, "leader"),
    ("GET", "/api/me"): READ,
    ("GET", "/openapi.json"): READ,
    ("GET", "/docs"): READ,
    ("GET", "/api/tokens"): READ,
    ("POST", "/api/tokens"): READ,
    ("DELETE", "/api/tokens/{token_id}"): READ,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("PATCH", "/api/users/{username}"): ADMIN,
    ("POST", "/api/users/{username}/reset-password"): ADMIN,
    ("PUT", "/api/users/{username}/district-roles"): ADMIN,
    ("GET", "/api/sites"): READ,
    ("GET", "/api/sites/{site_id}"): READ,
    ("POST", "/api/sites/search"): READ,
    # search, requirements, matching, alerts (issue 3)
    ("GET", "/api/sites/{site_id}/matching-requirements"): ("officer", "planner"),
    ("POST", "/api/requirements"): ("officer",),
    ("GET", "/api/requirements"): ("officer", "planner"),
    ("GET", "/api/requirements/{requirement_id}"): ("officer", "planner"),
    ("PATCH", "/api/requirements/{requirement_id}"): ("officer",),
    ("GET", "/api/requirements/{requirement_id}/matches"): ("officer", "planner"),
    ("POST", "/api/match"): ("officer", "planner"),
    ("GET", "/api/alerts"): ("officer",),
    ("POST", "/api/alerts/{alert_id}/seen"): ("officer",),
    ("POST", "/api/alerts/answers/read"): ("officer",),
    # officers' map, site sheet, tiles (issue 4)
    ("GET", "/"): READ,
    ("GET", "/map"): READ,
    ("GET", "/sites/{site_id}"): READ,
    ("GET", "/requirements"): READ,
    ("GET", "/requirements/{requirement_id}"): READ,
    ("GET", "/requirements/{requirement_id}/live"): READ,
    ("GET", "/admin/users"): ADMIN,
    ("GET", "/favicon.ico"): ANON,
    ("GET", "/tiles/sites/{z}/{x}/{y}.mvt"): READ,
    ("GET", "/tiles/sites/{z}/{x}/{y}.pbf"): READ,
    ("GET", "/tiles/layers/{layer}.geojson"): READ,
    # planners' workflow (issue 6)
    ("PATCH", "/api/sites/{site_id}"): PLAN,
    ("POST", "/api/sites/{site_id}/status"): PLAN,
    ("GET", "/api/sites/{site_id}/status-form"): READ,
    ("PUT", "/api/sites/{site_id}/geometry"): PLAN,
    ("POST", "/api/sites/{site_id}/split"): PLAN,
    ("POST", "/api/sites/merge"): PLAN,
    ("GET", "/api/sites/{site_id}/history"): READ,
    ("GET", "/api/buildings/{building_id}"): READ,
    ("PATCH", "/api/buildings/{building_id}"): PLAN,
    ("GET", "/api/constraint-zones/{zone_id}"): READ,
    ("PATCH", "/api/constraint-zones/{zone_id}"): PLAN,
    ("POST", "/api/imports"): PLAN,
    ("GET", "/api/imports/jobs/{job_id}"): PLAN,
    ("POST", "/api/imports/jobs/{job_id}/cancel"): PLAN,
    ("GET", "/imports"): PLAN,
    ("GET", "/api/exports/sites"): READ,
    ("GET", "/api/exports/template"): READ,
    # recommendations and investor links (issue 5)
    ("POST", "/api/recommendations"): OFFICE,
    ("GET", "/api/recommendations"): READ,
    ("GET", "/api/recommendations/{recommendation_id}"): READ,
    ("POST", "/api/recommendations/{recommendation_id}/links"): OFFICE,
    ("GET", "/api/recommendations/{recommendation_id}/links"): READ,
    ("DELETE", "/api/recommendations/{recommendation_id}/links/{link_id}"): OFFICE,
    ("POST", "/api/recommendations/{recommendation_id}/links/{link_id}/revoke"): OFFICE,
    ("POST", "/api/recommendations/{recommendation_id}/links/{link_id}/extend"): OFFICE,
    ("POST", "/api/requirements/{requirement_id}/status"): OFFICE,
    # referrals between districts (issue 26, item 3)
    ("POST", "/api/requirements/{requirement_id}/referrals"): OFFICE,
    ("GET", "/api/requirements/{requirement_id}/referrals"): READ,
    ("POST", "/api/referrals/{referral_id}/match"): OFFICE,
    ("POST", "/api/referrals/{referral_id}/status"): OFFICE,
    ("GET", "/r/{token}"): ANON,
    ("GET", "/r/{token}.json"): ANON,
    ("GET", "/r/{token}.pdf"): ANON,
    ("POST", "/r/{token}/feedback"): ANON,
    ("GET", "/robots.txt"): ANON,
    # dashboard and statistics (issue 8)
    ("GET", "/api/stats/available"): READ,
    ("GET", "/api/stats/pipeline"): READ,
    ("GET", "/api/stats/blockers"): READ,
    ("GET", "/api/stats/readiness"): READ,
    ("GET", "/api/stats/stale"): READ,
    ("GET", "/api/stats/funnel"): READ,
    ("GET", "/api/stats/districts"): READ,
    ("GET", "/dashboard"): READ,
    # OGC API Features and Tiles (issue 22)
    ("GET", "/ogc"): READ,
    ("GET", "/ogc/conformance"): READ,
    ("GET", "/ogc/collections"): READ,
    ("GET", "/ogc/collections/{collectionId}"): READ,
    ("GET", "/ogc/collections/{collectionId}/queryables"): READ,
    ("GET", "/ogc/collections/{collectionId}/items"): READ,
    ("GET", "/ogc/collections/{collectionId}/items/{featureId}"): READ,
    ("GET", "/ogc/collections/{collectionId}/tiles"): READ,
    ("GET", "/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}"): READ,
    ("GET", "/tiles/sites"): READ,
    # photos, documents and brochures (issue 21)
    ("POST", "/api/sites/{site_id}/attachments"): PLAN,
    ("GET", "/api/sites/{site_id}/attachments"): READ,
    ("GET", "/api/attachments/{attachment_id}"): READ,
    ("PATCH", "/api/attachments/{attachment_id}"): PLAN,
    ("DELETE", "/api/attachments/{attachment_id}"): PLAN,
    ("GET", "/api/me/contact"): READ,
    ("PUT", "/api/me/contact"): READ,
    ("GET", "/sites/{site_id}/brochure.pdf"): READ,
    ("GET", "/sites/{site_id}/brochure/map.svg"): READ,
    ("GET", "/sites/{site_id}/brochure"): READ,
    ("GET", "/r/{token}/files/{attachment_id}"): ANON,
    ("GET", "/r/{token}/sites/{code}/brochure.pdf"): ANON,
    # officers' map: compare, saved searches (issue 20)
    ("GET", "/compare"): READ,
    ("POST", "/api/saved-searches"): ("officer",),
    ("GET", "/api/saved-searches"): ("officer",),
    ("DELETE", "/api/saved-searches/{search_id}"): ("officer",),
    # the project ledger (issue 27): officers write their own projects; officers and leaders
    # read financials; planners read projects' stages only
    ("GET", "/api/projects"): LEDGER,
    ("POST", "/api/projects"): OFFICE,
    ("GET", "/api/projects/{project_id}"): LEDGER,
    ("PATCH", "/api/projects/{project_id}"): OFFICE,
    ("PUT", "/api/projects/{project_id}/milestones/{kind}"): OFFICE,
    ("POST", "/api/projects/{project_id}/sites"): OFFICE,
    ("POST", "/api/projects/{project_id}/buildings"): OFFICE,
    ("PUT", "/api/projects/{project_id}/months/{month}"): OFFICE,
    ("POST", "/api/project-months/import"): OFFICE,
    ("GET", "/projects"): LEDGER,
    ("POST", "/projects"): OFFICE,
    ("POST", "/projects/import"): OFFICE,
    ("GET", "/projects/{project_id}"): LEDGER,
    ("POST", "/projects/{project_id}/milestones"): OFFICE,
    ("POST", "/projects/{project_id}/sites"): OFFICE,
    ("POST", "/projects/{project_id}/months"): OFFICE,
    ("GET", "/api/reports/indicators"): FINANCE,
    ("GET", "/reports/indicators"): FINANCE,
    ("GET", "/api/targets"): FINANCE,
    ("PUT", "/api/targets/{year}/{scope}/{indicator}"): ("leader", "admin"),
    # promotion activities: officers log their own; officers and leaders read; leaders set
    # the monthly minimum
    ("GET", "/api/activities"): FINANCE,
    ("POST", "/api/activities"): OFFICE,
    ("DELETE", "/api/activities/{activity_id}"): OFFICE,
    ("GET", "/api/activity-progress"): FINANCE,
    ("PUT", "/api/activity-minimums/{year}/{kind}"): ("leader", "admin"),
    ("GET", "/activities"): FINANCE,
    ("POST", "/activities"): OFFICE,
    ("POST", "/activities/{activity_id}/delete"): OFFICE,
    ("POST", "/activities/minimums"): ("leader", "admin"),
    ("POST", "/reports/targets"): ("leader", "admin"),
    ("GET", "/api/stats/stuck-projects"): READ,
}

ROLES = ("officer", "planner", "admin", "leader")
#: leaders also read (GET) whatever officers or planners read, and write nothing
LEADER_READS = {"officer", "planner"}


def _allowed(role: str, method: str, want: str | tuple[str, ...]) -> bool:
    if want == ANON or role in want or role == "admin":
        return True
    return role == "leader" and method == "GET" and bool(LEADER_READS & set(want))


def _routes(app) -> list[tuple[str, str, APIRoute]]:
    # path_format: the path as documented ("/api/sites/{site_id}", not "{site_id:int}")
    routes = iter_api_routes(app)
    return [(m, r.path_format, r) for r in routes for m in sorted(r.methods - {"HEAD"})]


def test_every_route_declares_exactly_one_policy_matching_expected(sample_url: str) -> None:
    app = create_app(Settings(db=DatabaseSettings(database_url=sample_url)))
    problems = []
    for method, path, route in _routes(app):
        pol = route_policy(route)
        if pol is None:
            problems.append(f"{method} {path}: no allow()/allow_anonymous() policy")
            continue
        want = EXPECTED.get((method, path))
        if want is None:
            problems.append(f"{method} {path}: not declared in EXPECTED of this test")
            continue
        got = ANON if pol.roles is None else tuple(sorted(pol.roles))
        want_n = ANON if want == ANON else tuple(sorted(want))
        # admins pass every policy, so ("officer", "admin") and ("officer",) are the same
        if got != ANON:
            got = tuple(sorted(set(got) | {"admin"}))
        if want_n != ANON:
            want_n = tuple(sorted(set(want_n) | {"admin"}))
        if got != want_n:
            problems.append(f"{method} {path}: policy {got} but EXPECTED {want_n}")
    stale = set(EXPECTED) - {(m, p) for m, p, _ in _routes(app)}
    problems += [f"{m} {p}: in EXPECTED but not a route" for m, p in sorted(stale)]
    assert not problems, "\n".join(problems)


def _fill(path: str) -> str:
    return re.sub(
        r"\{[^}]+\}",
        lambda m: (
            "x"
            if "name" in m.group(0) or ("token" in m.group(0) and "token_id" not in m.group(0))
            else "999999"
        ),
        path,
    )


@pytest.mark.parametrize("role", [ANON, "investor", *ROLES])
def test_matrix_no_unexpected_allow_or_deny(role: str, client, client_as) -> None:
    c = client if role in (ANON, "investor") else client_as(role)
    unexpected = []
    for method, path, _route in _routes(c.app):
        want = EXPECTED.get((method, path))
        if want is None:
            continue  # reported by the declaration test
        allowed = _allowed(role, method, want)
        url = _fill(path)
        kw = {"json": {}} if method in ("POST", "PUT", "PATCH") and path != "/login" else {}
        if path == "/login" and method == "POST":
            kw = {"data": {}}
        r = c.request(method, url, follow_redirects=False, **kw)
        denied = r.status_code in (401, 403)
        if allowed and denied:
            unexpected.append(f"{role} denied {method} {path}: {r.status_code} {r.text[:120]}")
        if not allowed and not denied:
            unexpected.append(f"{role} ALLOWED {method} {path}: {r.status_code}")
    assert not unexpected, "\n".join(unexpected)
