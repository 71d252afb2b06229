"""PDF of a recommendation for investors, from the public view only (ReportLab, pure Python).

Chinese needs a TrueType font with CJK glyphs; it is embedded (subset) so the PDF opens
anywhere and its text can be searched and extracted. The font is the configured one
(``GIS_APP_LINK_PDF_FONT_PATH``) or the first found of the usual Debian fonts
(``fonts-wqy-zenhei``, installed by ``scripts/bootstrap.sh``). CFF-based OpenType fonts (Noto
CJK ``.ttc``) are not usable by ReportLab.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from gis_app.domain import public_schema
from gis_app.domain.errors import ConfigurationError

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


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12.5, wordWrap="CJK")
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
    table = Table(data, colWidths=[55 * mm, 30 * mm, 18 * mm, 25 * mm, 20 * mm, 20 * mm])
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


def recommendation_pdf(
    view: public_schema.PublicRecommendation, lang: str, font_path: Path | None = None
) -> bytes:
    """The whole recommendation as a PDF in ``lang`` ("zh" or "en"), from the public view."""
    font = _font(font_path)
    st = _styles(font)
    other = "en" if lang == "zh" else "zh"
    buf = io.BytesIO()
    title = _pick(lang, view.title_zh, view.title_en)
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="",
        subject=_t(lang, "page_title"),
        creator="gis_app",
    )
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
