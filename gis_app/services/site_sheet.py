"""Everything about one site for officers: labelled attributes, buildings, distances, constraint
overlaps and status history (from the ``history`` table the database triggers write).

Values are rendered in both languages here (vocabulary and land-use labels from
``gis_app.domain``); pages only lay them out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gis_app.db import site_sheet_queries as q
from gis_app.domain import landuse, vocab
from gis_app.domain.errors import NotFound, UnknownVocabularyValue
from gis_app.domain.vocab import Term, Vocabulary

STALE_AFTER_DAYS = 365


def _t(key: str, zh: str, en: str) -> Term:
    return Term(key, zh, en)


# column → (label, how to show the value); the order is the sheet's order
SITE_SHEET_FIELDS: dict[str, tuple[Term, str]] = {
    "code": (_t("code", "编号", "Code"), "text"),
    "kind": (_t("kind", "资源类型", "Kind"), "vocab:site_kind"),
    "block": (_t("block", "区块", "Block"), "text"),
    "township": (_t("township", "街道/镇", "Township"), "text"),
    "platform": (_t("platform", "平台/园区", "Platform"), "text"),
    "address": (_t("address", "地址", "Address"), "text"),
    "area_mu": (_t("area_mu", "面积（亩）", "Area (mu)"), "num2"),
    "area_m2": (_t("area_m2", "面积（㎡）", "Area (m²)"), "num0"),
    "area_ha": (_t("area_ha", "面积（公顷）", "Area (ha)"), "num2"),
    "declared_area_mu": (_t("declared_area_mu", "文件面积（亩）", "Declared area (mu)"), "num2"),
    "geom_quality": (_t("geom_quality", "图形精度", "Geometry quality"), "vocab:geom_quality"),
    "planned_use": (_t("planned_use", "规划用途（2023分类）", "Planned use (2023)"), "lu:2023"),
    "legacy_use": (_t("legacy_use", "用地分类（GB 50137）", "Land use (GB 50137)"), "lu:gb50137"),
    "current_use": (_t("current_use", "现状（三调）", "Current use (survey)"), "lu:sandiao"),
    "far_min": (_t("far_min", "容积率下限", "FAR min"), "num2"),
    "far_max": (_t("far_max", "容积率上限", "FAR max"), "num2"),
    "coverage_min_pct": (_t("coverage_min_pct", "建筑密度下限（%）", "Coverage min (%)"), "num1"),
    "green_max_pct": (_t("green_max_pct", "绿地率上限（%）", "Green ratio max (%)"), "num1"),
    "height_limit_m": (_t("height_limit_m", "限高（米）", "Height limit (m)"), "num1"),
    "ownership": (_t("ownership", "权属", "Ownership"), "vocab:ownership"),
    "supply_stage": (_t("supply_stage", "供应阶段", "Supply stage"), "vocab:supply_stage"),
    "readiness": (_t("readiness", "土地整理", "Readiness"), "vocab:readiness"),
    "utilities": (_t("utilities", "配套", "Utilities"), "vocabs:utility"),
    "policy_status": (_t("policy_status", "政策处理", "Policy handling"), "vocab:policy_status"),
    "policy_progress_pct": (_t("policy_progress_pct", "政策处理进度（%）", "Progress (%)"), "num0"),
    "planning_status": (_t("planning_status", "控规", "Regulatory plan"), "vocab:planning_status"),
    "in_ugb": (_t("in_ugb", "城镇开发边界", "Urban growth boundary"), "vocab:in_ugb"),
    "quota_status": (_t("quota_status", "用地指标", "Land-use quota"), "vocab:quota_status"),
    "supply_mode": (_t("supply_mode", "供应方式", "Supply mode"), "vocab:supply_mode"),
    "standard_land": (_t("standard_land", "标准地", "Standard land (标准地)"), "bool"),
    "invest_intensity_wan_per_mu": (
        _t("invest_intensity_wan_per_mu", "投资强度（万元/亩）", "Investment (10k CNY/mu)"),
        "num1",
    ),
    "tax_wan_per_mu_yr": (
        _t("tax_wan_per_mu_yr", "亩均税收（万元/亩·年）", "Tax (10k CNY/mu/yr)"),
        "num1",
    ),
    "energy_tce_per_wan": (
        _t("energy_tce_per_wan", "单位能耗（吨标煤/万元）", "Energy (tce/10k CNY)"),
        "num2",
    ),
    "lease_years": (_t("lease_years", "出让年限（年）", "Term (years)"), "num0"),
    "reserve_price_wan_per_mu": (
        _t("reserve_price_wan_per_mu", "出让底价（万元/亩）", "Reserve price (10k CNY/mu)"),
        "num2",
    ),
    "shoreline_m": (_t("shoreline_m", "岸线长度（米）", "Shoreline (m)"), "num0"),
    "berth_dwt": (_t("berth_dwt", "泊位（吨级）", "Berth (DWT)"), "num0"),
    "water_depth_m": (_t("water_depth_m", "前沿水深（米）", "Water depth (m)"), "num1"),
    "availability": (_t("availability", "招商状态", "Availability"), "vocab:availability"),
    "blocking_note": (_t("blocking_note", "制约说明", "Blocking note"), "text"),
    "description_zh": (_t("description_zh", "简介", "Description (Chinese)"), "text"),
    "description_en": (_t("description_en", "英文简介", "Description (English)"), "text"),
    "source_doc": (_t("source_doc", "资料来源", "Source document"), "text"),
    "verified_at": (_t("verified_at", "核实日期", "Verified on"), "date"),
    "verified_by": (_t("verified_by", "核实人", "Verified by"), "text"),
    "version": (_t("version", "版本", "Version"), "num0"),
    "updated_at": (_t("updated_at", "更新时间", "Updated"), "datetime"),
    # internal
    "owner_name": (_t("owner_name", "权属人", "Owner"), "text"),
    "owner_contact": (_t("owner_contact", "联系方式", "Owner contact"), "text"),
    "internal_note": (_t("internal_note", "内部备注", "Internal note"), "text"),
    "negotiation_note": (_t("negotiation_note", "洽谈情况", "Negotiation"), "text"),
    "price_floor_wan_per_mu": (
        _t("price_floor_wan_per_mu", "内部底价（万元/亩）", "Internal price floor (10k CNY/mu)"),
        "num2",
    ),
}

SECTIONS: tuple[tuple[Term, tuple[str, ...]], ...] = (
    (
        _t("identity", "基本信息", "Identity"),
        ("code", "kind", "block", "township", "platform", "address", "availability"),
    ),
    (
        _t("area", "面积", "Area"),
        ("area_mu", "area_m2", "area_ha", "declared_area_mu", "geom_quality"),
    ),
    (
        _t("land_use", "用途与规划指标", "Land use and planning indicators"),
        (
            "planned_use",
            "legacy_use",
            "current_use",
            "far_min",
            "far_max",
            "coverage_min_pct",
            "green_max_pct",
            "height_limit_m",
        ),
    ),
    (
        _t("status", "土地与办理状态", "Land and process status"),
        (
            "ownership",
            "supply_stage",
            "readiness",
            "utilities",
            "policy_status",
            "policy_progress_pct",
            "planning_status",
            "in_ugb",
            "quota_status",
            "blocking_note",
        ),
    ),
    (
        _t("supply", "供应条件", "Supply terms"),
        (
            "supply_mode",
            "standard_land",
            "invest_intensity_wan_per_mu",
            "tax_wan_per_mu_yr",
            "energy_tce_per_wan",
            "lease_years",
            "reserve_price_wan_per_mu",
        ),
    ),
    (
        _t("marine", "岸线与码头", "Shoreline and berth"),
        ("shoreline_m", "berth_dwt", "water_depth_m"),
    ),
    (
        _t("provenance", "简介与数据来源", "Description and provenance"),
        (
            "description_zh",
            "description_en",
            "source_doc",
            "verified_at",
            "verified_by",
            "version",
            "updated_at",
        ),
    ),
)

BUILDING_SHEET_FIELDS: dict[str, tuple[Term, str]] = {
    "code": (_t("code", "编号", "Code"), "text"),
    "name_zh": (_t("name_zh", "名称", "Name"), "text"),
    "building_type": (_t("building_type", "建筑类型", "Type"), "vocab:building_type"),
    "floors": (_t("floors", "层数", "Floors"), "num0"),
    "gfa_m2": (_t("gfa_m2", "建筑面积（㎡）", "Floor area (m²)"), "num0"),
    "vacant_gfa_m2": (_t("vacant_gfa_m2", "空置面积（㎡）", "Vacant (m²)"), "num0"),
    "min_split_m2": (_t("min_split_m2", "最小分割（㎡）", "Min. split (m²)"), "num0"),
    "occupancy": (_t("occupancy", "使用状态", "Occupancy"), "vocab:occupancy"),
    "offer": (_t("offer", "租售", "Offered for"), "vocab:offer"),
    "rent_yuan_m2_month": (
        _t("rent_yuan_m2_month", "租金（元/㎡·月）", "Rent (CNY/m²/month)"),
        "num1",
    ),
    "sale_yuan_m2": (_t("sale_yuan_m2", "售价（元/㎡）", "Price (CNY/m²)"), "num0"),
    "floor_height_m": (_t("floor_height_m", "层高（米）", "Floor height (m)"), "num1"),
    "floor_load_kg_m2": (_t("floor_load_kg_m2", "荷载（kg/㎡）", "Floor load (kg/m²)"), "num0"),
    "crane_t": (_t("crane_t", "行车（吨）", "Crane (t)"), "num1"),
    "power_kva": (_t("power_kva", "供电（kVA）", "Power (kVA)"), "num0"),
    "fire_hazard_class": (
        _t("fire_hazard_class", "火灾危险性", "Fire hazard class"),
        "vocab:fire_hazard_class",
    ),
    "has_title_cert": (_t("has_title_cert", "产权证", "Title certificate"), "bool"),
    "built_year": (_t("built_year", "建成年份", "Built"), "text"),
    "owner_contact": (_t("owner_contact", "联系方式（内部）", "Contact (internal)"), "text"),
    "internal_note": (_t("internal_note", "内部备注", "Internal note"), "text"),
}

_YES_NO = {True: ("是", "Yes"), False: ("否", "No")}


@dataclass(frozen=True)
class Value:
    """A field shown on the sheet: its label and its value in both languages."""

    key: str
    label: Term
    zh: str
    en: str
    raw: Any = None

    def text(self, lang: str = "zh") -> str:
        """The value in ``lang``."""
        return self.zh if lang == "zh" else self.en


@dataclass
class HistoryEntry:
    """One history row: when, who, and the changed fields old → new (labelled)."""

    changed_at: dt.datetime
    changed_by: str
    action: str
    table_name: str
    row_id: int
    note: str | None
    changes: list[tuple[Term, Value, Value]] = field(default_factory=list)


@dataclass
class SiteSheet:
    """Everything an officer needs to know about one site."""

    id: int
    code: str
    name_zh: str
    name_en: str | None
    record: dict[str, Any]
    sections: list[tuple[Term, list[Value]]]
    internal: list[Value]
    buildings: list[list[Value]]
    distances: list[dict[str, Any]]
    overlaps: list[dict[str, Any]]
    history: list[HistoryEntry]
    geometry: dict[str, Any]
    bounds: tuple[float, float, float, float]
    stale: bool

    def name(self, lang: str = "zh") -> str:
        """The site's name in ``lang`` (Chinese when there is no English name)."""
        return self.name_en if lang == "en" and self.name_en else self.name_zh


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def format_value(how: str, value: Any) -> tuple[str, str]:
    """A stored value as (Chinese, English) text for the sheet."""
    if value is None or value == "" or value == []:
        return "—", "—"
    kind, _, arg = how.partition(":")
    if kind == "vocab":
        voc: Vocabulary = vocab.VOCABULARIES[arg]
        if value in voc:
            t = voc.term(value)
            return t.zh, t.en
        return str(value), str(value)
    if kind == "vocabs":
        voc = vocab.VOCABULARIES[arg]
        terms = [voc.term(v) if v in voc else Term(v, v, v) for v in value]
        return "、".join(t.zh for t in terms), ", ".join(t.en for t in terms)
    if kind == "lu":
        try:
            return (
                f"{value} {landuse.label(arg, value, 'zh')}",
                f"{value} {landuse.label(arg, value, 'en')}",
            )
        except UnknownVocabularyValue:  # an unknown code is shown as stored
            return str(value), str(value)
    if kind.startswith("num"):
        try:
            text = _number(float(value), int(kind[3:]))
        except (TypeError, ValueError):
            text = str(value)
        return text, text
    if kind == "bool":
        return _YES_NO[bool(value)]
    if kind == "date":
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        return text, text
    if kind == "datetime":
        text = (
            value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else str(value)[:16]
        )
        return text, text
    return str(value), str(value)


