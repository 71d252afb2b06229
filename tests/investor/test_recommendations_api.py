"""Officers' API: recommendations from a requirement's matches or picked sites, links (create,
list, revoke, extend) and requirement status moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from investor_helpers import SITE_CODES, Env, Rec, make_recommendation

from gis_app.db.engine import make_engine
from gis_app.services import accounts

LAND_REQUIREMENT = {
    "project_name": "海洋电子装配",
    "need": "land",
    "land_mu_min": 20,
    "land_mu_max": 120,
    "max_km_port": 30,
    "land_use_codes": ["1001"],
    "accept_availability": ["available", "negotiating"],
}


def _requirement(env: Env, **extra: object) -> int:
    r = env.officer.post("/api/requirements", json={**LAND_REQUIREMENT, **extra})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _move(env: Env, rid: int, status: str, note: str | None = None) -> Any:
    """Move the requirement's status as a client does: with the ETag it has just read."""
    etag = env.officer.get(f"/api/requirements/{rid}").headers["etag"]
    body = {"status": status} | ({"note": note} if note else {})
    return env.officer.post(
        f"/api/requirements/{rid}/status", json=body, headers={"If-Match": etag}
    )


def _parse(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts)


def test_recommendation_from_picked_sites_keeps_order_and_notes(env: Env, rec: Rec) -> None:
    r = env.officer.get(f"/api/recommendations/{rec.id}")
    assert r.status_code == 200
    body = r.json()
    assert [s["code"] for s in body["sites"]] == list(SITE_CODES)
    assert [s["rank"] for s in body["sites"]] == [1, 2, 3]
    assert body["sites"][1]["note_zh"] == "推荐理由2"
    assert body["sites"][1]["note_en"] == "Why site 2"
    assert all(s["explanation"] is None for s in body["sites"])  # no requirement: no match
    assert body["links"] == 2 and body["active_links"] == 2 and body["views"] == 0
    r = env.officer.get("/api/recommendations")
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "1"
    assert r.json()[0]["site_count"] == 3


def test_recommendation_from_requirement_takes_top_matches_with_explanations(env: Env) -> None:
    rid = _requirement(env, invest_total_wan=12345.6, tax_commit_wan_per_mu_yr=23.4)
    matches = env.officer.get(f"/api/requirements/{rid}/matches").json()["matches"]
    r = env.officer.post("/api/recommendations", json={"requirement_id": rid, "top": 3})
    assert r.status_code == 201, r.text
    body = r.json()
    assert [s["site_id"] for s in body["sites"]] == [m["site_id"] for m in matches[:3]]
    for s in body["sites"]:
        ex = s["explanation"]
        assert ex["outcome"] == "match"
        keys = {c["criterion"] for c in ex["criteria"]}
        assert {"kind", "land_use", "land_area", "port_distance"} <= keys
        # the stored explanation is public: no budget-driven criterion, no free text
        assert "standard_land" not in keys and "price" not in keys
        assert all(
            set(c) <= {"criterion", "hard", "outcome", "score", "site_value", "required"}
            for c in ex["criteria"]
        )
        area = next(c for c in ex["criteria"] if c["criterion"] == "land_area")
        assert area["outcome"] == "pass" and area["required"] == {"min": 20.0, "max": 120.0}
    assert "12345" not in r.text
    # the requirement moved on to "recommended"
    assert env.officer.get(f"/api/requirements/{rid}").json()["status"] == "recommended"


def test_recommendation_of_picked_sites_for_a_requirement_explains_the_matching_ones(
    env: Env,
) -> None:
    rid = _requirement(env)
    matches = env.officer.get(f"/api/requirements/{rid}/matches").json()["matches"]
    matching, other = matches[0]["site_id"], env.site_id("PT-KF-009")  # a plant: no land match
    r = env.officer.post(
        "/api/recommendations",
        json={"requirement_id": rid, "sites": [{"site_id": other}, {"site_id": matching}]},
    )
    assert r.status_code == 201, r.text
    first, second = r.json()["sites"]
    assert first["site_id"] == other and first["explanation"] == {
        "outcome": "chosen",
        "criteria": [],
    }
    assert second["site_id"] == matching and second["explanation"]["outcome"] == "match"


