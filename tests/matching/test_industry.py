"""GB/T 4754-2017 industry codes: parsing, the land-use mapping, and matching by industry.

Expected matches come from an independent reading of the sample files (sample_oracle.py); the
land-use classes an industry stands for are written out here as the domain statement under test.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from matching.sample_oracle import expected, load

from gis_app.db.engine import make_engine
from gis_app.domain import industry, landuse
from gis_app.domain.errors import InvalidInput, UnknownVocabularyValue
from gis_app.matching.engine import MatchResult, run_match
from gis_app.matching.spec import parse_spec

# class-2/3 industrial land and its GB 50137 equivalents
CHEMICALS = ({"100102", "100103"}, {"M2", "M3"})
# shipbuilding adds the sea use of coastal industry, which has no GB 50137 class
SHIPS = ({"100102", "100103", "1901"}, {"M2", "M3"})
WAREHOUSING = ({"11", "1101", "110101", "110102", "110103", "1102"}, {"W", "W1", "W2", "W3"})
EVERY_AVAILABILITY = ["available", "reserved", "negotiating", "signed", "unavailable"]


def _codes(items) -> list[str]:
    return [m.code for m in items]


def _match(conn: sa.Connection, req: dict, margin: float = 0) -> MatchResult:
    return run_match(conn, parse_spec(req), limit=200, near_miss_limit=100, margin_pct=margin)


# --- the classification ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical", "section", "division"),
    [
        ("C", "C", "C", None),
        ("c", "C", "C", None),
        ("26", "C26", "C", "26"),
        ("C26", "C26", "C", "26"),
        (" c26 ", "C26", "C", "26"),
        ("261", "C261", "C", "26"),
        ("2614", "C2614", "C", "26"),
        ("C2614", "C2614", "C", "26"),
        ("0111", "A0111", "A", "01"),
        ("s91", "S91", "S", "91"),
        ("97", "T97", "T", "97"),
    ],
)
def test_code_forms(given: str, canonical: str, section: str, division: str | None) -> None:
    entry = industry.lookup(given)
    assert (entry.code, entry.section, entry.division) == (canonical, section, division)
    assert industry.normalise(given) == canonical
    assert industry.normalise(canonical) == canonical  # stable


def test_groups_and_classes_resolve_to_their_division() -> None:
    for code in ("26", "C26", "261", "2614", "C2614"):
        assert industry.land_use_codes(code) == industry.land_use_codes("C26")
        assert industry.lookup(code).name_zh == "化学原料和化学制品制造业"
    assert industry.label("c26") == "C26 化学原料和化学制品制造业"
    assert industry.label("C26", "en") == (
        "C26 Manufacture of chemical raw materials and chemical products"
    )
    # a group with a rule of its own is named with its division
    ship = industry.lookup("C3735")
    assert (ship.division, ship.detail_code) == ("37", "373")
    assert (
        ship.label() == "C3735 铁路、船舶、航空航天和其他运输设备制造业（373 船舶及相关装置制造）"
    )


@pytest.mark.parametrize(
    ("given", "suggested"),
    [
        ("B26", {"C26"}),  # 26 is a manufacturing division
        ("C99", {"C13", "C26", "C43"}),
        ("C2", {"C13", "C43"}),
        ("C26145", {"C26"}),
        ("98", set("ABCDEFGHIJKLMNOPQRST")),
        ("Z", set("ABCDEFGHIJKLMNOPQRST")),
        ("", set("ABCDEFGHIJKLMNOPQRST")),
        ("化学原料", {"C26"}),
        ("warehousing", {"G59"}),
    ],
)
def test_unknown_codes_are_refused_with_suggestions(given: str, suggested: set[str]) -> None:
    with pytest.raises(UnknownVocabularyValue) as err:
        industry.lookup(given)
    assert err.value.vocabulary == "industry"
    assert suggested <= set(err.value.allowed)
    assert "D44" not in err.value.allowed


def test_the_classification_is_complete() -> None:
    assert list(industry.SECTIONS) == list("ABCDEFGHIJKLMNOPQRST")
    assert list(industry.DIVISIONS) == [f"{n:02d}" for n in range(1, 98)]
    listed = [d for s in industry.SECTIONS.values() for d in s.divisions]
    assert listed == list(industry.DIVISIONS)  # each division in exactly one section, in order
    for d in industry.DIVISIONS.values():
        assert d.code in industry.SECTIONS[d.section].divisions
        assert re.fullmatch(r"[\u4e00-\u9fff、，]+", d.zh), d
        assert d.en.isascii() and d.en[0].isupper(), d
    names = {(s.code, s.zh, s.en) for s in industry.SECTIONS.values()}
    assert ("C", "制造业", "Manufacturing") in names
    assert ("G", "交通运输、仓储和邮政业", "Transport, storage and postal services") in names
    div = industry.DIVISIONS
    assert (div["26"].zh, div["26"].en) == (
        "化学原料和化学制品制造业",
        "Manufacture of chemical raw materials and chemical products",
    )
    assert div["37"].zh == "铁路、船舶、航空航天和其他运输设备制造业"
    assert div["58"].zh == "多式联运和运输代理业"
    assert div["59"].zh == "装卸搬运和仓储业"
    assert (div["01"].section, div["43"].section, div["44"].section) == ("A", "C", "D")


# --- the land-use mapping --------------------------------------------------------------------


def test_every_division_maps_to_valid_2023_classes() -> None:
    # no division is deliberately left without land use: agriculture maps to its own land too
    refined = ("1713", "191", "1931", "221", "222", "271", "336", "373", "4342")
    for code in [*industry.DIVISIONS, *industry.SECTIONS, *refined]:
        uses = industry.land_use_codes(code)
        assert uses and len(set(uses)) == len(uses), code
        for use in uses:
            assert landuse.is_valid("2023", use), (code, use)
            landuse.expand_query(use)


def test_a_mapping_naming_an_unknown_class_is_refused_at_import() -> None:
    with pytest.raises(ValueError, match="9999"):
        industry._check_land_use({"26": ("100102", "9999")})
    with pytest.raises(ValueError, match="M2"):
        industry._check_land_use({"26": ("M2",)})  # GB 50137 codes are not 2023 classes


def test_the_mapping_follows_the_nuisance_classes() -> None:
    light = ("13", "14", "18", "21", "24", "34", "35", "36", "38", "39", "40")
    heavy = ("26", "28", "30", "31", "32", "42")
    for code in light:
        assert industry.land_use_codes(code) == ("100101", "100102"), code
    for code in heavy:
        assert industry.land_use_codes(code) == ("100102", "100103"), code
    assert industry.land_use_codes("25") == ("100103",)  # refining and coking
    # heavy groups inside otherwise light divisions
    assert "100101" in industry.land_use_codes("27")
    assert industry.land_use_codes("2710") == ("100102", "100103")  # pharmaceutical raw materials
    assert industry.land_use_codes("1713") == ("100102", "100103")  # dyeing
    assert industry.land_use_codes("1711") == industry.land_use_codes("17")  # spinning
    assert industry.land_use_codes("1910") == ("100102", "100103")  # tanning
    # shipyards and ship repair take the sea use of coastal industry; other transport equipment not
    assert "1901" in industry.land_use_codes("C3735") and "1901" in industry.land_use_codes("4342")
    assert "1901" not in industry.land_use_codes("C37") + industry.land_use_codes("C3741")
    assert set(industry.land_use_codes("59")) == {"1101", "1102"}
    assert set(industry.land_use_codes("58")) <= {"110101", "110102", "110103"}
    assert industry.land_use_codes("06") == ("1002",)
    for code in ("66", "67", "68", "69", "72"):
        assert industry.land_use_codes(code) == ("0902",)
    assert all(u.startswith("09") for u in industry.land_use_codes("F"))
    # a section alone: the union of its divisions
    assert set(industry.land_use_codes("C")) == {"100101", "100102", "100103"}


def test_the_requirement_normalises_and_checks_its_industry() -> None:
    spec = parse_spec({"need": "land", "industry": " c26 "})
    assert spec.industry == "C26"
    assert spec.land_use_from_industry
    assert spec.effective_land_use_codes() == ["100102", "100103"]
    assert tuple(map(set, spec.land_use_sets())) == CHEMICALS
    assert parse_spec({"need": "land", "industry": ""}).industry is None
    stated = parse_spec({"need": "land", "industry": "C26", "land_use_codes": ["W"]})
    assert not stated.land_use_from_industry and stated.effective_land_use_codes() == ["W"]
    assert tuple(map(set, stated.land_use_sets())) == WAREHOUSING
    neither = parse_spec({"need": "land"})
    assert not neither.land_use_from_industry and neither.land_use_sets() == ([], [])
    with pytest.raises(InvalidInput, match=r"industry: unknown GB/T 4754-2017 .*'B26'.*C26"):
        parse_spec({"need": "land", "industry": "B26"})


@pytest.mark.parametrize("path", ["/api/match", "/api/requirements"])
def test_unknown_industry_is_422_naming_the_field(client_as, path: str) -> None:
    officer = client_as("officer")  # nothing is written: the shared database is fine
    body = {"project_name": "x", "need": "land", "industry": "X99"}
    r = officer.post(path, json=body)
    assert r.status_code == 422, r.text
    assert "industry" in r.text and "X99" in r.text
    r = officer.post(path, json=body | {"industry": "chemical"})
    assert r.status_code == 422 and "C26" in r.text  # suggested from the names


# --- matching by industry on the sample ------------------------------------------------------


@pytest.mark.parametrize(
    ("req", "land_codes"),
    [
        ({"need": "land", "industry": "C26"}, CHEMICALS),
        ({"need": "plant", "industry": "26"}, CHEMICALS),
        ({"need": "shoreline", "industry": "C3735"}, SHIPS),
    ],
)
def test_match_by_industry_alone(conn: sa.Connection, req: dict, land_codes) -> None:
    req = req | {"accept_availability": EVERY_AVAILABILITY}
    sample = load()
    want, _ = expected(sample, req, land_codes, 0)
    unconstrained, _ = expected(sample, req, (set(), set()), 0)
    assert want and want < unconstrained  # the industry narrows the land use, not to nothing
    got = _match(conn, req)
    assert set(_codes(got.matches)) == want
    for m in got.matches:
        site = sample.site(m.code)
        assert site.planned_use in land_codes[0] or site.legacy_use in land_codes[1]


def test_stated_land_use_codes_override_the_industry(conn: sa.Connection) -> None:
    base = {"need": "land", "accept_availability": EVERY_AVAILABILITY}
    both = _match(conn, base | {"industry": "C26", "land_use_codes": ["W"]})
    stated = _match(conn, base | {"land_use_codes": ["W"]})
    want, _ = expected(load(), base, WAREHOUSING, 0)
    assert set(_codes(both.matches)) == set(_codes(stated.matches)) == want
    assert not want & expected(load(), base, CHEMICALS, 0)[0]
    for m in both.matches:
        crit = next(c for c in m.criteria if c.key == "land_use")
        assert "行业" not in crit.requirement_text_zh and "industry" not in crit.requirement_text_en
        assert crit.requirement == ["W"]


def test_the_explanation_names_the_industry(conn: sa.Connection) -> None:
    got = _match(conn, {"need": "land", "industry": "c26", "accept_availability": ["available"]})
    assert got.matches
    for m in got.matches:
        crit = next(c for c in m.criteria if c.key == "land_use")
        assert crit.passed and crit.requirement == ["100102", "100103"]
        assert crit.requirement_text_zh.startswith("行业 C26 化学原料和化学制品制造业 适用：")
        assert "100102 二类工业用地" in crit.requirement_text_zh
        assert "100103 三类工业用地" in crit.requirement_text_zh
        assert crit.requirement_text_en.startswith(
            "industry C26 Manufacture of chemical raw materials and chemical products: "
        )
        assert "Class-2 industrial land" in crit.requirement_text_en
        assert "行业 C26" in crit.text_zh and "industry C26" in crit.text_en


# --- a saved requirement: stored sets, reverse matches, alerts ---------------------------------


def test_saved_requirement_with_only_an_industry(make_db, client_as) -> None:
    url = make_db("sample")
    officer = client_as("officer", url=url)
    body = {"project_name": "化工新材料项目", "need": "land", "industry": "c26"}
    r = officer.post("/api/requirements", json=body)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["industry"] == "C26" and rec["land_use_codes"] == []
    stored = (set(rec["land_use_2023_codes"]), set(rec["land_use_gb_codes"]))
    assert stored == CHEMICALS

    sample = load()
    want, _ = expected(sample, body, CHEMICALS, 0)
    r = officer.get(f"/api/requirements/{rec['id']}/matches", params={"limit": 200})
    assert r.status_code == 200, r.text
    assert {m["code"] for m in r.json()["matches"]} == want

    eng = make_engine(url)
    try:
        with eng.connect() as c:
            ids = dict(c.execute(sa.text("SELECT code, id FROM site")).all())
            matched = set(
                c.execute(
                    sa.text(
                        "SELECT s.code FROM requirement_match m JOIN site s ON s.id = m.site_id "
                        "WHERE m.requirement_id = :r"
                    ),
                    {"r": rec["id"]},
                ).scalars()
            )
        assert matched == want  # the database predicate sees the same sets

        def meets(code: str) -> bool:
            r = officer.get(f"/api/sites/{ids[code]}/matching-requirements")
            assert r.status_code == 200, r.text
            return rec["id"] in {x["id"] for x in r.json()}

        # class-2 industrial land, reserved; and class-1 industrial land, reserved
        compatible, other = sample.site("PT-XZ-002"), sample.site("PT-KF-003")
        assert (compatible.planned_use, other.planned_use) == ("100102", "100101")
        for site in (compatible, other):
            assert site.kind == "land" and site.availability == "reserved"
            assert site.blocking_pct == 0
        assert not meets("PT-XZ-002") and not meets("PT-KF-003")
        with eng.begin() as c:
            c.execute(
                sa.text(
                    "UPDATE site SET availability = 'available' "
                    "WHERE code IN ('PT-XZ-002', 'PT-KF-003')"
                )
            )
    finally:
        eng.dispose()
    assert meets("PT-XZ-002") and not meets("PT-KF-003")
    alerts = officer.get("/api/alerts").json()
    assert [(a["requirement_id"], a["site_code"]) for a in alerts] == [(rec["id"], "PT-XZ-002")]


def test_a_stored_free_text_industry_is_a_clear_error(make_db, client_as) -> None:
    url = make_db("sample")
    officer = client_as("officer", url=url)
    r = officer.post("/api/requirements", json={"project_name": "旧记录", "need": "land"})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    eng = make_engine(url)
    try:
        with eng.begin() as c:  # written around the app, as an old version or psql could
            c.execute(
                sa.text(
                    "UPDATE requirement SET industry = '化工', land_use_2023_codes = '{100102}'"
                    " WHERE id = :r"
                ),
                {"r": rid},
            )
    finally:
        eng.dispose()
    r = officer.get(f"/api/requirements/{rid}/matches")
    assert r.status_code == 422, r.text
    assert f"stored requirement #{rid}" in r.text and "industry" in r.text
