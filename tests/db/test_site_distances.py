"""The nearest infrastructure of every kind, however many sites a refresh covers (revision 0044:
a refresh of 1,000 sites or more computes its rows with a statement that may run in parallel)."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from gis_app.db.engine import make_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench package
from bench.nearest_bench import DISTANCES_MEASURED

#: every site's nearest infrastructure of each kind by brute force: every point of the kind,
#: the geodesic distance, ties by id (no KNN, no function of the project)
BRUTE_FORCE = """
SELECT DISTINCT ON (s.id, i.kind)
       s.id, i.kind, i.id, ST_Distance(s.geom::geography, i.geom::geography)
  FROM site s CROSS JOIN infrastructure i
 ORDER BY s.id, i.kind, ST_Distance(s.geom::geography, i.geom::geography), i.id
"""
STORED = (
    "SELECT site_id, infra_kind, infrastructure_id, distance_m FROM site_distance"
    " ORDER BY site_id, infra_kind"
)


@pytest.fixture
def db(make_db) -> Iterator[sa.Engine]:
    eng = make_engine(make_db("sample"))
    yield eng
    eng.dispose()


def _ferry_terminals(c: sa.Connection) -> None:
    """Twelve more ferry terminals around the sites (a kind with more than the 8 KNN
    candidates), one on a site's doorstep."""
    c.execute(
        sa.text(
            "INSERT INTO infrastructure (code, kind, name_zh, geom)"
            " SELECT 'INF-FT-T' || g, 'ferry_terminal', '测试码头' || g,"
            "        ST_SetSRID(ST_MakePoint(122.05 + 0.03 * g, 29.90 + 0.02 * g), 4490)"
            "   FROM generate_series(1, 11) g"
        )
    )
    c.execute(
        sa.text(
            "INSERT INTO infrastructure (code, kind, name_zh, geom)"
            " SELECT 'INF-FT-T0', 'ferry_terminal', '测试码头0', ST_PointOnSurface(geom)"
            "   FROM site ORDER BY id LIMIT 1"
        )
    )


def test_a_large_refresh_gives_the_nearest_of_every_kind(db: sa.Engine) -> None:
    with db.begin() as c:
        _ferry_terminals(c)  # its statement trigger refreshes every site (site_ids NULL)
        expected = [tuple(r) for r in c.execute(sa.text(BRUTE_FORCE))]
        assert [tuple(r) for r in c.execute(sa.text(STORED))] == expected
        assert any(r[1] == "ferry_terminal" and r[3] == 0 for r in expected)
        # the sites' ids padded past the threshold with ids of no site: the parallel branch
        c.execute(sa.text("DELETE FROM site_distance"))
        ids = list(c.execute(sa.text("SELECT id FROM site ORDER BY id")).scalars())
        padded = ids + list(range(-1, -1001, -1))
        c.execute(sa.text("SELECT gis_app_refresh_site_distance(:ids)"), {"ids": padded})
        assert [tuple(r) for r in c.execute(sa.text(STORED))] == expected
        # a few sites: the row-by-row branch, the same rows
        c.execute(sa.text("DELETE FROM site_distance WHERE site_id = ANY(:ids)"), {"ids": ids[:5]})
        c.execute(sa.text("SELECT gis_app_refresh_site_distance(:ids)"), {"ids": ids[:5]})
        assert [tuple(r) for r in c.execute(sa.text(STORED))] == expected


def test_the_rows_of_many_sites_may_be_computed_in_parallel(db: sa.Engine) -> None:
    """With the settings the refresh runs with, the rows' statement has a parallel plan (a
    LIMIT outside the per-site function, or a function not PARALLEL SAFE, would forbid it)."""
    with db.begin() as c:
        c.execute(
            sa.text(
                "SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0;"
                " SET LOCAL min_parallel_table_scan_size = 0;"
                " SET LOCAL min_parallel_index_scan_size = 0"
            )
        )
        plan = "\n".join(
            c.execute(
                sa.text("EXPLAIN SELECT * FROM gis_app_site_distance_rows(:ids)"),
                {"ids": list(range(1, 2001))},
            ).scalars()
        )
        assert "Gather" in plan and "gis_app_site_nearest" in plan, plan
        # revision 0060: the kinds are found once, before the workers start, not per site
        assert "InitPlan" in plan and "Params Evaluated" in plan, plan
        parallel = c.execute(
            sa.text(
                "SELECT proparallel FROM pg_proc WHERE proname IN"
                " ('gis_app_site_nearest', 'gis_app_site_distance_rows')"
            )
        ).scalars()
        assert set(parallel) == {"s"}


def test_the_kinds_are_found_once_and_the_nearest_keeps_to_the_kinds_given(
    db: sa.Engine,
) -> None:
    """Revision 0060: the kinds present, in order, found by the kind index; the nearest of the
    kinds given (a kind without points gives no row), the one-site function's rows for every
    kind present."""
    with db.begin() as c:
        kinds = c.execute(sa.text("SELECT gis_app_infrastructure_kinds()")).scalar_one()
        present = c.execute(
            sa.text("SELECT array_agg(DISTINCT kind ORDER BY kind) FROM infrastructure")
        ).scalar_one()
        assert kinds == present and len(kinds) >= 3
        outline = c.execute(
            sa.text("SELECT ST_AsEWKT(geom) FROM site ORDER BY id LIMIT 1")
        ).scalar_one()
        every = _nearest_of_all(c, outline)
        assert [r[0] for r in every] == kinds
        given = c.execute(
            sa.text(
                "SELECT * FROM gis_app_site_nearest(CAST(:o AS geometry), CAST(:k AS text[]))"
                " ORDER BY 1"
            ),
            {"o": outline, "k": [kinds[-1], "no_such_kind", kinds[0]]},
        ).all()
        assert [tuple(r) for r in given] == [every[0], every[-1]]
        c.execute(sa.text("SET LOCAL session_replication_role = replica"))  # no refresh
        c.execute(sa.text("DELETE FROM infrastructure"))
        assert c.execute(sa.text("SELECT gis_app_infrastructure_kinds()")).scalar_one() is None
        assert c.execute(sa.text(_NEAREST_ONE), {"o": outline}).all() == []


