"""Referrals between districts (issue 26, item 3) through the API, against the real PostGIS
with the sample (普陀区 and the illustrative 定海区 part under 舟山市): a Putuo officer refers a
requirement to Dinghai with a note; Dinghai's officers see it, match it against Dinghai's sites
only and send their own link; Putuo sees the outcome (status, matched count, link sent and
when) and nothing of Dinghai's recommendation; a city officer matches across both districts
with each site's district named. Refusals name the problem and write nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from writers import CITY, DINGHAI, PUTUO

from api.app import create_app
from gis_app.db.engine import make_engine
from gis_app.matching import sql as match_sql
from gis_app.matching.spec import parse_spec
from gis_app.services import accounts
from gis_app.services import matching as match_service
from gis_app.services.requirements import Viewer
from gis_app.settings import DatabaseSettings, Settings

#: land for light industry: Dinghai's ZS-DH-LC-001 (40 亩, 100101) fits, and Putuo's parcels
BODY = {
    "project_name": "转介测试·精密机械厂",
    "need": "land",
    "land_mu_min": 20,
    "land_mu_max": 60,
    "land_use_codes": ["1001"],
}
NOTE = "普陀暂无合适地块，客商也考虑定海临城；请协助对接。"


@pytest.fixture
def world(make_db) -> Iterator[tuple[sa.Engine, Callable[..., TestClient]]]:
    """A copy of the sample, and ``user_in(name, district, roles)`` → a TestClient of a new
    user of that district."""
    url = make_db("sample")
    eng = make_engine(url)
    opened: list[TestClient] = []

    def user_in(name: str, district: str, roles: tuple[str, ...] = ("officer",)) -> TestClient:
        with eng.begin() as c:
            accounts.create_user(c, name, "test-password-1", list(roles), district_code=district)
            _, token = accounts.create_token(c, name, "tests")
        client = TestClient(
            create_app(Settings(db=DatabaseSettings(database_url=url))),
            headers={"Authorization": f"Bearer {token}"},
        )
        client.__enter__()
        opened.append(client)
        return client

    yield eng, user_in
    for c in opened:
        c.__exit__(None, None, None)
    eng.dispose()


def _row(eng: sa.Engine, sql: str, **params) -> sa.RowMapping | None:
    with eng.connect() as c:
        return c.execute(sa.text(sql), params).mappings().one_or_none()


def _referrals(eng: sa.Engine, requirement_id: int) -> list[sa.RowMapping]:
    with eng.connect() as c:
        return list(
            c.execute(
                sa.text("SELECT * FROM referral WHERE requirement_id = :r ORDER BY id"),
                {"r": requirement_id},
            ).mappings()
        )


def _site_districts(eng: sa.Engine, site_ids: list[int]) -> set[str]:
    with eng.connect() as c:
        return set(
            c.execute(
                sa.text("SELECT district_code FROM site WHERE id = ANY(:ids)"), {"ids": site_ids}
            ).scalars()
        )


def test_refer_match_send_and_see_the_outcome(world) -> None:
    eng, user_in = world
    putuo = user_in("pt-officer", PUTUO)
    dinghai = user_in("dh-officer", DINGHAI)
    req = putuo.post("/api/requirements", json=BODY)
    assert req.status_code == 201, req.text
    rid = req.json()["id"]
    assert req.json()["district_code"] == PUTUO

    # Putuo's own match reads Putuo's sites only
    own = putuo.get(f"/api/requirements/{rid}/matches").json()
    own_ids = [m["site_id"] for m in own["matches"] + own["near_misses"]]
    assert own_ids and _site_districts(eng, own_ids) == {PUTUO}
    assert {m["district"]["code"] for m in own["matches"]} == {PUTUO}

    r = putuo.post(
        f"/api/requirements/{rid}/referrals", json={"to_district": DINGHAI, "note": NOTE}
    )
    assert r.status_code == 201, r.text
    ref = r.json()
    assert ref["status"] == "open" and ref["note"] == NOTE
    assert ref["to_district"] == {"code": DINGHAI, "zh": "定海区（示意范围）",
                                  "en": "Dinghai District (illustrative part)"}  # fmt: skip
    assert ref["from_district"]["zh"] == "普陀区"
    (row,) = _referrals(eng, rid)
    assert (row["from_district"], row["to_district"], row["note"], row["status"]) == (
        PUTUO,
        DINGHAI,
        NOTE,
        "open",
    )
    assert row["referred_by"] == "pt-officer" and row["matched_count"] is None
    hist = _row(
        eng,
        "SELECT action, app_user FROM history WHERE table_name = 'referral' AND row_id = :i",
        i=row["id"],
    )
    assert hist is not None and dict(hist) == {"action": "insert", "app_user": "pt-officer"}

    # Dinghai's officers see it: in their list, with its referral
    listed = dinghai.get("/api/requirements", params={"q": "转介测试"}).json()
    assert [x["id"] for x in listed] == [rid]
    seen = dinghai.get(f"/api/requirements/{rid}/referrals").json()
    assert [(s["id"], s["note"], s["from_district"]["code"]) for s in seen] == [
        (row["id"], NOTE, PUTUO)
    ]

    # ... and match it against Dinghai's sites only
    m = dinghai.post(f"/api/referrals/{row['id']}/match")
    assert m.status_code == 200, m.text
    result = m.json()["match"]
    ids = [x["site_id"] for x in result["matches"] + result["near_misses"]]
    assert ids and _site_districts(eng, ids) == {DINGHAI}
    assert all(x["district"]["zh"] == "定海区（示意范围）" for x in result["matches"])
    assert "ZS-DH-LC-001" in [x["code"] for x in result["matches"]]
    stored = _referrals(eng, rid)[0]
    assert stored["matched_count"] == result["total_matches"] >= 1
    assert stored["status"] == "accepted" and stored["matched_by"] == "dh-officer"
    assert m.json()["referral"]["matched_count"] == result["total_matches"]
    # the saved requirement's match of a Dinghai officer reads Dinghai too
    again = dinghai.get(f"/api/requirements/{rid}/matches").json()
    assert _site_districts(eng, [x["site_id"] for x in again["matches"]]) == {DINGHAI}

    # Dinghai sends its own recommendation and link
    rec = dinghai.post(
        "/api/recommendations",
        json={"requirement_id": rid, "top": 1, "internal_note": "定海内部备注：底价可谈"},
    )
    assert rec.status_code == 201, rec.text
    rec_id = rec.json()["id"]
    assert (
        _row(eng, "SELECT district_code FROM recommendation WHERE id = :i", i=rec_id)[
            "district_code"
        ]
        == DINGHAI
    )
    link = dinghai.post(f"/api/recommendations/{rec_id}/links", json={"recipient_name": "王总"})
    assert link.status_code == 201, link.text

    # Putuo sees the outcome: district, status, matched count, link sent and when
    (out,) = putuo.get(f"/api/requirements/{rid}/referrals").json()
    assert out["to_district"]["code"] == DINGHAI and out["status"] == "accepted"
    assert out["matched_count"] == result["total_matches"]
    assert out["recommendation_sent"] is True and out["recommended_at"]
    sent_at = _row(
        eng,
        "SELECT min(created_at) AS t FROM share_link WHERE recommendation_id = :i",
        i=rec_id,
    )["t"]
    assert out["recommended_at"] == sent_at.isoformat()
    # ... but not Dinghai's recommendation itself
    recs = putuo.get("/api/recommendations", params={"requirement_id": rid}).json()
    assert rec_id not in [x["id"] for x in recs]
    assert putuo.get(f"/api/recommendations/{rec_id}").status_code == 404
    text = putuo.get(f"/api/requirements/{rid}/referrals").text
    assert "底价可谈" not in text and "王总" not in text


def test_refusals_name_the_problem_and_write_nothing(world) -> None:
    eng, user_in = world
    putuo = user_in("pt-officer", PUTUO)
    dinghai = user_in("dh-officer", DINGHAI)
    rid = putuo.post("/api/requirements", json=BODY).json()["id"]

    own = putuo.post(f"/api/requirements/{rid}/referrals", json={"to_district": PUTUO})
    assert own.status_code == 422 and own.json()["code"] == "referral_own_district"
    assert "普陀区" in own.json()["message"]["zh"]
    city = putuo.post(f"/api/requirements/{rid}/referrals", json={"to_district": CITY})
    assert city.status_code == 422 and city.json()["code"] == "referral_not_a_district"
    nowhere = putuo.post(f"/api/requirements/{rid}/referrals", json={"to_district": "999999"})
    assert nowhere.status_code == 422 and nowhere.json()["field"] == "to_district"
    nul_code = putuo.post(f"/api/requirements/{rid}/referrals", json={"to_district": "33\x0002"})
    assert nul_code.status_code == 422 and nul_code.json()["field"] == "to_district"
    nul = putuo.post(
        f"/api/requirements/{rid}/referrals", json={"to_district": DINGHAI, "note": "a\x00b"}
    )
    assert nul.status_code == 422
    long = putuo.post(
        f"/api/requirements/{rid}/referrals", json={"to_district": DINGHAI, "note": "长" * 2001}
    )
    assert long.status_code == 422
    # only the requirement's district refers it; another district does not even see it
    # (row security, revision 0039)
    stranger = dinghai.post(f"/api/requirements/{rid}/referrals", json={"to_district": DINGHAI})
    assert stranger.status_code == 404
    assert _referrals(eng, rid) == []

    ref = putuo.post(f"/api/requirements/{rid}/referrals", json={"to_district": DINGHAI}).json()
    again = putuo.post(f"/api/requirements/{rid}/referrals", json={"to_district": DINGHAI})
    assert again.status_code == 409 and again.json()["code"] == "referral_exists"
    assert len(_referrals(eng, rid)) == 1
    # only the receiving district matches, accepts and declines; only Putuo closes
    assert putuo.post(f"/api/referrals/{ref['id']}/match").status_code == 403
    assert (
        putuo.post(f"/api/referrals/{ref['id']}/status", json={"status": "declined"}).status_code
        == 403
    )
    assert (
        dinghai.post(f"/api/referrals/{ref['id']}/status", json={"status": "closed"}).status_code
        == 403
    )
    bad = dinghai.post(f"/api/referrals/{ref['id']}/status", json={"status": "open"})
    assert bad.status_code == 422 and bad.json()["code"] == "status_unchanged"
    unknown = dinghai.post(f"/api/referrals/{ref['id']}/status", json={"status": "maybe"})
    assert unknown.status_code == 422
    assert _referrals(eng, rid)[0]["status"] == "open"
    assert _referrals(eng, rid)[0]["version"] == 1

    declined = dinghai.post(f"/api/referrals/{ref['id']}/status", json={"status": "declined"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    # a declined referral is not matched
    assert dinghai.post(f"/api/referrals/{ref['id']}/match").status_code == 422
    closed = putuo.post(f"/api/referrals/{ref['id']}/status", json={"status": "closed"})
    assert closed.status_code == 200
    row = _referrals(eng, rid)[0]
    assert (row["status"], row["status_changed_by"], row["version"]) == (
        "closed",
        "pt-officer",
        3,
    )
    moves = _row(
        eng,
        "SELECT count(*) AS n FROM history WHERE table_name = 'referral' AND row_id = :i"
        " AND action = 'update'",
        i=ref["id"],
    )["n"]
    assert moves == 2
    assert dinghai.post(f"/api/referrals/{10**9}/match").status_code == 404


def test_a_confidential_requirement_is_seen_by_the_district_it_is_referred_to(world) -> None:
    _, user_in = world
    putuo = user_in("pt-officer", PUTUO)
    dinghai = user_in("dh-officer", DINGHAI)
    rid = putuo.post("/api/requirements", json=BODY | {"confidential": True}).json()["id"]
    assert dinghai.get(f"/api/requirements/{rid}").status_code == 404
    ref = putuo.post(
        f"/api/requirements/{rid}/referrals", json={"to_district": DINGHAI, "note": NOTE}
    ).json()
    assert dinghai.get(f"/api/requirements/{rid}").status_code == 200
    # closed: no longer theirs
    putuo.post(f"/api/referrals/{ref['id']}/status", json={"status": "closed"})
    assert dinghai.get(f"/api/requirements/{rid}").status_code == 404


def test_a_city_officer_matches_across_every_district_in_one_ranked_list(world) -> None:
    _, user_in = world
    putuo = user_in("pt-officer", PUTUO)
    city = user_in("zs-officer", CITY)
    rid = putuo.post("/api/requirements", json=BODY).json()["id"]
    result = city.get(f"/api/requirements/{rid}/matches", params={"limit": 200}).json()
    ranked = result["matches"]
    assert {m["district"]["code"] for m in ranked} == {PUTUO, DINGHAI}
    assert {m["district"]["zh"] for m in ranked} == {"普陀区", "定海区（示意范围）"}
    assert {m["district"]["en"] for m in ranked} >= {"Putuo District"}
    assert [m["rank"] for m in ranked] == list(range(1, len(ranked) + 1))
    scores = [m["score"] for m in ranked]
    assert scores == sorted(scores, reverse=True)
    # one list = the two districts' lists together
    pt = putuo.get(f"/api/requirements/{rid}/matches", params={"limit": 200}).json()
    assert result["total_matches"] > pt["total_matches"] >= 1
    assert {m["site_id"] for m in pt["matches"]} < {m["site_id"] for m in ranked}


def test_the_pages_show_the_referral_to_each_district(world) -> None:
    _, user_in = world
    putuo = user_in("pt-officer", PUTUO)
    dinghai = user_in("dh-officer", DINGHAI)
    rid = putuo.post("/api/requirements", json=BODY).json()["id"]
    page = putuo.get(f"/requirements/{rid}").text
    assert 'id="gis-refer-form"' in page and f'value="{DINGHAI}"' in page
    assert f'value="{CITY}"' not in page and f'<option value="{PUTUO}"' not in page
    ref = putuo.post(
        f"/api/requirements/{rid}/referrals", json={"to_district": DINGHAI, "note": NOTE}
    ).json()
    page = putuo.get(f"/requirements/{rid}?lang=en").text
    assert 'id="gis-referral-outcomes"' in page and 'id="gis-refer-form"' not in page
    assert "Dinghai District (illustrative part)" in page and NOTE in page
    assert 'class="gis-button gis-referral-close"' in page and 'data-status="closed"' in page

    listed = dinghai.get("/requirements").text
    assert 'id="gis-referral-inbox"' in listed and NOTE in listed
    assert 'class="gis-count-badge gis-referred-badge"' in listed
    page = dinghai.get(f"/requirements/{rid}").text
    assert f'id="gis-referral-in" data-referral-id="{ref["id"]}"' in page
    assert 'id="gis-referral-answer-form"' in page and 'id="gis-referral-match-form"' in page
    assert 'id="gis-refer-form"' not in page and 'id="gis-referral-outcomes"' not in page
    # Dinghai reads, matches and recommends; Putuo's requirement stays Putuo's to change
    assert 'id="gis-edit"' not in page and 'id="gis-status-form"' not in page
    assert 'id="gis-status-block"' not in dinghai.get(f"/requirements/{rid}/live").text
    etag = dinghai.get(f"/api/requirements/{rid}").headers["etag"]
    r = dinghai.patch(
        f"/api/requirements/{rid}", json={"land_mu_max": 80}, headers={"If-Match": etag}
    )
    assert r.status_code == 403 and r.json()["code"] == "requirement_other_district"
    assert "普陀区" in r.json()["message"]["zh"]
    r = dinghai.post(
        f"/api/requirements/{rid}/status", json={"status": "matching"}, headers={"If-Match": etag}
    )
    assert r.status_code == 403
    assert dinghai.get(f"/api/requirements/{rid}").headers["etag"] == etag  # nothing changed
    assert 'id="gis-edit"' in putuo.get(f"/requirements/{rid}").text
    assert "ZS-DH-LC-001" in page and "PT-" not in page.split('id="gis-matches"')[1]
    # Putuo's list has no inbox: nothing was referred to Putuo
    assert 'id="gis-referral-inbox"' not in putuo.get("/requirements").text


def test_a_match_binds_districts_only_when_its_scope_leaves_a_district_out(world) -> None:
    eng, user_in = world
    user_in("pt-officer", PUTUO)
    user_in("zs-officer", CITY)
    with eng.connect() as c:
        assert match_service.match_scope(c, Viewer("pt-officer")) == [PUTUO]
        assert match_service.match_scope(c, Viewer("zs-officer")) is None
    spec = parse_spec(BODY)
    scoped, params = match_sql.statement(spec, districts=[PUTUO])
    assert "s.district_code = ANY(CAST(:districts AS text[]))" in scoped
    assert params["districts"] == [PUTUO]
    # every district: their codes, read by the statement itself (revision 0033)
    whole, params = match_sql.statement(spec)
    assert "s.district_code = ANY(ARRAY(SELECT d.code FROM district d))" in whole
    assert ":districts" not in whole and "districts" not in params


def test_a_city_officer_reads_each_sites_district_on_the_requirement_page(world) -> None:
    _, user_in = world
    putuo = user_in("pt-officer", PUTUO)
    city = user_in("zs-officer", CITY)
    rid = putuo.post("/api/requirements", json=BODY).json()["id"]
    for lang, names in (("zh", ("普陀区", "定海区（示意范围）")), ("en", ("Putuo District",))):
        page = city.get(f"/requirements/{rid}?lang={lang}&limit=200").text
        matches = page.split('id="gis-matches"')[1].split('id="gis-near-misses"')[0]
        assert f'data-district="{PUTUO}"' in matches and f'data-district="{DINGHAI}"' in matches
        for name in names:
            assert f">{name}</span>" in matches, (lang, name)
