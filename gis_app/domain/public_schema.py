"""What an investor may see: the explicit public schema of recommendation links (``/r/``).

Everything under ``/r/`` (page, JSON, PDF, feedback answers) is built from the models below and
nothing else. The database columns read for investors are listed here
(:data:`PUBLIC_SITE_COLUMNS`, :data:`PUBLIC_BUILDING_COLUMNS`, the fields the registry in
:mod:`gis_app.domain.fields` marks ``public``); a column that is not listed is never selected,
and ``public`` defaults to False, so a new internal column stays internal without anyone having
to remember it.
The models forbid unknown fields, so a builder that tries to pass a row through fails loudly.

Deliberately left out (internal): owner name and contact, internal and negotiation notes,
the internal price floor, the blocking note, source document and who verified the record,
lineage and bookkeeping columns; the requirement itself (investor, contact, notes, budget …);
other links and their recipients; the availability of a site beyond "available" (洽谈中 or
已签约 would tell of other investors), and the requirement's budget figures in explanations.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, create_model

from gis_app.domain import fields, landuse, match_criteria, vocab
from gis_app.domain.vocab import Term

#: site columns read for investors (SQL selects exactly these, never ``s.*``): the registry's
#: ``public`` fields
PUBLIC_SITE_COLUMNS: tuple[str, ...] = fields.names(fields.SITE, public=True)

#: building columns read for investors
PUBLIC_BUILDING_COLUMNS: tuple[str, ...] = fields.names(fields.BUILDING, public=True)

#: infrastructure kinds whose distance is shown (nearest of each, from ``site_distance``)
PUBLIC_DISTANCE_KINDS: tuple[str, ...] = (
    "port",
    "wharf",
    "ferry_terminal",
    "expressway_interchange",
    "airport",
)

#: infrastructure kinds drawn on the investor map for context
MAP_INFRA_KINDS: tuple[str, ...] = ("port", "wharf", "ferry_terminal", "expressway_interchange")

# --- UI strings (headings of the page and the PDF); vocabulary labels come from vocab ---------
_UI: dict[str, tuple[str, str]] = {
    "page_title": ("投资选址推荐", "Site recommendation"),
    "prepared_by": ("招商部门为您精选", "Selected for you by the investment office"),
    "valid_until": ("链接有效期至", "This link is valid until"),
    "switch_lang": ("English", "中文"),
    "download_pdf": ("下载PDF", "Download PDF"),
    "print": ("打印", "Print"),
    "json": ("数据(JSON)", "Data (JSON)"),
    "map": ("位置图", "Map"),
    "sites": ("推荐资源", "Recommended sites"),
    "code": ("编号", "Code"),
    "kind": ("类型", "Kind"),
    "location": ("位置", "Location"),
    "area": ("面积", "Area"),
    "land_use": ("用地性质", "Land use"),
    "legacy_use": ("用地性质(GB 50137)", "Land use (GB 50137)"),
    "indicators": ("规划指标", "Planning indicators"),
    "far": ("容积率", "Floor area ratio"),
    "coverage": ("建筑密度(下限)", "Building coverage (min)"),
    "green": ("绿地率(上限)", "Green ratio (max)"),
    "height": ("建筑限高", "Height limit"),
    "status": ("进展情况", "Status"),
    "summary": ("概况", "In short"),
    "price": ("价格/租金", "Price / rent"),
    "reserve_price": ("出让起始价", "Land price (reserve)"),
    "lease_years": ("出让年限", "Lease term"),
    "standard_land": ("标准地指标", "Standard-land thresholds"),
    "invest_intensity": ("投资强度", "Investment intensity"),
    "tax_intensity": ("亩均税收", "Tax"),
    "energy": ("单位能耗", "Energy intensity"),
    "marine": ("岸线与泊位", "Shoreline and berth"),
    "shoreline": ("岸线长度", "Shoreline"),
    "berth": ("泊位等级", "Berth class"),
    "water_depth": ("前沿水深", "Water depth"),
    "buildings": ("厂房/楼宇", "Buildings"),
    "floors": ("层数", "Floors"),
    "gfa": ("建筑面积", "Floor area"),
    "vacant_gfa": ("可用面积", "Vacant floor area"),
    "min_split": ("最小分割", "Smallest unit"),
    "rent": ("租金", "Rent"),
    "sale": ("售价", "Sale price"),
    "floor_height": ("层高", "Clear height"),
    "floor_load": ("楼面荷载", "Floor load"),
    "crane": ("行车", "Crane"),
    "power": ("配电", "Power"),
    "eia": ("环评", "Environmental assessment"),
    "fire_hazard": ("火灾危险性类别", "Fire hazard class"),
    "title_cert": ("产权证", "Title certificate"),
    "built_year": ("建成年份", "Built"),
    "distances": ("交通区位", "Access"),
    "utilities": ("配套设施", "Utilities"),
    "photos": ("照片", "Photos"),
    "note": ("招商专员说明", "Note from the officer"),
    "why": ("匹配说明", "Why this site"),
    "meets": ("符合", "Meets"),
    "misses": ("不符合", "Misses"),
    "unknown": ("未登记", "Not recorded"),
    "required": ("要求", "required"),
    "verified": ("信息核实日期", "Information checked on"),
    "description": ("简介", "Description"),
    "chinese_only": ("仅有中文", "Chinese only"),
    "floor_space": ("可用建筑面积", "Floor space available"),
    "floor_space_of": ("共", "of"),
    "land_parcel": ("所在地块", "Land parcel"),
    "legend": ("图例", "Legend"),
    "legend_site": ("推荐资源（数字为排序）", "Recommended site (number = rank)"),
    "legend_outline": ("行政区界", "District boundary"),
    "feedback": ("您的反馈", "Your answer"),
    "feedback_kind": ("意向", "Your view"),
    "reason": ("原因（选“不合适”时请填写）", "Reason (please give one if not suitable)"),
    "question": ("问题或留言", "Question or message"),
    "send": ("提交", "Send"),
    "thanks": (
        "已收到您的反馈，招商专员会尽快与您联系。",
        "Thank you — the officer will get back to you soon.",
    ),
    "general_question": ("其他问题", "Any other question"),
    "yes": ("有", "yes"),
    "no": ("无", "no"),
    "not_found_title": ("链接无效", "Link not available"),
    "not_found_text": (
        "该链接不存在、已过期或已被撤销。如需帮助，请联系为您发送链接的招商专员。",
        "This link does not exist, has expired or was withdrawn. "
        "Please contact the officer who sent it to you.",
    ),
    "too_many_title": ("请求过于频繁", "Too many requests"),
    "too_many_text": ("请稍后再试。", "Please try again in a moment."),
    "ready_to_build": ("净地、政策处理完成、控规已批，可开工建设", "Cleared, ready to build"),
    "in_preparation": ("前期工作进行中", "Preparation in progress"),
    "space_ready": ("可入驻", "Space available"),
    "confirm_availability": ("请向招商专员确认", "Please confirm with the officer"),
    "page": ("第{page}页", "page {page}"),
    # site brochures and the PDF's maps and files (issue 21)
    "documents": ("相关文件", "Documents"),
    "document": ("文件", "Document"),
    "brochure": ("资源简介(PDF)", "Site brochure (PDF)"),
    "contact": ("联系人", "Contact"),
    "map_site": ("本地块", "This site"),
    "map_other_sites": ("其他资源", "Other sites"),
    "map_north": ("北", "N"),
    "map_source": (
        "地图据本系统数据绘制（CGCS2000 高斯-克吕格投影，指北针为坐标北）",
        "Map drawn from this system's data (CGCS2000 Gauss-Krüger; arrow points to grid north)",
    ),
}


def ui(key: str) -> Term:
    """A UI string (heading) of the investor page and PDF, Chinese and English."""
    zh, en = _UI[key]
    return Term(key, zh, en)


def ui_strings(lang: str) -> dict[str, str]:
    """Every UI string in ``lang`` (for templates)."""
    return {k: (zh if lang == "zh" else en) for k, (zh, en) in _UI.items()}


# --- the public models --------------------------------------------------------------------


class PublicModel(BaseModel):
    """Base of the investor-facing models: unknown fields are an error, instances immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(PublicModel):
    """A vocabulary value with its labels."""

    key: str
    zh: str
    en: str

    def text(self, lang: str) -> str:
        """The label in ``lang``."""
        return self.zh if lang == "zh" else self.en


