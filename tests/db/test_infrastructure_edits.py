"""An infrastructure or zone edit recomputes derived rows only when it changes what they read
(revisions 0046-0049): a rename writes the row and nothing else; a move, a new point or a new
berth class brings distances, match units, reverse matches and saved searches up to date."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gis_app.db import saved_search_queries
from gis_app.db.models import Requirement
from gis_app.db.site_queries import SiteFilter
from gis_app.matching.spec import parse_spec

#: every site's nearest infrastructure of each kind by brute force (ties by id)
_BRUTE_FORCE = """
SELECT DISTINCT ON (s.id, i.kind) s.id, i.kind, i.id
  FROM site s CROSS JOIN infrastructure i
 ORDER BY s.id, i.kind, ST_Distance(s.geom::geography, i.geom::geography), i.id
"""
_STORED = "SELECT site_id, infra_kind, infrastructure_id FROM site_distance"
_DERIVED = ("site_distance", "match_unit", "requirement_match", "saved_search_match")


def _writes(conn: sa.Connection) -> dict[str, int]:
    """Rows this transaction has inserted, updated or deleted so far, per derived table."""
    rows = conn.execute(
        sa.text(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
            " WHERE relname = ANY(:t)"
        ),
        {"t": list(_DERIVED)},
    ).all()
    return {name: n for name, n in rows}


def _saved_requirement(conn: sa.Connection, body: dict) -> int:
    spec = parse_spec(body)
    values = spec.model_dump()
    c2023, cgb = spec.land_use_sets()
    values |= {"land_use_2023_codes": c2023, "land_use_gb_codes": cgb, "project_name": "t"}
    t = Requirement.__table__
    return conn.execute(sa.insert(t).values(**values).returning(t.c.id)).scalar_one()


def _matched(conn: sa.Connection, rid: int) -> set[int]:
    return set(
        conn.execute(
            sa.text("SELECT site_id FROM requirement_match WHERE requirement_id = :r"), {"r": rid}
        ).scalars()
    )


def test_renaming_infrastructure_recomputes_nothing(conn: sa.Connection) -> None:
    _saved_requirement(conn, {"need": "land", "max_km_port": 20})  # an open requirement
    before = _writes(conn)
    n = conn.execute(
        sa.text(
            "UPDATE infrastructure SET name_en = name_en || ' (renamed)', code = code || '-R',"
            " name_zh = name_zh || '（改名）'"
        )
    ).rowcount
    assert n > 0
    assert _writes(conn) == before
    # the refreshes themselves still run on what they read, so nothing was stale
    assert sorted(conn.execute(sa.text(_STORED)).all()) == sorted(
        conn.execute(sa.text(_BRUTE_FORCE)).all()
    )


def test_moving_infrastructure_refreshes_distances_and_units(conn: sa.Connection) -> None:
    ferry = conn.execute(
        sa.text("SELECT id FROM infrastructure WHERE kind = 'ferry_terminal' ORDER BY id LIMIT 1")
    ).scalar_one()
    before = _writes(conn)
    # QGIS saves a moved point as an update of its geometry alone
    conn.execute(
        sa.text("UPDATE infrastructure SET geom = ST_Translate(geom, 0.05, 0.03) WHERE id = :i"),
        {"i": ferry},
    )
    after = _writes(conn)
    assert after["site_distance"] > before.get("site_distance", 0)
    assert sorted(conn.execute(sa.text(_STORED)).all()) == sorted(
        conn.execute(sa.text(_BRUTE_FORCE)).all()
    )
    stale = conn.execute(
        sa.text(
            "SELECT count(*) FROM match_unit u JOIN site_distance d ON d.site_id = u.site_id"
            " AND d.infra_kind = 'ferry_terminal' WHERE u.d_ferry IS DISTINCT FROM d.distance_m"
        )
    ).scalar_one()
    assert stale == 0


def test_a_new_berth_class_brings_reverse_matches_up_to_date(conn: sa.Connection) -> None:
    rid = _saved_requirement(conn, {"need": "land", "max_km_port": 30, "port_berth_dwt_min": 10000})
    assert _matched(conn, rid), "the sample should have sites near a 10,000-DWT berth"
    distances_before = _writes(conn)["site_distance"]
    conn.execute(sa.text("UPDATE infrastructure SET berth_dwt = 500 WHERE berth_dwt >= 10000"))
    assert _matched(conn, rid) == set()
    # distances do not read the berth class: not recomputed
    assert _writes(conn)["site_distance"] == distances_before


def _distance_rows_rewritten(conn: sa.Connection) -> int:
    return _writes(conn).get("site_distance", 0)


def _agrees_with_brute_force(conn: sa.Connection) -> None:
    assert sorted(conn.execute(sa.text(_STORED)).all()) == sorted(
        conn.execute(sa.text(_BRUTE_FORCE)).all()
    )
    stale = conn.execute(
        sa.text(
            "SELECT count(*) FROM match_unit u WHERE"
            " u.d_ferry IS DISTINCT FROM (SELECT d.distance_m FROM site_distance d"
            "   WHERE d.site_id = u.site_id AND d.infra_kind = 'ferry_terminal')"
            " OR u.d_expressway IS DISTINCT FROM (SELECT d.distance_m FROM site_distance d"
            "   WHERE d.site_id = u.site_id AND d.infra_kind = 'expressway_interchange')"
            " OR u.d_port IS DISTINCT FROM (SELECT min(d.distance_m) FROM site_distance d"
            "   WHERE d.site_id = u.site_id AND d.infra_kind IN ('port', 'wharf'))"
        )
    ).scalar_one()
    assert stale == 0


def _a_site_point(conn: sa.Connection, offset: int = 0) -> tuple[float, float]:
    row = conn.execute(
        sa.text(
            "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM site"
            " WHERE retired_at IS NULL ORDER BY code OFFSET :o LIMIT 1"
        ),
        {"o": offset},
    ).one()
    return row[0], row[1]


def test_a_new_point_recomputes_only_the_sites_it_is_nearest_to(conn: sa.Connection) -> None:
    total = conn.execute(sa.text("SELECT count(*) FROM site_distance")).scalar_one()
    before = _distance_rows_rewritten(conn)
    x, y = _a_site_point(conn)
    conn.execute(
        sa.text(
            "INSERT INTO infrastructure (code, kind, name_zh, geom) VALUES"
            " ('INF-NEAR', 'expressway_interchange', '测试互通',"
            "  ST_SetSRID(ST_MakePoint(:x, :y), 4490))"
        ),
        {"x": x, "y": y},
    )
    _agrees_with_brute_force(conn)
    rewritten = _distance_rows_rewritten(conn) - before
    assert 0 < rewritten < total  # a few sites' rows, not every site's


@pytest.mark.parametrize(
    "edit",
    [
        # a point moved across the district (QGIS saves the geometry alone)
        "UPDATE infrastructure SET geom = ST_Translate(geom, -0.08, 0.05)"
        " WHERE id = (SELECT min(id) FROM infrastructure WHERE kind = 'port')",
        # a point given another kind
        "UPDATE infrastructure SET kind = 'wharf'"
        " WHERE id = (SELECT min(id) FROM infrastructure WHERE kind = 'port')",
        # a point removed (its distance rows go with it)
        "DELETE FROM infrastructure"
        " WHERE id = (SELECT max(id) FROM infrastructure WHERE kind = 'ferry_terminal')",
        # every point of a kind removed: no site has a nearest of that kind
        "DELETE FROM infrastructure WHERE kind = 'expressway_interchange'",
        # several points moved in one statement, one of them onto a site
        "UPDATE infrastructure SET geom = ST_Translate(geom, 0.02, -0.01)"
        " WHERE kind IN ('substation', 'ferry_terminal')",
        # renamed and moved far out to sea in one statement
        "UPDATE infrastructure SET code = code || '-X', geom = ST_Translate(geom, 0.3, 0.3)"
        " WHERE kind = 'airport'",
    ],
    ids=["move", "new kind", "remove", "remove kind", "move several", "far away"],
)
def test_edited_points_leave_every_site_with_its_nearest(conn: sa.Connection, edit: str) -> None:
    conn.execute(sa.text(edit))
    _agrees_with_brute_force(conn)
    # then the first point of a kind that had none: every site gets a nearest of that kind
    x, y = _a_site_point(conn, 3)
    conn.execute(
        sa.text(
            "INSERT INTO infrastructure (code, kind, name_zh, geom) VALUES"
            " ('INF-RAIL', 'rail', '测试铁路站', ST_SetSRID(ST_MakePoint(:x, :y), 4490))"
        ),
        {"x": x, "y": y},
    )
    _agrees_with_brute_force(conn)
    sites = conn.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
    rail = conn.execute(
        sa.text("SELECT count(*) FROM site_distance WHERE infra_kind = 'rail'")
    ).scalar_one()
    assert rail == sites


def _syncs(conn: sa.Connection) -> int:
    """Reverse-match syncs of one requirement this transaction ran (function statistics)."""
    return (
        conn.execute(
            sa.text(
                "SELECT calls FROM pg_stat_xact_user_functions"
                " WHERE funcname = 'gis_app_sync_requirement_matches'"
            )
        ).scalar()
        or 0
    )


def test_a_move_re_evaluates_only_requirements_measuring_to_infrastructure(
    conn: sa.Connection,
) -> None:
    conn.execute(sa.text("SET LOCAL track_functions = 'pl'"))
    near_port = _saved_requirement(conn, {"need": "land", "max_km_port": 3})
    _saved_requirement(conn, {"need": "plant", "gfa_m2_min": 1000})  # measures to nothing
    before, matched = _syncs(conn), _matched(conn, near_port)
    # every port and wharf far out to sea: the requirement within 3 km of one loses its sites
    conn.execute(
        sa.text(
            "UPDATE infrastructure SET geom = ST_Translate(geom, 0.5, 0)"
            " WHERE kind IN ('port', 'wharf')"
        )
    )
    assert _syncs(conn) - before == 1
    assert matched and _matched(conn, near_port) < matched
    # a zone moved concerns every open requirement (blocking zones apply to all)
    before = _syncs(conn)
    conn.execute(sa.text("UPDATE constraint_zone SET geom = ST_Translate(geom, 0.0001, 0)"))
    open_now = conn.execute(
        sa.text(
            "SELECT count(*) FROM requirement"
            " WHERE status IN ('new', 'matching', 'recommended', 'visiting', 'negotiating')"
        )
    ).scalar_one()
    assert _syncs(conn) - before == open_now


def test_renaming_a_zone_re_evaluates_nothing(conn: sa.Connection) -> None:
    conn.execute(sa.text("SET LOCAL track_functions = 'pl'"))
    _saved_requirement(conn, {"need": "land", "land_mu_min": 10})
    before, writes = _syncs(conn), _writes(conn)
    conn.execute(
        sa.text("UPDATE constraint_zone SET name_zh = name_zh || '（改）', code = code || '-R'")
    )
    assert _syncs(conn) == before
    assert _writes(conn) == writes
    # a zone given another kind still re-evaluates the blocking flags and the matches
    conn.execute(
        sa.text(
            "UPDATE constraint_zone SET kind = 'ecological_redline'"
            " WHERE id = (SELECT min(id) FROM constraint_zone"
            "              WHERE kind NOT IN ('ecological_redline', 'basic_farmland'))"
        )
    )
    assert _syncs(conn) > before
    stale = conn.execute(
        sa.text(
            "SELECT count(*) FROM match_unit u WHERE u.blocked IS DISTINCT FROM EXISTS ("
            " SELECT 1 FROM site_constraint_overlap o WHERE o.site_id = u.site_id"
            " AND o.zone_kind IN ('basic_farmland', 'ecological_redline'))"
        )
    ).scalar_one()
    assert stale == 0


def test_a_move_re_evaluates_only_saved_searches_reading_infrastructure(
    conn: sa.Connection,
) -> None:
    conn.execute(sa.text("SET LOCAL track_functions = 'pl'"))
    searches = {}
    for name, flt in (
        ("near a port", SiteFilter(max_km_port=3)),
        ("land", SiteFilter(kind=["land"])),
    ):
        predicate, params = saved_search_queries.compile_filter(flt)
        searches[name] = saved_search_queries.create(conn, "li", name, "", predicate, params)
        saved_search_queries.sync(conn, searches[name], alert=False)

    def calls() -> int:
        return (
            conn.execute(
                sa.text(
                    "SELECT calls FROM pg_stat_xact_user_functions"
                    " WHERE funcname = 'gis_app_sync_saved_search'"
                )
            ).scalar()
            or 0
        )

    def held(name: str) -> set[int]:
        return set(
            conn.execute(
                sa.text("SELECT site_id FROM saved_search_match WHERE saved_search_id = :i"),
                {"i": searches[name]},
            ).scalars()
        )

    assert (
        "site_distance"
        in conn.execute(
            sa.text("SELECT predicate FROM saved_search WHERE id = :i"),
            {"i": searches["near a port"]},
        ).scalar_one()
    )
    others = conn.execute(sa.text("SELECT count(*) FROM saved_search")).scalar_one() - 2
    before, near = calls(), held("near a port")
    conn.execute(
        sa.text(
            "UPDATE infrastructure SET geom = ST_Translate(geom, 0.5, 0)"
            " WHERE kind IN ('port', 'wharf')"
        )
    )
    # the sample's own saved searches, if any, filter on no distance either
    assert calls() - before == 1, others
    assert near and held("near a port") < near
