"""The field registry: every attribute of a site, a building, a constraint zone and an
investor requirement, declared once.

Each :class:`Field` carries what the rest of the application needs to know about one column:
its type, vocabulary and bounds (checked by :meth:`Field.coerce` on imports and edits), unit,
Chinese and English label, group (section of the site sheet or of the requirement form),
Shapefile short name, import aliases and flags (``public``, ``editable``, ``filterable``,
``sortable``, ``exported``). Derived from :data:`SITE` and :data:`BUILDING`: the site sheet,
the investor's record and its public whitelist, the API and export columns, Shapefile names,
the import mapping, the PATCH bodies and the search filters (:mod:`gis_app.domain.filters`);
from :data:`ZONE` the checks and PATCH body of zones; from :data:`REQUIREMENT` the requirement
form. ``tests/domain/test_fields.py`` checks that the registry agrees with the SQLAlchemy
tables column for column.

A new column stays internal unless it says otherwise: ``public`` and ``exported`` default to
False. A site's or building's registry order is the table's column order; the site sheet's
order follows it, except for fields that name another with ``sheet_before``. A requirement's
is the order of the form.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from gis_app.domain import landuse, vocab
from gis_app.domain.vocab import Term, Vocabulary


class FieldError(ValueError):
    """A value that does not fit its field; ``code`` and ``params`` word it in the error
    vocabulary (:mod:`gis_app.domain.error_vocab`), the message is the English detail."""

    def __init__(self, message: str, code: str = "invalid_value", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Field:
    """One attribute of a layer: how values are checked, labelled, shown, exported and read.

    ``type`` is one of text, float, int, bool, date, text_list, landuse (checked values) or
    datetime (kept by the database only). ``managed`` fields are kept by the database or the
    server (areas, version, timestamps, who created a record): never imported nor edited.
    ``stored`` is False for a field that is read from files but is not a column of the table
    (a building's ``site_code``).
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
    #: how the sheet renders the value when not derived from the type (``gk_zone``: an EPSG
    #: code named with its central meridian)
    shown_as: str | None = None
    #: the table whose ``code`` the value is (``district``): pages show that row's name (zh/en)
    #: and search forms offer its rows
    references: str | None = None
    #: Shapefile field name (at most 10 characters) and that of its Chinese label column
    shp: str | None = None
    shp_label: str | None = None
    #: column names of other data (pinyin initials, Chinese) that import into this field
    aliases: tuple[str, ...] = ()
    public: bool = False
    editable: bool = True
    filterable: bool = False
    #: a numeric filter's bound: the search gives sites at least (``min``) or at most (``max``)
    #: the value
    filter_bound: str = "min"
    sortable: bool = False
    exported: bool = False
    managed: bool = False
    stored: bool = True
    #: the longest text (characters) or list (items) a requirement may state; list items are
    #: at most ``item_length`` characters
    length: int | None = None
    item_length: int | None = None
    #: a requirement field's value when the body leaves it out (lists as tuples)
    default: Any = None

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to the field's type, or raise :class:`FieldError`."""
        if _is_missing(value):
            if self.required:
                raise FieldError("is required", "required")
            return [] if self.type == "text_list" else None
        out = _CONVERT[self.type](value)
        if self.vocabulary is not None:
            if isinstance(out, list):
                out = [vocabulary_key(self.vocabulary, item) for item in out]
            else:
                out = vocabulary_key(self.vocabulary, out)
        if self.landuse_system is not None:
            out = landuse_code(self.landuse_system, out)
        if self.length is not None and isinstance(out, str) and len(out) > self.length:
            raise FieldError(
                f"is {len(out)} characters long, at most {self.length}",
                "too_long",
                max_length=self.length,
            )
        if self.min is not None and out < self.min:
            raise FieldError(
                f"{out} is below the minimum {self.min}", "below_min", value=out, min=self.min
            )
        if self.max is not None and out > self.max:
            raise FieldError(
                f"{out} is above the maximum {self.max}", "above_max", value=out, max=self.max
            )
        return out

    @property
    def term(self) -> Term:
        """The field's label as a vocabulary term (key = field name)."""
        return Term(self.name, self.zh or self.name, self.en or self.name)

    @property
    def display(self) -> str:
        """How the site sheet renders the value (``text``, ``num2``, ``vocab:<name>`` …)."""
        if self.shown_as is not None:
            return self.shown_as
        if self.references is not None:
            return f"ref:{self.references}"
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
    if isinstance(v, str | int | float):  # the usual cells, settled above (pandas is slow)
        return False
    try:
        import pandas as pd

        return bool(v is pd.NaT or (not isinstance(v, list | tuple) and pd.isna(v) is True))
    except (TypeError, ValueError):
        return False


def vocabulary_key(vocabulary: Vocabulary, value: str) -> str:
    """The key of ``value``: a key, or a term's Chinese (or English) label as people type it.

    Planners write 可招商 where the database stores ``available``; both mean the same term.
    """
    if value in vocabulary:
        return value
    folded = value.strip().casefold()
    for term in vocabulary:
        if value.strip() == term.zh or folded == term.en.casefold() or folded == term.key:
            return term.key
    raise FieldError(
        f"unknown {vocabulary.name} value {value!r} (allowed: "
        + ", ".join(f"{t.key} {t.zh}" for t in vocabulary)
        + ")",
        "unknown_value",
        value=value,
    )


def restore_leading_zeros(value: str, known: Iterable[str]) -> str | None:
    """The known code that ``value`` is once the leading zeros a spreadsheet dropped are put
    back (``902`` → ``0902``); None when none is. Several such codes raise :class:`FieldError`
    naming them, since guessing between them would store a wrong code.
    """
    if not value.isdigit():
        return None
    bare = value.lstrip("0")
    hits = sorted(c for c in known if c != value and c.isdigit() and c.lstrip("0") == bare)
    if len(hits) > 1:
        raise FieldError(
            f"{value!r} lost its leading zeros and could be any of {', '.join(hits)}; "
            "type the code as text"
        )
    return hits[0] if hits else None


def landuse_code(system: str, value: str) -> str:
    """The code of ``value`` in a land-use ``system``: a code (``m1`` → ``M1``), a code whose
    leading zeros a spreadsheet dropped (``902`` → ``0902``), or a class's Chinese name
    (一类工业用地 → ``100101`` in the 2023 classification, ``M1`` in GB 50137)."""
    if landuse.is_valid(system, value):
        return value
    table = landuse._table(system)
    text = value.strip()
    if landuse.is_valid(system, text.upper()):
        return text.upper()
    restored = restore_leading_zeros(text, table)
    if restored is not None:
        return restored
    code, _, name = text.partition(" ")
    if name.strip() and code:  # "100101 一类工业用地", as the import template lists them
        code = landuse_code(system, code)
        if name.strip() != table[code].zh:
            raise FieldError(f"{text!r}: {code} is {table[code].zh}, not {name.strip()}")
        return code
    named = [c.code for c in table.values() if c.zh == text]
    if len(named) > 1:
        raise FieldError(
            f"land-use name {text!r} is several classes in {system} ({', '.join(named)}); "
            "give the code"
        )
    if named:
        return named[0]
    raise FieldError(
        f"unknown land-use code {value!r} in {system}", "unknown_land_use", value=value
    )


def _text(v: Any) -> str:
    if isinstance(v, str):
        if "\x00" in v:
            # one rule for text input, as the API's: PostgreSQL text cannot hold NUL
            raise FieldError("text may not contain NUL (\\u0000) characters", "text_nul")
        return v.strip()
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(int(v)) if float(v).is_integer() else str(v)
    raise FieldError(f"expected text, got {v!r}", "not_text")


def _float(v: Any) -> float:
    if isinstance(v, bool):
        raise FieldError(f"expected a number, got {v!r}", "not_a_number")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise FieldError(f"expected a number, got {v!r}", "not_a_number") from None
    if not math.isfinite(f):
        raise FieldError(f"expected a finite number, got {v!r}", "not_finite")
    return f


def _int(v: Any) -> int:
    f = _float(v)
    if not f.is_integer():
        raise FieldError(f"expected a whole number, got {v!r}", "not_an_integer")
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
    raise FieldError(f"expected true/false, got {v!r}", "not_a_bool")


#: dates as people type them: 2026-08-21, 2026/8/21, 2026.8.21, 2026年8月21日 (a time may follow)
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
#: day 0 of spreadsheet serial dates (Excel's 1900 system, counting its phantom 1900-02-29)
_SERIAL_EPOCH = dt.date(1899, 12, 30)
#: serial numbers read as dates: 1950-01-01 … 2149-12-31 (smaller numbers are not dates)
_SERIAL_RANGE = (18264, 91313)


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime().date()
    serial = v
    if isinstance(v, str):
        m = _DATE.fullmatch(v.strip())
        if m:
            try:
                return dt.date(*(int(g) for g in m.groups()))
            except ValueError:
                raise FieldError(f"no such date {v!r}", "no_such_date", value=v) from None
        serial = v.strip() if re.fullmatch(r"\d{5}(?:\.\d+)?", v.strip()) else None
    if isinstance(serial, int | float | str) and not isinstance(serial, bool):
        n = float(serial)
        if _SERIAL_RANGE[0] <= n <= _SERIAL_RANGE[1]:
            return _SERIAL_EPOCH + dt.timedelta(days=int(n))
    raise FieldError(
        f"expected a date (2026-08-21, 2026/8/21, 2026年8月21日 or a spreadsheet date), got {v!r}",
        "not_a_date",
    )


def _text_list(v: Any) -> list[str]:
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("["):
            try:
                v = json.loads(s)
            except json.JSONDecodeError:
                raise FieldError(f"expected a list, got {v!r}", "not_a_list") from None
        else:
            v = [p for p in (x.strip() for x in re.split(r"[,，、;；]", s)) if p]
    if hasattr(v, "tolist"):
        v = v.tolist()
    if not isinstance(v, list | tuple):
        raise FieldError(f"expected a list, got {v!r}", "not_a_list")
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


def _field(type_: str, zh: str | None = None, en: str | None = None, **kw: Any) -> Field:
    return Field(type_, zh=zh, en=en, **kw)


def _coded(v: Vocabulary, zh: str | None = None, en: str | None = None, **kw: Any) -> Field:
    return Field("text", vocabulary=v, zh=zh, en=en, **kw)


def _land_use(system: str, zh: str, en: str, **kw: Any) -> Field:
    return Field("landuse", landuse_system=system, zh=zh, en=en, **kw)


def _named(fields: dict[str, Field]) -> dict[str, Field]:
    return {name: replace(f, name=name) for name, f in fields.items()}


#: how files head a record's district (code of a district row: 330903 for 普陀区)
_DISTRICT_ALIASES = ("district", "行政区", "所属区县", "区县代码", "xzqdm", "行政区代码")
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
    "id": _field("int", "ID", "ID", shp="id", exported=True, sortable=True, **_KEPT),
    "code": _field("text", "编号", "Code", required=True, group="identity", shp="code",
                   aliases=("dkbh", "dkdm", "地块编号", "编号"), sortable=True, **_OPEN),
    "name_zh": _field("text", "名称", "Name (Chinese)", required=True, shp="name_zh",
                      aliases=("dkmc", "地块名称", "名称"), sortable=True, **_OPEN),
    "name_en": _field("text", "英文名称", "Name (English)", shp="name_en", **_OPEN),
    "kind": _coded(vocab.SITE_KIND, "资源类型", "Kind", required=True, group="identity",
                   shp="kind", shp_label="kind_zh", filterable=True, sortable=True, **_OPEN),
    "block": _field("text", "区块", "Block", group="identity", shp="block", filterable=True,
                    sortable=True, **_OPEN),
    "township": _field("text", "街道/镇", "Township", group="identity", shp="township",
                       filterable=True, sortable=True, **_OPEN),
    "platform": _field("text", "平台/园区", "Platform", group="identity", shp="platform",
                       filterable=True, **_OPEN),
    "address": _field("text", "地址", "Address", group="identity", shp="address", **_OPEN),
    # English names where the data has them (English pages say "Chinese only" where not)
    "block_en": _field("text", "区块（英文）", "Block (English)", group="identity",
                       shp="block_en", **_OPEN),
    "township_en": _field("text", "街道/镇（英文）", "Township (English)", group="identity",
                          shp="town_en", **_OPEN),
    "address_en": _field("text", "地址（英文）", "Address (English)", group="identity",
                         shp="addr_en", **_OPEN),
    # the district the site lies in (code of a district row); assigned from the outline when a
    # file or an edit does not say, refused when the outline lies in another district
    "district_code": _field("text", "所属行政区", "District", group="identity",
                            sheet_before="block_en", shp="dist_code", aliases=_DISTRICT_ALIASES,
                            references="district", filterable=True, exported=True),
    "geom_quality": _coded(vocab.GEOM_QUALITY, "图形精度", "Geometry quality", group="area",
                           sheet_before="planned_use", shp="geom_qual", shp_label="geom_q_zh",
                           exported=True),
    "area_m2": _field("float", "面积（㎡）", "Area (m²)", unit="m²", group="area", digits=0,
                      shp="area_m2", filterable=True, sortable=True, **_OPEN, **_KEPT),
    "area_mu": _field("float", "面积（亩）", "Area (mu)", unit="mu", group="area", digits=2,
                      sheet_before="area_m2", shp="area_mu", filterable=True, sortable=True,
                      **_OPEN, **_KEPT),
    "area_ha": _field("float", "面积（公顷）", "Area (ha)", unit="ha", group="area", digits=2,
                      shp="area_ha", **_OPEN, **_KEPT),
    "area_m2_plane": _field("float", "平面面积（㎡，高斯-克吕格）", "Plane area (m², Gauss-Krüger)",
                            unit="m²", group="area", digits=1, shp="area_plane", exported=True,
                            **_KEPT),
    "plane_epsg": _field("int", "平面坐标系（CGCS2000 3°带）", "Plane CRS (CGCS2000 3° zone)",
                         group="area", shown_as="gk_zone", shp="plane_epsg", exported=True,
                         **_KEPT),
    "declared_area_mu": _field("float", "文件面积（亩）", "Declared area (mu)", min=0.0, unit="mu",
                               group="area", digits=2, shp="decl_mu", exported=True),
    "planned_use": _land_use("2023", "规划用途（2023分类）", "Planned use (2023)", group="land_use",
                             shp="plan_use", shp_label="plan_us_zh", filterable=True, **_OPEN),
    "legacy_use": _land_use("gb50137", "用地分类（GB 50137）", "Land use (GB 50137)",
                            group="land_use", shp="legacy_use", shp_label="legacy_zh",
                            filterable=True, **_OPEN),
    "current_use": _land_use("sandiao", "现状（三调）", "Current use (survey)", group="land_use",
                             shp="cur_use", shp_label="cur_use_zh", aliases=("dlbm", "地类编码"),
                             exported=True),
    "far_min": _field("float", "容积率下限", "FAR min", **_NONNEG, group="land_use", digits=2,
                      shp="far_min", **_OPEN),
    "far_max": _field("float", "容积率上限", "FAR max", **_NONNEG, group="land_use", digits=2,
                      shp="far_max", **_OPEN),
    "coverage_min_pct": _field("float", "建筑密度下限（%）", "Coverage min (%)", min=0.0, max=100.0,
                               unit="%", group="land_use", digits=1, shp="cover_min", **_OPEN),
    "green_max_pct": _field("float", "绿地率上限（%）", "Green ratio max (%)", min=0.0, max=100.0,
                            unit="%", group="land_use", digits=1, shp="green_max", **_OPEN),
    "height_limit_m": _field("float", "限高（米）", "Height limit (m)", **_NONNEG, unit="m",
                             group="land_use", digits=1, shp="height_lim", **_OPEN),
    "ownership": _coded(vocab.OWNERSHIP, "权属", "Ownership", group="status", shp="ownership",
                        shp_label="owner_zh", **_OPEN),
    "supply_stage": _coded(vocab.SUPPLY_STAGE, "供应阶段", "Supply stage", group="status",
                           shp="supply_stg", shp_label="sup_stg_zh", filterable=True, **_OPEN),
    "readiness": _coded(vocab.READINESS, "土地整理", "Readiness", group="status",
                        shp="readiness", shp_label="ready_zh", filterable=True, **_OPEN),
    "utilities": Field("text_list", vocabulary=vocab.UTILITY, zh="配套", en="Utilities",
                       group="status", shp="utilities", **_OPEN),
    "rail_siding": _field("bool", "铁路专用线", "Rail siding", group="status", shp="rail_sid",
                          aliases=("tlzyx", "铁路专用线"), filterable=True, **_OPEN),
    "policy_status": _coded(vocab.POLICY_STATUS, "政策处理", "Policy handling", group="status",
                            shp="policy_st", shp_label="pol_st_zh", filterable=True, **_OPEN),
    "policy_progress_pct": _field("int", "政策处理进度（%）", "Progress (%)", min=0, max=100,
                                  unit="%", group="status", digits=0, shp="policy_pct", **_OPEN),
    "planning_status": _coded(vocab.PLANNING_STATUS, "控规", "Regulatory plan", group="status",
                              shp="plan_st", shp_label="plan_st_zh", filterable=True, **_OPEN),
    "in_ugb": _coded(vocab.IN_UGB, "城镇开发边界", "Urban growth boundary", group="status",
                     shp="in_ugb", shp_label="in_ugb_zh", **_OPEN),
    "quota_status": _coded(vocab.QUOTA_STATUS, "用地指标", "Land-use quota", group="status",
                           shp="quota_st", shp_label="quota_zh", filterable=True, **_OPEN),
    "supply_mode": _coded(vocab.SUPPLY_MODE, "供应方式", "Supply mode", group="supply",
                          shp="supply_md", shp_label="sup_md_zh", **_OPEN),
    "standard_land": _field("bool", "标准地", "Standard land (标准地)", group="supply",
                            shp="std_land", **_OPEN),
    "invest_intensity_wan_per_mu": _field("float", "投资强度（万元/亩）", "Investment (10k CNY/mu)",
                                          **_NONNEG, unit="万元/亩", group="supply", digits=1,
                                          shp="invest_int", **_OPEN),
    "tax_wan_per_mu_yr": _field("float", "亩均税收（万元/亩·年）", "Tax (10k CNY/mu/yr)", **_NONNEG,
                                unit="万元/亩·年", group="supply", digits=1, shp="tax_per_mu",
                                **_OPEN),
    "energy_tce_per_wan": _field("float", "单位能耗（吨标煤/万元）", "Energy (tce/10k CNY)",
                                 **_NONNEG, unit="tce/万元", group="supply", digits=2,
                                 shp="energy_tce", **_OPEN),
    "lease_years": _field("int", "出让年限（年）", "Term (years)", min=0, max=70, unit="年",
                          group="supply", digits=0, shp="lease_yrs", **_OPEN),
    "reserve_price_wan_per_mu": _field("float", "出让底价（万元/亩）", "Reserve price (10k CNY/mu)",
                                       **_NONNEG, unit="万元/亩", group="supply", digits=2,
                                       shp="res_price", sortable=True, **_OPEN),
    "shoreline_m": _field("float", "岸线长度（米）", "Shoreline (m)", **_NONNEG, unit="m",
                          group="marine", digits=0, shp="shore_m", filterable=True, **_OPEN),
    "berth_dwt": _field("int", "泊位（吨级）", "Berth (DWT)", min=0, unit="DWT", group="marine",
                        digits=0, shp="berth_dwt", filterable=True, **_OPEN),
    "water_depth_m": _field("float", "前沿水深（米）", "Water depth (m)", **_NONNEG, unit="m",
                            group="marine", digits=1, shp="depth_m", filterable=True, **_OPEN),
    "availability": _coded(vocab.AVAILABILITY, "招商状态", "Availability", required=True,
                           group="identity", shp="avail", shp_label="avail_zh", filterable=True,
                           sortable=True, **_OPEN),
    "blocking_note": _field("text", "制约说明", "Blocking note", group="status",
                            shp="block_note", exported=True),
    "source_doc": _field("text", "资料来源", "Source document", group="provenance",
                         shp="source_doc", exported=True),
    "verified_at": _field("date", "核实日期", "Verified on", group="provenance", shp="verif_at",
                          sortable=True, **_OPEN),
    "verified_by": _field("text", "核实人", "Verified by", group="provenance", shp="verif_by",
                          editable=False, exported=True),
    "description_zh": _field("text", "简介", "Description (Chinese)", group="provenance",
                             sheet_before="source_doc", shp="desc_zh", **_OPEN),
    "description_en": _field("text", "英文简介", "Description (English)", group="provenance",
                             sheet_before="source_doc", shp="desc_en", **_OPEN),
    "photo_urls": _field("text_list", "照片", "Photos", shp="photo_urls", **_OPEN),
    "version": _field("int", "版本", "Version", group="provenance", digits=0, shp="version",
                      exported=True, **_KEPT),
    "created_at": _field("datetime", "创建时间", "Created", shp="created_at", exported=True,
                         **_KEPT),
    "updated_at": _field("datetime", "更新时间", "Updated", group="provenance", shp="updated_at",
                         exported=True, sortable=True, **_KEPT),
    # internal: never public, never exported
    "owner_name": _field("text", "权属人", "Owner", group="internal"),
    "owner_contact": _field("text", "联系方式", "Owner contact", group="internal"),
    "internal_note": _field("text", "内部备注", "Internal note", group="internal",
                            aliases=("bz", "备注")),
    "negotiation_note": _field("text", "洽谈情况", "Negotiation", group="internal"),
    "price_floor_wan_per_mu": _field("float", "内部底价（万元/亩）",
                                     "Internal price floor (10k CNY/mu)", **_NONNEG,
                                     unit="万元/亩", group="internal", digits=2),
})

