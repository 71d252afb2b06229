"""The district rules through the API (issue 26, item 5): a planner's outline across the
district boundary, or a site given a district it does not lie in, is refused with both
districts named in Chinese and English; nothing is written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from shapely.geometry import mapping
from writers import DINGHAI, PUTUO, boundary_square

from gis_app.db.engine import make_engine


@pytest.fixture
def db(make_db) -> Iterator[tuple[str, sa.Engine]]:
    url = make_db("sample")
    eng = make_engine(url)
    yield url, eng
    eng.dispose()


def _site(eng: sa.Engine, code: str) -> tuple[int, str, int]:
    with eng.connect() as c:
        row = c.execute(
            sa.text("SELECT id, district_code, version FROM site WHERE code = :c"), {"c": code}
        ).one()
    return row.id, row.district_code, row.version


def test_a_parcel_across_the_boundary_is_refused_naming_both_districts(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid, district, version = _site(eng, "PT-GS-001")
    feat = planner.get(f"/api/sites/{sid}")
    assert feat.json()["properties"]["district_code"] == district == PUTUO
    r = planner.put(
        f"/api/sites/{sid}/geometry",
        json={"geometry": mapping(boundary_square(eng)), "crs": "EPSG:4490"},
        headers={"If-Match": feat.headers["etag"]},
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "crosses_district_boundary"
    assert "普陀区" in body["message"]["zh"] and "定海区（示意范围）" in body["message"]["zh"]
    assert "PT-GS-001" in body["message"]["zh"]
    assert "Putuo District" in body["message"]["en"]
    assert "Dinghai District (illustrative part)" in body["message"]["en"]
    assert _site(eng, "PT-GS-001") == (sid, PUTUO, version)  # nothing written


def test_a_site_given_another_district_than_it_lies_in_is_refused(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid, _, version = _site(eng, "PT-GS-001")
    etag = planner.get(f"/api/sites/{sid}").headers["etag"]
    r = planner.patch(
        f"/api/sites/{sid}", json={"district_code": DINGHAI}, headers={"If-Match": etag}
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "outside_own_district"
    assert body["message"]["zh"].startswith(
        "地块 PT-GS-001 位于普陀区，不在其所属的定海区（示意范围）"
    )
    assert _site(eng, "PT-GS-001") == (sid, PUTUO, version)
    # a Dinghai site moved onto a Putuo parcel's ground keeps its district: refused too
    dh, _, _ = _site(eng, "ZS-DH-LC-001")
    feat = planner.get(f"/api/sites/{sid}")
    r = planner.put(
        f"/api/sites/{dh}/geometry",
        json={"geometry": feat.json()["geometry"]},
        headers={"If-Match": planner.get(f"/api/sites/{dh}").headers["etag"]},
    )
    assert r.status_code == 422 and r.json()["code"] == "outside_own_district", r.text