class Area(PublicModel):
    """An area in the three units officers and investors use."""

    m2: float
    mu: float
    ha: float


class LandUse(PublicModel):
    """A land-use code with its classification and labels."""

    system: str
    code: str
    zh: str
    en: str


class Indicators(PublicModel):
    """Planning indicators (控规指标)."""

    far_min: float | None = None
    far_max: float | None = None
    coverage_min_pct: float | None = None
    green_max_pct: float | None = None
    height_limit_m: float | None = None


class StatusItem(PublicModel):
    """One line of the status block: the field's labels and its value's labels."""

    field: str
    label: Label
    value: Label
    progress_pct: int | None = None


class Distance(PublicModel):
    """Distance to the nearest infrastructure of one kind."""

    kind: Label
    km: float
    name_zh: str | None = None
    name_en: str | None = None


class PublicFile(PublicModel):
    """A photo or document a planner marked public, served through the investor's link."""

    id: int
    kind: Label
    media_type: str
    url: str
    thumbnail_url: str | None = None
    width: int | None = None
    height: int | None = None


# PublicBuilding is derived from the registry below (after the models it uses).


class Text(PublicModel):
    """A short text in both languages."""

    zh: str
    en: str

    def text(self, lang: str) -> str:
        """The text in ``lang``."""
        return self.zh if lang == "zh" else self.en


