"""``match_unit`` stays equal to what it derives from, whatever writes the inventory."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from shapely.geometry import box
from writers import DINGHAI, PUTUO

from gis_app.db.engine import make_engine
from gis_app.db.models import MATCH_UNIT_PAYLOAD
from gis_app.domain import vocab
from gis_app.matching import criteria as C
from gis_app.matching import sql as match_sql

COLS = ", ".join(MATCH_UNIT_PAYLOAD)
ORDER = "ORDER BY site_id, building_id NULLS FIRST"


@pytest.fixture
def db(make_db) -> Iterator[sa.Engine]:
    eng = make_engine(make_db("sample"), application_name="QGIS")
    yield eng
    eng.dispose()


def _sql(eng: sa.Engine, sql: str, **params: object) -> None:
    with eng.begin() as c:
        c.execute(sa.text(sql), params)


def _assert_current(eng: sa.Engine) -> list[sa.Row]:
    with eng.connect() as c:
        kept = c.execute(sa.text(f"SELECT {COLS} FROM match_unit {ORDER}")).all()
        derived = c.execute(
            sa.text(f"SELECT {COLS} FROM gis_app_match_unit_rows(NULL) {ORDER}")
        ).all()
    assert kept == derived
    return kept


def _unit(eng: sa.Engine, code: str, building: str | None = None) -> sa.Row | None:
    where = "building_code = :b" if building else "building_id IS NULL"
    with eng.connect() as c:
        return c.execute(
            sa.text(f"SELECT * FROM match_unit WHERE site_code = :s AND {where}"),
            {"s": code, "b": building},
        ).one_or_none()


def test_units_cover_every_site_and_building(db: sa.Engine) -> None:
    units = _assert_current(db)
    with db.connect() as c:
        n_sites = c.execute(sa.text("SELECT count(*) FROM site WHERE retired_at IS NULL")).scalar()
        n_buildings = c.execute(sa.text("SELECT count(*) FROM building")).scalar()
        # distances and the blocking flag agree with an independent geodesic computation
        check = c.execute(
            sa.text(
                "SELECT s.code, (SELECT min(ST_Distance(s.geom::geography, i.geom::geography))"
                "  FROM infrastructure i WHERE i.kind = 'ferry_terminal') AS d_ferry,"
                " EXISTS (SELECT 1 FROM constraint_zone z WHERE z.kind IN :blocking"
                "  AND ST_Area(ST_Intersection(s.geom, z.geom)::geography) > 0.01) AS blocked"
                " FROM site s WHERE s.retired_at IS NULL"
            ).bindparams(sa.bindparam("blocking", expanding=True)),
            {"blocking": sorted(vocab.BLOCKING_CONSTRAINT_KINDS)},
        ).all()
    assert len(units) == n_sites + n_buildings > 73
    assert any(r.blocked for r in check) and not all(r.blocked for r in check)
    for code, d_ferry, blocked in check:
        unit = _unit(db, code)
        assert unit.d_ferry == pytest.approx(d_ferry, abs=0.01), code
        assert unit.blocked is blocked, code


def test_plain_sql_edits_keep_units_current(db: sa.Engine) -> None:
    _sql(
        db,
        "UPDATE site SET township = '测试街道', availability = 'reserved' WHERE code = 'PT-BL-001'",
    )
    unit = _unit(db, "PT-BL-001")
    assert (unit.township, unit.availability) == ("测试街道", "reserved")
    site_id = unit.site_id
    _sql(
        db,
        "INSERT INTO building (site_id, code, name_zh, building_type, gfa_m2, vacant_gfa_m2,"
        " occupancy, offer, crane_t) VALUES (:s, 'PT-BL-001-B9', '测试厂房', 'standard_plant',"
        " 4000, 4000, 'vacant', 'lease', 10)",
        s=site_id,
    )
    assert _unit(db, "PT-BL-001", "PT-BL-001-B9").crane_t == 10
    assert _unit(db, "PT-BL-001", "PT-BL-001-B9").township == "测试街道"
    _sql(db, "UPDATE building SET crane_t = 16 WHERE code = 'PT-BL-001-B9'")
    assert _unit(db, "PT-BL-001", "PT-BL-001-B9").crane_t == 16
    # a building moved to another site leaves the first
    _sql(
        db,
        "UPDATE building SET site_id = (SELECT id FROM site WHERE code = 'PT-BL-002')"
        " WHERE code = 'PT-BL-001-B9'",
    )
    assert _unit(db, "PT-BL-001", "PT-BL-001-B9") is None
    assert _unit(db, "PT-BL-002", "PT-BL-001-B9") is not None
    _assert_current(db)
    _sql(db, "DELETE FROM building WHERE code = 'PT-BL-001-B9'")
    assert _unit(db, "PT-BL-002", "PT-BL-001-B9") is None
    _assert_current(db)


def _site_units(eng: sa.Engine, code: str) -> dict[str, int]:
    with eng.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT building_code, site_units FROM match_unit"
                " WHERE site_code = :s AND building_id IS NOT NULL"
            ),
            {"s": code},
        ).all()
    return dict(rows)


def test_building_units_count_their_sites_vacant_buildings(db: sa.Engine) -> None:
    with db.connect() as c:
        site, vacant = c.execute(
            sa.text(
                "SELECT s.code, count(*) FILTER (WHERE b.vacant_gfa_m2 > 0) FROM site s"
                " JOIN building b ON b.site_id = s.id GROUP BY s.code"
                " HAVING count(*) FILTER (WHERE b.vacant_gfa_m2 > 0) = 1 ORDER BY s.code LIMIT 1"
            )
        ).one()
        other = c.execute(
            sa.text("SELECT code FROM site WHERE code <> :s AND retired_at IS NULL LIMIT 1"),
            {"s": site},
        ).scalar_one()
    assert set(_site_units(db, site).values()) == {vacant}
    site_id = _unit(db, site).site_id
    # a second vacant building: every building unit of the site counts two
    _sql(
        db,
        "INSERT INTO building (site_id, code, name_zh, building_type, gfa_m2, vacant_gfa_m2,"
        " occupancy, offer) VALUES (:s, 'T-SU-1', '测试厂房', 'standard_plant', 3000, 3000,"
        " 'vacant', 'lease')",
        s=site_id,
    )
    assert set(_site_units(db, site).values()) == {2}
    # let: no longer vacant, every building unit of the site counts one again
    _sql(db, "UPDATE building SET vacant_gfa_m2 = 0, occupancy = 'let' WHERE code = 'T-SU-1'")
    assert set(_site_units(db, site).values()) == {1}
    _sql(db, "UPDATE building SET vacant_gfa_m2 = 500, occupancy = 'partly_vacant'"
         " WHERE code = 'T-SU-1'")  # fmt: skip
    assert set(_site_units(db, site).values()) == {2}
    # moved away: both sites recounted; deleted: its last site recounted
    _sql(db, "UPDATE building SET site_id = (SELECT id FROM site WHERE code = :o)"
         " WHERE code = 'T-SU-1'", o=other)  # fmt: skip
    assert set(_site_units(db, site).values()) == {1}
    assert _site_units(db, other)["T-SU-1"] >= 1
    _assert_current(db)
    _sql(db, "DELETE FROM building WHERE code = 'T-SU-1'")
    assert "T-SU-1" not in _site_units(db, other)
    _assert_current(db)


def test_buildings_moved_together_keep_one_unit_each(db: sa.Engine) -> None:
    # one statement moves the buildings of two sites to a third (what a merge does)
    _sql(
        db,
        "UPDATE building SET site_id = (SELECT id FROM site WHERE code = 'PT-BL-001')"
        " WHERE site_id IN (SELECT site_id FROM building GROUP BY site_id"
        "                    ORDER BY site_id LIMIT 2)",
    )
    units = _assert_current(db)
    moved = [u for u in units if u.building_id is not None and u.site_code == "PT-BL-001"]
    assert len(moved) >= 2


def test_zone_and_infrastructure_edits_keep_units_current(db: sa.Engine) -> None:
    before = _unit(db, "PT-BL-003")
    assert not before.blocked
    # a red line drawn over the site blocks it; removing the line unblocks it
    _sql(
        db,
        "INSERT INTO constraint_zone (code, kind, name_zh, geom)"
        " SELECT 'CZ-TEST-1', 'ecological_redline', '测试红线', ST_Multi(ST_Buffer(geom, 0.001))"
        " FROM site WHERE code = 'PT-BL-003'",
    )
    assert _unit(db, "PT-BL-003").blocked
    _assert_current(db)
    _sql(db, "DELETE FROM constraint_zone WHERE code = 'CZ-TEST-1'")
    assert not _unit(db, "PT-BL-003").blocked
    # a ferry terminal on the site's doorstep shortens its ferry distance
    _sql(
        db,
        "INSERT INTO infrastructure (code, kind, name_zh, geom)"
        " SELECT 'INF-FT-TEST', 'ferry_terminal', '测试码头', ST_PointOnSurface(geom)"
        " FROM site WHERE code = 'PT-BL-003'",
    )
    assert _unit(db, "PT-BL-003").d_ferry == 0 < before.d_ferry
    _assert_current(db)
    _sql(db, "DELETE FROM infrastructure WHERE code = 'INF-FT-TEST'")
    assert _unit(db, "PT-BL-003").d_ferry == pytest.approx(before.d_ferry)
    _assert_current(db)


def test_retired_and_deleted_sites_have_no_units(db: sa.Engine) -> None:
    _sql(db, "UPDATE site SET availability = 'unavailable' WHERE code = 'PT-BL-004'")
    _sql(db, "UPDATE site SET retired_at = now() WHERE code = 'PT-BL-004'")
    assert _unit(db, "PT-BL-004") is None
    # sites are retired, not deleted (revision 0013); the owner may still delete deliberately
    _sql(
        db, "SET LOCAL gis_app.allow_site_delete = 'on'; DELETE FROM site WHERE code = 'PT-BL-002'"
    )
    assert _unit(db, "PT-BL-002") is None
    _assert_current(db)


def test_migration_constants_agree_with_the_criteria() -> None:
    mig = importlib.import_module("gis_app.db.migrations.versions.0008_match_units")
    assert C.sql_list(C.PORT_KINDS) == mig.PORT_KINDS
    assert C.sql_list(sorted(vocab.BLOCKING_CONSTRAINT_KINDS)) == mig.BLOCKING_KINDS
    latest = importlib.import_module("gis_app.db.migrations.versions.0033_match_unit_district")
    assert latest.PAYLOAD == MATCH_UNIT_PAYLOAD
    # the candidate indexes leave blocked units out (revision 0033): sound only while no
    # blocked unit can be a match or a near miss (a hard criterion on every need, no margin)
    blocking = C.BY_KEY["blocking_zones"]
    assert blocking.hard and not blocking.has_margin
    assert blocking.applies(match_sql.UNIT) == "true"
    assert blocking.test(match_sql.UNIT, ":margin") == "NOT s.blocked"


#: a small square well inside the illustrative Dinghai part (as in tests/db/test_districts.py)
DINGHAI_SQUARE = box(122.1600, 30.0380, 122.1620, 30.0395).wkt


def _districts(eng: sa.Engine, code: str) -> set[str]:
    with eng.connect() as c:
        return set(
            c.execute(
                sa.text("SELECT district_code FROM match_unit WHERE site_code = :s"), {"s": code}
            ).scalars()
        )


def _site_with_buildings(eng: sa.Engine) -> str:
    with eng.connect() as c:
        return c.execute(
            sa.text(
                "SELECT s.code FROM site s JOIN building b ON b.site_id = s.id"
                " WHERE s.district_code = :d AND s.retired_at IS NULL"
                " GROUP BY s.code HAVING count(*) >= 2 ORDER BY s.code LIMIT 1"
            ),
            {"d": PUTUO},
        ).scalar_one()


@pytest.mark.parametrize("bulk", [False, True], ids=["row by row", "bulk apply"])
def test_units_carry_their_sites_district_and_move_with_it(db: sa.Engine, bulk: bool) -> None:
    """A new site's units carry the district it gets; a site moved into another district (its
    outline and district in one update, as QGIS or an import writes it) takes its site and
    building units along, row by row and through the bulk import's statement triggers."""
    switch = "SELECT set_config('gis_app.bulk_apply', 'on', true); " if bulk else ""
    assert _districts(db, "PT-BL-001") == {PUTUO}
    # written without a district: it gets the one it lies in, and so do its units
    _sql(
        db,
        switch + "INSERT INTO site (code, name_zh, kind, availability, geom) VALUES"
        " ('T-DH-1', '测试地块', 'land', 'available', ST_Multi(ST_GeomFromText(:g, 4490)))",
        g=DINGHAI_SQUARE,
    )
    assert _districts(db, "T-DH-1") == {DINGHAI}
    _sql(
        db,
        "INSERT INTO building (site_id, code, name_zh, building_type, gfa_m2, vacant_gfa_m2,"
        " occupancy, offer) SELECT id, 'T-DH-1-B1', '测试厂房', 'standard_plant', 2000, 2000,"
        " 'vacant', 'lease' FROM site WHERE code = 'T-DH-1'",
    )
    assert _unit(db, "T-DH-1", "T-DH-1-B1").district_code == DINGHAI
    # a Putuo site with buildings redrawn in Dinghai, and given that district
    code = _site_with_buildings(db)
    _sql(
        db,
        switch + "UPDATE site SET geom = ST_Multi(ST_Translate(ST_GeomFromText(:g, 4490),"
        " 0.003, 0)), district_code = :d WHERE code = :c",
        g=DINGHAI_SQUARE,
        d=DINGHAI,
        c=code,
    )
    with db.connect() as c:
        n = c.execute(
            sa.text(
                "SELECT count(*) FROM match_unit u JOIN site s ON s.id = u.site_id"
                " WHERE s.code = :c AND u.building_id IS NOT NULL"
            ),
            {"c": code},
        ).scalar_one()
    assert n >= 2 and _districts(db, code) == {DINGHAI}
    _assert_current(db)
