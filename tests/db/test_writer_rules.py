"""The app's rules hold for every writer: plain SQL (psql, QGIS) gets clear refusals.

Each refusal names the rule (the error's constraint name and its message), the record (its
code) and the value; nothing is written. Revision 0013 freezes the vocabularies and land-use
counterparts it checks; the last tests say when the code has moved on from them.
"""

from __future__ import annotations

import importlib

import pytest
import shapely
from shapely import wkt
from writers import refused

from gis_app.domain import fields, landuse, vocab
from gis_app.io import geometry_checks

MIGRATION = importlib.import_module("gis_app.db.migrations.versions.0013_writer_rules")


def _one(cur, sql: str, params: tuple = ()) -> tuple:
    cur.execute(sql, params)
    return cur.fetchone()


def test_a_site_moved_out_of_the_jurisdiction_gets_the_apps_message(cur) -> None:
    code, geom = _one(cur, "SELECT code, ST_AsText(geom) FROM site ORDER BY code LIMIT 1")
    moved = shapely.affinity.translate(wkt.loads(geom), -6.2, 10.0)  # to Beijing
    e = refused(cur, "UPDATE site SET geom = ST_GeomFromText(%s, 4490) WHERE code = %s",
                 (moved.wkt, code))  # fmt: skip
    assert e.pgcode == "GA003"
    assert e.diag.constraint_name == "site_inside_jurisdiction"
    message = e.diag.message_primary
    assert message.startswith(f"site {code}: lies outside the jurisdiction (near 116.")
    outline = geometry_checks.prepared_outline(
        wkt.loads(_one(cur, "SELECT ST_AsText(ST_Union(geom)) FROM jurisdiction")[0]), 1e-5
    )
    [checked] = geometry_checks.check_geometries(
        [moved],
        geometry_checks.parse_crs("EPSG:4490"),
        outline=outline,
        limits=geometry_checks.GeometryLimits(),
    )
    assert checked.problems[0].startswith(message.split(": ", 1)[1])  # the app's words
    assert "EPSG:4490" in e.diag.message_hint
    assert _one(cur, "SELECT ST_AsText(geom) FROM site WHERE code = %s", (code,))[0] == geom


def test_a_new_site_outside_and_a_zone_far_away_arerefused(cur) -> None:
    e = refused(
        cur,
        "INSERT INTO site (code, name_zh, kind, geom) VALUES ('QG-NEW-1', '北京', 'land',"
        " ST_Multi(ST_Buffer(ST_SetSRID(ST_Point(116.4, 39.9), 4490), 0.001)))",
    )
    assert e.pgcode == "GA003" and e.diag.message_primary.startswith("site QG-NEW-1: lies outside")
    assert "100.0% of its area outside" in e.diag.message_primary
    e = refused(
        cur,
        "UPDATE constraint_zone SET geom = ST_Translate(geom, -6, 10)"
        " WHERE code = (SELECT min(code) FROM constraint_zone)",
    )
    assert e.diag.constraint_name == "zone_touches_jurisdiction"
    assert "lies entirely outside the jurisdiction" in e.diag.message_primary
    # an edit inside still works
    cur.execute(
        "UPDATE site SET geom = ST_Multi(ST_Buffer(ST_PointOnSurface(geom), 0.0002))"
        " WHERE code = (SELECT min(code) FROM site)"
    )


def test_deleting_a_site_is_refused_and_says_retire(cur) -> None:
    site_id, code = _one(cur, "SELECT id, code FROM site ORDER BY code LIMIT 1")
    e = refused(cur, "DELETE FROM site WHERE id = %s", (site_id,))
    assert e.pgcode == "GA004" and e.diag.constraint_name == "site_not_deleted"
    assert e.diag.message_primary.startswith(f"site {code} (")
    assert "retire it instead (retired_at)" in e.diag.message_primary
    assert f"retired_at = now() WHERE id = {site_id}" in e.diag.message_hint
    # the owner (this login) may delete deliberately; history then keeps the whole row
    cur.execute("SET LOCAL gis_app.allow_site_delete = 'on'")
    cur.execute("DELETE FROM site WHERE id = %s", (site_id,))
    changes = _one(
        cur,
        "SELECT changes FROM history WHERE table_name = 'site' AND row_id = %s"
        " AND action = 'delete'",
        (site_id,),
    )[0]
    assert changes["code"] == [code, None]


def _site_uses(cur, code: str) -> tuple[str | None, str | None]:
    return _one(cur, "SELECT planned_use, legacy_use FROM site WHERE code = %s", (code,))