BUILDING: dict[str, Field] = _named({
    # an internal reference (PT-KF-009-B1): exported for officers, never shown to investors
    "code": _field("text", "编号", "Code", required=True, group="building", exported=True),
    "site_code": _field("text", "地块编号", "Site code", required=True, stored=False),
    "name_zh": _field("text", "名称", "Name", required=True, group="building", **_OPEN),
    "name_en": _field("text", "英文名称", "Name (English)", **_OPEN),
    "building_type": _coded(vocab.BUILDING_TYPE, "建筑类型", "Type", required=True,
                            group="building", **_OPEN),
    "floors": _field("int", "层数", "Floors", min=1, max=200, group="building", digits=0, **_OPEN),
    "gfa_m2": _field("float", "建筑面积（㎡）", "Floor area (m²)", **_NONNEG, unit="m²",
                     group="building", digits=0, **_OPEN),
    "vacant_gfa_m2": _field("float", "空置面积（㎡）", "Vacant (m²)", **_NONNEG, unit="m²",
                            group="building", digits=0, filterable=True, **_OPEN),
    "min_split_m2": _field("float", "最小分割（㎡）", "Min. split (m²)", **_NONNEG, unit="m²",
                           group="building", digits=0, **_OPEN),
    "occupancy": _coded(vocab.OCCUPANCY, "使用状态", "Occupancy", group="building", **_OPEN),
    "offer": _coded(vocab.OFFER, "租售", "Offered for", group="building", **_OPEN),
    "rent_yuan_m2_month": _field("float", "租金（元/㎡·月）", "Rent (CNY/m²/month)", **_NONNEG,
                                 unit="元/㎡·月", group="building", digits=1, **_OPEN),
    "sale_yuan_m2": _field("float", "售价（元/㎡）", "Price (CNY/m²)", **_NONNEG, unit="元/㎡",
                           group="building", digits=0, **_OPEN),
    "floor_height_m": _field("float", "层高（米）", "Floor height (m)", **_NONNEG, unit="m",
                             group="building", digits=1, filterable=True, **_OPEN),
    "floor_load_kg_m2": _field("float", "荷载（kg/㎡）", "Floor load (kg/m²)", **_NONNEG,
                               unit="kg/㎡", group="building", digits=0, filterable=True, **_OPEN),
    "crane_t": _field("float", "行车（吨）", "Crane (t)", **_NONNEG, unit="t", group="building",
                      digits=1, filterable=True, **_OPEN),
    "crane_count": _field("int", "行车数量", "Cranes", min=0, **_OPEN),
    "power_kva": _field("float", "供电（kVA）", "Power (kVA)", **_NONNEG, unit="kVA",
                        group="building", digits=0, filterable=True, **_OPEN),
    "fire_hazard_class": _coded(vocab.FIRE_HAZARD_CLASS, "火灾危险性", "Fire hazard class",
                                group="building", **_OPEN),
    "eia_coverage": _field("text", "环评覆盖", "EIA coverage", **_OPEN),
    "has_title_cert": _field("bool", "产权证", "Title certificate", group="building", **_OPEN),
    "built_year": _field("int", "建成年份", "Built", min=1900, max=2100, group="building",
                         **_OPEN),
    "owner_contact": _field("text", "联系方式（内部）", "Contact (internal)", group="building"),
    "internal_note": _field("text", "内部备注", "Internal note", group="building"),
})

