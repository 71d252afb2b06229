"""Areas on the Gauss-Krüger plane, as 控规 and 出让 documents state them.

The database keeps each site's CGCS2000 3° Gauss-Krüger zone (``plane_epsg``, EPSG:4534 for
the central meridian 75°E … 4554 for 135°E, picked from the centroid's longitude by the SQL
function ``gis_app_gk_epsg``) and its area on that plane (``area_m2_plane``). A declared area
(YDMJ/DKMJ of an import, ``declared_area_mu``) that differs from the plane area by more than
:data:`DECLARED_AREA_TOLERANCE_PCT` is flagged on the import report and the site sheet: the
file's outline or its figure is wrong, or the figure was measured on another plane.
"""

from __future__ import annotations

from gis_app.domain.vocab import M2_PER_MU

#: EPSG code of the CGCS2000 3° Gauss-Krüger zone with central meridian 75°E (no zone prefix)
GK_FIRST_EPSG = 4534
GK_FIRST_MERIDIAN = 75
GK_LAST_EPSG = 4554
#: a declared area further than this from the plane area is flagged
DECLARED_AREA_TOLERANCE_PCT = 1.0


def central_meridian(epsg: int) -> int:
    """The central meridian (degrees east) of a CGCS2000 3° Gauss-Krüger zone's EPSG code."""
    if not GK_FIRST_EPSG <= epsg <= GK_LAST_EPSG:
        raise ValueError(f"EPSG:{epsg} is not a CGCS2000 3° Gauss-Krüger zone (4534–4554)")
    return GK_FIRST_MERIDIAN + 3 * (epsg - GK_FIRST_EPSG)


def zone_label(epsg: int) -> tuple[str, str]:
    """How the sheet names a zone: (Chinese, English)."""
    cm = central_meridian(epsg)
    return f"EPSG:{epsg}（中央经线 {cm}°E）", f"EPSG:{epsg} (central meridian {cm}°E)"


def declared_gap_pct(declared_mu: float | None, plane_m2: float | None) -> float | None:
    """How far the declared area lies from the plane area, in % of the plane area (signed:
    positive when the document states more); None when either is missing."""
    if declared_mu is None or plane_m2 is None or plane_m2 <= 0:
        return None
    return 100.0 * (declared_mu * M2_PER_MU - plane_m2) / plane_m2


def declared_gap_text(declared_mu: float, plane_m2: float, epsg: int) -> tuple[str, str]:
    """The flag shown when the declared area is off by more than the tolerance: (zh, en)."""
    gap = declared_gap_pct(declared_mu, plane_m2) or 0.0
    declared_m2 = declared_mu * M2_PER_MU
    return (
        f"文件面积 {declared_m2:,.1f} ㎡ 与平面面积 {plane_m2:,.1f} ㎡（EPSG:{epsg}）相差 "
        f"{gap:+.2f}%（超过 {DECLARED_AREA_TOLERANCE_PCT:g}%）",
        f"declared area {declared_m2:,.1f} m² differs from the plane area {plane_m2:,.1f} m² "
        f"(EPSG:{epsg}) by {gap:+.2f} % (more than {DECLARED_AREA_TOLERANCE_PCT:g} %)",
    )


def is_flagged(declared_mu: float | None, plane_m2: float | None) -> bool:
    """Whether the declared area is further than the tolerance from the plane area."""
    gap = declared_gap_pct(declared_mu, plane_m2)
    return gap is not None and abs(gap) > DECLARED_AREA_TOLERANCE_PCT