Outcome = Literal["pass", "fail", "unknown"]


class ExplanationItem(PublicModel):
    """One criterion of the match explanation, in public terms."""

    criterion: str
    label: Label
    hard: bool
    outcome: Outcome
    #: the site's value, formatted (public data only)
    site_value: Text | None = None
    #: what the investor asked for, formatted (never budget figures)
    required: Text | None = None
    #: soft criteria: share of the criterion's points reached, 0–1
    score: float | None = None


class Explanation(PublicModel):
    """Why a site was recommended: the criteria it meets and misses."""

    outcome: Literal["match", "near_miss", "chosen"]
    outcome_label: Label
    meets: list[ExplanationItem] = []
    misses: list[ExplanationItem] = []
    unknown: list[ExplanationItem] = []


#: the status lines of a site, in the order investors read them
STATUS_FIELDS: tuple[str, ...] = (
    "readiness",
    "policy_status",
    "planning_status",
    "quota_status",
    "supply_stage",
    "in_ugb",
    "ownership",
)
#: public site fields an investor's record shows through a member of its own: the area in
#: three units, the planning indicators, the status lines (with the policy progress),
#: availability as investors may see it, photos split into inline ones and links
COMPOSED_SITE_FIELDS: frozenset[str] = frozenset(
    {"area_m2", "area_mu", "area_ha", "availability", "photo_urls", "policy_progress_pct"}
    | set(STATUS_FIELDS)
    | set(Indicators.model_fields)
)
#: the public fields an investor's record carries as they are (coded values labelled)
PUBLIC_SITE_FIELDS: dict[str, fields.Field] = {
    n: fields.SITE[n] for n in PUBLIC_SITE_COLUMNS if n not in COMPOSED_SITE_FIELDS
}
PUBLIC_BUILDING_FIELDS: dict[str, fields.Field] = {
    n: fields.BUILDING[n] for n in PUBLIC_BUILDING_COLUMNS
}

_PUBLIC_TYPES: dict[str, Any] = {
    "text": str,
    "float": float,
    "int": int,
    "bool": bool,
    "date": dt.date,
    "text_list": str,
}


def _public_field(f: fields.Field) -> tuple[Any, Any]:
    """The type and default of a field in a public model: codes become labels."""
    if f.landuse_system is not None:
        base: Any = LandUse
    elif f.vocabulary is not None:
        base = Label
    else:
        base = _PUBLIC_TYPES[f.type]
    if f.type == "text_list":
        return list[base], []
    return (base, ...) if f.required else (base | None, None)


def public_value(f: fields.Field, raw: Any) -> Any:
    """A stored value in its public form: vocabulary keys as :class:`Label` (unknown keys
    dropped), land-use codes as :class:`LandUse`, anything else as it is."""
    if f.landuse_system is not None:
        return land_use_of(f.landuse_system, raw)
    if f.vocabulary is not None:
        voc = f.vocabulary
        if f.type == "text_list":
            return [label_of(voc, k) for k in raw or [] if k in voc]
        return label_of(voc, raw) if raw is not None and raw in voc else None
    return raw


PublicBuilding = create_model(  # type: ignore[call-overload]
    "PublicBuilding",
    __base__=PublicModel,
    __doc__="Floor space on a site: the registry's public building fields.",
    **{n: _public_field(f) for n, f in PUBLIC_BUILDING_FIELDS.items()},
)

