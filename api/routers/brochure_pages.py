"""Site brochures for officers: one A4 page per site, as a PDF and as a print page.

``audience=internal`` (the default) is the officers' copy: every photo, the true availability
and the internal notes, marked internal. ``audience=public`` is the copy to hand out: public
fields and public photos only, the same as investors get through their link.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute, SettingsDep
from api.templating import other_lang_url, page_lang, render_page
from gis_app.domain import public_schema
from gis_app.services import attachments as attachment_service
from gis_app.services import brochure, investor_view

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=DbRoute)
PAGE = allow("officer", "planner", "admin")


@router.get("/sites/{site_id}/brochure.pdf", dependencies=[PAGE])
def brochure_pdf(
    site_id: int,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    lang: str | None = None,
    audience: Literal["internal", "public"] = "internal",
) -> Response:
    """The site's one-page brochure as a PDF (A4)."""
    pdf = brochure.site_brochure(
        conn,
        site_id,
        page_lang(lang),
        audience=audience,
        user=user.username,
        font_path=settings.links.pdf_font_path,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="site-{site_id}-{audience}.pdf"'},
    )


@router.get("/sites/{site_id}/brochure/map.svg", dependencies=[PAGE])
def brochure_map(
    site_id: int, conn: ConnDep, settings: SettingsDep, lang: str | None = None
) -> Response:
    """The brochure's map of the site (SVG, drawn from the database)."""
    svg = brochure.map_svg(conn, site_id, page_lang(lang), settings.links.pdf_font_path)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private"})


@router.get("/sites/{site_id}/brochure", response_class=HTMLResponse, dependencies=[PAGE])
def brochure_page(
    request: Request,
    site_id: int,
    conn: ConnDep,
    user: CurrentUser,
    lang: str | None = None,
    audience: Literal["internal", "public"] = "internal",
) -> HTMLResponse:
    """The site's brochure as a page made for printing on A4 (the PDF's content)."""
    language = page_lang(lang)
    sid, site = investor_view.site_view(conn, site_id)
    files = [
        f
        for f in attachment_service.list_for_site(conn, sid)
        if f["kind"] == "photo" and (f["public"] or audience == "internal")
    ][:3]
    internal = brochure.internal_rows(conn, sid, language) if audience == "internal" else []
    return render_page(
        request,
        "site_brochure.html",
        {
            "site": site,
            "site_id": sid,
            "lang": language,
            "audience": audience,
            "rows": public_schema.sheet_rows(site, language),
            "t": public_schema.ui_strings(language),
            "pick": public_schema.pick,
            "photos": files,
            "internal": internal,
            "mark": brochure.MARK[language] if audience == "internal" else "",
            "contact": attachment_service.contact_of(conn, user.username),
            "other_lang_url": other_lang_url(request, language),
        },
    )