def _value(fields: dict[str, tuple[Term, str]], key: str, raw: Any) -> Value:
    label, how = fields[key]
    zh, en = format_value(how, raw)
    return Value(key, label, zh, en, raw)


def _history_value(table: str, key: str, raw: Any) -> tuple[Term, Value]:
    fields = SITE_SHEET_FIELDS if table == "site" else BUILDING_SHEET_FIELDS
    if key in fields:
        v = _value(fields, key, raw)
        return v.label, v
    label = Term(key, key, key)
    text = "…" if key == "geom" else ("—" if raw is None else str(raw)[:200])
    return label, Value(key, label, text, text, raw)


def _history(rows: list[dict[str, Any]]) -> list[HistoryEntry]:
    out = []
    for r in rows:
        entry = HistoryEntry(
            r["changed_at"], r["changed_by"], r["action"], r["table_name"], r["row_id"], r["note"]
        )
        changes = r["changes"] or {}
        if r["action"] == "update":
            for key in sorted(
                changes,
                key=lambda k: list(SITE_SHEET_FIELDS).index(k) if k in SITE_SHEET_FIELDS else 999,
            ):
                if key in ("area_m2", "area_mu", "area_ha", "updated_at", "version"):
                    continue
                old, new = changes[key]
                label, before = _history_value(r["table_name"], key, old)
                _, after = _history_value(r["table_name"], key, new)
                entry.changes.append((label, before, after))
        out.append(entry)
    return out