def test_a_land_use_code_fills_its_single_counterpart(cur) -> None:
    inside = "(SELECT geom FROM site ORDER BY code LIMIT 1)"
    for code, planned, legacy in (
        ("QG-LU-1", None, "M1"),
        ("QG-LU-2", "100102", None),
        ("QG-LU-3", None, "W"),  # three 2023 counterparts: left empty
    ):
        cur.execute(
            "INSERT INTO site (code, name_zh, kind, geom, planned_use, legacy_use)"
            f" VALUES (%s, '测试', 'land', {inside}, %s, %s)",
            (code, planned, legacy),
        )
    assert _site_uses(cur, "QG-LU-1") == ("100101", "M1")
    assert _site_uses(cur, "QG-LU-2") == ("100102", "M2")
    assert _site_uses(cur, "QG-LU-3") == (None, "W")
    # a change of one code moves the counterpart with it; a chosen pair is kept
    cur.execute("UPDATE site SET legacy_use = 'M3' WHERE code = 'QG-LU-1'")
    assert _site_uses(cur, "QG-LU-1") == ("100103", "M3")
    cur.execute("UPDATE site SET planned_use = '1001', legacy_use = 'M2' WHERE code = 'QG-LU-1'")
    cur.execute("UPDATE site SET legacy_use = 'M1' WHERE code = 'QG-LU-1'")
    assert _site_uses(cur, "QG-LU-1") == ("1001", "M1")
    cur.execute("UPDATE site SET legacy_use = NULL WHERE code = 'QG-LU-2'")  # clearing clears
    assert _site_uses(cur, "QG-LU-2") == ("100102", None)


@pytest.mark.parametrize(
    ("sql", "record", "column", "value", "allowed"),
    [
        ("UPDATE site SET availability = 'open' WHERE code = {site}", "site", "availability",
         "'open'", "available 可招商/Available, reserved 预留/Reserved"),
        ("UPDATE site SET utilities = ARRAY['road', 'wifi'] WHERE code = {site}", "site",
         "utilities", "'wifi'", "road 通路/Road"),
        ("UPDATE building SET offer = 'rent' WHERE code = {building}", "building", "offer",
         "'rent'", "lease 出租/Lease, sale 出售/Sale, lease_or_sale 租售均可/Lease or sale"),
        ("UPDATE constraint_zone SET kind = 'forest' WHERE code = {zone}", "constraint zone",
         "kind", "'forest'", "ecological_redline 生态保护红线"),
    ],
)  # fmt: skip
def test_a_value_outside_its_vocabulary_lists_the_allowed_keys_and_labels(
    cur, sql: str, record: str, column: str, value: str, allowed: str
) -> None:
    codes = {
        name: _one(cur, f"SELECT quote_literal(min(code)) FROM {table}")[0]
        for name, table in (("site", "site"), ("building", "building"),
                            ("zone", "constraint_zone"))
    }  # fmt: skip
    e = refused(cur, sql.format(**codes))
    assert e.pgcode == "23514"
    table = record.replace("constraint zone", "constraint_zone")
    assert e.diag.constraint_name == f"{table}_{column}_vocab"
    message = e.diag.message_primary
    assert message.startswith(f"{record} {codes[sql.split('{')[1].split('}')[0]][1:-1]}: ")
    assert f"{column} (" in message and f"{value} is not an allowed value" in message
    assert allowed in message


def test_frozen_vocabularies_agree_with_the_registry() -> None:
    registry = {"site": fields.SITE, "building": fields.BUILDING, "constraint_zone": fields.ZONE}
    for table, columns in MIGRATION.VOCABULARIES.items():
        for column, (label, terms) in columns.items():
            if table == "infrastructure":
                v, want_label = vocab.INFRA_KIND, vocab.INFRA_KIND.zh
            else:
                v, want_label = registry[table][column].vocabulary, registry[table][column].zh
            assert label == want_label, (table, column)
            assert terms == tuple((t.key, t.zh, t.en) for t in v), (table, column)


def test_frozen_land_use_counterparts_agree_with_the_domain() -> None:
    single_2023 = {
        c: t[0] for c in landuse.GB50137 if len(t := landuse.to_2023(c)) == 1
    }  # fmt: skip
    single_gb = {
        c: t[0] for c in landuse.CLASSIFICATION_2023 if len(t := landuse.to_gb50137(c)) == 1
    }
    assert single_2023 == MIGRATION.GB50137_TO_2023
    assert single_gb == MIGRATION.CODE_2023_TO_GB50137


def test_the_app_turns_the_rules_into_domain_errors(sample_url: str) -> None:
    """Should an app statement meet one of these rules (its own checks come first), it gets a
    domain error with the rule's message, not a 500."""
    import sqlalchemy as sa

    from gis_app.db.edit_queries import translate_db_errors
    from gis_app.domain import errors

    eng = sa.create_engine(sample_url)
    try:
        with eng.connect() as c:
            site_id = c.execute(sa.text("SELECT min(id) FROM site")).scalar_one()
            outside = "UPDATE site SET geom = ST_Translate(geom, -6.2, 10.0) WHERE id = :i"
            with (
                pytest.raises(errors.GeometryRejected, match="outside the jurisdiction"),
                translate_db_errors(f"site {site_id}"),
            ):
                c.execute(sa.text(outside), {"i": site_id})
            c.rollback()
            with (
                pytest.raises(errors.EditConflict, match="retire"),
                translate_db_errors(f"site {site_id}"),
            ):
                c.execute(sa.text("DELETE FROM site WHERE id = :i"), {"i": site_id})
            c.rollback()
    finally:
        eng.dispose()
