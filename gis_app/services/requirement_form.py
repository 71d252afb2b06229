"""The fields of an investor requirement as officers enter and read them: labels in Chinese and
English, the kind of input, units and vocabularies, grouped in sections.

The requirement pages build their form and their summary from these; the values are checked
by :class:`gis_app.matching.spec.RequirementSpec` when the form is sent (``POST
/api/requirements``), so a field here is only ever a way of entering a spec field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gis_app.domain import industry as industries
from gis_app.domain import landuse, vocab
from gis_app.domain.errors import UnknownVocabularyValue
from gis_app.domain.vocab import Term
from gis_app.matching.spec import RequirementSpec


@dataclass(frozen=True)
class Field:
    """One input of the requirement form.

    ``kind``: ``text``, ``number``, ``integer``, ``choice`` (one of ``vocabulary``), ``choices``
    (several), ``list`` (comma-separated text), ``bool`` or ``longtext``.
    """

    key: str
    label: Term
    kind: str = "number"
    unit: str = ""
    vocabulary: vocab.Vocabulary | None = None
    required: bool = False
    placeholder: str = ""


def _f(key: str, zh: str, en: str, kind: str = "number", unit: str = "", **kw: Any) -> Field:
    return Field(key, Term(key, zh, en), kind, unit, **kw)


SECTIONS: tuple[tuple[Term, tuple[Field, ...]], ...] = (
    (
        Term("project", "项目", "Project"),
        (
            _f("project_name", "项目名称", "Project name", "text", required=True),
            _f("investor", "投资方（内部）", "Investor (internal)", "text"),
            _f("contact", "联系人（内部）", "Contact (internal)", "text"),
            _f(
                "industry",
                "行业（GB/T 4754 代码）",
                "Industry (GB/T 4754 code)",
                "text",
                placeholder="C3411",
            ),
            _f("project_type", "项目类型", "Project type", "text"),
            _f("need", "需求类型", "Need", "choice", vocabulary=vocab.NEED, required=True),
            _f("tenure", "取得方式", "Tenure", "choice", vocabulary=vocab.TENURE, required=True),
            _f("invest_total_wan", "总投资", "Total investment", unit="万元 / 10k CNY"),
            _f(
                "tax_commit_wan_per_mu_yr",
                "承诺亩均税收",
                "Tax per mu committed",
                unit="万元/亩·年 / 10k CNY/mu/yr",
            ),
            _f("start_by", "计划开工", "Start by", "date"),
        ),
    ),
    (
        Term("size", "规模与用途", "Size and land use"),
        (
            _f(
                "land_use_codes",
                "用地类型（代码）",
                "Land use (codes)",
                "list",
                placeholder="1001, M2",
            ),
            _f("land_mu_min", "用地面积 ≥", "Land area ≥", unit="亩 / mu"),
            _f("land_mu_max", "用地面积 ≤", "Land area ≤", unit="亩 / mu"),
            _f("gfa_m2_min", "建筑面积 ≥", "Floor area ≥", unit="㎡ / m²"),
            _f("gfa_m2_max", "建筑面积 ≤", "Floor area ≤", unit="㎡ / m²"),
            _f("size_tolerance_pct", "面积容差", "Size tolerance", unit="%"),
            _f(
                "readiness_min",
                "土地整理至少",
                "Readiness at least",
                "choice",
                vocabulary=vocab.READINESS,
            ),
        ),
    ),
    (
        Term("building", "厂房/楼宇条件", "Building specs"),
        (
            _f(
                "building_types",
                "建筑类型",
                "Building types",
                "choices",
                vocabulary=vocab.BUILDING_TYPE,
            ),
            _f("height_min_m", "层高 ≥", "Floor height ≥", unit="米 / m"),
            _f("floor_load_min_kg_m2", "楼面荷载 ≥", "Floor load ≥", unit="kg/㎡"),
            _f("crane_min_t", "行车 ≥", "Crane ≥", unit="吨 / t"),
        ),
    ),
    (
        Term("utilities", "配套与区位", "Utilities and location"),
        (
            _f("power_kva", "用电负荷", "Power", unit="kVA"),
            _f("water_t_d", "用水量", "Water", unit="吨/日 / t/d"),
            _f("wastewater_t_d", "排水量", "Wastewater", unit="吨/日 / t/d"),
            _f("eia_category", "环评类别", "EIA category", "text"),
            _f("max_km_port", "距港口 ≤", "Port within", unit="公里 / km"),
            _f("port_berth_dwt_min", "港口泊位 ≥", "Port berth ≥", "integer", unit="吨级 / DWT"),
            _f("max_km_expressway", "距高速互通 ≤", "Expressway within", unit="公里 / km"),
            _f("max_km_ferry", "距客运码头 ≤", "Ferry terminal within", unit="公里 / km"),
            _f("preferred_townships", "意向街道/镇", "Preferred townships", "list"),
            _f("preferred_blocks", "意向区块", "Preferred blocks", "list"),
        ),
    ),
    (
        Term("marine", "岸线", "Shoreline"),
        (
            _f("shoreline_min_m", "岸线长度 ≥", "Shoreline ≥", unit="米 / m"),
            _f("berth_dwt_min", "自有泊位 ≥", "Own berth ≥", "integer", unit="吨级 / DWT"),
            _f("water_depth_min_m", "前沿水深 ≥", "Water depth ≥", unit="米 / m"),
        ),
    ),
    (
        Term("budget", "价格与匹配", "Budget and matching"),
        (
            _f(
                "max_price_wan_per_mu", "出让价上限", "Max. land price", unit="万元/亩 / 10k CNY/mu"
            ),
            _f("max_rent_yuan_m2_month", "租金上限", "Max. rent", unit="元/㎡·月 / CNY/m²/month"),
            _f(
                "accept_availability",
                "可接受的招商状态",
                "Availability accepted",
                "choices",
                vocabulary=vocab.AVAILABILITY,
            ),
            _f("near_miss_margin_pct", "接近匹配容差", "Near-miss margin", unit="%"),
            _f("notes", "备注（内部）", "Notes (internal)", "longtext"),
            _f(
                "confidential",
                "保密（仅本人与管理员可见）",
                "Confidential (you and admins only)",
                "bool",
            ),
        ),
    ),
)

FIELDS: dict[str, Field] = {f.key: f for _, fields in SECTIONS for f in fields}

_unknown = set(FIELDS) - set(RequirementSpec.model_fields)
if _unknown:  # a form field must be a spec field
    raise RuntimeError(f"requirement form fields not in RequirementSpec: {sorted(_unknown)}")

_DEFAULTS = {k: f.default for k, f in RequirementSpec.model_fields.items()}


def _number(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")


def _text(f: Field, value: Any, lang: str) -> str:
    if f.kind == "bool":
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if f.vocabulary is not None:
        values = value if isinstance(value, list) else [value]
        sep = "、" if lang == "zh" else ", "
        return sep.join(f.vocabulary.label(v, lang) if v in f.vocabulary else v for v in values)
    if f.key == "land_use_codes":
        return "; ".join(f"{c} {_land_use_label(c, lang)}".strip() for c in value)
    if f.key == "industry":
        try:
            return industries.label(value, lang)
        except UnknownVocabularyValue:  # stored before the code list knew it
            return str(value)
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(str(v) for v in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        unit = f.unit.split(" / ")[0 if lang == "zh" else -1] if f.unit else ""
        return f"{_number(value)} {unit}".strip()
    return str(value)


def _land_use_label(code: str, lang: str) -> str:
    for system in ("2023", "gb50137"):
        if landuse.is_valid(system, code):
            return landuse.label(system, code, lang)
    return ""


def summary(record: dict[str, Any], lang: str = "zh") -> list[tuple[Term, str]]:
    """The fields a requirement states (not left empty or at their default), labelled."""
    out: list[tuple[Term, str]] = []
    for key, f in FIELDS.items():
        value = record.get(key)
        if value is None or value == [] or value == "":
            continue
        if key in _DEFAULTS and value == _DEFAULTS[key] and not f.required:
            continue
        out.append((f.label, _text(f, value, lang)))
    return out


def form_values(record: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the form's inputs show: a stored requirement's values, or a new one's defaults.

    Numbers without a trailing ``.0``; free-text lists joined by commas; vocabulary lists as
    lists (their boxes are ticked).
    """
    source = _DEFAULTS | (record or {})
    out: dict[str, Any] = {}
    for key, f in FIELDS.items():
        value = source.get(key)
        if value is None:
            continue
        if f.kind == "list":
            out[key] = ", ".join(str(v) for v in value)
        elif f.kind in ("number", "integer"):
            out[key] = _plain_number(value)
        elif f.kind in ("choices", "bool"):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def _plain_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))
