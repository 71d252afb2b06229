"""Site distances with the geodesic floor (revision 0033) equal those measured for every candidate.

Dense synthetic infrastructure around the sample's sites — rings of points at one planar
distance (KNN ties, the nearest in degrees not the nearest on the ground), duplicates at one
spot (ties broken by id), random points near and far, lines — then the function of revision
0033 against the query it replaced (every one of the 8 candidates measured), row for row.
"""

from __future__ import annotations

import math
import random

import sqlalchemy as sa

#: revision 0028's query: all 8 KNN candidates measured, the smallest distance (then id) kept
_EVERY_CANDIDATE = """
SELECT s.id AS site_id, k.kind AS infra_kind, n.id AS infrastructure_id, n.d AS distance_m
  FROM site s
 CROSS JOIN LATERAL (SELECT s.geom::geography AS g OFFSET 0) sg
 CROSS JOIN (SELECT DISTINCT kind FROM infrastructure) k
 CROSS JOIN LATERAL (
       SELECT c.id, c.d FROM (
           SELECT i.id, ST_Distance(sg.g, i.geom::geography) AS d
             FROM infrastructure i
            WHERE i.kind = k.kind
            ORDER BY i.geom <-> s.geom
            LIMIT 8) c
        ORDER BY c.d, c.id
        LIMIT 1) n
 ORDER BY 1, 2
"""


def _add_infrastructure(conn: sa.Connection) -> None:
    rnd = random.Random(33)
    sites = conn.execute(
        sa.text(
            "SELECT ST_X(ST_Centroid(geom)) x, ST_Y(ST_Centroid(geom)) y, "
            "ST_XMax(geom) - ST_XMin(geom) w FROM site ORDER BY code"
        )
    ).all()
    rows: list[dict[str, object]] = []

    def point(kind: str, x: float, y: float) -> None:
        rows.append({"c": f"FLOOR-{len(rows)}", "k": kind, "g": f"SRID=4490;POINT({x} {y})"})

    for j, s in enumerate(sites[:40]):
        # a ring of 12 points at one planar distance: east-west ones are nearer on the ground
        r = s.w + 0.002 + 0.001 * (j % 5)
        for a in range(12):
            t = 2 * math.pi * a / 12 + 0.1 * j
            point("substation", s.x + r * math.cos(t), s.y + r * math.sin(t))
        # two at one spot (tie by id), and near-ties just beside them
        for kind in ("port", "wharf"):
            dx, dy = rnd.uniform(-0.01, 0.01), rnd.uniform(-0.01, 0.01)
            point(kind, s.x + dx, s.y + dy)
            point(kind, s.x + dx, s.y + dy)
            point(kind, s.x + dy, s.y + dx)
        # random points near and far
        for _ in range(6):
            d = rnd.choice((0.0005, 0.005, 0.05, 0.5))
            point("ferry_terminal", s.x + rnd.uniform(-d, d), s.y + rnd.uniform(-d, d))
    for j, s in enumerate(sites[:10]):
        rows.append(
            {
                "c": f"FLOOR-LINE-{j}",
                "k": "rail",
                "g": f"SRID=4490;LINESTRING({s.x - 0.3} {s.y + 0.004 * j}, "
                f"{s.x + 0.3} {s.y + 0.004 * j + 0.01})",
            }
        )
    # one statement: the infrastructure's statement triggers refresh every site once
    conn.execute(
        sa.text(
            "INSERT INTO infrastructure (code, kind, name_zh, geom) "
            "SELECT c, k, '测试', ST_GeomFromEWKT(g) "
            "FROM unnest(CAST(:c AS text[]), CAST(:k AS text[]), CAST(:g AS text[])) AS r(c, k, g)"
        ),
        {"c": [r["c"] for r in rows], "k": [r["k"] for r in rows], "g": [r["g"] for r in rows]},
    )


_FLOOR = """
gis_app_geodesic_floor(f.lat_max, f.cx, f.cy, f.slack, f.reach, {pt},
                       ST_Distance(f.scaled, ST_Scale({pt}, f.cx, f.cy)))
"""


