"""The notebooks' overview map is one self-contained page."""

from __future__ import annotations

import html

import geopandas as gpd
import pytest
from shapely.geometry import box

from maps import assets
from maps.inventory_map import inventory_map


def _sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["PT-A-001", "PT-A-002"],
            "name_zh": ["甲地块", "乙地块"],
            "kind": ["land", "plant"],
            "availability": ["available", "reserved"],
            "area_mu": [52.04, 18.7],
        },
        geometry=[box(122.20, 29.95, 122.21, 29.96), box(122.22, 29.97, 122.23, 29.98)],
        crs=4490,
    )


def test_notebook_output_and_saved_file_load_nothing_from_elsewhere(tmp_path) -> None:
    m = inventory_map(_sites())
    # what Jupyter shows: the page in an iframe's srcdoc
    shown = html.unescape(m._repr_html_().split('srcdoc="', 1)[1])
    out = tmp_path / "map.html"
    m.save(str(out))
    saved = out.read_text(encoding="utf-8")
    leaflet = assets.asset_path("leaflet").read_text(encoding="utf-8")
    for page in (shown, saved):
        assert assets.external_references(page) == []
        assert "<script src=" not in page and 'rel="stylesheet" href=' not in page
        assert leaflet[-300:] in page  # Leaflet itself is in the page
        assert "PT-A-001" in page and "Availability" in page  # the features and tooltip


def test_a_selection_without_a_crs_is_refused() -> None:
    sites = _sites().set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match="no CRS"):
        inventory_map(sites)
