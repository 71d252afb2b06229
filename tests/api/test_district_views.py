"""Districts where officers meet them (issue 26 follow-ups): the site sheet names a site's
district, ``district_code`` filters the site search (and so the OGC items, the exports and
the counts), and users get a home district over the API."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from writers import CITY, DINGHAI, PUTUO

from gis_app.domain import fields, filters
from gis_app.services import site_sheet


def _codes(conn: sa.Connection, district: str) -> set[str]:
    rows = conn.execute(
        sa.text("SELECT code FROM site WHERE district_code = :d AND retired_at IS NULL"),
        {"d": district},
    )
    return set(rows.scalars())


def _sheet_value(html: str, field: str) -> str:
    m = re.search(rf'<tr data-field="{field}"><th>.*?</th><td>(.*?)</td></tr>', html, re.S)
    assert m, f"no row {field} on the sheet"
    return m.group(1).strip()


def test_the_site_sheet_names_the_district_in_the_page_language(client_as, engine) -> None:
    with engine.connect() as c:
        sid = c.execute(sa.text("SELECT id FROM site WHERE code = 'ZS-DH-LC-001'")).scalar_one()
    officer = client_as("officer")
    zh = officer.get(f"/sites/{sid}")
    assert zh.status_code == 200
    assert _sheet_value(zh.text, "district_code") == "定海区（示意范围）"
    assert "所属行政区" in zh.text
    en = officer.get(f"/sites/{sid}?lang=en")
    assert _sheet_value(en.text, "district_code") == "Dinghai District (illustrative part)"
    assert DINGHAI not in _sheet_value(en.text, "district_code")


@pytest.mark.parametrize("district", [PUTUO, DINGHAI])
def test_district_code_filters_the_search_its_count_and_the_ogc_items(
    client_as, conn, district
) -> None:
    want = _codes(conn, district)
    assert want
    officer = client_as("officer")
    r = officer.get("/api/sites", params={"district_code": district, "limit": 1000})
    assert r.status_code == 200, r.text
    assert {f["properties"]["code"] for f in r.json()["features"]} == want
    assert int(r.headers["X-Total-Count"]) == len(want) == r.json()["numberMatched"]
    items = officer.get(
        "/ogc/collections/sites/items", params={"district_code": district, "limit": 1000}
    )
    assert items.status_code == 200, items.text
    assert {f["properties"]["code"] for f in items.json()["features"]} == want
    # both districts: their union; a city holds no site of its own
    both = officer.get("/api/sites", params=[("district_code", PUTUO), ("district_code", DINGHAI)])
    assert both.json()["numberMatched"] == len(_codes(conn, PUTUO) | _codes(conn, DINGHAI))
    assert officer.get("/api/sites", params={"district_code": CITY}).json()["numberMatched"] == 0


def test_district_code_is_a_queryable_of_the_site_collections(client_as) -> None:
    officer = client_as("officer")
    for coll in ("sites", "sites_public"):
        q = officer.get(f"/ogc/collections/{coll}/queryables").json()
        assert q["properties"]["district_code"]["type"] == "array"
        assert q["properties"]["district_code"]["title"] == "所属行政区 / District"


def test_the_export_honours_the_district_filter(client_as, conn) -> None:
    officer = client_as("officer")
    r = officer.get(
        "/api/exports/sites", params={"format": "csv", "headers": "keys", "district_code": DINGHAI}
    )
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {row["code"] for row in rows} == _codes(conn, DINGHAI)
    assert {row["district_code"] for row in rows} == {DINGHAI}


def test_an_admin_sets_a_users_home_district(client_as, make_db) -> None:
    url = make_db("sample")
    admin = client_as("admin", url=url)
    made = admin.post(
        "/api/users",
        json={"username": "dh.officer", "roles": ["officer"], "district_code": DINGHAI},
    )
    assert made.status_code == 201, made.text
    users = {u["username"]: u for u in admin.get("/api/users").json()}
    assert users["dh.officer"]["district_code"] == DINGHAI
    r = admin.patch("/api/users/dh.officer", json={"district_code": CITY})
    assert r.status_code == 200 and r.json()["district_code"] == CITY
    # an unknown district is refused naming the field; nothing changes
    r = admin.patch("/api/users/dh.officer", json={"district_code": "999999", "roles": ["admin"]})
    assert r.status_code == 422 and r.json()["field"] == "district_code", r.text
    users = {u["username"]: u for u in admin.get("/api/users").json()}
    assert users["dh.officer"]["district_code"] == CITY
    assert users["dh.officer"]["roles"] == ["officer"]
    r = admin.post(
        "/api/users", json={"username": "nowhere", "roles": ["officer"], "district_code": "0"}
    )
    assert r.status_code == 422 and r.json()["field"] == "district_code"


def test_every_table_the_registry_references_is_named_on_the_sheet(conn) -> None:
    referenced = {f.references for f in fields.SITE.values() if f.references is not None}
    assert referenced == {"district"}
    names = site_sheet.references(conn)
    assert names["district"][DINGHAI].en == "Dinghai District (illustrative part)"
    assert site_sheet.format_value("ref:district", PUTUO, names) == ("普陀区", "Putuo District")
    assert site_sheet.format_value("ref:district", "999", names) == ("999", "999")
    # the search form asks for a referencing field with a control of its own
    param = next(p for p in filters.SEARCH_PARAMETERS if p.name == "district_code")
    assert param.control == "district" and param.section == "identity"
