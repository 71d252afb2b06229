"""Database logic holds for plain SQL edits (as from psql or QGIS), not only for the app."""

from __future__ import annotations

import sqlalchemy as sa


def _site(conn: sa.Connection, code: str) -> sa.Row:
    return conn.execute(
        sa.text("SELECT id, version, updated_at FROM site WHERE code = :c"), {"c": code}
    ).one()


def _any_code(conn: sa.Connection) -> str:
    return conn.execute(sa.text("SELECT code FROM site ORDER BY code LIMIT 1")).scalar_one()


def test_plain_sql_update_bumps_version_and_updated_at(conn: sa.Connection) -> None:
    code = _any_code(conn)
    before = _site(conn, code)
    conn.execute(sa.text("SET LOCAL application_name = 'QGIS'"))
    conn.execute(
        sa.text("UPDATE site SET blocking_note = 'edited in QGIS' WHERE code = :c"), {"c": code}
    )
    after = _site(conn, code)
    assert after.version == before.version + 1
    assert after.updated_at > before.updated_at
    hist = conn.execute(
        sa.text(
            "SELECT changes, changed_by, app_user FROM history "
            "WHERE table_name = 'site' AND row_id = :id ORDER BY id DESC LIMIT 1"
        ),
        {"id": before.id},
    ).one()
    assert hist.changes["blocking_note"][1] == "edited in QGIS"
    assert "version" not in hist.changes
    assert hist.app_user is None and hist.changed_by.endswith("via QGIS")


def test_noop_update_keeps_version_and_writes_no_history(conn: sa.Connection) -> None:
    code = _any_code(conn)
    before = _site(conn, code)
    n_hist = conn.execute(sa.text("SELECT count(*) FROM history")).scalar_one()
    conn.execute(sa.text("UPDATE site SET name_zh = name_zh WHERE code = :c"), {"c": code})
    after = _site(conn, code)
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    assert conn.execute(sa.text("SELECT count(*) FROM history")).scalar_one() == n_hist


def test_client_cannot_set_version_or_area(conn: sa.Connection) -> None:
    code = _any_code(conn)
    before = _site(conn, code)
    conn.execute(
        sa.text("UPDATE site SET version = 999, internal_note = 'x' WHERE code = :c"), {"c": code}
    )
    assert _site(conn, code).version == before.version + 1
    try:
        with conn.begin_nested():
            conn.execute(sa.text("UPDATE site SET area_m2 = 1 WHERE code = :c"), {"c": code})
        raise AssertionError("area_m2 must not be writable")
    except sa.exc.DBAPIError as e:
        assert "generated column" in str(e.orig)


def test_app_user_is_recorded_in_history(conn: sa.Connection) -> None:
    from gis_app.db.engine import set_app_user

    code = _any_code(conn)
    set_app_user(conn, "planner.li", "doc 2026-17")
    conn.execute(
        sa.text(
            "UPDATE site SET readiness = 'cleared' WHERE code = :c "
            "AND readiness IS DISTINCT FROM 'cleared'"
        ),
        {"c": code},
    )
    conn.execute(sa.text("UPDATE site SET verified_by = 'planner.li' WHERE code = :c"), {"c": code})
    row = conn.execute(
        sa.text(
            "SELECT changed_by, note FROM history WHERE table_name = 'site' "
            "ORDER BY id DESC LIMIT 1"
        )
    ).one()
    assert row.changed_by == "planner.li" and row.note == "doc 2026-17"


def test_geometry_edit_recomputes_area_distance_and_overlap(conn: sa.Connection) -> None:
    row = conn.execute(
        sa.text("SELECT s.id, s.area_m2 FROM site s WHERE s.kind = 'land' ORDER BY s.code LIMIT 1")
    ).one()
    # move the parcel onto the first ecological redline zone
    conn.execute(
        sa.text("""
        UPDATE site SET geom = ST_Multi(ST_Translate(site.geom,
            ST_X(ST_PointOnSurface(z.zg)) - ST_X(ST_Centroid(site.geom)),
            ST_Y(ST_PointOnSurface(z.zg)) - ST_Y(ST_Centroid(site.geom))))
          FROM (SELECT geom AS zg FROM constraint_zone WHERE kind = 'ecological_redline'
                ORDER BY code LIMIT 1) z
         WHERE site.id = :id"""),
        {"id": row.id},
    )
    moved = conn.execute(sa.text("SELECT area_m2 FROM site WHERE id = :id"), {"id": row.id})
    assert abs(moved.scalar_one() - row.area_m2) / row.area_m2 < 0.01
    kinds = set(
        conn.execute(
            sa.text("SELECT zone_kind FROM site_constraint_overlap WHERE site_id = :id"),
            {"id": row.id},
        ).scalars()
    )
    assert "ecological_redline" in kinds
    n = conn.execute(
        sa.text("SELECT count(*) FROM site_distance WHERE site_id = :id"), {"id": row.id}
    ).scalar_one()
    assert n == conn.execute(sa.text("SELECT count(DISTINCT kind) FROM infrastructure")).scalar()


def test_distances_agree_with_direct_geodesic_computation(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.text("""
        SELECT d.distance_m,
               (SELECT min(ST_Distance(s.geom::geography, i.geom::geography))
                  FROM infrastructure i WHERE i.kind = d.infra_kind) AS direct
          FROM site_distance d JOIN site s ON s.id = d.site_id""")
    ).all()
    assert rows
    for r in rows:
        assert abs(r.distance_m - r.direct) < 0.5


def test_new_infrastructure_updates_site_distances(conn: sa.Connection) -> None:
    site = conn.execute(
        sa.text(
            "SELECT id, ST_X(ST_PointOnSurface(geom)) x, ST_Y(ST_PointOnSurface(geom)) y "
            "FROM site ORDER BY code LIMIT 1"
        )
    ).one()
    conn.execute(
        sa.text(
            "INSERT INTO infrastructure (code, kind, name_zh, geom) VALUES "
            "('INF-TEST', 'substation', '测试变电站', ST_SetSRID(ST_MakePoint(:x, :y), 4490))"
        ),
        {"x": site.x, "y": site.y},
    )
    d = conn.execute(
        sa.text(
            "SELECT distance_m FROM site_distance WHERE site_id = :id AND infra_kind = 'substation'"
        ),
        {"id": site.id},
    ).scalar_one()
    assert d == 0


def test_unknown_land_use_code_is_refused_by_the_database(conn: sa.Connection) -> None:
    code = _any_code(conn)
    try:
        with conn.begin_nested():
            conn.execute(
                sa.text("UPDATE site SET planned_use = '9999' WHERE code = :c"), {"c": code}
            )
        raise AssertionError("unknown code accepted")
    except sa.exc.DBAPIError as e:
        assert code in str(e.orig) and "9999" in str(e.orig)
