"""Site brochures (one A4 page per site) and the investor PDF's maps and photos.

Every brochure is built from the site's public record (:mod:`gis_app.domain.public_schema`),
a map drawn offline from the database (:mod:`gis_app.io.pdf_map`) and photo thumbnails:

- the **public** brochure (officers' "对外" copy, and investors through their link) carries only
  public fields and photos a planner marked public;
- the **internal** brochure (officers only) adds every photo, the true availability and the
  blocking and internal notes, under a heading that says it is internal.

The contact printed is that of the officer responsible: the officer who prints it (site sheet)
or who made the recommendation (investor link), and only if they set one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from reportlab.graphics import renderSVG

from gis_app.db import brochure_queries, investor_queries
from gis_app.domain import fields
from gis_app.domain import public_schema as P
from gis_app.domain.errors import LinkUnavailable, NotFound
from gis_app.io import pdf_export
from gis_app.io.pdf_map import site_map_drawing
from gis_app.services import attachments, investor_view
from gis_app.services.share_links import LinkContext
from gis_app.services.site_sheet import format_value

Audience = Literal["internal", "public"]
#: infrastructure the brochure maps draw (the kinds investors see distances to)
MAP_KINDS: tuple[str, ...] = P.PUBLIC_DISTANCE_KINDS
#: half the side of the map's box at least, metres (a 4 km × 4 km view for a small site)
MIN_HALF_M = 2000.0
#: brochure map: 180 mm × 92 mm; recommendation PDF map: 180 mm × 80 mm
BROCHURE_ASPECT = 180 / 92
PDF_ASPECT = 180 / 80
#: internal lines of the officers' copy
INTERNAL_FIELDS: tuple[str, ...] = ("availability", "blocking_note", "internal_note")
MARK = {"zh": "内部资料 · 请勿外发", "en": "Internal · do not pass on"}


def _map(conn: sa.Connection, site_id: int, aspect: float) -> dict[str, Any] | None:
    return brochure_queries.site_map(
        conn, site_id, kinds=MAP_KINDS, aspect=aspect, min_half_m=MIN_HALF_M
    )


def internal_rows(conn: sa.Connection, site_id: int, lang: str) -> list[tuple[str, str]]:
    """The officers' copy's internal lines (label, value) in ``lang``."""
    row = brochure_queries.internal_values(conn, site_id, INTERNAL_FIELDS)
    out = []
    for name in INTERNAL_FIELDS:
        f = fields.SITE[name]
        zh, en = format_value(f.display, row[name])
        out.append((f.term.label(lang), zh if lang == "zh" else en))
    return out


def site_brochure(
    conn: sa.Connection,
    site_id: int,
    lang: str,
    *,
    audience: Audience,
    user: str,
    font_path: Path | None = None,
) -> bytes:
    """The brochure of one site for an officer to print (``internal`` or ``public`` copy)."""
    site_id, site = investor_view.site_view(conn, site_id)
    photos = attachments.photo_thumbnails(
        conn, [site_id], public_only=audience == "public", per_site=3
    )[site_id]
    internal = audience == "internal"
    return pdf_export.site_brochure_pdf(
        site,
        lang,
        font_path,
        map_data=_map(conn, site_id, BROCHURE_ASPECT),
        photos=photos,
        contact=attachments.contact_of(conn, user),
        internal_rows=internal_rows(conn, site_id, lang) if internal else None,
        mark=MARK[lang] if internal else None,
    )


def map_svg(conn: sa.Connection, site_id: int, lang: str, font_path: Path | None = None) -> str:
    """The brochure map of one site as SVG (for the print page)."""
    data = _map(conn, site_id, BROCHURE_ASPECT)
    if data is None:
        raise NotFound(f"site {site_id} not found")
    font = pdf_export.font_name(font_path)
    return renderSVG.drawToString(site_map_drawing(data, 680, 680 / BROCHURE_ASPECT, font, lang))


def _link_site_ids(conn: sa.Connection, link: LinkContext) -> dict[str, int]:
    return {
        r["code"]: r["site_id"]
        for r in investor_queries.recommended_sites(conn, link.recommendation_id)
    }


def link_site_brochure(
    conn: sa.Connection,
    link: LinkContext,
    view: P.PublicRecommendation,
    code: str,
    lang: str,
    font_path: Path | None = None,
) -> bytes:
    """The public brochure of one site of the link's recommendation (by its code);
    :class:`LinkUnavailable` (the link's one 404) for a site not in it."""
    ids = _link_site_ids(conn, link)
    site = next((s for s in view.sites if s.code == code), None)
    if site is None or code not in ids:
        raise LinkUnavailable("site not in this recommendation")
    site_id = ids[code]
    photos = attachments.photo_thumbnails(conn, [site_id], public_only=True, per_site=3)
    creator = investor_queries.recommendation_creator(conn, link.recommendation_id)
    return pdf_export.site_brochure_pdf(
        site,
        lang,
        font_path,
        map_data=_map(conn, site_id, BROCHURE_ASPECT),
        photos=photos[site_id],
        contact=attachments.contact_of(conn, creator),
    )


def recommendation_pdf(
    conn: sa.Connection,
    link: LinkContext,
    view: P.PublicRecommendation,
    lang: str,
    font_path: Path | None = None,
) -> bytes:
    """The link's whole recommendation as a PDF, each site with its map and public photos."""
    ids = _link_site_ids(conn, link)
    thumbs = attachments.photo_thumbnails(conn, list(ids.values()), public_only=True)
    maps = {}
    for code, site_id in ids.items():
        data = _map(conn, site_id, PDF_ASPECT)
        if data is not None:
            maps[code] = data
    creator = investor_queries.recommendation_creator(conn, link.recommendation_id)
    return pdf_export.recommendation_pdf(
        view,
        lang,
        font_path,
        maps=maps,
        photos={code: thumbs[i] for code, i in ids.items()},
        contact=attachments.contact_of(conn, creator),
    )
