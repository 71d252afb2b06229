"""Planners' API: ETag/If-Match, lock timeouts, status rules, history, as_of, geometry, files."""

from __future__ import annotations

import datetime as dt
import io
import json
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from gis_app.db.engine import make_engine
from gis_app.settings import DatabaseSettings, SecuritySettings, Settings

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture
def db(make_db):
    url = make_db("sample")
    eng = make_engine(url)
    yield url, eng
    eng.dispose()


def _id(eng: sa.Engine, code: str) -> int:
    with eng.connect() as c:
        return c.execute(sa.text("SELECT id FROM site WHERE code = :c"), {"c": code}).scalar_one()


def _now(eng: sa.Engine) -> dt.datetime:
    with eng.connect() as c:
        return c.execute(sa.text("SELECT clock_timestamp()")).scalar_one()


def test_etag_if_match_428_412_and_one_winner(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid = _id(eng, "PT-KF-001")
    r = planner.get(f"/api/sites/{sid}")
    etag = r.headers["etag"]
    assert r.status_code == 200 and etag == f'"{r.json()["properties"]["version"]}"'
    r = planner.patch(f"/api/sites/{sid}", json={"blocking_note": "x"})
    assert r.status_code == 428 and "If-Match" in r.json()["detail"]
    first = planner.patch(
        f"/api/sites/{sid}", json={"blocking_note": "a", "note": "n"}, headers={"If-Match": etag}
    )
    second = planner.patch(
        f"/api/sites/{sid}", json={"blocking_note": "b"}, headers={"If-Match": etag}
    )
    assert first.status_code == 200 and second.status_code == 412
    assert first.headers["etag"] != etag
    assert "changed since you read it" in second.json()["detail"]
    assert planner.get(f"/api/sites/{sid}").json()["properties"]["blocking_note"] == "a"


def test_a_plain_sql_edit_between_read_and_patch_gives_412(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid = _id(eng, "PT-KF-002")
    etag = planner.get(f"/api/sites/{sid}").headers["etag"]
    with eng.begin() as c:
        c.execute(sa.text("SET LOCAL application_name = 'QGIS'"))
        c.execute(sa.text("UPDATE site SET address = 'QGIS 改' WHERE id = :i"), {"i": sid})
    r = planner.patch(
        f"/api/sites/{sid}", json={"readiness": "cleared"}, headers={"If-Match": etag}
    )
    assert r.status_code == 412


def test_a_row_locked_by_qgis_makes_the_patch_fail_fast_with_409(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid = _id(eng, "PT-KF-007")
    etag = planner.get(f"/api/sites/{sid}").headers["etag"]
    with eng.connect() as qgis:
        qgis.execute(sa.text("SET application_name = 'QGIS'"))
        qgis.execute(sa.text("UPDATE site SET address = 'held' WHERE id = :i"), {"i": sid})
        t0 = time.monotonic()
        r = planner.patch(
            f"/api/sites/{sid}", json={"blocking_note": "x"}, headers={"If-Match": etag}
        )
        elapsed = time.monotonic() - t0
        qgis.rollback()
    assert r.status_code == 409 and "locked" in r.json()["detail"]
    assert elapsed < 10


def test_officers_cannot_edit(db, client_as) -> None:
    url, eng = db
    officer = client_as("officer", url=url)
    sid = _id(eng, "PT-KF-001")
    etag = officer.get(f"/api/sites/{sid}").headers["etag"]
    r = officer.patch(f"/api/sites/{sid}", json={"blocking_note": "x"}, headers={"If-Match": etag})
    assert r.status_code == 403


def test_status_rules_note_document_and_history(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid = _id(eng, "PT-ZM-003")  # signed
    form = planner.get(f"/api/sites/{sid}/status-form")
    assert form.status_code == 200 and form.json()["can_edit"] is True
    avail = next(f for f in form.json()["fields"] if f["name"] == "availability")
    assert {"key": "signed", "zh": "已签约", "en": "Signed"} in avail["choices"]
    etag = form.headers["etag"]
    r = planner.post(
        f"/api/sites/{sid}/status", json={"availability": "available"}, headers={"If-Match": etag}
    )
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    r = planner.post(
        f"/api/sites/{sid}/status",
        json={"availability": "available", "note": "投资方解约", "doc_ref": "解约函〔2026〕5号"},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200, r.text
    r = planner.post(
        f"/api/sites/{sid}/status", json={"name_zh": "x"}, headers={"If-Match": r.headers["etag"]}
    )
    assert r.status_code == 422  # not a status field
    h = planner.get(f"/api/sites/{sid}/history").json()
    last = h["entries"][0]
    assert last["changed_by"] == "test-planner" and last["note"] == "投资方解约"
    assert last["doc_ref"] == "解约函〔2026〕5号"
    assert last["changes"]["availability"] == ["signed", "available"]


def test_redline_overlap_blocks_available_with_409(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid = _id(eng, "PT-TT-002")
    etag = planner.get(f"/api/sites/{sid}").headers["etag"]
    r = planner.post(
        f"/api/sites/{sid}/status", json={"availability": "available"}, headers={"If-Match": etag}
    )
    assert r.status_code == 409
    assert "PT-TT-002" in r.json()["detail"] and "ecological_redline" in r.json()["detail"]


def test_history_of_app_and_qgis_edits_and_as_of(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid = _id(eng, "PT-CB-003")
    n = 3
    start = _now(eng)
    snapshots = [(_now(eng), planner.get(f"/api/sites/{sid}").json())]
    for i in range(n):
        etag = planner.get(f"/api/sites/{sid}").headers["etag"]
        r = planner.patch(
            f"/api/sites/{sid}",
            json={"blocking_note": f"app {i}", "policy_progress_pct": 40 + i},
            headers={"If-Match": etag},
        )
        assert r.status_code == 200, r.text
        snapshots.append((_now(eng), planner.get(f"/api/sites/{sid}").json()))
        with eng.begin() as c:
            c.execute(sa.text("SET LOCAL application_name = 'QGIS'"))
            c.execute(
                sa.text(
                    "UPDATE site SET geom = ST_Multi(ST_Translate(geom, 0.00002, 0.00001)), "
                    "address = :a WHERE id = :i"
                ),
                {"i": sid, "a": f"qgis {i}"},
            )
        snapshots.append((_now(eng), planner.get(f"/api/sites/{sid}").json()))
    entries = [
        e
        for e in planner.get(f"/api/sites/{sid}/history").json()["entries"]
        if dt.datetime.fromisoformat(e["changed_at"]) > start and e["table_name"] == "site"
    ]
    assert len(entries) == 2 * n
    assert sum(e["changed_by"] == "test-planner" for e in entries) == n
    assert sum(e["changed_by"].endswith("via QGIS") for e in entries) == n
    for moment, current in snapshots:
        past = planner.get(f"/api/sites/{sid}", params={"as_of": moment.isoformat()})
        assert past.status_code == 200, past.text
        got = past.json()
        assert got["geometry"] == current["geometry"]
        for key, value in current["properties"].items():
            if key in ("updated_at", "distances_m", "building_count", "projects"):
                continue
            assert got["properties"][key] == value, key
    r = planner.get(f"/api/sites/{sid}", params={"as_of": "1999-01-01"})
    assert r.status_code == 404 and "did not exist" in r.json()["detail"]
    assert planner.get(f"/api/sites/{sid}", params={"as_of": "soon"}).status_code == 422


def test_geometry_put_checks_repairs_and_reports_overlaps(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid = _id(eng, "PT-TT-001")  # unavailable: may overlap a redline
    feat = planner.get(f"/api/sites/{sid}")
    etag = feat.headers["etag"]
    (x0, y0) = feat.json()["geometry"]["coordinates"][0][0][0]
    d = 0.001
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x0 + d, y0 + d], [x0 + d, y0], [x0, y0 + d], [x0, y0]]],
    }
    r = planner.put(
        f"/api/sites/{sid}/geometry", json={"geometry": bowtie}, headers={"If-Match": etag}
    )
    assert r.status_code == 422 and "Self-intersection" in r.json()["detail"]
    # the page shows the summary, then each problem, in its own language
    summary, problem = r.json()["errors"]
    assert summary["code"] == "geometry_rejected" and problem["code"] == "geom_invalid"
    assert problem["message"]["zh"].startswith("多边形无效：Self-intersection")
    assert "修复" in problem["message"]["zh"] and problem["field"] == "geom"
    r = planner.put(
        f"/api/sites/{sid}/geometry",
        json={"geometry": bowtie, "repair": True, "note": "修复自相交"},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["repair"]["parts_after"] == 2 and "overlaps" in body
    r = planner.put(
        f"/api/sites/{sid}/geometry",
        json={"geometry": {"type": "Point", "coordinates": [x0, y0]}},
        headers={"If-Match": r.headers["etag"]},
    )
    assert r.status_code == 422 and "Point" in r.json()["detail"]


def test_split_and_merge_over_http(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid = _id(eng, "PT-KF-008")
    feat = planner.get(f"/api/sites/{sid}")
    ring = feat.json()["geometry"]["coordinates"][0][0]
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    xm = (min(xs) + max(xs)) / 2
    line = {"type": "LineString", "coordinates": [[xm, min(ys) - 0.01], [xm, max(ys) + 0.01]]}
    r = planner.post(
        f"/api/sites/{sid}/split", json={"line": line}, headers={"If-Match": feat.headers["etag"]}
    )
    assert r.status_code == 201, r.text
    a, b = r.json()["children"]
    assert r.json()["retired"][0]["retired_at"]
    r = planner.post(
        "/api/sites/merge",
        json={
            "sites": [
                {"site_id": a["id"], "if_match": f'"{a["version"]}"'},
                {"site_id": b["id"], "if_match": f'"{b["version"]}"'},
            ],
            "values": {"code": "PT-KF-008-M"},
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["area_m2"] == pytest.approx(feat.json()["properties"]["area_m2"], rel=1e-3)
    h = planner.get(f"/api/sites/{r.json()['id']}/history").json()
    assert {p["code"] for p in h["parents"]} >= {"PT-KF-008", a["code"], b["code"]}


def test_building_and_zone_edits(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    with eng.connect() as c:
        bid = c.execute(sa.text("SELECT id FROM building ORDER BY code LIMIT 1")).scalar_one()
        zid = c.execute(
            sa.text("SELECT id FROM constraint_zone WHERE kind = 'ugb' ORDER BY code LIMIT 1")
        ).scalar_one()
    b = planner.get(f"/api/buildings/{bid}")
    assert b.status_code == 200 and "owner_contact" not in b.json()
    r = planner.patch(
        f"/api/buildings/{bid}",
        json={"vacant_gfa_m2": 10.0},
        headers={"If-Match": b.headers["etag"]},
    )
    assert r.status_code == 200 and r.json()["changes"][0]["field"] == "vacant_gfa_m2"
    z = planner.get(f"/api/constraint-zones/{zid}")
    assert z.status_code == 200
    r = planner.patch(
        f"/api/constraint-zones/{zid}",
        json={"source": "普陀区国土空间总体规划（2021—2035年）", "note": "批复稿"},
        headers={"If-Match": z.headers["etag"]},
    )
    assert r.status_code == 200 and isinstance(r.json()["overlaps"], list)
    assert planner.patch(f"/api/constraint-zones/{zid}", json={"source": "x"}).status_code == 428


def test_import_and_export_over_http(db, client_as) -> None:
    url, _eng = db
    planner = client_as("planner", url=url)
    officer = client_as("officer", url=url)
    r = officer.get("/api/exports/sites", params={"format": "geojson", "availability": "available"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    data = r.json()
    assert data["features"] and all(
        f["properties"]["availability"] == "available" for f in data["features"]
    )
    files = {"file": ("sites.geojson", r.content, "application/geo+json")}
    assert officer.post("/api/imports", files=files).status_code == 403
    # the options are parsed by ImportOptions, as for the CLI: the same message
    r = planner.post("/api/imports", files=files, data={"area_unit": "acre"})
    assert r.status_code == 422
    assert "area unit must be m2, mu or ha, not 'acre'" in r.json()["detail"]
    r = planner.post("/api/imports", files=files, data={"dry_run": "true"})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["ok"] and rep["counts"]["unchanged"] == len(data["features"]) and rep["dry_run"]
    data["features"][0]["properties"]["availability"] = "sold"
    data["features"][1]["geometry"] = {"type": "Point", "coordinates": [122.3, 29.9]}
    bad = json.dumps(data, ensure_ascii=False).encode()
    r = planner.post("/api/imports", files={"file": ("bad.geojson", bad, "application/json")})
    assert r.status_code == 422
    assert "sold" in r.json()["detail"] and r.json()["counts"]["rejected"] == 2
    r = officer.get("/api/exports/sites", params={"format": "xlsx", "kind": "plant"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert officer.get("/api/exports/sites", params={"format": "doc"}).status_code == 422


def test_a_huge_upload_is_refused_before_parsing(db, client_as) -> None:
    url, _eng = db
    token = client_as("planner", url=url).headers["Authorization"]
    settings = Settings(
        db=DatabaseSettings(database_url=url), security=SecuritySettings(max_upload_bytes=10_000)
    )
    with TestClient(create_app(settings), headers={"Authorization": token}) as c:
        big = io.BytesIO(b"0" * 50_000)
        r = c.post("/api/imports", files={"file": ("big.csv", big, "text/csv")})
        assert r.status_code == 413


def test_site_sheet_carries_the_status_form_and_its_script(db, client_as) -> None:
    url, eng = db
    planner = client_as("planner", url=url)
    sid = _id(eng, "PT-KF-001")
    page = planner.get(f"/sites/{sid}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    assert f'id="gis-status-edit" data-site-id="{sid}"' in html
    assert 'src="/static/js/site_edit_form.js"' in html
    assert "<script>" not in html.split('id="gis-status-edit"', 1)[1].split("</section>", 1)[0]
    js = planner.get("/static/js/site_edit_form.js")
    assert js.status_code == 200 and "/status-form" in js.text and "If-Match" in js.text
