"""The nearest infrastructure of every kind, however many sites a refresh covers (revision 0044:
a refresh of 1,000 sites or more computes its rows with a statement that may run in parallel)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gis_app.db.engine import make_engine

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
        parallel = c.execute(
            sa.text(
                "SELECT proparallel FROM pg_proc WHERE proname IN"
                " ('gis_app_site_nearest', 'gis_app_site_distance_rows')"
            )
        ).scalars()
        assert set(parallel) == {"s"}