def test_floor_is_below_every_measured_distance(conn: sa.Connection) -> None:
    _add_infrastructure(conn)
    floor = _FLOOR.format(pt="i.geom")
    rows = conn.execute(
        sa.text(f"""
        SELECT {floor} AS floor, ST_Distance(s.geom::geography, i.geom::geography) AS d
          FROM site s CROSS JOIN LATERAL gis_app_floor_frame(s.geom) f
         CROSS JOIN infrastructure i
         WHERE GeometryType(i.geom) = 'POINT'""")
    ).all()
    assert len(rows) > 10_000
    assert all(r.floor <= r.d for r in rows)
    # close enough to prune: most pairs more than 1 km apart have a floor within 5 %
    far = [r for r in rows if r.d > 1000]
    assert sum(r.floor >= 0.95 * r.d for r in far) > len(far) // 2


def test_floor_holds_at_every_latitude(conn: sa.Connection) -> None:
    """Outlines of 10 m to 20 km, long thin ones too, from the equator to 79°, and points
    up to 5° away in every direction (either hemisphere)."""
    rnd = random.Random(3301)
    outlines, points = [], []
    for _ in range(4000):
        lat = rnd.choice((-1, 1)) * rnd.uniform(0, 79)
        lon = rnd.uniform(-170, 170)
        w, h = 10 ** rnd.uniform(-4, -0.7), 10 ** rnd.uniform(-4, -0.7)
        if abs(lat) + h > 79:
            continue
        outlines.append(
            f"SRID=4490;POLYGON(({lon} {lat},{lon + w} {lat + h / 3},{lon + w / 2} {lat + h},"
            f"{lon} {lat}))"
        )
        r = 10 ** rnd.uniform(-4, 0.7)
        t = rnd.uniform(0, 2 * math.pi)
        points.append(f"SRID=4490;POINT({lon + r * math.cos(t)} {lat + r * math.sin(t)})")
    floor = _FLOOR.format(pt="p.pt")
    rows = conn.execute(
        sa.text(f"""
        SELECT {floor} AS floor, ST_Distance(p.o::geography, p.pt::geography) AS d
          FROM (SELECT ST_GeomFromEWKT(o) AS o, ST_GeomFromEWKT(pt) AS pt
                  FROM unnest(CAST(:o AS text[]), CAST(:p AS text[])) AS u(o, pt)) p
         CROSS JOIN LATERAL gis_app_floor_frame(p.o) f"""),
        {"o": outlines, "p": points},
    ).all()
    assert len(rows) > 3500
    assert all(r.floor <= r.d for r in rows), [r for r in rows if r.floor > r.d][:5]
    assert sum(r.floor > 0 for r in rows) > len(rows) // 2


def test_distances_equal_those_of_every_candidate(conn: sa.Connection) -> None:
    _add_infrastructure(conn)
    expected = conn.execute(sa.text(_EVERY_CANDIDATE)).all()
    got = conn.execute(
        sa.text("SELECT * FROM gis_app_site_distance_rows(NULL) ORDER BY 1, 2")
    ).all()
    assert len(expected) == conn.execute(sa.text("SELECT count(*) FROM site")).scalar() * 7
    assert got == expected
    # the stored table (refreshed by the insert's trigger) is the same
    stored = conn.execute(
        sa.text(
            "SELECT site_id, infra_kind, infrastructure_id, distance_m FROM site_distance "
            "ORDER BY 1, 2"
        )
    ).all()
    assert stored == expected
    # candidates were left unmeasured: some floor is above the chosen distance
    floor = _FLOOR.format(pt="c.geom")
    pruned = conn.execute(
        sa.text(f"""
        SELECT count(*) FROM site_distance d JOIN site s ON s.id = d.site_id
         CROSS JOIN LATERAL gis_app_floor_frame(s.geom) f
          JOIN LATERAL (SELECT i.geom FROM infrastructure i WHERE i.kind = d.infra_kind
                         ORDER BY i.geom <-> s.geom LIMIT 8) c ON true
         WHERE {floor} > d.distance_m""")
    ).scalar_one()
    assert pruned > 1000