#: one outline's nearest point of every kind by brute force (every point, geodesic, ties by id)
_BRUTE_ONE = """
SELECT DISTINCT ON (i.kind) i.kind, i.id, ST_Distance(CAST(:o AS geometry)::geography,
                                                      i.geom::geography)
  FROM infrastructure i
 ORDER BY i.kind, ST_Distance(CAST(:o AS geometry)::geography, i.geom::geography), i.id
"""
_NEAREST_ONE = "SELECT * FROM gis_app_site_nearest(CAST(:o AS geometry)) ORDER BY 1"
#: up to 8 points of each of four kinds scattered around (x, y) within `spread` degrees of
#: latitude (longitude scaled by the latitude, so that points east and west are as far in
#: metres and further in degrees)
_SCATTER = """
INSERT INTO infrastructure (code, kind, name_zh, geom)
SELECT 'T-' || k.kind || '-' || g, k.kind, '测试' || g,
       ST_SetSRID(ST_MakePoint(
           :x + :spread * (0.2 + random()) * cos(a) / cos(radians(:y)),
           :y + :spread * (0.2 + random()) * sin(a)), 4490)
  FROM unnest(ARRAY['port', 'wharf', 'substation', 'airport']) k(kind),
       generate_series(1, 1 + (random() * 7)::int) g,
       LATERAL (SELECT 2 * pi() * random() + g * 0 AS a) r
"""


#: a port due north and one due east of (120, :y), :t radians away on a sphere, the northern one
#: :f times further: the sphere ranks the eastern first, the ellipsoid the northern when :f is
#: below the ratio of the radii of curvature, the parallel's over the meridian's
_NORTH_AND_EAST = """
INSERT INTO infrastructure (code, kind, name_zh, geom)
VALUES ('T-N', 'port', '北', ST_SetSRID(ST_MakePoint(120, :y + degrees(:t * :f)), 4490)),
       ('T-E', 'port', '东', ST_SetSRID(ST_MakePoint(
            120 + degrees(2 * asin(sin(:t / 2) / cos(radians(:y)))), :y), 4490))
"""


def _nearest_of_all(c: sa.Connection, outline: str) -> list[tuple]:
    """The function's rows for ``outline``, asserted equal to every point's distance."""
    expected = [tuple(r) for r in c.execute(sa.text(_BRUTE_ONE), {"o": outline})]
    got = [tuple(r) for r in c.execute(sa.text(_NEAREST_ONE), {"o": outline})]
    assert got == expected, outline
    return got


@pytest.mark.parametrize("lat", [0.0, 30.0, 45.0, 62.0, 78.0, -38.0])
def test_the_nearest_is_the_nearest_of_every_point_whatever_was_not_measured(
    make_db, lat: float
) -> None:
    """Revision 0057 measures only the candidates that may be nearer than another is at most.
    At every latitude, at 100 m and 20 km, around points and boxes, the nearest of every kind
    is the nearest of all its points, to the last bit; where the sphere and the ellipsoid
    rank two points differently, the ellipsoid's nearest; and most candidates of a scatter are
    not measured."""
    eng = make_engine(make_db("empty"))
    try:
        for spread in (0.001, 0.2):
            with eng.begin() as c:
                c.execute(sa.text("SET LOCAL track_functions = 'all'"))
                c.execute(sa.text("SELECT setseed(:s)"), {"s": (lat + 90) / 360})
                candidates = measured = 0
                for trial in range(40):
                    c.execute(sa.text("DELETE FROM infrastructure"))
                    c.execute(sa.text(_SCATTER), {"x": 120.0, "y": lat, "spread": spread})
                    outline = c.execute(
                        sa.text(
                            "SELECT ST_AsEWKT(ST_Expand(ST_SetSRID(ST_MakePoint(120, :y), 4490),"
                            " :r))"
                        ),
                        {"y": lat, "r": spread * 0.05 * (trial % 3)},
                    ).scalar_one()
                    candidates += c.execute(sa.text("SELECT count(*) FROM infrastructure")).scalar()
                    before = c.execute(sa.text(DISTANCES_MEASURED)).scalar_one()
                    assert len(_nearest_of_all(c, outline)) == 4
                    measured += c.execute(sa.text(DISTANCES_MEASURED)).scalar_one() - before
                # the brute force measured every candidate; the function, at 20 km, few
                own = measured - candidates
                assert own < (0.5 if spread > 0.01 else 1.01) * candidates, (own, candidates)
                c.execute(sa.text("DELETE FROM infrastructure"))
        if lat:
            with eng.begin() as c:
                e2 = 0.00669438  # CGCS2000's first eccentricity squared
                ratio = (1 - e2 * math.sin(math.radians(lat)) ** 2) / (1 - e2)
                c.execute(sa.text(_NORTH_AND_EAST), {"y": lat, "t": 0.002, "f": (1 + ratio) / 2})
                point = f"SRID=4490;POINT(120 {lat})"
                assert (
                    _nearest_of_all(c, point)[0][1]
                    == c.execute(
                        sa.text("SELECT id FROM infrastructure WHERE code = 'T-N'")
                    ).scalar_one()
                )
                c.rollback()
    finally:
        eng.dispose()