PublicSite = create_model(  # type: ignore[call-overload]
    "PublicSite",
    __base__=PublicModel,
    __doc__="""One recommended site as an investor sees it.

    The registry's public fields (:data:`PUBLIC_SITE_FIELDS`), and what is composed of
    others or comes from elsewhere: the rank, the area, indicators, status lines, a summary,
    public availability, photos, buildings, distances, the officer's note, the explanation
    and the place on the map.
    """,
    rank=(int, ...),
    **{n: _public_field(f) for n, f in PUBLIC_SITE_FIELDS.items()},
    area=(Area, ...),
    indicators=(Indicators, ...),
    status=(list[StatusItem], ...),
    summary=(Label, ...),
    availability=(Label, ...),
    #: photos served by the app itself (shown inline)
    photos=(list[str], []),
    #: photos elsewhere (shown as links only, so the page requests nothing from other hosts)
    photo_links=(list[str], []),
    #: photos and documents stored in the app and marked public (served under the link)
    files=(list[PublicFile], []),
    buildings=(list[PublicBuilding], []),
    distances=(list[Distance], []),
    note_zh=(str | None, None),
    note_en=(str | None, None),
    explanation=(Explanation | None, None),
    #: a point on the site (WGS84) and its outline as GeoJSON geometry (WGS84, RFC 7946)
    lon=(float, ...),
    lat=(float, ...),
    geometry=(dict[str, Any], ...),
)


class PublicRecommendation(PublicModel):
    """The whole recommendation as one link shows it."""

    title_zh: str
    title_en: str | None = None
    intro_zh: str | None = None
    intro_en: str | None = None
    language: Literal["zh", "en"]
    expires_at: dt.datetime
    sites: list[PublicSite]


class MapFeature(PublicModel):
    """A piece of infrastructure drawn on the investor map for context."""

    kind: Label
    name_zh: str
    name_en: str | None = None
    lon: float
    lat: float


class MapContext(PublicModel):
    """What the investor map shows besides the sites: infrastructure and the land outline."""

    infrastructure: list[MapFeature] = []
    #: jurisdiction outline(s) as GeoJSON geometries (WGS84, simplified), for basemap "none"
    outline: list[dict[str, Any]] = []


class FeedbackReceipt(PublicModel):
    """What a feedback POST answers: only what the investor sent, echoed back."""

    received: bool
    site: str | None
    kind: Label
    created_at: dt.datetime


# --- helpers used by the builders ------------------------------------------------------------


def label_of(v: vocab.Vocabulary, key: str | None) -> Label | None:
    """The :class:`Label` of a vocabulary key (None for None)."""
    if key is None:
        return None
    t = v.term(key)
    return Label(key=t.key, zh=t.zh, en=t.en)


def ui_label(key: str) -> Label:
    """A UI string as a :class:`Label`."""
    t = ui(key)
    return Label(key=key, zh=t.zh, en=t.en)


def land_use_of(system: str, code: str | None) -> LandUse | None:
    """A land-use code with labels (None for None or an unknown code)."""
    if code is None or not landuse.is_valid(system, code):
        return None
    entry = landuse.lookup(system, code)
    return LandUse(system=system, code=code, zh=entry.zh, en=entry.en)


def public_availability(key: str | None) -> Label:
    """Availability as investors see it: "available", or "please confirm" for anything else.

    洽谈中 (negotiating) or 已签约 (signed) would tell the investor about other investors.
    """
    if key == "available":
        return label_of(vocab.AVAILABILITY, key)  # type: ignore[return-value]
    return ui_label("confirm_availability")


# --- the sheet of a site (page and PDF) ----------------------------------------------------


def fmt_num(x: float | None, digits: int = 2) -> str:
    """A number for display: thousands separators, no trailing zeros ("" for None)."""
    if x is None:
        return ""
    text = f"{x:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


#: units as written in each language
_UNITS: dict[str, tuple[str, str]] = {
    "mu": ("亩", "mu (亩)"),
    "wan_per_mu": ("万元/亩", "10k CNY/mu"),
    "wan_per_mu_yr": ("万元/亩·年", "10k CNY/mu/year"),
    "rent": ("元/m²/月", "CNY/m²/month"),
    "sale": ("元/m²", "CNY/m²"),
    "years": ("年", "years"),
}


def unit(key: str, lang: str) -> str:
    """A unit in ``lang`` (亩, 万元/亩 … or their English forms)."""
    zh, en = _UNITS[key]
    return zh if lang == "zh" else en


def sep(lang: str) -> str:
    """The list separator of ``lang``."""
    return "；" if lang == "zh" else "; "


def area_text(area: Area, lang: str = "zh") -> str:
    """An area as shown on the page and in the PDF: 亩, m² and ha."""
    mu = unit("mu", lang)
    return f"{fmt_num(area.mu, 2)} {mu} / {fmt_num(area.m2, 0)} m² / {fmt_num(area.ha, 2)} ha"


def _t(lang: str, key: str) -> str:
    return ui(key).label(lang)


def pick(lang: str, zh: str | None, en: str | None) -> str:
    """The text in ``lang``, falling back to the other language."""
    return (en or zh or "") if lang == "en" else (zh or en or "")


