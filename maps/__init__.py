"""Folium map builders for gis_app (officers' map, investor pages, notebooks, exports)."""
