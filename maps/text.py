"""Text bound into Folium maps: tooltips, popups, marker HTML and GeoJSON tooltip fields.

Folium 0.20 writes a ``Tooltip``'s text raw inside a JavaScript template literal inside an
inline ``<script>`` (``bindTooltip(`<div>{{ this.text }}</div>`)``), and Leaflet shows tooltip
and popup content, ``DivIcon`` HTML and ``GeoJsonTooltip`` field values as HTML. A stored name
like ``X</script><script>…`` or ``${…}`` would end the script or run as code there. Every value
from the database (or a file) that a map shows goes through :func:`map_text` first: HTML special
characters become entities, and so do the three characters a template literal interprets
(backtick, ``$`` and backslash), so the text reads the same and can break out of nothing.

This is the one place that escaping lives; the map builders (sheet, match, investor,
availability and inventory maps) call it rather than ``html.escape``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

#: characters a JavaScript template literal interprets, as HTML character references
_TEMPLATE_LITERAL = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def map_text(value: object) -> str:
    """``value`` as HTML text that is also inert inside a JavaScript template literal.

    ``None`` is the empty string. Safe in element content and in quoted attribute values.
    """
    text = "" if value is None else str(value)
    return html.escape(text, quote=True).translate(_TEMPLATE_LITERAL)


def text_properties(features: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """A copy of a GeoJSON FeatureCollection with the text of ``fields`` passed through
    :func:`map_text` (``GeoJsonTooltip``/``GeoJsonPopup`` put field values into ``innerHTML``).

    Values that are not strings (numbers, ``None``) are left as they are.
    """
    names = tuple(fields)
    out = dict(features)
    out["features"] = [
        {
            **f,
            "properties": {
                k: map_text(v) if k in names and isinstance(v, str) else v
                for k, v in (f.get("properties") or {}).items()
            },
        }
        for f in features.get("features", [])
    ]
    return out
