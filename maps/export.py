"""Standalone map file (``gis-app render-map``): a small selection of sites embedded, every
script, stylesheet, icon and font inlined, the offline basemap; it opens from disk with no
network and no server.

The file carries its own Content-Security-Policy (a ``<meta>``): only the scripts written here
and by Folium run (they get the file's nonce; see :mod:`maps.parts`), nothing is loaded from
anywhere. The sites' names are data in the embedded GeoJSON (``tojson``), drawn as text."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from jinja2 import Environment

from maps import assets, basemaps, i18n, officer_map
from maps.style import AVAILABILITY_COLOURS

#: the file's policy: its own nonced scripts, inline styles, embedded images and fonts
_CSP = (
    "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:"
)

_PAGE = Environment(autoescape=True).from_string(
    """<!DOCTYPE html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<link rel="icon" href="data:,">
<title>{{ title }}</title>
{{ parts.header | safe }}
</head>
<body class="gis-page gis-map-page" data-gis-state="busy">
<header class="gis-topbar">
  <h1>{{ title }}</h1>
  <span>{{ ui.exported.label(lang) }} {{ when }}</span>
  <span class="gis-spacer"></span>
  <button type="button" id="gis-lang"><span data-zh="{{ ui.language.zh }}"
    data-en="{{ ui.language.en }}">{{ ui.language.label(lang) }}</span></button>
</header>
<div class="gis-main">
  <aside class="gis-panel">
    <div class="gis-counts">
      {%- if filter_text %}
      <div>{{ ui.export_filter.label(lang) }}: {{ filter_text }}</div>
      {%- endif %}
      <div id="gis-list-status" role="status"></div>
      <div><span data-zh="{{ ui.on_map.zh }}"
        data-en="{{ ui.on_map.en }}">{{ ui.on_map.label(lang) }}</span>
        <strong id="gis-drawn-count" data-count="0">0</strong></div>
    </div>
    <section class="gis-results"><ul id="gis-list"></ul></section>
  </aside>
  <main class="gis-mapwrap">{{ parts.html | safe }}</main>
</div>
<script nonce="{{ nonce }}">
{{ parts.script | safe }}
</script>
</body>
</html>
"""
)


def export_html(
    *,
    sites: dict[str, Any],
    jurisdiction: dict[str, Any],
    constraint_zones: dict[str, Any],
    infrastructure: dict[str, Any],
    bounds: tuple[float, float, float, float] | None,
    title: str,
    filter_text: str = "",
    lang: str = "zh",
    when: dt.datetime | None = None,
    districts: dict[str, dict[str, str]] | None = None,
) -> str:
    """A self-contained HTML map of ``sites`` (GeoJSON, WGS84) with its context layers;
    ``districts`` names the sites' districts in the popups (code → zh/en)."""
    offline = basemaps.CATALOGUE["none"]
    m = officer_map.site_map(
        basemap=offline,
        offered=[offline],
        bounds=bounds,
        lang=lang,
        options={"districts": districts} if districts else None,
        embedded={
            "sites": sites,
            "jurisdiction": jurisdiction,
            "constraint_zones": constraint_zones,
            "infrastructure": infrastructure,
        },
    )
    nonce = secrets.token_urlsafe(16)
    parts = officer_map.render_parts(m, nonce)
    html = _PAGE.render(
        parts=parts,
        nonce=nonce,
        csp=_CSP.format(nonce=nonce),
        title=title,
        filter_text=filter_text,
        lang=lang,
        ui=i18n.UI,
        colours=AVAILABILITY_COLOURS,
        when=(when or dt.datetime.now()).strftime("%Y-%m-%d %H:%M"),
    )
    html = assets.inline_html(html)
    leftovers = assets.external_references(html)
    if leftovers or f'src="{assets.STATIC_URL}/' in html or f'href="{assets.STATIC_URL}/' in html:
        raise ValueError(f"the exported map still references files: {leftovers[:3]}")
    return html
