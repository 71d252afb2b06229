import numpy as np
from pyproj import Geod

from gis_app.domain.gcj02 import gcj02_to_wgs84, shift_coords, wgs84_to_gcj02


def test_shift_near_putuo_is_about_480_m() -> None:
    lon, lat = 122.30, 29.95
    glon, glat = wgs84_to_gcj02(lon, lat)
    _, _, dist = Geod(ellps="WGS84").inv(lon, lat, float(glon), float(glat))
    assert 400 < dist < 600


def test_known_reference_point() -> None:
    # Tiananmen, a widely published WGS84 / GCJ-02 pair (agreement to ~1e-5 degrees)
    glon, glat = wgs84_to_gcj02(116.391248, 39.907501)
    assert abs(glon - 116.397491) < 2e-5 and abs(glat - 39.908901) < 2e-5


def test_inverse_round_trip_below_a_millimetre() -> None:
    lon = np.linspace(121.9, 122.8, 50)
    lat = np.linspace(29.5, 30.3, 50)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.max(np.abs(back_lon - lon)) < 1e-8 and np.max(np.abs(back_lat - lat)) < 1e-8


def test_outside_china_unchanged_and_array_helper() -> None:
    lon, lat = wgs84_to_gcj02(2.35, 48.85)
    assert (float(lon), float(lat)) == (2.35, 48.85)
    arr = np.array([[122.3, 29.95], [122.31, 29.96]])
    assert np.allclose(shift_coords(shift_coords(arr), to_gcj02=False), arr)