ZONE: dict[str, Field] = _named({
    "code": _field("text", "编号", "Code", required=True),
    "district_code": _field("text", "行政区代码", "District code", aliases=_DISTRICT_ALIASES),
    "kind": _coded(vocab.CONSTRAINT_KIND, "管控类型", "Kind", required=True),
    "name_zh": _field("text", "名称", "Name", required=True),
    "name_en": _field("text", "英文名称", "Name (English)"),
    "source": _field("text", "来源", "Source"),
    "version_date": _field("date", "版本日期", "Version date"),
})

#: a 三调 (third national land survey) current-use parcel (图斑 of the DLTB layer): the layer
#: sites are overlaid with to give their current-use composition
CURRENT_USE: dict[str, Field] = _named({
    "code": _field("text", "标识码", "Identifier", required=True, aliases=("bsm",)),
    "use_code": _land_use("sandiao", "地类名称", "Land class", required=True, shp_label="dlmc",
                          aliases=("dlbm", "地类编码")),
    "parcel_no": _field("text", "图斑编号", "Parcel number", aliases=("tbbh",)),
    "location": _field("text", "坐落单位名称", "Located in", aliases=("zldwmc",)),
    "source": _field("text", "来源", "Source"),
})

#: a site's current-use composition, kept by the database from the overlay of its outline with
#: the 三调 parcels: the share of each group of :data:`gis_app.domain.vocab.CURRENT_USE_GROUP`
#: and of the outline the survey covers (a site it does not reach has no composition, and
#: neither passes nor fails a filter on it: it is left out)
SITE_CURRENT_USE: dict[str, Field] = _named({
    "cultivated_pct": _field("float", "耕地占比（三调）", "Cropland share (survey)", unit="%",
                             digits=1, filterable=True, filter_bound="max", **_KEPT),
    "agricultural_pct": _field("float", "其他农用地占比（三调）",
                               "Other agricultural share (survey)", unit="%", digits=1, **_KEPT),
    "construction_pct": _field("float", "建设用地占比（三调）", "Construction land share (survey)",
                               unit="%", digits=1, filterable=True, **_KEPT),
    "unused_pct": _field("float", "未利用地占比（三调）", "Unused land share (survey)", unit="%",
                         digits=1, **_KEPT),
    "surveyed_pct": _field("float", "三调覆盖", "Covered by the survey", unit="%", digits=1,
                           **_KEPT),
})

