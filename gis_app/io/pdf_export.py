"""PDFs for investors and officers, from the public view only (ReportLab, pure Python): a
recommendation (every site with its map and public photos) and one site's brochure (one A4
page).

Chinese needs a TrueType font with CJK glyphs; it is embedded (subset) so the PDF opens
anywhere and its text can be searched and extracted. The font is the configured one
(``GIS_APP_LINK_PDF_FONT_PATH``) or the first found of the usual Debian fonts
(``fonts-wqy-zenhei``, installed by ``scripts/bootstrap.sh``). CFF-based OpenType fonts (Noto
CJK ``.ttc``) are not usable by ReportLab.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from gis_app.domain import public_schema
from gis_app.domain.errors import ConfigurationError
from gis_app.io.pdf_map import site_map_drawing

#: (path, index in a TrueType collection) tried in order when no font is configured
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
FONT_NAME = "GisAppCJK"
_lock = threading.Lock()
_registered: str | None = None


def _font(path: Path | None) -> str:
    """Register the CJK font once per process; return its ReportLab name."""
    global _registered
    with _lock:
        if _registered is not None:
            return _registered
        tried = [(str(path), 0)] if path is not None else list(FONT_CANDIDATES)
        for file, index in tried:
            if Path(file).is_file():
                pdfmetrics.registerFont(TTFont(FONT_NAME, file, subfontIndex=index))
                _registered = FONT_NAME
                return FONT_NAME
        raise ConfigurationError(
            "no TrueType font with Chinese glyphs for PDFs: install the Debian package "
            "fonts-wqy-zenhei or set GIS_APP_LINK_PDF_FONT_PATH (tried "
            + ", ".join(f for f, _ in tried)
            + ")"
        )


def font_name(path: Path | None = None) -> str:
    """The ReportLab name of the CJK font (registered on first use)."""
    return _font(path)


def _styles(font: str, lang: str = "zh") -> dict[str, ParagraphStyle]:
    # CJK wrapping breaks between any two characters: right for Chinese, but it cut English
    # words ("Clear heig/ht"); English text wraps at spaces
    wrap = "CJK" if lang == "zh" else None
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12.5, wordWrap=wrap)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=22, spaceAfter=2),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=10, leading=13, textColor=colors.grey
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=13, leading=17, spaceBefore=10, spaceAfter=2
        ),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
        "key": ParagraphStyle("key", parent=base, textColor=colors.HexColor("#444444")),
    }


def _t(lang: str, key: str) -> str:
    return public_schema.ui(key).label(lang)


def _pick(lang: str, zh: str | None, en: str | None) -> str:
    return public_schema.pick(lang, zh, en)


def _num(x: float | None, digits: int = 2) -> str:
    return public_schema.fmt_num(x, digits)


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _building_table(
    site: public_schema.PublicSite, lang: str, st: dict[str, ParagraphStyle]
) -> Table:
    head = [
        _t(lang, "buildings"),
        _t(lang, "vacant_gfa"),
        _t(lang, "floor_height"),
        _t(lang, "floor_load"),
        _t(lang, "crane"),
        _t(lang, "power"),
    ]
    data = [[_p(h, st["small"]) for h in head]]
    for b in site.buildings:
        crane = f"{_num(b.crane_t)} t × {b.crane_count or 1}" if b.crane_t else ""
        cells = [
            f"{_pick(lang, b.name_zh, b.name_en)} · {b.building_type.text(lang)}"
            + (f" · {b.offer.text(lang)}" if b.offer else ""),
            f"{_num(b.vacant_gfa_m2, 0)} / {_num(b.gfa_m2, 0)} m²",
            f"{_num(b.floor_height_m)} m" if b.floor_height_m else "",
            f"{_num(b.floor_load_kg_m2, 0)} kg/m²" if b.floor_load_kg_m2 else "",
            crane,
            f"{_num(b.power_kva, 0)} kVA" if b.power_kva else "",
        ]
        data.append([_p(c, st["small"]) for c in cells])
    table = Table(data, colWidths=[50 * mm, 30 * mm, 22 * mm, 25 * mm, 22 * mm, 21 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _explanation(site: public_schema.PublicSite, lang: str, st: dict[str, ParagraphStyle]) -> list:
    ex = site.explanation
    if ex is None or not (ex.meets or ex.misses or ex.unknown):
        return []
    colon = _colon(lang)
    out = [_p(f"{_t(lang, 'why')}{colon}{ex.outcome_label.text(lang)}", st["key"])]
    for heading, items in (("meets", ex.meets), ("misses", ex.misses), ("unknown", ex.unknown)):
        for item in items:
            # √ and × are in the common CJK fonts (✓ and ✗ often are not)
            text = f"{'√' if heading == 'meets' else '×' if heading == 'misses' else '?'} "
            text += item.label.text(lang)
            if item.site_value:
                text += f"{colon}{item.site_value.text(lang)}"
            if item.required:
                req = f"{_t(lang, 'required')} {item.required.text(lang)}"
                text += f"（{req}）" if lang == "zh" else f" ({req})"
            out.append(_p(text, st["small"]))
    return out


def _document(
    buf: io.BytesIO, title: str, subject: str, top: float, bottom: float
) -> SimpleDocTemplate:
    """An A4 document with the app's side margins and metadata (no author)."""
    return SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=top,
        bottomMargin=bottom,
        title=title,
        author="",
        subject=subject,
        creator="gis_app",
    )


