"""Helpers of tests that write as psql or QGIS does (plain SQL through psycopg2), and the
geometry of the sample's two districts they write across."""

from __future__ import annotations

import psycopg2
import pytest
import sqlalchemy as sa
from shapely import wkt
from shapely.geometry import Polygon, box

#: the sample's districts (data/parcels/jurisdiction.geojson)
PUTUO, DINGHAI, CITY = "330903", "330902", "330900"

_BOUNDARY_MIDDLE = (
    "SELECT ST_AsText(ST_LineInterpolatePoint(ST_LineMerge(ST_Intersection("
    "ST_Boundary(p.geom), ST_Boundary(d.geom))), 0.5)) FROM district p, district d "
    f"WHERE p.code = '{PUTUO}' AND d.code = '{DINGHAI}'"
)


def refused(cur, sql: str, params: tuple = ()) -> psycopg2.Error:
    """The error a statement is refused with (in a savepoint: the cursor stays usable)."""
    cur.execute("SAVEPOINT rule")
    with pytest.raises(psycopg2.Error) as err:
        cur.execute(sql, params)
    cur.execute("ROLLBACK TO SAVEPOINT rule")
    return err.value


def boundary_square(db: sa.Connection | sa.Engine | object, half: float = 0.002) -> Polygon:
    """A square of side 2 × ``half`` degrees (~400 m) on the middle of the Putuo–Dinghai
    boundary (EPSG:4490), from a connection, an engine or a psycopg2 cursor."""
    if isinstance(db, sa.Engine):
        with db.connect() as c:
            return boundary_square(c, half)
    if isinstance(db, sa.Connection):
        point = wkt.loads(db.execute(sa.text(_BOUNDARY_MIDDLE)).scalar_one())
    else:
        db.execute(_BOUNDARY_MIDDLE)
        point = wkt.loads(db.fetchone()[0])
    return box(point.x - half, point.y - half, point.x + half, point.y + half)


def add_requirements(db: sa.Engine, per_district: dict[str, dict[str, int]]) -> None:
    """Record requirements as psql would: ``{district: {status: how many}}``, land needs."""
    with db.begin() as c:
        for district, statuses in per_district.items():
            for status, n in statuses.items():
                for i in range(n):
                    c.execute(
                        sa.text(
                            "INSERT INTO requirement (project_name, need, status, district_code)"
                            " VALUES (:p, 'land', :s, :d)"
                        ),
                        {"p": f"{district}-{status}-{i}", "s": status, "d": district},
                    )