def in_lang(lang: str, zh: str | None, en: str | None) -> str:
    """The text in ``lang``; on an English page a text the data has only in Chinese is shown
    as it is, marked "(Chinese only)"."""
    if lang == "en" and not en and zh:
        return f"{zh} ({_t(lang, 'chinese_only')})"
    return pick(lang, zh, en)


_SPACE_KINDS = frozenset({"standard_plant", "plant", "building"})


def headline(site: PublicSite, lang: str) -> tuple[str, str]:
    """(heading, value) of a site's headline figure: for a plant or building its floor space
    (vacant of total, from its buildings), for land, islands and shorelines the parcel's area.
    """
    vacant = [b.vacant_gfa_m2 for b in site.buildings if b.vacant_gfa_m2 is not None]
    total = [b.gfa_m2 for b in site.buildings if b.gfa_m2 is not None]
    if site.kind.key in _SPACE_KINDS and (vacant or total):
        text = f"{fmt_num(sum(vacant) if vacant else sum(total), 0)} m²"
        if vacant and total:
            text += _paren(lang, f"{_t(lang, 'floor_space_of')} {fmt_num(sum(total), 0)} m²")
        return _t(lang, "floor_space"), text
    return _t(lang, "area"), area_text(site.area, lang)


def _building_name(b: PublicBuilding, lang: str) -> str:
    """How a building is named to investors: its name, else its type (never its code)."""
    return pick(lang, b.name_zh, b.name_en) or b.building_type.text(lang)


def sheet_rows(site: PublicSite, lang: str) -> list[tuple[str, str]]:
    """(heading, value) lines of one site's sheet, shared by the page and the PDF."""
    return list(_sheet_rows(site, lang))


def _paren(lang: str, text: str) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


#: public fields the rows below show in lines of their own making, or the page shows apart
#: (name, description); every other public field gets a row of its own (label: value), so a
#: new public field is on the page and in the PDF without more code. The energy intensity
#: stays in the record (JSON) only.
_SHEET_ROWS_OF = frozenset(
    {
        *("code", "kind", "township", "block", "platform", "address"),
        *("township_en", "block_en", "address_en"),
        *("planned_use", "legacy_use", "reserve_price_wan_per_mu", "supply_mode"),
        *("lease_years", "standard_land", "invest_intensity_wan_per_mu", "tax_wan_per_mu_yr"),
        *("shoreline_m", "berth_dwt", "water_depth_m", "utilities", "verified_at"),
        *("name_zh", "name_en", "description_zh", "description_en", "energy_tce_per_wan"),
    }
)


def _field_text(f: fields.Field, value: Any, lang: str) -> str:
    """A public value as one line of the sheet ("" when there is nothing to show)."""
    if value is None or value == []:
        return ""
    if isinstance(value, bool):
        return _t(lang, "yes" if value else "no")
    if isinstance(value, Label):
        return value.text(lang)
    if isinstance(value, LandUse):
        return f"{value.code} {pick(lang, value.zh, value.en)}"
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(
            v.text(lang) if isinstance(v, Label) else str(v) for v in value
        )
    if isinstance(value, int) and f.digits is None:  # a year, a count: as it is
        return f"{value} {f.unit}" if f.unit else str(value)
    if isinstance(value, int | float):
        text = fmt_num(value, 2 if f.digits is None else f.digits)
        return f"{text} {f.unit}" if f.unit else text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


#: public building fields the investor page shows in the building's heading (name, type, offer,
#: occupancy) or in a line of its own making (floor space, crane and count, prices); every
#: other public building field gets a line of its own, so a new one is shown without more code
_BUILDING_ROWS_OF = frozenset(
    {"name_zh", "name_en", "building_type", "offer", "occupancy", "gfa_m2", "crane_count"}
)
#: the investor page's wording of building fields (a field not named here: its registry label)
_BUILDING_TERMS = {
    "floors": "floors",
    "vacant_gfa_m2": "vacant_gfa",
    "min_split_m2": "min_split",
    "rent_yuan_m2_month": "rent",
    "sale_yuan_m2": "sale",
    "floor_height_m": "floor_height",
    "floor_load_kg_m2": "floor_load",
    "crane_t": "crane",
    "power_kva": "power",
    "fire_hazard_class": "fire_hazard",
    "eia_coverage": "eia",
    "has_title_cert": "title_cert",
    "built_year": "built_year",
}


