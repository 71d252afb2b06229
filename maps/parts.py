"""A Folium map's page parts for a Jinja2 layout, and which of its scripts may run.

Pages allow inline scripts by a per-request CSP nonce. Only scripts the app or Folium writes
get it, never a page after data went into it: :func:`render_parts` adds the nonce to the
``<script>`` tags of Folium's ``header`` (asset links and Folium's own set-up, no data), while
the ``script`` part (the map's set-up code, which does carry names in tooltips) is put by the
page template inside a ``<script>`` element the template itself writes with the nonce. Text in
that code is escaped where it is bound (:mod:`maps.text`); :func:`script_text` also makes sure
nothing in it can end the element early.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branca.element import Element

_SCRIPT_TAG = re.compile(r"<script(?![^>]*\snonce=)", re.IGNORECASE)
#: what ends a script element, or switches the HTML parser into its "escaped" script state
_SCRIPT_END = re.compile(r"<(/script|!--)", re.IGNORECASE)


def add_script_nonce(html: str, nonce: str) -> str:
    """Add ``nonce`` to every ``<script`` tag of ``html`` that lacks one.

    Only for markup the app or Folium generated, never for markup with data in it: a script a
    stored value smuggled in would be allowed to run too.
    """
    return _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', html)


def script_text(code: str) -> str:
    """JavaScript ``code`` made safe to put between ``<script>`` and ``</script>``.

    ``</script`` and ``<!--`` become ``<\\/script`` and ``<\\!--``: the same characters inside
    a JavaScript string, template or regular expression, but no longer HTML that ends the
    element (the map builders escape text anyway; this holds if one of them forgets).
    """
    return _SCRIPT_END.sub(r"<\\\1", code)


def render_parts(m: Element, nonce: str | None = None) -> dict[str, str]:
    """The map's page parts: ``header`` (assets and styles; its scripts carry ``nonce``),
    ``html`` (the map element) and ``script`` (its set-up code, for the page to wrap in a
    ``<script>`` element with the page's nonce)."""
    root = m.get_root()
    root.render()
    header = root.header.render()
    return {
        "header": add_script_nonce(header, nonce) if nonce else header,
        "html": root.html.render(),
        "script": script_text(root.script.render()),
    }