def site_sheet(conn: sa.Connection, site_id: int, today: dt.date | None = None) -> SiteSheet:
    """Everything about one site for officers; :class:`NotFound` when there is none."""
    rec = q.site_record(conn, site_id)
    if rec is None:
        raise NotFound(f"site {site_id} not found")
    sections = [
        (title, [_value(SITE_SHEET_FIELDS, k, rec.get(k)) for k in keys])
        for title, keys in SECTIONS
    ]
    internal = [_value(SITE_SHEET_FIELDS, k, rec.get(k)) for k in q.INTERNAL_COLUMNS]
    buildings = [
        [_value(BUILDING_SHEET_FIELDS, k, b.get(k)) for k in BUILDING_SHEET_FIELDS]
        for b in q.site_buildings(conn, site_id)
    ]
    verified = rec.get("verified_at")
    today = today or dt.date.today()
    stale = verified is None or (today - verified).days > STALE_AFTER_DAYS
    return SiteSheet(
        id=rec["id"],
        code=rec["code"],
        name_zh=rec["name_zh"],
        name_en=rec["name_en"],
        record=rec,
        sections=sections,
        internal=internal,
        buildings=buildings,
        distances=q.site_distances(conn, site_id),
        overlaps=q.site_overlaps(conn, site_id),
        history=_history(q.site_history(conn, site_id)),
        geometry=rec["geometry"],
        bounds=(rec["x0"], rec["y0"], rec["x1"], rec["y1"]),
        stale=stale,
    )