def test_bad_recommendations_are_refused_with_a_clear_message(env: Env) -> None:
    sid = env.site_id("PT-BL-001")
    cases = [
        ({"sites": [{"site_id": sid}, {"site_id": sid}]}, 422, "more than once"),
        ({}, 422, "requirement_id"),
        ({"sites": [{"site_id": 99999999}]}, 404, "99999999"),
        ({"sites": [{"site_id": sid}], "id": 5}, 422, ""),
        ({"sites": [{"site_id": sid, "owner_contact": "x"}]}, 422, ""),
        ({"requirement_id": 99999999}, 404, "requirement 99999999"),
    ]
    for body, status, words in cases:
        r = env.officer.post("/api/recommendations", json=body)
        assert r.status_code == status, (body, r.text)
        assert words in r.text
    env.execute("UPDATE site SET availability = 'signed' WHERE code = 'PT-BL-001'")
    r = env.officer.post("/api/recommendations", json={"sites": [{"site_id": sid}]})
    assert r.status_code == 422 and "PT-BL-001" in r.text and "signed" in r.text
    assert env.scalar("SELECT count(*) FROM recommendation") == 0


def test_planner_reads_but_cannot_recommend(env: Env, client_as) -> None:
    planner = client_as("planner", url=env.url)
    sid = env.site_id("PT-BL-001")
    assert (
        planner.post("/api/recommendations", json={"sites": [{"site_id": sid}]}).status_code == 403
    )
    rec = make_recommendation(env)
    assert planner.get(f"/api/recommendations/{rec.id}/links").status_code == 200
    r = planner.post(f"/api/recommendations/{rec.id}/links", json={"recipient_name": "x"})
    assert r.status_code == 403


def test_links_create_list_revoke_extend(env: Env, rec: Rec) -> None:
    zh = rec.links["zh"]
    assert zh["status"] == "active" and zh["language"] == "zh" and zh["view_count"] == 0
    valid = _parse(zh["expires_at"]) - _parse(zh["created_at"])
    assert abs(valid - dt.timedelta(days=30)) < dt.timedelta(minutes=1)
    assert len(zh["token"]) == 43 and zh["url"].endswith("/r/" + zh["token"])
    # several links, each listed with views and feedback; the token is never listed again
    listed = env.officer.get(f"/api/recommendations/{rec.id}/links").json()
    assert [link["recipient_name"] for link in listed] == ["张先生", "Ms Smith"]
    assert all("token" not in link and "token_hash" not in link for link in listed)

    r = env.officer.post(
        f"/api/recommendations/{rec.id}/links", json={"recipient_org": "ACME", "expires_days": 7}
    )
    third = r.json()
    valid = _parse(third["expires_at"]) - _parse(third["created_at"])
    assert abs(valid - dt.timedelta(days=7)) < dt.timedelta(minutes=1)

    r = env.officer.post(
        f"/api/recommendations/{rec.id}/links/{third['id']}/extend", json={"days": 10}
    )
    assert r.status_code == 200, r.text
    moved = _parse(r.json()["expires_at"]) - _parse(third["expires_at"])
    assert abs(moved - dt.timedelta(days=10)) < dt.timedelta(seconds=5)
    assert r.json()["extended_by"] == "test-officer"

    r = env.officer.delete(f"/api/recommendations/{rec.id}/links/{third['id']}")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert r.json()["revoked_by"] == "test-officer"
    r = env.officer.post(f"/api/recommendations/{rec.id}/links/{zh['id']}/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    r = env.officer.post(
        f"/api/recommendations/{rec.id}/links/{third['id']}/extend", json={"days": 10}
    )
    assert r.status_code == 409 and "revoked" in r.text
    statuses = {
        link["id"]: link["status"]
        for link in env.officer.get(f"/api/recommendations/{rec.id}/links").json()
    }
    assert statuses == {
        zh["id"]: "revoked",
        rec.links["en"]["id"]: "active",
        third["id"]: "revoked",
    }


