"""The authorization matrix's district dimension (issue 26, item 2; row security, revisions
0035, 0039 and 0040): Putuo's officer, planner and leader call every GET route of the app — API,
pages, OGC, tiles, exports, stats, the ledger and its reports — with Dinghai's site, building,
requirement, project and a tile over them in the path, and no answer holds anything of
Dinghai's: a site's code, names or internal notes, a requirement's or project's name, an
activity's title (canaries planted as the owner), as the default listings show them. A city
officer's crawl finds the same canaries (so an empty answer cannot pass)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from writers import CITY, DINGHAI, PUTUO

from api.app import create_app
from api.auth import iter_api_routes
from gis_app.db.engine import make_engine
from gis_app.services import accounts
from gis_app.settings import DatabaseSettings, Settings

CANARY = "DHCANARY"


class Inventory:
    """A sample copy with canaries in Dinghai's sites and buildings, and a token per user."""

    def __init__(self, url: str, eng: sa.Engine) -> None:
        self.url = url
        with eng.begin() as c:
            rows = c.execute(
                sa.text(
                    "SELECT id, code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"
                    " FROM site WHERE district_code = :d ORDER BY id"
                ),
                {"d": DINGHAI},
            ).all()
            assert rows
            self.site_id, self.codes = rows[0].id, [r.code for r in rows]
            self.point = (rows[0][2], rows[0][3])
            c.execute(
                sa.text(
                    "UPDATE site SET name_zh = '定海" + CANARY + "' || id,"
                    " name_en = '" + CANARY + "-en-' || id,"
                    " internal_note = '" + CANARY + "-note-' || id WHERE district_code = :d"
                ),
                {"d": DINGHAI},
            )
            c.execute(
                sa.text(
                    "UPDATE building SET internal_note = '" + CANARY + "-b-' || id"
                    " WHERE site_id IN (SELECT id FROM site WHERE district_code = :d)"
                ),
                {"d": DINGHAI},
            )
            self.building_id = c.execute(
                sa.text(
                    "SELECT min(b.id) FROM building b JOIN site s ON s.id = b.site_id"
                    " WHERE s.district_code = :d"
                ),
                {"d": DINGHAI},
            ).scalar()
            # a requirement of Dinghai's (row security on requirements, revision 0039)
            self.requirement_id = c.execute(
                sa.text(
                    "INSERT INTO requirement (project_name, need, status, district_code)"
                    " VALUES ('定海需求" + CANARY + "', 'land', 'new', :d) RETURNING id"
                ),
                {"d": DINGHAI},
            ).scalar_one()
            # a project of Dinghai's ledger, with a month of figures and an activity (0040)
            self.project_id = c.execute(
                sa.text(
                    "INSERT INTO project (code, name, sector, district_code, officer, notes)"
                    " VALUES ('DH-" + CANARY + "', '定海项目" + CANARY + "', 'manufacturing',"
                    " :d, 'nobody', '" + CANARY + "-project-note') RETURNING id"
                ),
                {"d": DINGHAI},
            ).scalar_one()
            c.execute(
                sa.text(
                    "INSERT INTO project_month (project_id, month, funds_fixed_asset_wan)"
                    " VALUES (:p, make_date(extract(year FROM now())::int, 1, 1), 99)"
                ),
                {"p": self.project_id},
            )
            c.execute(
                sa.text(
                    "INSERT INTO promotion_activity (kind, held_on, officer, title, created_by,"
                    " district_code) VALUES ('trip_out', make_date(extract(year FROM now())::int,"
                    " 1, 2), 'nobody', '定海活动" + CANARY + "', 'nobody', :d)"
                ),
                {"d": DINGHAI},
            )
            self.tokens: dict[str, str] = {}
            for name, roles, district in (
                ("pt-officer", ["officer"], PUTUO),
                ("pt-planner", ["planner"], PUTUO),
                ("pt-leader", ["leader"], PUTUO),
                ("city-officer", ["officer"], CITY),
            ):
                accounts.create_user(c, name, "matrix-password-1", roles, district_code=district)
                self.tokens[name] = accounts.create_token(c, name, "matrix")[1]

    def tile(self, z: int = 14) -> tuple[int, int, int]:
        """The XYZ tile over the first Dinghai site."""
        lon, lat = self.point
        n = 2**z
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        return z, x, y


