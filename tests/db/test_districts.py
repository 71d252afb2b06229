"""Districts (issue 26, items 1 and 5): the sample's two districts under their city, every row
belonging to one, and the geometry rules per district as the database keeps them for every
writer (here plain SQL, as psql or QGIS write), worded as the app words them.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from shapely import wkt
from shapely.geometry import box
from writers import CITY, DINGHAI, PUTUO, boundary_square, refused

from gis_app.db import district_queries, migrate, provision
from gis_app.domain import error_vocab
from gis_app.domain.districts import site_district
from gis_app.domain.errors import CrossesDistrictBoundary, OutsideOwnDistrict

#: a small square well inside the illustrative Dinghai part (north-west of its sites)
DINGHAI_SQUARE = box(122.1600, 30.0380, 122.1620, 30.0395).wkt


def test_the_sample_holds_two_districts_under_their_city(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.text(
            "SELECT code, name_zh, level, parent_code, illustrative, geom IS NOT NULL"
            " FROM district ORDER BY code"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        (CITY, "舟山市", "city", None, False, False),
        (DINGHAI, "定海区（示意范围）", "district", CITY, True, True),
        (PUTUO, "普陀区", "district", CITY, False, True),
    ]
    per_district = dict(
        conn.execute(sa.text("SELECT district_code, count(*) FROM site GROUP BY 1")).all()
    )
    assert per_district == {PUTUO: 73, DINGHAI: 4}
    dinghai_codes = conn.execute(
        sa.text("SELECT code FROM site WHERE district_code = :d ORDER BY code"), {"d": DINGHAI}
    ).scalars()
    assert all(c.startswith("ZS-DH-") for c in dinghai_codes)
    # the outlines share their boundary: no gap of note, no overlap
    shared, overlap = conn.execute(
        sa.text(
            "SELECT ST_Length(ST_Intersection(p.geom, d.geom)::geography),"
            " ST_Area(ST_Intersection(p.geom, d.geom)::geography)"
            f" FROM district p, district d WHERE p.code = '{PUTUO}' AND d.code = '{DINGHAI}'"
        )
    ).one()
    assert shared > 5000 and overlap < 1.0
    # the jurisdiction (what 0013's inside rule, tiles and QGIS read) is both outlines
    view = conn.execute(sa.text("SELECT array_agg(code ORDER BY code) FROM jurisdiction"))
    assert view.scalar_one() == [DINGHAI, PUTUO]
    # zones belong to the district they overlap most: the sample's are all Putuo's
    zones = conn.execute(sa.text("SELECT DISTINCT district_code FROM constraint_zone"))
    assert set(zones.scalars()) == {PUTUO}


def test_users_requirements_and_recommendations_get_a_district(conn: sa.Connection) -> None:
    conn.execute(
        sa.text("INSERT INTO app_user (username, password_hash, roles) VALUES ('dh-x', 'x', '{}')")
    )
    conn.execute(
        sa.text("INSERT INTO requirement (project_name, need) VALUES ('无区县需求', 'land')")
    )
    got = conn.execute(
        sa.text(
            "SELECT (SELECT district_code FROM app_user WHERE username = 'dh-x'),"
            " (SELECT district_code FROM requirement WHERE project_name = '无区县需求')"
        )
    ).one()
    assert tuple(got) == (PUTUO, PUTUO)  # the first district: what the old jurisdiction was
    conn.execute(
        sa.text(f"UPDATE app_user SET district_code = '{DINGHAI}' WHERE username = 'dh-x'")
    )
    expr = district_queries.recommendation_district(None, "dh-x")
    assert conn.execute(sa.select(expr)).scalar_one() == DINGHAI


def test_a_site_written_without_a_district_gets_the_one_it_lies_in(cur) -> None:
    cur.execute(
        "INSERT INTO site (code, name_zh, kind, geom) VALUES"
        " ('QG-DH-1', 'QGIS 新画地块', 'land', ST_Multi(ST_GeomFromText(%s, 4490)))"
        " RETURNING district_code",
        (DINGHAI_SQUARE,),
    )
    assert cur.fetchone()[0] == DINGHAI


def test_a_qgis_move_into_another_district_is_refused_naming_both(cur) -> None:
    e = refused(
        cur,
        "UPDATE site SET geom = ST_Multi(ST_GeomFromText(%s, 4490)) WHERE code = 'PT-KF-001'",
        (DINGHAI_SQUARE,),
    )
    assert e.pgcode == "GA005" and e.diag.constraint_name == "site_in_own_district"
    assert e.diag.message_primary == (
        "site PT-KF-001: lies in 定海区（示意范围） (Dinghai District (illustrative part)), "
        "not in its district 普陀区 (Putuo District)"
    )
    detail = json.loads(e.diag.message_detail)
    assert (detail["district"]["code"], detail["found"]["code"]) == (PUTUO, DINGHAI)
    # so is giving a site a district it does not lie in
    e = refused(cur, f"UPDATE site SET district_code = '{DINGHAI}' WHERE code = 'PT-KF-001'")
    assert e.pgcode == "GA005"


def test_a_parcel_across_the_district_boundary_is_refused_naming_both(cur) -> None:
    square = boundary_square(cur).wkt
    for sql in (
        "INSERT INTO site (code, name_zh, kind, geom) VALUES"
        " ('QG-X-1', '跨区地块', 'land', ST_Multi(ST_GeomFromText(%s, 4490)))",
        "UPDATE site SET geom = ST_Multi(ST_GeomFromText(%s, 4490)) WHERE code = 'PT-GS-001'",
    ):
        e = refused(cur, sql, (square,))
        assert e.pgcode == "GA006" and e.diag.constraint_name == "site_within_one_district"
        assert "普陀区 (Putuo District)" in e.diag.message_primary
        assert "定海区（示意范围） (Dinghai District (illustrative part))" in e.diag.message_primary
        assert "crosses the boundary between" in e.diag.message_primary


def test_the_app_decides_as_the_database_and_words_it_in_both_languages(
    conn: sa.Connection,
) -> None:
    outlines = district_queries.district_outlines(conn)
    assert [d.code for d in outlines] == [DINGHAI, PUTUO]
    square = boundary_square(conn)
    with pytest.raises(CrossesDistrictBoundary) as crossed:
        site_district(square, None, outlines, where="site X-1", site="X-1")
    msg = error_vocab.message(crossed.value.refusals[0])
    assert "普陀区" in msg["zh"] and "定海区（示意范围）" in msg["zh"] and "X-1" in msg["zh"]
    assert "Putuo District" in msg["en"] and "Dinghai District (illustrative part)" in msg["en"]
    inside = wkt.loads(DINGHAI_SQUARE)
    assert site_district(inside, None, outlines, where="w", site="s") == DINGHAI
    with pytest.raises(OutsideOwnDistrict) as wrong:
        site_district(inside, PUTUO, outlines, where="w", site="s")
    assert error_vocab.message(wrong.value.refusals[0])["zh"].startswith(
        "地块 s 位于定海区（示意范围），不在其所属的普陀区范围内"
    )


def test_existing_rows_are_migrated_to_the_former_jurisdiction(make_db) -> None:
    url = make_db("none")
    provision.ensure_postgis(url)
    migrate.upgrade(url, "0028")
    eng = sa.create_engine(url)
    try:
        with eng.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO jurisdiction (code, name_zh, name_en, default_epsg, geom)"
                    " VALUES ('330903', '普陀区', 'Putuo District', 4550,"
                    " ST_Multi(ST_MakeEnvelope(122.2, 29.9, 122.4, 30.1, 4490)))"
                )
            )
            c.execute(
                sa.text(
                    "INSERT INTO site (code, name_zh, kind, geom) VALUES ('PT-OLD-1', '旧地块',"
                    " 'land', ST_Multi(ST_MakeEnvelope(122.30, 30.00, 122.301, 30.001, 4490)))"
                )
            )
            c.execute(
                sa.text("INSERT INTO app_user (username, password_hash) VALUES ('old-user', 'x')")
            )
            version = c.execute(sa.text("SELECT version FROM site")).scalar_one()
        migrate.upgrade(url)
        with eng.connect() as c:
            got = c.execute(
                sa.text(
                    "SELECT (SELECT district_code FROM site), (SELECT version FROM site),"
                    " (SELECT district_code FROM app_user),"
                    " (SELECT level FROM district), (SELECT parent_code FROM district)"
                )
            ).one()
    finally:
        eng.dispose()
    # no update trigger fired: the site's version (and history) is as it was
    assert tuple(got) == ("330903", version, "330903", "district", None)


#: two codes whose 39-bit hashes agree (found by hashing X1 … X2000000; hashtextextended is
#: stable across PostgreSQL versions, as hash partitioning needs)
_CLASHING_CODES = ("X412760", "X858091")


def test_a_district_whose_code_clashes_in_the_space_key_is_refused_in_words(
    conn: sa.Connection, tmp_path
) -> None:
    from gis_app.io.inventory_loader import JURISDICTION, LoadError, load_folder

    a, b = _CLASHING_CODES
    parts = conn.execute(
        sa.text("SELECT gis_app_district_key(:a), gis_app_district_key(:b)"), {"a": a, "b": b}
    ).one()
    assert parts[0] == parts[1]  # the pair still clashes: the test can fail
    features = [
        {
            "type": "Feature",
            "geometry": None,
            "properties": {
                "code": code,
                "name_zh": f"测试市 {code}",
                "level": "city",
                "default_epsg": 4550,
            },
        }
        for code in (a, b)
    ]
    (tmp_path / "jurisdiction.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    with pytest.raises(LoadError) as refused:
        load_folder(conn, tmp_path, layers=(JURISDICTION,))
    problem = " ".join(refused.value.problems)
    assert f"jurisdiction {b}: district code '{b}'" in problem, problem
    assert "use another code" in problem, problem
