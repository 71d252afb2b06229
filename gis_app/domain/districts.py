"""The geometry rules of districts (issue 26, item 5), as the database keeps them.

A site lies in its own district; a site that reaches into two districts is refused, naming
both; a site given without a district gets the one its outline lies in. "Lies in" allows the
inside tolerance of edits and imports (1e-5°, ~1 m): outlines and parcels share edges only
approximately. The same decision is made by the trigger ``gis_app_site_district`` (revision
0029) for every writer, QGIS included; :func:`site_district` makes it before anything is
written, so imports can name each row and the API the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from gis_app.domain.errors import CrossesDistrictBoundary, OutsideOwnDistrict
from gis_app.domain.vocab import Term

#: how far (degrees, ~1 m) an outline may reach over a district boundary
INSIDE_TOLERANCE_DEG = 1e-5


@dataclass(frozen=True)
class DistrictOutline:
    """A district-level row: its code and names (a term) and its outline (EPSG:4490)."""

    term: Term
    geom: BaseGeometry

    @property
    def code(self) -> str:
        """The district's code (``330903``)."""
        return self.term.key


def _probe(g: BaseGeometry, tolerance_deg: float) -> BaseGeometry:
    """The outline shrunk by the tolerance (a point on it when nothing is left)."""
    shrunk = g.buffer(-tolerance_deg)
    return g.representative_point() if shrunk.is_empty else shrunk


def prepared(outlines: Sequence[DistrictOutline]) -> Sequence[DistrictOutline]:
    """``outlines`` with their geometries prepared, for the many containment tests of an
    import's rows: a boundary of 38,000 vertices takes ~2.4 ms a test unprepared, ~5 µs
    prepared (GEOS indexes it once)."""
    for d in outlines:
        shapely.prepare(d.geom)
    return outlines


def site_district(
    g: BaseGeometry,
    given: str | None,
    districts: Sequence[DistrictOutline],
    *,
    where: str,
    site: str,
    names: dict[str, Term] | None = None,
    tolerance_deg: float = INSIDE_TOLERANCE_DEG,
) -> str | None:
    """The district of a site outline ``g`` (EPSG:4490): ``given`` once checked, or the one it
    lies in. None when it lies in no district (the jurisdiction check says how far outside).

    Raises :class:`OutsideOwnDistrict` when ``g`` lies in another district than ``given``,
    :class:`CrossesDistrictBoundary` when it reaches into two. ``names`` words districts
    without an outline (a city) given as a site's district.
    """
    by_code = {d.code: d.term for d in districts} | (names or {})

    def term(code: str) -> Term:
        return by_code.get(code, Term(code, code, code))

    covering = [d.code for d in districts if d.geom.covers(g)]
    if covering:
        inside, reached = covering, covering
    else:
        probe = _probe(g, tolerance_deg)
        hits = [d for d in districts if d.geom.intersects(probe)]
        inside = [d.code for d in hits if d.geom.covers(probe)]
        by_overlap = sorted(hits, key=lambda d: (-shapely.area(d.geom.intersection(g)), d.code))
        reached = [d.code for d in by_overlap]
        if not inside and len(reached) >= 2:
            raise CrossesDistrictBoundary(where, site, term(reached[0]), term(reached[1]))
        inside = inside or reached
    if not inside:
        return given
    if given is None:
        return inside[0]
    if given not in inside:
        raise OutsideOwnDistrict(where, site, term(given), term(inside[0]))
    return given
