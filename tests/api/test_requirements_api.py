"""Requirements CRUD: validation naming the field, confidentiality, partial updates."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

BASE = {
    "project_name": "海工装备基地",
    "investor": "某海工集团",
    "contact": "王先生 138-0000-0000",
    "need": "land",
    "land_use_codes": ["M2", "100103"],
    "land_mu_min": 50,
    "land_mu_max": 80,
    "max_km_port": 10,
    "port_berth_dwt_min": 10000,
    "preferred_townships": ["六横镇"],
    "weights": {"location": 20},
}


#: the ETag of a requirement just created
V1 = {"If-Match": '"1"'}


@pytest.fixture
def url(make_db) -> str:
    return make_db("sample")


def test_create_read_update_list(url, client_as) -> None:
    alice = client_as("officer", url=url)
    r = alice.post("/api/requirements", json=BASE)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["officer"] == req["created_by"] == "test-officer"
    assert req["status"] == "new" and req["version"] == 1
    assert req["land_use_codes"] == ["M2", "100103"]
    # the expansion the matcher uses: the codes, their sub-classes and their equivalents
    assert set(req["land_use_2023_codes"]) == {"100102", "100103"}
    assert set(req["land_use_gb_codes"]) == {"M2", "M3"}
    assert req["need_label"] == {"zh": "土地", "en": "Land"}

    got = alice.get(f"/api/requirements/{req['id']}")
    assert got.status_code == 200 and got.json()["investor"] == "某海工集团"

    assert got.headers["etag"] == '"1"'
    v1 = {"If-Match": got.headers["etag"]}
    r = alice.patch(
        f"/api/requirements/{req['id']}", json={"status": "signed", "land_mu_max": 90}, headers=v1
    )
    assert r.status_code == 422 and "/status" in r.json()["detail"]  # transitions are checked
    r = alice.patch(f"/api/requirements/{req['id']}", json={"land_mu_max": 90}, headers=v1)
    assert r.status_code == 200, r.text
    assert r.json()["land_mu_max"] == 90 and r.json()["version"] == 2
    assert r.headers["etag"] == '"2"'
    r = alice.post(f"/api/requirements/{req['id']}/status", json={"status": "matching"}, headers=v1)
    assert r.status_code == 412, r.text  # based on version 1, which was changed since
    r = alice.post(
        f"/api/requirements/{req['id']}/status",
        json={"status": "matching"},
        headers={"If-Match": '"2"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 3 and r.headers["etag"] == '"3"'
    assert alice.get(f"/api/requirements/{req['id']}").json()["status"] == "matching"

    listed = alice.get("/api/requirements", params={"status": "matching"})
    assert listed.status_code == 200 and [x["id"] for x in listed.json()] == [req["id"]]
    assert listed.headers["x-total-count"] == "1"
    assert alice.get("/api/requirements", params={"status": "new"}).json() == []
    assert alice.get("/api/requirements", params={"q": "海工"}).json()[0]["id"] == req["id"]


def test_history_records_the_officer(url, client_as) -> None:
    alice = client_as("officer", url=url)
    rid = alice.post("/api/requirements", json=BASE).json()["id"]
    r = alice.patch(
        f"/api/requirements/{rid}", json={"notes": "客商下周来访"}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    eng = sa.create_engine(url)
    with eng.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT action, app_user, changes FROM history "
                "WHERE table_name = 'requirement' AND row_id = :r ORDER BY id"
            ),
            {"r": rid},
        ).all()
    eng.dispose()
    assert [(r.action, r.app_user) for r in rows] == [
        ("insert", "test-officer"),
        ("update", "test-officer"),
    ]
    assert rows[1].changes["notes"] == [None, "客商下周来访"]


def test_confidential_requirements_are_hidden_from_other_officers(url, client_as) -> None:
    alice = client_as("officer", url=url)
    secret = alice.post("/api/requirements", json=BASE | {"confidential": True}).json()
    public = alice.post("/api/requirements", json=BASE | {"project_name": "公开项目"}).json()
    eng = sa.create_engine(url)
    with eng.begin() as c:  # another officer owns a confidential requirement
        other = c.execute(
            sa.text(
                "INSERT INTO requirement (project_name, need, officer, created_by, confidential)"
                " VALUES ('别人的保密项目', 'land', 'bob', 'bob', true) RETURNING id"
            )
        ).scalar_one()
    eng.dispose()
    seen = {x["id"] for x in alice.get("/api/requirements").json()}
    assert {secret["id"], public["id"]} <= seen and other not in seen
    assert alice.get(f"/api/requirements/{other}").status_code == 404
    assert alice.get(f"/api/requirements/{other}/matches").status_code == 404
    hidden = alice.patch(f"/api/requirements/{other}", json={"notes": "x"}, headers=V1)
    assert hidden.status_code == 404
    admin = client_as("admin", url=url)
    assert admin.get(f"/api/requirements/{other}").status_code == 200
    assert other in {x["id"] for x in admin.get("/api/requirements").json()}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"need": "land"}, "project_name"),
        ({"project_name": "x"}, "need"),
        (BASE | {"need": "castle"}, "need"),
        (BASE | {"tenure": "rent-to-own"}, "tenure"),
        (BASE | {"status": "won"}, "status"),
        (BASE | {"readiness_min": "ready"}, "readiness_min"),
        (BASE | {"land_use_codes": ["ZZ9"]}, "land_use_codes"),
        (BASE | {"building_types": ["castle"]}, "building_types"),
        (BASE | {"accept_availability": []}, "accept_availability"),
        (BASE | {"land_mu_min": 90, "land_mu_max": 50}, "land_mu_min"),
        (BASE | {"gfa_m2_min": 9000, "gfa_m2_max": 100}, "gfa_m2_min"),
        (BASE | {"land_mu_min": -5}, "land_mu_min"),
        (BASE | {"max_km_port": 1e9}, "max_km_port"),
        (BASE | {"near_miss_margin_pct": 80}, "near_miss_margin_pct"),
        (BASE | {"weights": {"luck": 5}}, "luck"),
        (BASE | {"weights": {"price": -1}}, "weights"),
        (BASE | {"owner_contact": "x"}, "owner_contact"),
        (BASE | {"id": 5}, "id"),
        (BASE | {"created_by": "mallory"}, "created_by"),
        (BASE | {"version": 7}, "version"),
        (BASE | {"project_name": "a\x00b"}, "project_name"),
        (BASE | {"start_by": "next spring"}, "start_by"),
    ],
)
def test_bad_requirements_are_422_naming_the_field(client_as, body, named) -> None:
    officer = client_as("officer")  # nothing is written: the shared database is fine
    r = officer.post("/api/requirements", json=body)
    assert r.status_code == 422, (body, r.text)
    assert named in r.text


def test_bad_updates_are_422_and_change_nothing(url, client_as) -> None:
    alice = client_as("officer", url=url)
    req = alice.post("/api/requirements", json=BASE).json()
    for patch, named in [
        ({"land_mu_min": 100}, "land_mu_min"),  # would invert the range with max 80
        ({"id": 99}, "id"),
        ({"land_use_2023_codes": ["0701"]}, "land_use_2023_codes"),
        ({"colour": "red"}, "colour"),
        ({"need": None}, "need"),
    ]:
        r = alice.patch(f"/api/requirements/{req['id']}", json=patch, headers=V1)
        assert r.status_code == 422 and named in r.text, (patch, r.text)
    assert alice.patch(f"/api/requirements/{req['id']}", json=[1, 2], headers=V1).status_code == 422
    after = alice.get(f"/api/requirements/{req['id']}").json()
    assert after["version"] == 1 and after["land_mu_min"] == 50


def test_roles(client_as) -> None:
    planner = client_as("planner")
    assert planner.get("/api/requirements").status_code == 200
    assert planner.post("/api/requirements", json=BASE).status_code == 403
    assert client_as("officer").get("/api/requirements/999999").status_code == 404


def test_requirements_need_login(client) -> None:
    assert client.get("/api/requirements").status_code == 401
    assert client.post("/api/requirements", json=BASE).status_code == 401


@pytest.mark.parametrize("value", [0, 1, "1.5", "yes", "true"])
def test_a_yes_no_field_takes_json_true_or_false_only(client_as, value) -> None:
    officer = client_as("officer")
    body = {"project_name": "严格布尔", "need": "land", "confidential": value}
    r = officer.post("/api/match", json=body)
    assert r.status_code == 422, r.text
    assert "confidential" in r.text