def building_rows(b: PublicBuilding, lang: str) -> list[tuple[str, str]]:
    """(heading, value) lines of one building on the investor page, in registry order."""
    rows: list[tuple[str, str]] = []
    for name, f in PUBLIC_BUILDING_FIELDS.items():
        value = getattr(b, name)
        if name in _BUILDING_ROWS_OF:
            continue
        if name == "vacant_gfa_m2":
            if value is None and not b.gfa_m2:
                continue
            text = fmt_num(value, 0) + (f" / {fmt_num(b.gfa_m2, 0)}" if b.gfa_m2 else "") + " m²"
        elif name in ("rent_yuan_m2_month", "sale_yuan_m2"):
            if value is None:
                continue
            kind = "rent" if name == "rent_yuan_m2_month" else "sale"
            text = f"{fmt_num(value, 2 if kind == 'rent' else 0)} {unit(kind, lang)}"
        elif name == "crane_t":
            if not value:
                continue
            text = f"{fmt_num(value, 1)} t" + (f" × {b.crane_count}" if b.crane_count else "")
        else:
            text = _field_text(f, value, lang)
        if text:
            term = _BUILDING_TERMS.get(name)
            rows.append((_t(lang, term) if term else f.term.label(lang), text))
    return rows


def _sheet_rows(site: PublicSite, lang: str) -> Iterator[tuple[str, str]]:
    s = sep(lang)
    yield _t(lang, "code"), site.code
    yield _t(lang, "kind"), site.kind.text(lang)
    township = in_lang(lang, site.township, site.township_en)
    block = in_lang(lang, site.block, site.block_en)
    platform = in_lang(lang, site.platform, None)
    place = (" " if lang == "zh" else ", ").join(x for x in (township, block, platform) if x)
    address = in_lang(lang, site.address, site.address_en)
    if address:
        place = f"{place}{_paren(lang, address)}" if place else address
    if place:
        yield _t(lang, "location"), place
    heading, _ = headline(site, lang)
    # the headline shows a plant's floor space: the land parcel's area is a line of its own
    yield (
        _t(lang, "land_parcel" if heading != _t(lang, "area") else "area"),
        area_text(site.area, lang),
    )
    if site.planned_use:
        lu = site.planned_use
        yield _t(lang, "land_use"), f"{lu.code} {pick(lang, lu.zh, lu.en)}"
    if site.legacy_use:
        lu = site.legacy_use
        yield _t(lang, "legacy_use"), f"{lu.code} {pick(lang, lu.zh, lu.en)}"
    ind = site.indicators
    parts = []
    if ind.far_min is not None or ind.far_max is not None:
        parts.append(f"{_t(lang, 'far')} {fmt_num(ind.far_min)}–{fmt_num(ind.far_max)}")
    if ind.coverage_min_pct is not None:
        parts.append(f"{_t(lang, 'coverage')} ≥ {fmt_num(ind.coverage_min_pct)}%")
    if ind.green_max_pct is not None:
        parts.append(f"{_t(lang, 'green')} ≤ {fmt_num(ind.green_max_pct)}%")
    if ind.height_limit_m is not None:
        parts.append(f"{_t(lang, 'height')} {fmt_num(ind.height_limit_m)} m")
    if parts:
        yield _t(lang, "indicators"), s.join(parts)
    yield _t(lang, "summary"), f"{site.summary.text(lang)} · {site.availability.text(lang)}"
    for item in site.status:
        value = item.value.text(lang)
        if item.progress_pct is not None:
            value += _paren(lang, f"{item.progress_pct}%")
        yield item.label.text(lang), value
    price = []
    if site.reserve_price_wan_per_mu is not None:
        reserve = fmt_num(site.reserve_price_wan_per_mu)
        price.append(f"{_t(lang, 'reserve_price')} {reserve} {unit('wan_per_mu', lang)}")
    if site.supply_mode:
        price.append(site.supply_mode.text(lang))
    if site.lease_years:
        price.append(f"{_t(lang, 'lease_years')} {site.lease_years} {unit('years', lang)}")
    for b in site.buildings:
        if b.rent_yuan_m2_month is not None:
            rent = fmt_num(b.rent_yuan_m2_month)
            name = _building_name(b, lang)
            price.append(f"{name} {_t(lang, 'rent')} {rent} {unit('rent', lang)}")
        if b.sale_yuan_m2 is not None:
            sale = fmt_num(b.sale_yuan_m2, 0)
            name = _building_name(b, lang)
            price.append(f"{name} {_t(lang, 'sale')} {sale} {unit('sale', lang)}")
    if price:
        yield _t(lang, "price"), s.join(price)
    if site.standard_land:
        invest = fmt_num(site.invest_intensity_wan_per_mu)
        tax = fmt_num(site.tax_wan_per_mu_yr)
        yield (
            _t(lang, "standard_land"),
            f"{_t(lang, 'invest_intensity')} {invest} {unit('wan_per_mu', lang)}{s}"
            f"{_t(lang, 'tax_intensity')} {tax} {unit('wan_per_mu_yr', lang)}",
        )
    marine = []
    if site.shoreline_m:
        marine.append(f"{_t(lang, 'shoreline')} {fmt_num(site.shoreline_m, 0)} m")
    if site.berth_dwt:
        marine.append(f"{_t(lang, 'berth')} {fmt_num(site.berth_dwt, 0)} DWT")
    if site.water_depth_m:
        marine.append(f"{_t(lang, 'water_depth')} {fmt_num(site.water_depth_m, 1)} m")
    if marine:
        yield _t(lang, "marine"), s.join(marine)
    for name, f in PUBLIC_SITE_FIELDS.items():
        if name not in _SHEET_ROWS_OF:
            text = _field_text(f, getattr(site, name), lang)
            if text:
                yield f.term.label(lang), text
    if site.distances:
        yield (
            _t(lang, "distances"),
            s.join(
                f"{d.kind.text(lang)} {fmt_num(d.km, 1)} km"
                + _paren(lang, pick(lang, d.name_zh, d.name_en))
                for d in site.distances
            ),
        )
    if site.utilities:
        yield (
            _t(lang, "utilities"),
            ("、" if lang == "zh" else ", ").join(u.text(lang) for u in site.utilities),
        )
    if site.verified_at:
        yield _t(lang, "verified"), site.verified_at.isoformat()


