"""NUL characters in text input (issue 18, defect 6): PostgreSQL text cannot hold them, so every
parameter and field holding one is refused with a 422 naming it, before the database sees it
(they were 500s: psycopg2 refused the statement)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from gis_app.settings import DatabaseSettings, Settings

NUL = "\x00"


def _refused(r, where: str, name: str) -> None:
    assert r.status_code == 422, (r.status_code, r.text)
    body = r.json()
    assert name in body["detail"] and "NUL" in body["detail"], body
    assert [where, name] in [e["loc"][:2] for e in body["errors"]], body


def test_nul_in_query_parameters_is_422_naming_the_parameter(client_as) -> None:
    officer = client_as("officer")
    cases = [
        ("/api/recommendations", "created_by"),
        ("/api/requirements", "officer"),
        ("/api/requirements", "q"),
        ("/api/sites", "block"),
        ("/api/sites", "q"),
        ("/api/stats/available", "block"),
        ("/api/stats/funnel", "officer"),
        ("/api/exports/sites", "township"),
    ]
    for path, name in cases:
        _refused(officer.get(path, params={name: f"a{NUL}b"}), "query", name)
    # a repeated parameter: the second value holds the NUL
    r = officer.get("/api/sites", params=[("block", "普陀"), ("block", NUL)])
    _refused(r, "query", "block")
    # pages too
    r = officer.get("/requirements", params={"q": f"x{NUL}"})
    _refused(r, "query", "q")


def test_nul_in_json_bodies_and_path_is_422_and_nothing_is_written(client_as, make_db) -> None:
    url = make_db("sample")
    admin = client_as("admin", url=url)
    officer = client_as("officer", url=url)
    r = admin.post(
        "/api/users", json={"username": "nul-user", "roles": ["officer"], "display_name": f"A{NUL}"}
    )
    _refused(r, "body", "display_name")
    r = admin.post("/api/tokens", json={"name": f"etl{NUL}"})
    _refused(r, "body", "name")
    r = officer.post("/api/requirements", json={"project_name": f"P{NUL}", "need": "land"})
    _refused(r, "body", "project_name")
    # free-form bodies (a patch is a plain object): nested values and keys are checked too
    r = officer.patch("/api/requirements/1", json={"officer": f"x{NUL}"})
    _refused(r, "body", "officer")
    r = officer.post("/api/match", json={"need": "land", "preferred_blocks": ["a", f"b{NUL}"]})
    assert r.json()["errors"][0]["loc"] == ["body", "preferred_blocks", 1], r.text
    r = admin.patch("/api/users/test-officer%00", json={"roles": ["officer"]})
    _refused(r, "path", "username")
    eng = sa.create_engine(url)
    with eng.connect() as c:
        users = c.execute(sa.text("SELECT count(*) FROM app_user WHERE username = 'nul-user'"))
        assert users.scalar_one() == 0
        names = c.execute(sa.text("SELECT count(*) FROM api_token WHERE name LIKE 'etl%'"))
        assert names.scalar_one() == 0
    eng.dispose()


def test_nul_in_form_and_multipart_fields_is_422(client_as, sample_url: str) -> None:
    with TestClient(create_app(Settings(db=DatabaseSettings(database_url=sample_url)))) as anon:
        r = anon.post("/login", data={"username": f"admin{NUL}", "password": "x" * 12})
        _refused(r, "body", "username")
    planner = client_as("planner")
    files = {"file": ("sites.geojson", b'{"type": "FeatureCollection", "features": []}')}
    r = planner.post("/api/imports", files=files, data={"note": f"survey{NUL}", "dry_run": "true"})
    _refused(r, "body", "note")
    # the file's name (httpx would escape a NUL in it, a hand-made request does not)
    body = (
        b"--b\r\n"
        b'Content-Disposition: form-data; name="file"; filename="sites\x00.geojson"\r\n'
        b"Content-Type: application/geo+json\r\n\r\n"
        b'{"type": "FeatureCollection", "features": []}\r\n'
        b"--b--\r\n"
    )
    r = planner.post(
        "/api/imports", content=body, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    _refused(r, "body", "file")
