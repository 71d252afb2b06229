"""The officers' requirement pages: the list (with the new-requirement form) and a
requirement's page (its matches on a map, near misses, recommendations)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from matching.sample_oracle import PLANT, expected, load

from gis_app.db.engine import make_engine
from gis_app.services import requirement_form
from maps import assets

HTML = {"Accept": "text/html"}
LAND = {
    "project_name": "海工装备基地",
    "need": "land",
    "land_use_codes": ["M2", "100103"],
    "land_mu_min": 50,
    "land_mu_max": 80,
    "max_km_port": 10,
}


class _Results(HTMLParser):
    """The result blocks of a requirement page, in page order, by list."""

    def __init__(self) -> None:
        super().__init__()
        self.lists: dict[str, list[tuple[int, int]]] = {"gis-matches": [], "gis-near-misses": []}
        self._in: str | None = None
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if a.get("id") in self.lists:
            self._in = a["id"]
        if "name" in a:
            self.names.add(a["name"])
        if self._in and "gis-result" in (a.get("class") or "").split():
            self.lists[self._in].append((int(a["data-site-id"]), int(a["data-rank"])))


def _results(html: str) -> _Results:
    p = _Results()
    p.feed(html)
    return p


@pytest.fixture
def url(make_db) -> str:
    return make_db("sample")


def test_list_page_shows_what_the_user_may_see_with_match_counts(url, client_as) -> None:
    alice = client_as("officer", url=url)
    mine = alice.post("/api/requirements", json=PLANT).json()
    land = alice.post("/api/requirements", json=LAND | {"confidential": True}).json()
    page = alice.get("/requirements", headers=HTML)
    assert page.status_code == 200, page.text
    assert f'href="/requirements/{mine["id"]}?lang=zh"' in page.text
    assert f'href="/requirements/{land["id"]}?lang=zh"' in page.text
    eng = make_engine(url)
    with eng.connect() as c:
        n = c.execute(
            sa.text("SELECT count(*) FROM requirement_match WHERE requirement_id = :i"),
            {"i": mine["id"]},
        ).scalar()
    eng.dispose()
    assert n > 0
    row = re.search(rf'data-requirement-id="{mine["id"]}">(.*?)</tr>', page.text, re.S).group(1)
    assert re.findall(r'class="gis-num">(\d+)</td>', row) == [str(n)]
    # the form offers every field of the form definition, each a field of the spec
    names = _results(page.text).names
    assert set(requirement_form.FIELDS) <= names
    # filters: by status and by need
    only_land = alice.get("/requirements?need=land", headers=HTML).text
    assert f"/requirements/{land['id']}?" in only_land
    assert f"/requirements/{mine['id']}?" not in only_land
    by_text = alice.get("/requirements?q=海工", headers=HTML).text
    assert f"/requirements/{land['id']}?" in by_text
    assert f"/requirements/{mine['id']}?" not in by_text
    assert alice.get("/requirements?status=bogus", headers=HTML).status_code == 422


def test_planners_read_without_the_form(url, client_as) -> None:
    client_as("officer", url=url).post("/api/requirements", json=PLANT)
    page = client_as("planner", url=url).get("/requirements", headers=HTML)
    assert page.status_code == 200
    assert 'id="gis-req-form"' not in page.text and "精密机械厂房" in page.text
    assert "规划人员可查看" in page.text


def test_requirement_page_lists_the_api_ranking_and_maps_only_those_sites(url, client_as) -> None:
    officer = client_as("officer", url=url)
    rid = officer.post("/api/requirements", json=PLANT).json()["id"]
    api = officer.get(f"/api/requirements/{rid}/matches").json()
    want, near = expected(load(), PLANT)
    assert {m["code"] for m in api["matches"]} == want and near  # the sample has near misses
    page = officer.get(f"/requirements/{rid}", headers=HTML)
    assert page.status_code == 200, page.text
    got = _results(page.text).lists
    assert got["gis-matches"] == [(m["site_id"], m["rank"]) for m in api["matches"]]
    assert got["gis-near-misses"] == [(m["site_id"], m["rank"]) for m in api["near_misses"]]
    total = f"共有 {api['total_matches']:,} 处资源满足全部硬性条件"
    assert total in page.text
    # what would have to change, for each near miss
    for m in api["near_misses"]:
        assert m["change_zh"] in page.text
    # the map: one numbered marker per listed site, and no other site's outline
    listed = {m["site_id"] for m in api["matches"] + api["near_misses"]}
    markers = {int(i) for i in re.findall(r'gis-rank\\?" data-site-id=\\?"(\d+)', page.text)}
    assert markers == listed
    all_codes = set(load().sites["code"])
    in_map = set(re.findall(r"(PT-[A-Z]+-\d+)", page.text.split('<div class="gis-match-map">')[1]))
    assert in_map <= {m["code"] for m in api["matches"] + api["near_misses"]}
    assert in_map and in_map < all_codes
    assert assets.external_references(page.text) == []  # Leaflet and the rest from the app
    # the five best matches come ticked for a recommendation
    ticked = re.findall(r'class="gis-pick" value="(\d+)"[^>]*checked', page.text)
    assert [int(i) for i in ticked] == [m["site_id"] for m in api["matches"][:5]]


def test_requirement_page_in_english_with_options(url, client_as) -> None:
    officer = client_as("officer", url=url)
    rid = officer.post("/api/requirements", json=PLANT).json()["id"]
    page = officer.get(f"/requirements/{rid}?lang=en&limit=3&margin_pct=0", headers=HTML)
    assert page.status_code == 200
    got = _results(page.text).lists
    assert len(got["gis-matches"]) == min(3, len(expected(load(), PLANT)[0]))
    assert got["gis-near-misses"] == []  # no margin, no near miss
    assert "sites meet every hard constraint" in page.text and "Floor height" in page.text
    for bad in ("margin_pct=80", "limit=0", "limit=100000", "near_miss_limit=-1"):
        r = officer.get(f"/requirements/{rid}?{bad}", headers=HTML)
        assert r.status_code == 422 and bad.split("=")[0] in r.text, bad


def test_unknown_and_hidden_requirements_are_404(url, client_as) -> None:
    officer = client_as("officer", url=url)
    assert officer.get("/requirements/999999", headers=HTML).status_code == 404
    rid = officer.post("/api/requirements", json=PLANT | {"confidential": True}).json()["id"]
    eng = make_engine(url)
    with eng.begin() as c:  # written by someone else: another officer may not see it
        c.execute(
            sa.text("UPDATE requirement SET officer = 'zhang', created_by = 'zhang' WHERE id = :i"),
            {"i": rid},
        )
    eng.dispose()
    assert officer.get(f"/requirements/{rid}", headers=HTML).status_code == 404
    assert client_as("admin", url=url).get(f"/requirements/{rid}", headers=HTML).status_code == 200


def test_a_stored_row_that_no_longer_validates_is_named_not_a_500(url, client_as) -> None:
    officer = client_as("officer", url=url)
    rid = officer.post("/api/requirements", json=LAND).json()["id"]
    eng = make_engine(url)
    with eng.begin() as c:  # an inverted range typed in psql
        c.execute(
            sa.text("UPDATE requirement SET land_mu_min = 90, land_mu_max = 50 WHERE id = :i"),
            {"i": rid},
        )
    eng.dispose()
    page = officer.get(f"/requirements/{rid}", headers=HTML)
    assert page.status_code == 200
    assert 'id="gis-match-error"' in page.text and f"#{rid}" in page.text
    assert "land_mu" in page.text


def test_the_edit_form_shows_the_stored_values(url, client_as) -> None:
    officer = client_as("officer", url=url)
    body = PLANT | {"preferred_townships": ["展茅街道", "东港街道"], "confidential": True}
    rid = officer.post("/api/requirements", json=body | {"size_tolerance_pct": 12.5}).json()["id"]
    page = officer.get(f"/requirements/{rid}", headers=HTML).text
    form = page.split('id="gis-req-form"')[1].split("</form>")[0]
    assert 'data-mode="edit"' in page

    def value(name: str) -> str | None:
        m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', form)
        return m.group(1) if m else None

    assert value("gfa_m2_min") == "3000" and value("size_tolerance_pct") == "12.5"
    assert value("preferred_townships") == "展茅街道, 东港街道" and value("land_mu_min") == ""
    assert re.search(r'<option value="lease"[^>]*selected', form)
    assert re.search(r'name="confidential" data-kind="bool" checked', form)
    assert re.search(r'name="accept_availability" value="available"[^>]*checked', form)
    assert not re.search(r'name="accept_availability" value="reserved"[^>]*checked', form)
    # planners read a (not confidential) requirement without the form or the link builder
    open_rid = officer.post("/api/requirements", json=PLANT).json()["id"]
    planner = client_as("planner", url=url).get(f"/requirements/{open_rid}", headers=HTML)
    assert planner.status_code == 200 and 'id="gis-matches"' in planner.text
    assert 'id="gis-req-form"' not in planner.text
    assert 'id="gis-recommend-form"' not in planner.text and "gis-pick" not in planner.text


def test_the_list_shows_the_officers_unseen_alerts(url, client_as) -> None:
    officer = client_as("officer", url=url)
    req = officer.post("/api/requirements", json=PLANT).json()
    eng = make_engine(url)
    with eng.begin() as c:
        sites = c.execute(sa.text("SELECT id FROM site ORDER BY code LIMIT 3")).scalars().all()
        for sid, who in zip(sites, (req["officer"], req["officer"], "someone-else"), strict=True):
            c.execute(
                sa.text(
                    "INSERT INTO alert (requirement_id, site_id, officer, reason)"
                    " VALUES (:r, :s, :o, 'reason ' || :s)"
                ),
                {"r": req["id"], "s": sid, "o": who},
            )
    eng.dispose()
    page = officer.get("/requirements", headers=HTML).text
    shown = [int(i) for i in re.findall(r'<tr data-alert-id="(\d+)"', page)]
    assert len(shown) == 2 and f"reason {sites[0]}" in page and f"reason {sites[2]}" not in page
    assert officer.post(f"/api/alerts/{shown[0]}/seen").status_code == 204
    page = officer.get("/requirements", headers=HTML).text
    assert [int(i) for i in re.findall(r'<tr data-alert-id="(\d+)"', page)] == shown[1:]
    # planners get no alerts (they record no requirements)
    assert "data-alert-id" not in client_as("planner", url=url).get("/requirements").text


def test_sent_links_show_status_views_and_investor_feedback(url, client_as) -> None:
    officer = client_as("officer", url=url)
    rid = officer.post("/api/requirements", json=PLANT).json()["id"]
    rec = officer.post("/api/recommendations", json={"requirement_id": rid, "top": 2}).json()
    first = officer.post(
        f"/api/recommendations/{rec['id']}/links", json={"recipient_name": "李总"}
    ).json()
    second = officer.post(
        f"/api/recommendations/{rec['id']}/links",
        json={"recipient_name": "陈总", "recipient_org": "某集团", "language": "en"},
    ).json()
    assert officer.post(f"/api/recommendations/{rec['id']}/links/{second['id']}/revoke").is_success
    assert officer.get(f"/r/{first['token']}").status_code == 200  # one view
    eng = make_engine(url)
    with eng.begin() as c:
        site_id = c.execute(
            sa.text("SELECT site_id FROM recommendation_site WHERE recommendation_id = :r LIMIT 1"),
            {"r": rec["id"]},
        ).scalar()
        c.execute(
            sa.text(
                "INSERT INTO feedback (share_link_id, site_id, kind, reason, language)"
                " VALUES (:l, :s, 'not_suitable', '层高不够', 'zh')"
            ),
            {"l": first["id"], "s": site_id},
        )
    eng.dispose()
    page = officer.get(f"/requirements/{rid}", headers=HTML).text
    section = page.split(f'data-recommendation-id="{rec["id"]}"')[1].split("</section>")[0]
    rows = re.findall(r'<tr data-link-id="(\d+)" data-status="(\w+)">(.*?)</tr>', section, re.S)
    assert [(int(i), s) for i, s, _ in rows] == [(first["id"], "active"), (second["id"], "revoked")]
    active, revoked = rows[0][2], rows[1][2]
    assert "李总" in active and "不合适" in active and "层高不够" in active
    assert re.search(r'class="gis-num">1</td>', active)  # the view
    assert "陈总" in revoked and "某集团" in revoked and "已撤销" in revoked
    # only a live link can still be extended or revoked
    assert 'data-action="revoke"' in active and 'data-action="extend"' in active
    assert "gis-link-action" not in revoked


def test_a_requirement_nothing_fits_shows_empty_lists_and_the_district(url, client_as) -> None:
    officer = client_as("officer", url=url)
    body = PLANT | {"gfa_m2_min": 900_000, "project_name": "超大厂房"}
    rid = officer.post("/api/requirements", json=body).json()["id"]
    page = officer.get(f"/requirements/{rid}", headers=HTML)
    assert page.status_code == 200
    got = _results(page.text).lists
    assert got == {"gis-matches": [], "gis-near-misses": []}
    assert "没有满足全部硬性条件的资源" in page.text and "没有接近匹配的资源" in page.text
    assert "共有 0 处资源满足全部硬性条件" in page.text
    assert "fitBounds" in page.text and "gis-rank" not in page.text  # framed on the district
    assert "gis-recommend-form" not in page.text  # nothing to tick