# --- match explanations ----------------------------------------------------------------------

# How each criterion's values may be shown: its :class:`match_criteria.Public` wording, declared
# with the criterion. ``kind`` and ``unit`` format the values; ``site`` says whether the site's
# value may be shown (from public columns only), ``required`` whether the investor's own figure
# may be: never for budget-like figures (price and rent caps, investment, tax).
_NUM = match_criteria.NUM


def _fmt_num(x: float, digits: int = 1) -> str:
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{digits}f}"


def _public(key: str) -> match_criteria.Public | None:
    criterion = match_criteria.BY_KEY.get(key)
    return None if criterion is None else criterion.public


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


_UNIT_EN: dict[str, str] = {"亩": "mu", "万元/亩": "10k CNY/mu", "元/m²/月": "CNY/m²/month"}


def _both(zh: str, en: str | None = None) -> Text:
    return Text(zh=zh, en=zh if en is None else en)


def _qty(prefix: str, n: float, unit: str) -> Text:
    return _both(
        f"{prefix}{_fmt_num(n)} {unit}".strip(),
        f"{prefix}{_fmt_num(n)} {_UNIT_EN.get(unit, unit)}".strip(),
    )


def _format_value(kind: str, unit: str, value: Any) -> Text | None:
    """Format one explanation value in both languages; unexpected shapes are dropped."""
    if value is None or kind == "none":
        return None
    if kind == _NUM:
        n = _number(value)
        return None if n is None else _qty("", n, unit)
    if kind == "metres":
        n = _number(value)
        return None if n is None else _both(f"{n / 1000.0:,.1f} km")
    if kind.startswith("vocab:"):
        voc = vocab.VOCABULARIES[kind.split(":", 1)[1]]
        keys = value if isinstance(value, list) else [value]
        known = [k for k in keys[:10] if isinstance(k, str) and k in voc]
        if not known:
            return None
        return _both(
            "、".join(voc.label(k, "zh") for k in known),
            ", ".join(voc.label(k, "en") for k in known),
        )
    if kind == "land_use" and isinstance(value, Mapping):
        code = value.get("planned_use")
        lu = land_use_of("2023", code) if isinstance(code, str) else None
        return _both(f"{lu.code} {lu.zh}", f"{lu.code} {lu.en}") if lu else None
    if kind == "location" and isinstance(value, Mapping):
        names = [n for n in ("township", "block") if isinstance(value.get(n), str) and value[n]]
        if not names:
            return None
        english = [value.get(f"{n}_en") for n in names]
        return Text(
            zh="，".join(value[n] for n in names),
            en=", ".join(
                e if isinstance(e, str) and e else value[n]
                for n, e in zip(names, english, strict=True)
            ),
        )
    if kind == "utilities" and isinstance(value, Mapping):
        has = value.get("has")
        if isinstance(has, list):
            return _format_value("vocab:utility", "", has)
    return None


