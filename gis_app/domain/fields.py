"""The field registry: every attribute of a site and a building, declared once.

Each :class:`Field` carries what the rest of the application needs to know about one column:
its type, vocabulary and bounds (checked by :meth:`Field.coerce` on imports and edits), unit,
Chinese and English label, group on the site sheet, Shapefile short name, import aliases and
flags (``public``, ``editable``, ``filterable``, ``sortable``, ``exported``). The column lists of
the site sheet, the public whitelist, the export and the import mapping are derived from
:data:`SITE` and :data:`BUILDING`; ``tests/domain/test_fields.py`` checks that they agree
with the SQLAlchemy tables column for column.

A new column stays internal unless it says otherwise: ``public`` and ``exported`` default to
False. The registry's order is the table's column order; the site sheet's order follows it,
except for fields that name another with ``sheet_before``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from gis_app.domain import landuse, vocab
from gis_app.domain.vocab import Term, Vocabulary


class FieldError(ValueError):
    """A value that does not fit its field."""


@dataclass(frozen=True)
class Field:
    """One attribute of a layer: how values are checked, labelled, shown, exported and read.

    ``type`` is one of text, float, int, bool, date, text_list, landuse (checked values) or
    datetime (kept by the database only). ``managed`` fields are kept by the database (areas,
    version, timestamps): never imported nor edited. ``stored`` is False for a field that is
    read from files but is not a column of the table (a building's ``site_code``).
    """

    type: str
    required: bool = False
    vocabulary: Vocabulary | None = None
    landuse_system: str | None = None
    min: float | None = None
    max: float | None = None
    name: str = ""
    unit: str | None = None
    zh: str | None = None
    en: str | None = None
    #: section of the site sheet (None: not a row of the sheet)
    group: str | None = None
    #: on the site sheet, shown just before this field instead of in registry order
    sheet_before: str | None = None
    #: decimals on the sheet (numbers); None shows the value as text
    digits: int | None = None
    #: Shapefile field name (at most 10 characters) and that of its Chinese label column
    shp: str | None = None
    shp_label: str | None = None
    #: column names of other data (pinyin initials, Chinese) that import into this field
    aliases: tuple[str, ...] = ()
    public: bool = False
    editable: bool = True
    filterable: bool = False
    sortable: bool = False
    exported: bool = False
    managed: bool = False
    stored: bool = True

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to the field's type, or raise :class:`FieldError`."""
        if _is_missing(value):
            if self.required:
                raise FieldError("is required")
            return [] if self.type == "text_list" else None
        out = _CONVERT[self.type](value)
        if self.vocabulary is not None:
            items = out if isinstance(out, list) else [out]
            for item in items:
                if item not in self.vocabulary:
                    raise FieldError(
                        f"unknown {self.vocabulary.name} value {item!r} "
                        f"(allowed: {', '.join(self.vocabulary.keys)})"
                    )
        if self.landuse_system is not None and not landuse.is_valid(self.landuse_system, out):
            raise FieldError(f"unknown land-use code {out!r} in {self.landuse_system}")
        if self.min is not None and out < self.min:
            raise FieldError(f"{out} is below the minimum {self.min}")
        if self.max is not None and out > self.max:
            raise FieldError(f"{out} is above the maximum {self.max}")
        return out

    @property
    def term(self) -> Term:
        """The field's label as a vocabulary term (key = field name)."""
        return Term(self.name, self.zh or self.name, self.en or self.name)

    @property
    def display(self) -> str:
        """How the site sheet renders the value (``text``, ``num2``, ``vocab:<name>`` …)."""
        if self.landuse_system is not None:
            return f"lu:{self.landuse_system}"
        if self.vocabulary is not None:
            prefix = "vocabs" if self.type == "text_list" else "vocab"
            return f"{prefix}:{self.vocabulary.name}"
        if self.type in ("float", "int"):
            return "text" if self.digits is None else f"num{self.digits}"
        if self.type in ("bool", "date", "datetime"):
            return self.type
        return "text"


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and v.strip() == "":
        return True
    try:
        import pandas as pd

        return bool(v is pd.NaT or (not isinstance(v, list | tuple) and pd.isna(v) is True))
    except (TypeError, ValueError):
        return False


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(int(v)) if float(v).is_integer() else str(v)
    raise FieldError(f"expected text, got {v!r}")


def _float(v: Any) -> float:
    if isinstance(v, bool):
        raise FieldError(f"expected a number, got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise FieldError(f"expected a number, got {v!r}") from None
    if not math.isfinite(f):
        raise FieldError(f"expected a finite number, got {v!r}")
    return f


def _int(v: Any) -> int:
    f = _float(v)
    if not f.is_integer():
        raise FieldError(f"expected a whole number, got {v!r}")
    return int(f)


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in (
        "true",
        "false",
        "1",
        "0",
        "yes",
        "no",
        "是",
        "否",
    ):
        return v.strip().lower() in ("true", "1", "yes", "是")
    raise FieldError(f"expected true/false, got {v!r}")


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime().date()
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            pass
    raise FieldError(f"expected a date YYYY-MM-DD, got {v!r}")


def _text_list(v: Any) -> list[str]:
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("["):
            try:
                v = json.loads(s)
            except json.JSONDecodeError:
                raise FieldError(f"expected a list, got {v!r}") from None
        else:
            v = [p for p in (x.strip() for x in s.split(",")) if p]
    if hasattr(v, "tolist"):
        v = v.tolist()
    if not isinstance(v, list | tuple):
        raise FieldError(f"expected a list, got {v!r}")
    return [_text(x) for x in v]


_CONVERT = {
    "text": _text,
    "float": _float,
    "int": _int,
    "bool": _bool,
    "date": _date,
    "text_list": _text_list,
    "landuse": _text,
}


def _f(type_: str, zh: str | None = None, en: str | None = None, **kw: Any) -> Field:
    return Field(type_, zh=zh, en=en, **kw)


def _voc(v: Vocabulary, zh: str | None = None, en: str | None = None, **kw: Any) -> Field:
    return Field("text", vocabulary=v, zh=zh, en=en, **kw)


def _lu(system: str, zh: str, en: str, **kw: Any) -> Field:
    return Field("landuse", landuse_system=system, zh=zh, en=en, **kw)


def _named(fields: dict[str, Field]) -> dict[str, Field]:
    return {name: replace(f, name=name) for name, f in fields.items()}


_NONNEG = {"min": 0.0}
#: shown to investors and written to exports
_OPEN = {"public": True, "exported": True}
#: kept by the database: read and shown, never imported or edited
_KEPT = {"managed": True, "editable": False}

#: sections of the site sheet, in order (``internal`` is the officers-only box below them)
SITE_GROUPS: tuple[Term, ...] = (
    Term("identity", "基本信息", "Identity"),
    Term("area", "面积", "Area"),
    Term("land_use", "用途与规划指标", "Land use and planning indicators"),
    Term("status", "土地与办理状态", "Land and process status"),
    Term("supply", "供应条件", "Supply terms"),
    Term("marine", "岸线与码头", "Shoreline and berth"),
    Term("provenance", "简介与数据来源", "Description and provenance"),
)

# fmt: off
SITE: dict[str, Field] = _named({
    "id": _f("int", "ID", "ID", shp="id", exported=True, sortable=True, **_KEPT),
    "code": _f("text", "编号", "Code", required=True, group="identity", shp="code",
               aliases=("dkbh", "dkdm", "地块编号", "编号"), sortable=True, **_OPEN),
    "name_zh": _f("text", "名称", "Name (Chinese)", required=True, shp="name_zh",
                  aliases=("dkmc", "地块名称", "名称"), sortable=True, **_OPEN),
    "name_en": _f("text", "英文名称", "Name (English)", shp="name_en", **_OPEN),
    "kind": _voc(vocab.SITE_KIND, "资源类型", "Kind", required=True, group="identity",
                 shp="kind", shp_label="kind_zh", filterable=True, sortable=True, **_OPEN),
    "block": _f("text", "区块", "Block", group="identity", shp="block", filterable=True,
                sortable=True, **_OPEN),
    "township": _f("text", "街道/镇", "Township", group="identity", shp="township",
                   filterable=True, sortable=True, **_OPEN),
    "platform": _f("text", "平台/园区", "Platform", group="identity", shp="platform",
                   filterable=True, **_OPEN),
    "address": _f("text", "地址", "Address", group="identity", shp="address", **_OPEN),
    "geom_quality": _voc(vocab.GEOM_QUALITY, "图形精度", "Geometry quality", group="area",
                         sheet_before="planned_use", shp="geom_qual", shp_label="geom_q_zh",
                         exported=True),
    "area_m2": _f("float", "面积（㎡）", "Area (m²)", unit="m²", group="area", digits=0,
                  shp="area_m2", filterable=True, sortable=True, **_OPEN, **_KEPT),
    "area_mu": _f("float", "面积（亩）", "Area (mu)", unit="mu", group="area", digits=2,
                  sheet_before="area_m2", shp="area_mu", filterable=True, sortable=True,
                  **_OPEN, **_KEPT),
    "area_ha": _f("float", "面积（公顷）", "Area (ha)", unit="ha", group="area", digits=2,
                  shp="area_ha", **_OPEN, **_KEPT),
    "declared_area_mu": _f("float", "文件面积（亩）", "Declared area (mu)", min=0.0, unit="mu",
                           group="area", digits=2, shp="decl_mu", exported=True),
    "planned_use": _lu("2023", "规划用途（2023分类）", "Planned use (2023)", group="land_use",
                       shp="plan_use", shp_label="plan_us_zh", filterable=True, **_OPEN),
    "legacy_use": _lu("gb50137", "用地分类（GB 50137）", "Land use (GB 50137)",
                      group="land_use", shp="legacy_use", shp_label="legacy_zh",
                      filterable=True, **_OPEN),
    "current_use": _lu("sandiao", "现状（三调）", "Current use (survey)", group="land_use",
                       shp="cur_use", shp_label="cur_use_zh", aliases=("dlbm", "地类编码"),
                       exported=True),
    "far_min": _f("float", "容积率下限", "FAR min", **_NONNEG, group="land_use", digits=2,
                  shp="far_min", **_OPEN),
    "far_max": _f("float", "容积率上限", "FAR max", **_NONNEG, group="land_use", digits=2,
                  shp="far_max", **_OPEN),
    "coverage_min_pct": _f("float", "建筑密度下限（%）", "Coverage min (%)", min=0.0, max=100.0,
                           unit="%", group="land_use", digits=1, shp="cover_min", **_OPEN),
    "green_max_pct": _f("float", "绿地率上限（%）", "Green ratio max (%)", min=0.0, max=100.0,
                        unit="%", group="land_use", digits=1, shp="green_max", **_OPEN),
    "height_limit_m": _f("float", "限高（米）", "Height limit (m)", **_NONNEG, unit="m",
                         group="land_use", digits=1, shp="height_lim", **_OPEN),
    "ownership": _voc(vocab.OWNERSHIP, "权属", "Ownership", group="status", shp="ownership",
                      shp_label="owner_zh", **_OPEN),
    "supply_stage": _voc(vocab.SUPPLY_STAGE, "供应阶段", "Supply stage", group="status",
                         shp="supply_stg", shp_label="sup_stg_zh", filterable=True, **_OPEN),
    "readiness": _voc(vocab.READINESS, "土地整理", "Readiness", group="status",
                      shp="readiness", shp_label="ready_zh", filterable=True, **_OPEN),
    "utilities": Field("text_list", vocabulary=vocab.UTILITY, zh="配套", en="Utilities",
                       group="status", shp="utilities", **_OPEN),
    "rail_siding": _f("bool", "铁路专用线", "Rail siding", group="status", shp="rail_sid",
                      aliases=("tlzyx", "铁路专用线"), filterable=True, **_OPEN),
    "policy_status": _voc(vocab.POLICY_STATUS, "政策处理", "Policy handling", group="status",
                          shp="policy_st", shp_label="pol_st_zh", filterable=True, **_OPEN),
    "policy_progress_pct": _f("int", "政策处理进度（%）", "Progress (%)", min=0, max=100,
                              unit="%", group="status", digits=0, shp="policy_pct", **_OPEN),
    "planning_status": _voc(vocab.PLANNING_STATUS, "控规", "Regulatory plan", group="status",
                            shp="plan_st", shp_label="plan_st_zh", filterable=True, **_OPEN),
    "in_ugb": _voc(vocab.IN_UGB, "城镇开发边界", "Urban growth boundary", group="status",
                   shp="in_ugb", shp_label="in_ugb_zh", **_OPEN),
    "quota_status": _voc(vocab.QUOTA_STATUS, "用地指标", "Land-use quota", group="status",
                         shp="quota_st", shp_label="quota_zh", filterable=True, **_OPEN),
    "supply_mode": _voc(vocab.SUPPLY_MODE, "供应方式", "Supply mode", group="supply",
                        shp="supply_md", shp_label="sup_md_zh", **_OPEN),
    "standard_land": _f("bool", "标准地", "Standard land (标准地)", group="supply",
                        shp="std_land", **_OPEN),
    "invest_intensity_wan_per_mu": _f("float", "投资强度（万元/亩）", "Investment (10k CNY/mu)",
                                      **_NONNEG, unit="万元/亩", group="supply", digits=1,
                                      shp="invest_int", **_OPEN),
    "tax_wan_per_mu_yr": _f("float", "亩均税收（万元/亩·年）", "Tax (10k CNY/mu/yr)", **_NONNEG,
                            unit="万元/亩·年", group="supply", digits=1, shp="tax_per_mu",
                            **_OPEN),
    "energy_tce_per_wan": _f("float", "单位能耗（吨标煤/万元）", "Energy (tce/10k CNY)",
                             **_NONNEG, unit="tce/万元", group="supply", digits=2,
                             shp="energy_tce", **_OPEN),
    "lease_years": _f("int", "出让年限（年）", "Term (years)", min=0, max=70, unit="年",
                      group="supply", digits=0, shp="lease_yrs", **_OPEN),
    "reserve_price_wan_per_mu": _f("float", "出让底价（万元/亩）", "Reserve price (10k CNY/mu)",
                                   **_NONNEG, unit="万元/亩", group="supply", digits=2,
                                   shp="res_price", sortable=True, **_OPEN),
    "shoreline_m": _f("float", "岸线长度（米）", "Shoreline (m)", **_NONNEG, unit="m",
                      group="marine", digits=0, shp="shore_m", filterable=True, **_OPEN),
    "berth_dwt": _f("int", "泊位（吨级）", "Berth (DWT)", min=0, unit="DWT", group="marine",
                    digits=0, shp="berth_dwt", filterable=True, **_OPEN),
    "water_depth_m": _f("float", "前沿水深（米）", "Water depth (m)", **_NONNEG, unit="m",
                        group="marine", digits=1, shp="depth_m", filterable=True, **_OPEN),
    "availability": _voc(vocab.AVAILABILITY, "招商状态", "Availability", required=True,
                         group="identity", shp="avail", shp_label="avail_zh", filterable=True,
                         sortable=True, **_OPEN),
    "blocking_note": _f("text", "制约说明", "Blocking note", group="status",
                        shp="block_note", exported=True),
    "source_doc": _f("text", "资料来源", "Source document", group="provenance",
                     shp="source_doc", exported=True),
    "verified_at": _f("date", "核实日期", "Verified on", group="provenance", shp="verif_at",
                      sortable=True, **_OPEN),
    "verified_by": _f("text", "核实人", "Verified by", group="provenance", shp="verif_by",
                      editable=False, exported=True),
    "description_zh": _f("text", "简介", "Description (Chinese)", group="provenance",
                         sheet_before="source_doc", shp="desc_zh", **_OPEN),
    "description_en": _f("text", "英文简介", "Description (English)", group="provenance",
                         sheet_before="source_doc", shp="desc_en", **_OPEN),
    "photo_urls": _f("text_list", "照片", "Photos", shp="photo_urls", **_OPEN),
    "version": _f("int", "版本", "Version", group="provenance", digits=0, shp="version",
                  exported=True, **_KEPT),
    "created_at": _f("datetime", "创建时间", "Created", shp="created_at", exported=True,
                     **_KEPT),
    "updated_at": _f("datetime", "更新时间", "Updated", group="provenance", shp="updated_at",
                     exported=True, sortable=True, **_KEPT),
    # internal: never public, never exported
    "owner_name": _f("text", "权属人", "Owner", group="internal"),
    "owner_contact": _f("text", "联系方式", "Owner contact", group="internal"),
    "internal_note": _f("text", "内部备注", "Internal note", group="internal"),
    "negotiation_note": _f("text", "洽谈情况", "Negotiation", group="internal"),
    "price_floor_wan_per_mu": _f("float", "内部底价（万元/亩）",
                                 "Internal price floor (10k CNY/mu)", **_NONNEG,
                                 unit="万元/亩", group="internal", digits=2),
})

BUILDING: dict[str, Field] = _named({
    "code": _f("text", "编号", "Code", required=True, group="building", **_OPEN),
    "site_code": _f("text", "地块编号", "Site code", required=True, stored=False),
    "name_zh": _f("text", "名称", "Name", required=True, group="building", **_OPEN),
    "name_en": _f("text", "英文名称", "Name (English)", **_OPEN),
    "building_type": _voc(vocab.BUILDING_TYPE, "建筑类型", "Type", required=True,
                          group="building", **_OPEN),
    "floors": _f("int", "层数", "Floors", min=1, max=200, group="building", digits=0, **_OPEN),
    "gfa_m2": _f("float", "建筑面积（㎡）", "Floor area (m²)", **_NONNEG, unit="m²",
                 group="building", digits=0, **_OPEN),
    "vacant_gfa_m2": _f("float", "空置面积（㎡）", "Vacant (m²)", **_NONNEG, unit="m²",
                        group="building", digits=0, filterable=True, **_OPEN),
    "min_split_m2": _f("float", "最小分割（㎡）", "Min. split (m²)", **_NONNEG, unit="m²",
                       group="building", digits=0, **_OPEN),
    "occupancy": _voc(vocab.OCCUPANCY, "使用状态", "Occupancy", group="building", **_OPEN),
    "offer": _voc(vocab.OFFER, "租售", "Offered for", group="building", **_OPEN),
    "rent_yuan_m2_month": _f("float", "租金（元/㎡·月）", "Rent (CNY/m²/month)", **_NONNEG,
                             unit="元/㎡·月", group="building", digits=1, **_OPEN),
    "sale_yuan_m2": _f("float", "售价（元/㎡）", "Price (CNY/m²)", **_NONNEG, unit="元/㎡",
                       group="building", digits=0, **_OPEN),
    "floor_height_m": _f("float", "层高（米）", "Floor height (m)", **_NONNEG, unit="m",
                         group="building", digits=1, filterable=True, **_OPEN),
    "floor_load_kg_m2": _f("float", "荷载（kg/㎡）", "Floor load (kg/m²)", **_NONNEG,
                           unit="kg/㎡", group="building", digits=0, filterable=True, **_OPEN),
    "crane_t": _f("float", "行车（吨）", "Crane (t)", **_NONNEG, unit="t", group="building",
                  digits=1, filterable=True, **_OPEN),
    "crane_count": _f("int", "行车数量", "Cranes", min=0, **_OPEN),
    "power_kva": _f("float", "供电（kVA）", "Power (kVA)", **_NONNEG, unit="kVA",
                    group="building", digits=0, filterable=True, **_OPEN),
    "fire_hazard_class": _voc(vocab.FIRE_HAZARD_CLASS, "火灾危险性", "Fire hazard class",
                              group="building", **_OPEN),
    "eia_coverage": _f("text", "环评覆盖", "EIA coverage", **_OPEN),
    "has_title_cert": _f("bool", "产权证", "Title certificate", group="building", **_OPEN),
    "built_year": _f("int", "建成年份", "Built", min=1900, max=2100, group="building",
                     **_OPEN),
    "owner_contact": _f("text", "联系方式（内部）", "Contact (internal)", group="building"),
    "internal_note": _f("text", "内部备注", "Internal note", group="building"),
})
# fmt: on

#: columns of ``site`` / ``building`` the registry does not declare: keys, geometry and
#: lineage kept by the database and the split/merge services
SITE_UNDECLARED = frozenset({"geom", "parent_ids", "retired_at"})
BUILDING_UNDECLARED = frozenset({"id", "site_id", "version", "created_at", "updated_at"})


def names(
    fields: dict[str, Field], *, exclude: Iterable[str] = (), **flags: Any
) -> tuple[str, ...]:
    """Names of the fields whose attributes equal ``flags`` (e.g. ``public=True``), in order."""
    skip = set(exclude)
    return tuple(
        n
        for n, f in fields.items()
        if n not in skip and all(getattr(f, k) == v for k, v in flags.items())
    )


def checked(fields: dict[str, Field]) -> dict[str, Field]:
    """The fields that imports and edits check values of (all but those the database keeps)."""
    return {n: f for n, f in fields.items() if not f.managed}


def sheet_order(fields: dict[str, Field]) -> tuple[str, ...]:
    """Names of the fields shown on the site sheet, in the sheet's order.

    Registry order, except that a field with ``sheet_before`` sits just before that field.
    """
    shown = [n for n, f in fields.items() if f.group is not None]
    order = [n for n in shown if fields[n].sheet_before is None]
    for n in shown:
        before = fields[n].sheet_before
        if before is not None:
            order.insert(order.index(before), n)
    return tuple(order)
