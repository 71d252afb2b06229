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