#: sections of the requirement form, in order
REQUIREMENT_GROUPS: tuple[Term, ...] = (
    Term("project", "项目", "Project"),
    Term("size", "规模与用途", "Size and land use"),
    Term("building", "厂房/楼宇条件", "Building specs"),
    Term("utilities", "配套与区位", "Utilities and location"),
    Term("marine", "岸线", "Shoreline"),
    Term("budget", "价格与匹配", "Budget and matching"),
)

# In the order of the form (the group is its section); a unit reads "Chinese / English" where
# the two differ. Values are checked by gis_app.matching.spec.RequirementSpec.
_AMOUNT = {"min": 0.0, "max": 1e9}
_KM = {"min": 0.0, "max": 5000.0}
_PCT = {"min": 0.0, "max": 50.0}
_DWT = {"min": 0, "max": 1_000_000}
_NAMES = {"length": 50, "item_length": 200}

# In the order of the form (the group is its section); a unit reads "Chinese / English" where
# the two differ. The body of a requirement (gis_app.matching.spec.RequirementSpec) is derived
# from these: types, bounds, lengths, vocabularies and defaults.
REQUIREMENT: dict[str, Field] = _named({
    "id": _field("int", "ID", "ID", **_KEPT),
    "project_name": _field("text", "项目名称", "Project name", required=True, group="project"),
    "investor": _field("text", "投资方（内部）", "Investor (internal)", group="project"),
    "contact": _field("text", "联系人（内部）", "Contact (internal)", group="project"),
    "officer": _field("text", "招商专员", "Officer"),
    "industry": _field("text", "行业（GB/T 4754 代码）", "Industry (GB/T 4754 code)",
                       group="project", length=20),
    "project_type": _field("text", "项目类型", "Project type", group="project"),
    "need": _coded(vocab.NEED, "需求类型", "Need", required=True, group="project"),
    "tenure": _coded(vocab.TENURE, "取得方式", "Tenure", required=True, group="project",
                     default="either"),
    "invest_total_wan": _field("float", "总投资", "Total investment", unit="万元 / 10k CNY",
                               group="project", **_AMOUNT),
    "tax_commit_wan_per_mu_yr": _field("float", "承诺亩均税收", "Tax per mu committed",
                                       unit="万元/亩·年 / 10k CNY/mu/yr", group="project",
                                       **_AMOUNT),
    "start_by": _field("date", "计划开工", "Start by", group="project"),
    "land_use_codes": _field("text_list", "用地类型（代码）", "Land use (codes)", group="size",
                             length=20, item_length=10, default=()),
    "land_mu_min": _field("float", "用地面积 ≥", "Land area ≥", unit="亩 / mu", group="size",
                          **_AMOUNT),
    "land_mu_max": _field("float", "用地面积 ≤", "Land area ≤", unit="亩 / mu", group="size",
                          **_AMOUNT),
    "gfa_m2_min": _field("float", "建筑面积 ≥", "Floor area ≥", unit="㎡ / m²", group="size",
                         **_AMOUNT),
    "gfa_m2_max": _field("float", "建筑面积 ≤", "Floor area ≤", unit="㎡ / m²", group="size",
                         **_AMOUNT),
    "size_tolerance_pct": _field("float", "面积容差", "Size tolerance", unit="%", group="size",
                                 default=0.0, **_PCT),
    "readiness_min": _coded(vocab.READINESS, "土地整理至少", "Readiness at least",
                            group="size"),
    "building_types": Field("text_list", vocabulary=vocab.BUILDING_TYPE, zh="建筑类型",
                            en="Building types", group="building", length=10, default=()),
    "height_min_m": _field("float", "层高 ≥", "Floor height ≥", unit="米 / m",
                           group="building", **_AMOUNT),
    "floor_load_min_kg_m2": _field("float", "楼面荷载 ≥", "Floor load ≥", unit="kg/㎡",
                                   group="building", **_AMOUNT),
    "crane_min_t": _field("float", "行车 ≥", "Crane ≥", unit="吨 / t", group="building",
                          **_AMOUNT),
    "power_kva": _field("float", "用电负荷", "Power", unit="kVA", group="utilities", **_AMOUNT),
    "water_t_d": _field("float", "用水量", "Water", unit="吨/日 / t/d", group="utilities",
                        **_AMOUNT),
    "wastewater_t_d": _field("float", "排水量", "Wastewater", unit="吨/日 / t/d",
                             group="utilities", **_AMOUNT),
    "eia_category": _field("text", "环评类别", "EIA category", group="utilities"),
    "max_km_port": _field("float", "距港口 ≤", "Port within", unit="公里 / km",
                          group="utilities", **_KM),
    "port_berth_dwt_min": _field("int", "港口泊位 ≥", "Port berth ≥", unit="吨级 / DWT",
                                 group="utilities", **_DWT),
    "max_km_expressway": _field("float", "距高速互通 ≤", "Expressway within", unit="公里 / km",
                                group="utilities", **_KM),
    "max_km_ferry": _field("float", "距客运码头 ≤", "Ferry terminal within", unit="公里 / km",
                           group="utilities", **_KM),
    "preferred_townships": _field("text_list", "意向街道/镇", "Preferred townships",
                                  group="utilities", default=(), **_NAMES),
    "preferred_blocks": _field("text_list", "意向区块", "Preferred blocks", group="utilities",
                               default=(), **_NAMES),
    "shoreline_min_m": _field("float", "岸线长度 ≥", "Shoreline ≥", unit="米 / m",
                              group="marine", **_AMOUNT),
    "berth_dwt_min": _field("int", "自有泊位 ≥", "Own berth ≥", unit="吨级 / DWT",
                            group="marine", **_DWT),
    "water_depth_min_m": _field("float", "前沿水深 ≥", "Water depth ≥", unit="米 / m",
                                group="marine", **_AMOUNT),
    "max_price_wan_per_mu": _field("float", "出让价上限", "Max. land price",
                                   unit="万元/亩 / 10k CNY/mu", group="budget", **_AMOUNT),
    "max_rent_yuan_m2_month": _field("float", "租金上限", "Max. rent",
                                     unit="元/㎡·月 / CNY/m²/month", group="budget", **_AMOUNT),
    # at least one state: min is the fewest items of a list
    "accept_availability": Field("text_list", vocabulary=vocab.AVAILABILITY,
                                 zh="可接受的招商状态", en="Availability accepted",
                                 group="budget", min=1, length=5, default=("available",)),
    "near_miss_margin_pct": _field("float", "接近匹配容差", "Near-miss margin", unit="%",
                                   group="budget", default=10.0, **_PCT),
    "notes": _field("text", "备注（内部）", "Notes (internal)", group="budget", length=5000),
    "confidential": _field("bool", "保密（仅本人与管理员可见）",
                           "Confidential (you and admins only)", group="budget",
                           default=False),
    "status": _coded(vocab.REQUIREMENT_STATUS, "状态", "Status", default="new"),
    "status_changed_at": _field("datetime", "状态变更时间", "Status changed", **_KEPT),
    "created_by": _field("text", "创建人", "Created by", **_KEPT),
    "district_code": _field("text", "所属行政区", "District", **_KEPT),
    "land_use_2023_codes": _field("text_list", "用地类型（2023分类，展开）",
                                  "Land use (2023, expanded)", **_KEPT),
    "land_use_gb_codes": _field("text_list", "用地类型（GB 50137，展开）",
                                "Land use (GB 50137, expanded)", **_KEPT),
    "version": _field("int", "版本", "Version", **_KEPT),
    "created_at": _field("datetime", "创建时间", "Created", **_KEPT),
    "updated_at": _field("datetime", "更新时间", "Updated", **_KEPT),
})
# fmt: on