def _photo_row(thumbnails: list[bytes], width: float, max_h: float) -> Table | None:
    """Up to three photos side by side, each at most ``max_h`` high."""
    cells = []
    cell_w = width / 3
    for data in thumbnails[:3]:
        img = ImageReader(io.BytesIO(data))
        w, h = img.getSize()
        scale = min((cell_w - 3 * mm) / w, max_h / h)
        cells.append(Image(io.BytesIO(data), width=w * scale, height=h * scale))
    if not cells:
        return None
    table = Table([cells], colWidths=[cell_w] * len(cells), hAlign="LEFT")
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    return table


def site_brochure_pdf(
    site: public_schema.PublicSite,
    lang: str,
    font_path: Path | None = None,
    *,
    map_data: dict[str, Any] | None,
    photos: list[bytes],
    contact: str | None = None,
    internal_rows: list[tuple[str, str]] | None = None,
    mark: str | None = None,
) -> bytes:
    """One A4 page about one site in ``lang``: name, a map of the site and its surroundings,
    up to three photos, key figures (亩/m²/ha), planning indicators, status in plain words,
    distances and the officer's contact (when set).

    Built from the public record; ``internal_rows`` (officers' copy only) are added under a
    heading saying they are internal, and ``mark`` is printed in the page's header.
    """
    font = _font(font_path)
    st = _styles(font, lang)
    other = "en" if lang == "zh" else "zh"
    name = _pick(lang, site.name_zh, site.name_en)
    buf = io.BytesIO()
    doc = _document(buf, name, _t(lang, "brochure"), top=14 * mm, bottom=16 * mm)

    def frame(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(15 * mm, 9 * mm, _t(lang, "map_source"))
        if mark:
            canvas.setFillColor(colors.HexColor("#b42318"))
            canvas.drawRightString(A4[0] - 15 * mm, A4[1] - 9 * mm, mark)
        canvas.restoreState()

    story: list = [_p(name, st["title"])]
    alt = _pick(other, site.name_zh, site.name_en)
    sub = f"{alt} · {site.code}" if alt and alt != name else site.code
    story += [_p(sub, st["subtitle"]), Spacer(1, 3 * mm)]
    if map_data is not None:
        story.append(site_map_drawing(map_data, 180 * mm, 92 * mm, font, lang))
        story.append(Spacer(1, 2 * mm))
    row = _photo_row(photos, 180 * mm, 38 * mm)
    if row is not None:
        story += [row, Spacer(1, 2 * mm)]
    small = ParagraphStyle("rows", parent=st["base"], fontSize=8.5, leading=11)
    key = ParagraphStyle("rowkey", parent=small, textColor=colors.HexColor("#444444"))
    rows = [[_p(k, key), _p(v, small)] for k, v in public_schema.sheet_rows(site, lang)]
    if contact:
        rows.append([_p(_t(lang, "contact"), key), _p(contact, small)])
    table = Table(rows, colWidths=[36 * mm, 144 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    story.append(table)
    if site.buildings:
        story += [Spacer(1, 2 * mm), _building_table(site, lang, st)]
    if internal_rows:
        story.append(_p(mark or "", st["h2"]))
        story.append(
            Table(
                [[_p(k, key), _p(v, small)] for k, v in internal_rows],
                colWidths=[36 * mm, 144 * mm],
                style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
            )
        )
    doc.build(story, onFirstPage=frame, onLaterPages=frame)
    return buf.getvalue()


def recommendation_pdf(
    view: public_schema.PublicRecommendation,
    lang: str,
    font_path: Path | None = None,
    *,
    maps: Mapping[str, dict[str, Any]] | None = None,
    photos: Mapping[str, list[bytes]] | None = None,
    contact: str | None = None,
) -> bytes:
    """The whole recommendation as a PDF in ``lang`` ("zh" or "en"), from the public view.

    ``maps`` (site code → :func:`gis_app.db.brochure_queries.site_map` data) and ``photos``
    (site code → JPEG thumbnails of public photos) add a map and photos to each site;
    ``contact`` is the officer's contact line, printed under the introduction.
    """
    font = _font(font_path)
    st = _styles(font, lang)
    other = "en" if lang == "zh" else "zh"
    buf = io.BytesIO()
    title = _pick(lang, view.title_zh, view.title_en)
    maps = maps or {}
    photos = photos or {}
    doc = _document(buf, title, _t(lang, "page_title"), top=15 * mm, bottom=18 * mm)
    expires = f"{_t(lang, 'valid_until')} {view.expires_at:%Y-%m-%d}"

    def footer(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.grey)
        page = _t(lang, "page").format(page=document.page)
        canvas.drawString(15 * mm, 10 * mm, f"{title} · {expires}")
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, page)
        canvas.restoreState()

    story: list = [_p(title, st["title"])]
    subtitle = _pick(other, view.title_zh, view.title_en)
    if subtitle and subtitle != title:
        story.append(_p(subtitle, st["subtitle"]))
    intro = _pick(lang, view.intro_zh, view.intro_en)
    if intro:
        story += [Spacer(1, 4 * mm), _p(intro, st["base"])]
    story.append(Spacer(1, 2 * mm))
    story.append(_p(expires, st["subtitle"]))
    if contact:
        story.append(_p(f"{_t(lang, 'contact')}{_colon(lang)}{contact}", st["base"]))
    for site in view.sites:
        name = _pick(lang, site.name_zh, site.name_en)
        alt = _pick(other, site.name_zh, site.name_en)
        head = [_p(f"{site.rank}. {name}", st["h2"])]
        if alt and alt != name:
            head.append(_p(alt, st["subtitle"]))
        rows = [
            [_p(k, st["key"]), _p(v, st["base"])] for k, v in public_schema.sheet_rows(site, lang)
        ]
        table = Table(rows, colWidths=[38 * mm, 142 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        story.append(CondPageBreak(60 * mm))
        story.append(KeepTogether([*head, table]))
        if site.code in maps:
            drawing = site_map_drawing(maps[site.code], 180 * mm, 80 * mm, font, lang)
            story += [Spacer(1, 2 * mm), KeepTogether([drawing])]
        row = _photo_row(photos.get(site.code, []), 180 * mm, 45 * mm)
        if row is not None:
            story += [Spacer(1, 2 * mm), row]
        if site.buildings:
            story += [Spacer(1, 2 * mm), _building_table(site, lang, st)]
        description = _pick(lang, site.description_zh, site.description_en)
        if description:
            story += [Spacer(1, 2 * mm), _p(description, st["base"])]
        note = _pick(lang, site.note_zh, site.note_en)
        if note:
            story += [Spacer(1, 2 * mm), _p(f"{_t(lang, 'note')}{_colon(lang)}{note}", st["base"])]
        why = _explanation(site, lang, st)
        if why:
            story += [Spacer(1, 2 * mm), *why]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