@pytest.fixture
def inventory(make_db) -> Iterator[Inventory]:
    url = make_db("sample")
    eng = make_engine(url)
    try:
        yield Inventory(url, eng)
    finally:
        eng.dispose()


def _fill(path: str, inv: Inventory) -> str:
    z, x, y = inv.tile()
    values = {
        "site_id": inv.site_id,
        "building_id": inv.building_id,
        "requirement_id": inv.requirement_id,
        "project_id": inv.project_id,
        "code": inv.codes[0],
        "z": z,
        "x": x,
        "y": y,
        "layer": "zones",
    }

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in values:
            return str(values[name])
        return "x" if "name" in name or name == "token" else "999999"

    return re.sub(r"\{(\w+)[^}]*\}", one, path)


def _crawl(inv: Inventory, user: str) -> dict[str, bytes]:
    """Every GET route (and the POST searches) as ``user``: the answers that came back 200."""
    app = create_app(Settings(db=DatabaseSettings(database_url=inv.url)))
    seen: dict[str, bytes] = {}
    with TestClient(app, headers={"Authorization": f"Bearer {inv.tokens[user]}"}) as c:
        for route in iter_api_routes(app):
            if "GET" not in route.methods:
                continue
            url = _fill(route.path_format, inv)
            r = c.get(url, follow_redirects=False)
            if r.status_code == 200:
                seen[url] = r.content
        for url, params in (
            ("/api/sites", {"limit": 1000}),
            ("/api/sites", {"district_code": DINGHAI}),
            ("/api/exports/sites", {"format": "csv", "headers": "keys"}),
            ("/api/exports/sites", {"format": "geojson"}),
            ("/ogc/collections/sites/items", {"limit": 1000}),
            ("/api/stats/available", {"by": "district"}),
            ("/api/stats/districts", {}),
            ("/api/reports/indicators", {"district": DINGHAI}),
            ("/api/targets", {"district": DINGHAI}),
            ("/reports/indicators", {"district": DINGHAI}),
        ):
            r = c.get(url, params=params)
            if r.status_code == 200:
                seen[f"{url}?{params}"] = r.content
        for url, body in (
            ("/api/sites/search", {}),
            ("/api/match", {"need": "land", "land_mu_min": 1, "land_mu_max": 100000}),
        ):
            r = c.post(url, json=body)
            if r.status_code == 200:
                seen[f"POST {url}"] = r.content
    return seen


def _leaks(seen: dict[str, bytes], inv: Inventory) -> list[str]:
    marks = [CANARY.encode(), *(code.encode() for code in inv.codes)]
    return sorted(url for url, body in seen.items() if any(m in body for m in marks))


def test_nothing_of_another_districts_sites_reaches_a_district_user(
    inventory: Inventory,
) -> None:
    for user in ("pt-officer", "pt-planner", "pt-leader"):
        seen = _crawl(inventory, user)
        assert len(seen) > 20, (user, sorted(seen))  # the crawl reached pages and lists
        assert _leaks(seen, inventory) == [], user
    # the same crawl as an officer of the city finds the canaries: they would be seen
    leaks = _leaks(_crawl(inventory, "city-officer"), inventory)
    for shows in (
        "/api/sites?",
        "/api/exports/sites?",
        "/ogc/collections/sites/items?",
        "/api/requirements",
        f"/requirements/{inventory.requirement_id}",
        "/api/projects",
        f"/projects/{inventory.project_id}",
        "/api/activities",
        "/api/reports/indicators",
        "/reports/indicators",
    ):
        assert any(url.startswith(shows) for url in leaks), leaks
    assert any(f"/sites/{inventory.site_id}" in url for url in leaks), leaks  # its page