#: columns of ``site`` / ``building`` the registry does not declare: keys, geometry and
#: lineage kept by the database and the split/merge services
SITE_UNDECLARED = frozenset({"geom", "parent_ids", "retired_at"})
BUILDING_UNDECLARED = frozenset({"id", "site_id", "version", "created_at", "updated_at"})
#: a zone's key, geometry (checked by the geometry checks of imports and edits) and bookkeeping
ZONE_UNDECLARED = frozenset({"id", "geom", "version", "created_at", "updated_at"})
#: a parcel's key, outline, load time and its outline's vertices (above 256 it is also kept
#: in pieces, revision 0056); a composition's site, its classes (first-level class → [m², %],
#: JSON) and when it was computed
CURRENT_USE_UNDECLARED = frozenset({"id", "geom", "created_at", "vertices"})
SITE_CURRENT_USE_UNDECLARED = frozenset({"site_id", "classes", "computed_at"})
#: soft-score weights per match criterion: checked and labelled by the criterion registry
REQUIREMENT_UNDECLARED = frozenset({"weights"})


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


#: how the code column of a coded field is headed in Chinese ("招商状态代码"); the column headed
#: by the bare label holds the Chinese names (可招商)
CODE_SUFFIX = "代码"
#: the longest field name a Shapefile keeps (QGIS cuts ``availability`` to ``availabili``)
SHP_NAME_LENGTH = 10


