"""Districts (revision 0029): which district a row belongs to, and the outlines the geometry
rules of imports and edits check against.

The database keeps the rules for every writer (``gis_app_site_district``); the app reads the
same outlines to name a refusal per row before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from shapely import wkb

from gis_app.db.models import AppUser, District, Requirement
from gis_app.domain.districts import DistrictOutline
from gis_app.domain.vocab import Term


def home_district() -> sa.ColumnElement[str]:
    """The first district-level row: where rows go when nobody says (a column default too)."""
    return sa.func.gis_app_home_district()


def top_district(conn: sa.Connection) -> str | None:
    """The code of the first row at the top of the districts' tree (a city or province over
    the districts, or a lone district); None when no district is loaded."""
    return conn.execute(
        sa.select(District.code)
        .where(District.parent_code.is_(None))
        .order_by(District.id)
        .limit(1)
    ).scalar()


def existing_district(conn: sa.Connection, code: str | None) -> str | None:
    """``code`` if it names a district (or city, province); without a code the first
    district; None when there is no such row."""
    if code is None:
        return conn.execute(sa.select(home_district())).scalar()
    return conn.execute(sa.select(District.code).where(District.code == code)).scalar()


def user_district(username: str) -> sa.ColumnElement[str]:
    """The district of app user ``username`` (else the first district), as an SQL expression."""
    own = sa.select(AppUser.district_code).where(AppUser.username == username)
    return sa.func.coalesce(own.scalar_subquery(), home_district())


def scope_codes(username: str) -> sa.Select[tuple[str]]:
    """The codes of app user ``username``'s home district and every district below it (a
    city's user: the city and its districts; a province's: three levels), as a subquery."""
    home = user_district(username)
    below = sa.select(District.code).where(District.parent_code == home)
    return sa.select(District.code).where(
        sa.or_(
            District.code == home,
            District.parent_code == home,
            District.parent_code.in_(below),
        )
    )


def in_scope(column: sa.ColumnElement[str], username: str) -> sa.ColumnElement[bool]:
    """SQL condition: ``column`` (a district code) lies in ``username``'s scope."""
    return column.in_(scope_codes(username))


def home_of(conn: sa.Connection, username: str) -> str | None:
    """The district of app user ``username`` (else the first district); None without any."""
    return conn.execute(sa.select(user_district(username))).scalar()


def districts_below(conn: sa.Connection, code: str) -> list[str]:
    """``code`` and the codes of every district below it (a city: its districts), sorted."""
    below = sa.func.gis_app_districts_below(sa.literal([code], sa.ARRAY(sa.Text)))
    return list(conn.execute(sa.select(below)).scalar() or [])


def user_scope(conn: sa.Connection, username: str) -> list[str]:
    """The district codes of ``username``'s scope (see :func:`scope_codes`), sorted."""
    return sorted(conn.execute(scope_codes(username)).scalars())


def district_codes(conn: sa.Connection) -> list[str]:
    """The codes of every district-level row (those sites belong to), sorted."""
    return list(
        conn.execute(
            sa.select(District.code).where(District.level == "district").order_by(District.code)
        ).scalars()
    )


def recommendation_district(requirement_id: int | None, username: str) -> sa.ColumnElement[str]:
    """A recommendation's district: its requirement's when that lies in the author's scope,
    else the author's (an officer answering a requirement referred to their district)."""
    if requirement_id is None:
        return user_district(username)
    req = sa.select(Requirement.district_code).where(
        Requirement.id == requirement_id, in_scope(Requirement.district_code, username)
    )
    return sa.func.coalesce(req.scalar_subquery(), user_district(username))


def district_outlines(conn: sa.Connection) -> Sequence[DistrictOutline]:
    """Every district-level row with an outline (EPSG:4490), by code."""
    rows = conn.execute(
        sa.select(
            District.code, District.name_zh, District.name_en, sa.func.ST_AsBinary(District.geom)
        )
        .where(District.level == "district", District.geom.is_not(None))
        .order_by(District.code)
    ).all()
    return [
        DistrictOutline(Term(code, zh, en or zh), wkb.loads(bytes(g))) for code, zh, en, g in rows
    ]


def outlines_version(conn: sa.Connection) -> str:
    """A text that changes whenever a district row is added, changed or removed (each row's
    id and the transaction that wrote it): what a copy of the outlines kept in Python is
    checked against. The caller's own uncommitted change counts."""
    return conn.execute(
        sa.text(
            "SELECT COALESCE(string_agg(id::text || ':' || xmin::text, ',' ORDER BY id), '')"
            " FROM district"
        )
    ).scalar_one()


def district_terms(conn: sa.Connection) -> dict[str, Term]:
    """Every district (and city, province) by code, as a vocabulary term (its names)."""
    rows = conn.execute(sa.select(District.code, District.name_zh, District.name_en)).all()
    return {code: Term(code, zh, en or zh) for code, zh, en in rows}


#: levels from the top of the tree down (a list orders cities before their districts)
_LEVEL_ORDER = ("province", "city", "district")


def district_list(conn: sa.Connection, levels: Sequence[str] = _LEVEL_ORDER) -> list[Term]:
    """The rows of ``levels`` as vocabulary terms: provinces, then cities, then districts, each
    by code (a deployment holds a handful: no paging)."""
    rank = sa.func.array_position(sa.literal(list(_LEVEL_ORDER)), District.level)
    rows = conn.execute(
        sa.select(District.code, District.name_zh, District.name_en)
        .where(District.level.in_(list(levels)))
        .order_by(rank, District.code)
    ).all()
    return [Term(code, zh, en or zh) for code, zh, en in rows]
