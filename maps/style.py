"""Map styling shared by every map: colours by availability, outlines by kind."""

from __future__ import annotations

AVAILABILITY_COLOURS: dict[str, str] = {
    "available": "#1a9850",
    "reserved": "#fee08b",
    "negotiating": "#fc8d59",
    "signed": "#4575b4",
    "unavailable": "#999999",
}

KIND_DASH: dict[str, str | None] = {
    "land": None,
    "standard_plant": "6 3",
    "plant": "6 3",
    "building": "2 3",
    "island": "10 4 2 4",
    "shoreline": "1 4",
}

#: infrastructure by kind: a shape (drawn by the pages' scripts as SVG) in dark ink on white,
#: so no symbol can be read as a site's availability colour (sites are coloured fills)
INFRA_INK = "#102a43"
INFRA_SYMBOLS: dict[str, str] = {
    "port": "anchor",
    "wharf": "square",
    "ferry_terminal": "triangle",
    "expressway_interchange": "diamond",
    "airport": "plane",
    "rail": "rail",
    "substation": "bolt",
}
#: the drawn search area and the jurisdiction outline
SEARCH_AREA_COLOUR = "#e6007e"
JURISDICTION_STYLE: dict[str, object] = {"color": "#555555", "weight": 1.5, "dashArray": "6 4"}