def column_names(fields: dict[str, Field]) -> dict[str, tuple[str, bool]]:
    """Column headers (lower case) that files use for each field → (field, is a label column).

    A field is recognised by its name, its Shapefile names, its Chinese label (and
    "<label>代码" for a coded field), its import aliases and its name cut to the 10 characters
    a Shapefile keeps. The label column of a coded field (``<field>_zh``, its Shapefile label
    name, the bare Chinese label) holds names such as 可招商, which coercion reads as well as
    keys; when a file also has the code column, the two must agree. Headers claimed by two
    fields are left out.
    """
    out: dict[str, tuple[str, bool]] = {}
    clash: set[str] = set()

    def add(header: str | None, name: str, label: bool) -> None:
        if not header:
            return
        key = header.strip().lower()
        if key in out and out[key][0] != name:
            clash.add(key)
        out.setdefault(key, (name, label))

    for name, f in fields.items():
        coded = (f.vocabulary is not None or f.landuse_system is not None) and (
            f.type != "text_list"
        )
        add(name, name, False)
        add(f.shp, name, False)
        for alias in f.aliases:
            add(alias, name, False)
        if coded:
            add(f"{f.zh}{CODE_SUFFIX}", name, False)
            add(f"{name}_zh", name, True)
            add(f.shp_label, name, True)
        add(f.zh, name, coded)
    for name in fields:
        if len(name) > SHP_NAME_LENGTH:
            add(name[:SHP_NAME_LENGTH], name, False)
    return {k: v for k, v in out.items() if k not in clash}


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