def test_bad_links_are_refused(env: Env, rec: Rec) -> None:
    base = f"/api/recommendations/{rec.id}/links"
    assert env.officer.post(base, json={"language": "zh"}).status_code == 422  # no recipient
    assert env.officer.post(base, json={"recipient_name": "a", "language": "fr"}).status_code == 422
    r = env.officer.post(base, json={"recipient_name": "a", "expires_days": 400})
    assert r.status_code == 422 and "365" in r.text
    r = env.officer.post(base, json={"recipient_name": "a", "token_hash": "x"})
    assert r.status_code == 422
    en = rec.links["en"]["id"]
    r = env.officer.post(f"{base}/{en}/extend", json={"days": 360})
    assert r.status_code == 422 and "365" in r.text
    assert (
        env.officer.post(
            "/api/recommendations/999999/links", json={"recipient_name": "a"}
        ).status_code
        == 404
    )
    assert env.officer.delete(f"{base}/999999").status_code == 404


def test_requirement_status_moves_forward_and_refuses_nonsense(env: Env) -> None:
    rid = _requirement(env)
    url = f"/api/requirements/{rid}/status"
    for status in ("matching", "recommended", "visiting"):
        r = _move(env, rid, status)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    r = _move(env, rid, "recommended")
    assert r.status_code == 422 and "backwards" in r.text and "negotiating" in r.text
    r = _move(env, rid, "visiting")
    assert r.status_code == 422 and "already" in r.text
    r = _move(env, rid, "sold")
    assert r.status_code == 422 and "sold" in r.text
    r = _move(env, rid, "dropped", note="chose another city")
    assert r.status_code == 200 and r.json()["allowed_next"] == []
    r = _move(env, rid, "negotiating")
    assert r.status_code == 422 and "final" in r.text
    # without the version read: 428, and nothing moves
    assert env.officer.post(url, json={"status": "negotiating"}).status_code == 428
    # each move is in the history with the officer and the note
    changed_by, note = env.scalar(
        "SELECT changed_by || '|' || COALESCE(note, '') FROM history WHERE table_name = "
        "'requirement' AND row_id = :r ORDER BY id DESC LIMIT 1",
        r=rid,
    ).split("|")
    assert changed_by == "test-officer" and note == "chose another city"


def test_signed_and_landed_are_reached_in_order(env: Env) -> None:
    rid = _requirement(env)
    assert _move(env, rid, "negotiating").status_code == 200
    assert _move(env, rid, "signed").status_code == 200
    r = _move(env, rid, "dropped")
    assert r.status_code == 422 and "open" in r.text
    assert _move(env, rid, "landed").status_code == 200
    assert env.officer.get(f"/api/requirements/{rid}").json()["status"] == "landed"


def test_confidential_requirement_recommendations_are_hidden_from_other_officers(
    env: Env,
) -> None:
    rid = _requirement(env, confidential=True)
    r = env.officer.post("/api/recommendations", json={"requirement_id": rid, "top": 2})
    assert r.status_code == 201
    rec_id = r.json()["id"]
    eng = make_engine(env.url)
    with eng.begin() as c:
        accounts.create_user(c, "other-officer", "other-password-1", ["officer"])
        _, token = accounts.create_token(c, "other-officer", "tests")
    eng.dispose()
    from api.app import create_app
    from gis_app.settings import DatabaseSettings, Settings

    app = create_app(Settings(db=DatabaseSettings(database_url=env.url)))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as other:
        assert other.get(f"/api/recommendations/{rec_id}").status_code == 404
        assert other.get(f"/api/recommendations/{rec_id}/links").status_code == 404
        assert other.get("/api/recommendations").json() == []
        r = other.post(f"/api/recommendations/{rec_id}/links", json={"recipient_name": "x"})
        assert r.status_code == 404
        assert (
            other.post(
                f"/api/requirements/{rid}/status",
                json={"status": "visiting"},
                headers={"If-Match": '"1"'},
            ).status_code
            == 404
        )
