"""GCJ-02 ("Mars coordinates") conversion, used by Gaode/AMap and Tencent web maps.

Stored data is never shifted: overlays are shifted to GCJ-02 only for display on a GCJ-02
basemap, and coordinates captured on such a map are shifted back on import. The forward
transform is the published obfuscation formula; the inverse has no closed form and is solved
by fixed-point iteration to below a millimetre. Near Putuo the shift is about 480 m.
Outside mainland China GCJ-02 equals WGS84, so points there pass through unchanged.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the formula
_EE = 0.00669342162296594323


def _out_of_china(lon: NDArray, lat: NDArray) -> NDArray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: NDArray, lat: NDArray) -> tuple[NDArray, NDArray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Shift WGS84 (or CGCS2000) lon/lat to GCJ-02 for display on a GCJ-02 basemap."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    outside = _out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-10
) -> tuple[NDArray, NDArray]:
    """Inverse of :func:`wgs84_to_gcj02` (iterative; error below 1e-10 degrees)."""
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < tol_deg) and np.all(np.abs(elat) < tol_deg):
            break
    return wlon, wlat


def shift_coords(coords: NDArray, to_gcj02: bool = True) -> NDArray:
    """Shift an (N, 2) lon/lat array; suits ``shapely.transform`` on geometries."""
    fn = wgs84_to_gcj02 if to_gcj02 else gcj02_to_wgs84
    x, y = fn(coords[:, 0], coords[:, 1])
    return np.column_stack([x, y])