def _format_required(criterion: str, unit: str, kind: str, req: Any) -> Text | None:
    """Format the requirement side of a criterion (numbers, ranges and vocabulary keys only)."""
    if req is None:
        return None
    distance = kind == "metres" or criterion.endswith("_distance")
    if isinstance(req, Mapping):
        if distance:
            n = _number(req.get("max_km"))
            return None if n is None else _both(f"≤ {_fmt_num(n)} km")
        lo, hi = _number(req.get("min")), _number(req.get("max"))
        if lo is not None and hi is not None:
            return _both(
                f"{_fmt_num(lo)}–{_fmt_num(hi)} {unit}".strip(),
                f"{_fmt_num(lo)}–{_fmt_num(hi)} {_UNIT_EN.get(unit, unit)}".strip(),
            )
        if lo is not None:
            return _qty("≥ ", lo, unit)
        if hi is not None:
            return _qty("≤ ", hi, unit)
        return None
    if kind.startswith("vocab:"):
        return _format_value(kind, unit, req)
    n = _number(req)
    if n is None:
        return None
    if distance:
        return _both(f"≤ {_fmt_num(n)} km")
    return _qty("≤ " if criterion == "min_split" else "≥ ", n, unit)


def public_explanation_item(raw: Mapping[str, Any]) -> ExplanationItem | None:
    """One criterion of a matching result in public terms (None when it cannot be shown).

    ``raw`` holds ``criterion``, ``hard``, ``outcome`` ("pass"/"fail"/"unknown" or a boolean
    ``passed``), optionally ``site_value``, ``required`` and ``score`` (0–1). Free text from the
    matcher is never copied: every shown value is re-formatted here from numbers and
    vocabulary keys, and budget-like requirement figures are dropped.
    """
    key = raw.get("criterion")
    public = _public(key) if isinstance(key, str) else None
    if public is None:
        return None
    kind, unit, show_site, show_req = public.kind, public.unit, public.site, public.required
    if not public.shown:
        # internal scoring (price rank, budget thresholds, record age), generic preferences
        # that are not the investor's requirements, or always-true checks
        return None
    outcome = raw.get("outcome")
    if outcome not in ("pass", "fail", "unknown"):
        passed = raw.get("passed")
        outcome = "unknown" if passed is None else ("pass" if passed else "fail")
    score = _number(raw.get("score"))
    term = match_criteria.BY_KEY[key].term
    return ExplanationItem(
        criterion=key,
        label=Label(key=key, zh=term.zh, en=term.en),
        hard=bool(raw.get("hard")),
        outcome=outcome,
        site_value=_format_value(kind, unit, raw.get("site_value")) if show_site else None,
        required=_format_required(key, unit, kind, raw.get("required")) if show_req else None,
        score=None if score is None else round(max(0.0, min(1.0, score)), 3),
    )


def public_explanation(stored: Mapping[str, Any] | None) -> Explanation | None:
    """The public explanation from what ``recommendation_site.explanation`` stores.

    The stored value is already in public form (see the recommendations service); it is
    re-validated item by item here so that a hand-edited row cannot widen what is shown.
    """
    if not stored:
        return None
    outcome = stored.get("outcome")
    if outcome not in ("match", "near_miss", "chosen"):
        outcome = "chosen"
    items = [public_explanation_item(i) for i in stored.get("criteria", []) or []]
    shown = [i for i in items if i is not None]
    outcome_label = (
        label_of(vocab.MATCH_OUTCOME, outcome)
        if outcome in vocab.MATCH_OUTCOME
        else Label(key="chosen", zh="招商专员推荐", en="Chosen by the officer")
    )
    return Explanation(
        outcome=outcome,
        outcome_label=outcome_label,  # type: ignore[arg-type]
        meets=[i for i in shown if i.outcome == "pass"],
        misses=[i for i in shown if i.outcome == "fail"],
        unknown=[i for i in shown if i.outcome == "unknown"],
    )


def stored_explanation_item(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """The part of one matching criterion that is kept with the recommendation (public shape).

    Keeps the criterion key, hard flag, outcome and score, and the site/requirement values
    only when the criterion's public wording allows showing them and they are plain numbers,
    vocabulary keys or the small structures the formatters read.
    """
    item = public_explanation_item(raw)
    if item is None:
        return None
    public = match_criteria.BY_KEY[item.criterion].public
    show_site, show_req = public.site, public.required
    out: dict[str, Any] = {
        "criterion": item.criterion,
        "hard": item.hard,
        "outcome": item.outcome,
    }
    if item.score is not None:
        out["score"] = item.score
    if show_site and item.site_value is not None:
        out["site_value"] = _plain(raw.get("site_value"))
    if show_req and item.required is not None:
        out["required"] = _plain(raw.get("required"))
    return out


def _plain(value: Any) -> Any:
    """Numbers, short vocabulary-like strings and small dicts/lists of them; nothing else."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value if len(value) <= 40 else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in list(value.items())[:10]}
    if isinstance(value, list):
        return [_plain(v) for v in value[:20]]
    return None
