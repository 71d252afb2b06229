"""The match criteria registry: every criterion declared once, with its labels, its SQL parts,
its explanation formatter and what an investor's page may show of it.

Everything else is derived from :data:`CRITERIA`: the ``match_criterion`` vocabulary
(``vocab.MATCH_CRITERION``), the default weights and the allowed ``weights`` keys of a
requirement, the hard predicate of the reverse match and the match and explanation statements
(:mod:`gis_app.matching.sql`), the officers' explanations (:mod:`gis_app.matching.explain`) and
the investors' (:mod:`gis_app.domain.public_schema`). A criterion that lacks one of the three
parts cannot be declared; ``tests/matching/test_criteria_registry.py`` checks the rest.

Why here, in the domain: the vocabulary and the public schema, which are domain modules, must
derive from the registry, and imports point ``api`` → ``services`` → ``matching``/``db`` →
``domain``. The SQL parts are expressions over named columns, not database access: the
statements built from them live in :mod:`gis_app.matching.sql`.

**SQL parts.** Each part is a function of a :class:`Source`, which names what the part reads:
the site (``q.s.<column>``), the building (``q.b.<column>``), the requirement
(``q.r.<column>``, one of :data:`REQ_COLUMNS`), the nearest port/expressway/ferry distances and
the blocking-zone test. The same criterion renders over the base tables (:data:`SITE`, for the
database functions of the reverse match), over ``match_unit`` (the match query) or over a site
with its unit's derived columns (the explanation query), and its requirement references render
as the one-row subquery ``r`` or as binds: nothing is rewritten after it is built.

Hard constraints decide whether a site qualifies: ``applies`` (a condition on the
requirement alone, :mod:`gis_app.domain.applicability`: SQL on ``q.r`` and the same test in
Python, so a match statement holds only the criteria that apply) and ``test(q, m)``, in
which ``m`` is the near-miss margin (``"0"`` for the strict test, a bind such as ``":margin"``
to find sites that miss by up to 10 %). Numeric
constraints also have a ``shortfall`` (by what share the site misses, 0 when it passes) and only
they take the margin; the others (kind, land use, availability, blocking zones …) never make a
near miss, since no margin can describe them. Soft scores rank the qualifying sites: a
``score`` between 0 and 1 times the weight. Price is scored against the cheapest candidate, so
its score is finished in the match query; its SQL part is the price itself (``value``).
Building-level criteria (``level="building"``) apply to plant and building needs; a site
qualifies when one of its buildings meets all of them together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gis_app.domain import industry as industries
from gis_app.domain import landuse, vocab
from gis_app.domain.applicability import (
    ALWAYS,
    All,
    Cond,
    Differs,
    Listed,
    NeedIn,
    Positive,
    Stated,
    any_stated,
)

#: a :class:`gis_app.matching.spec.RequirementSpec` (read by attribute only: the domain
#: imports nothing above it)
Spec = Any
Texts = tuple[str, str]  # (zh, en)

LAND_NEEDS: tuple[str, ...] = ("land", "island", "shoreline")
SPACE_NEEDS: tuple[str, ...] = ("plant", "building")

#: site kinds that can answer each need
NEED_KINDS: dict[str, tuple[str, ...]] = {
    "land": ("land",),
    "plant": ("standard_plant", "plant"),
    "building": ("building",),
    "island": ("island",),
    # port land with a frontage and islands with a shoreline serve shoreline needs too
    "shoreline": ("shoreline", "land", "island"),
}
#: building types that answer plant/building needs when the requirement names none
DEFAULT_BUILDING_TYPES: dict[str, tuple[str, ...]] = {
    "plant": ("standard_plant", "single_storey_plant", "multi_storey_plant"),
    "building": ("office", "commercial", "mixed"),
}
#: the occupancy of a building with space to offer (every plant or building need demands it)
VACANT_OCCUPANCY: tuple[str, ...] = ("vacant", "partly_vacant")
#: building offers that suit each tenure
TENURE_OFFERS: dict[str, tuple[str, ...]] = {
    "lease": ("lease", "lease_or_sale"),
    "lease_then_sell": ("lease", "lease_or_sale"),
    "buy": ("sale", "lease_or_sale"),
}
#: infrastructure kinds that count as a port for the port-distance criterion
PORT_KINDS: tuple[str, ...] = ("port", "wharf")
#: distance (km) at which an access score reaches 0 when the requirement sets no limit
ACCESS_SCALE_KM = {"port_access": 20.0, "expressway_access": 20.0, "ferry_access": 10.0}
#: a record checked within this many days is fresh; the score falls to 0 at STALE_DAYS
FRESH_DAYS = 180
STALE_DAYS = 730

#: requirement columns the criteria read, with their SQL types (the constant row's columns)
REQ_COLUMNS: dict[str, str] = {
    "need": "text",
    "tenure": "text",
    "land_use_2023_codes": "text[]",
    "land_use_gb_codes": "text[]",
    "land_mu_min": "float8",
    "land_mu_max": "float8",
    "gfa_m2_min": "float8",
    "gfa_m2_max": "float8",
    "size_tolerance_pct": "float8",
    "invest_total_wan": "float8",
    "tax_commit_wan_per_mu_yr": "float8",
    "power_kva": "float8",
    "water_t_d": "float8",
    "wastewater_t_d": "float8",
    "floor_load_min_kg_m2": "float8",
    "height_min_m": "float8",
    "crane_min_t": "float8",
    "shoreline_min_m": "float8",
    "berth_dwt_min": "integer",
    "water_depth_min_m": "float8",
    "max_km_port": "float8",
    "port_berth_dwt_min": "integer",
    "max_km_expressway": "float8",
    "max_km_ferry": "float8",
    "max_price_wan_per_mu": "float8",
    "max_rent_yuan_m2_month": "float8",
    "readiness_min": "text",
    "building_types": "text[]",
    "accept_availability": "text[]",
    "preferred_townships": "text[]",
    "preferred_blocks": "text[]",
}


# --- SQL: literals and sources -------------------------------------------------------------


def sql_list(values: Iterable[str]) -> str:
    """A SQL list of string literals, ``('a', 'b')`` (values are code constants, not input)."""
    return "(" + ", ".join(_lit(v) for v in values) + ")"


def sql_array(values: Iterable[str]) -> str:
    """A SQL ``text[]`` literal of code constants."""
    return "ARRAY[" + ", ".join(_lit(v) for v in values) + "]::text[]"


def _lit(value: str) -> str:
    if "'" in value or "\\" in value:
        raise ValueError(f"not a code constant: {value!r}")
    return f"'{value}'"


class Columns:
    """The columns of one table as a source names them: ``cols.area_m2`` is SQL text."""

    def __init__(self, render: Callable[[str], str]) -> None:
        self._render = render

    def __getattr__(self, column: str) -> str:
        if column.startswith("_"):
            raise AttributeError(column)
        return self._render(column)


def table(alias: str, renames: Mapping[str, str] | None = None) -> Columns:
    """Columns of the table aliased ``alias`` (``renames``: columns it names otherwise)."""
    names = dict(renames or {})
    return Columns(lambda column: f"{alias}.{names.get(column, column)}")


def _req(column: str) -> str:
    if column not in REQ_COLUMNS:
        raise KeyError(f"a criterion reads requirement column {column!r}, not in REQ_COLUMNS")
    return column


#: the requirement as the one-row subquery ``r``
REQUIREMENT_ROW = Columns(lambda column: f"r.{_req(column)}")
#: the requirement as binds (outside the scope of ``r``; types of :data:`REQ_COLUMNS`)
REQUIREMENT_BINDS = Columns(lambda column: f"CAST(:r_{_req(column)} AS {REQ_COLUMNS[column]})")


@dataclass(frozen=True)
class Source:
    """What the criteria's SQL parts read, as one statement names it.

    ``s``, ``b`` and ``r``: the site's, building's and requirement's columns; ``d_port_any``,
    ``d_port_berth``, ``d_expressway``, ``d_ferry``: distances (m) to the nearest port or wharf,
    to the nearest one taking the requirement's berth class, to the nearest expressway
    interchange and ferry terminal; ``not_blocked``: the site overlaps no blocking zone.
    """

    name: str
    s: Columns
    b: Columns
    r: Columns
    d_port_any: str
    d_port_berth: str
    d_expressway: str
    d_ferry: str
    not_blocked: str

    def with_requirement(self, r: Columns) -> Source:
        """The same source reading the requirement through ``r`` (e.g. binds)."""
        return Source(
            self.name,
            self.s,
            self.b,
            r,
            self.d_port_any,
            self.d_port_berth,
            self.d_expressway,
            self.d_ferry,
            self.not_blocked,
        )


_BLOCKING = sql_list(sorted(vocab.BLOCKING_CONSTRAINT_KINDS))


def qualifying_ports(r: Columns) -> str:
    """SQL: the ports and wharves that take ships of the requirement's berth class, as one
    collection (built once per query; PostGIS caches its tree across calls, several times
    faster than one distance per port)."""
    return (
        "(SELECT ST_Collect(i.geom)::geography"
        f" FROM infrastructure i WHERE i.kind IN {sql_list(PORT_KINDS)}"
        f" AND i.berth_dwt >= {r.port_berth_dwt_min})"
    )


QUALIFYING_PORTS = qualifying_ports(REQUIREMENT_ROW)


def _d_kind(s: Columns, kind: str) -> str:
    vocab.INFRA_KIND.term(kind)
    return (
        "(SELECT d.distance_m FROM site_distance d"
        f" WHERE d.site_id = {s.id} AND d.infra_kind = {_lit(kind)})"
    )


def _site_source() -> Source:
    s = table("s")
    return Source(
        "site",
        s=s,
        b=table("b"),
        r=REQUIREMENT_ROW,
        # the trigger-kept site_distance holds only the nearest of each kind, whatever its berth
        d_port_any=(
            "(SELECT min(d.distance_m) FROM site_distance d"
            f" WHERE d.site_id = {s.id} AND d.infra_kind IN {sql_list(PORT_KINDS)})"
        ),
        d_port_berth=f"ST_Distance({s.geom}::geography, {QUALIFYING_PORTS})",
        d_expressway=_d_kind(s, "expressway_interchange"),
        d_ferry=_d_kind(s, "ferry_terminal"),
        not_blocked=(
            "NOT EXISTS (SELECT 1 FROM site_constraint_overlap o"
            f" WHERE o.site_id = {s.id} AND o.zone_kind IN {_BLOCKING})"
        ),
    )


#: the base tables: site ``s``, building ``b``, requirement ``r``, the trigger-kept
#: ``site_distance`` and ``site_constraint_overlap``
SITE = _site_source()


# --- SQL: shared pieces ----------------------------------------------------------------------

_M2_PER_MU = repr(vocab.M2_PER_MU)


#: the requirement asks for land; for space (plant or building)
LAND = NeedIn(LAND_NEEDS)
SPACE = NeedIn(SPACE_NEEDS)


def _land(q: Source) -> str:
    return LAND(q)


def _space(q: Source) -> str:
    return SPACE(q)


def _case_need(q: Source, mapping: dict[str, tuple[str, ...]]) -> str:
    whens = " ".join(f"WHEN {_lit(k)} THEN {sql_array(v)}" for k, v in mapping.items())
    return f"CASE {q.r.need} {whens} ELSE ARRAY[]::text[] END"


def _tol(q: Source) -> str:
    return f"({q.r.size_tolerance_pct} / 100.0)"


# Bounds of the size range after the officer's tolerance (m² for land, m² of floor space).
def _land_min_m2(q: Source) -> str:
    return f"({q.r.land_mu_min} * {_M2_PER_MU} * (1 - {_tol(q)}))"


def _land_max_m2(q: Source) -> str:
    return f"({q.r.land_mu_max} * {_M2_PER_MU} * (1 + {_tol(q)}))"


def _gfa_min(q: Source) -> str:
    return f"({q.r.gfa_m2_min} * (1 - {_tol(q)}))"


def _gfa_max(q: Source) -> str:
    return f"({q.r.gfa_m2_max} * (1 + {_tol(q)}))"


def d_port(q: Source) -> str:
    """SQL: distance (m) to the nearest port or wharf; with a berth class, to the nearest one
    that takes it."""
    return (
        f"(CASE WHEN {q.r.port_berth_dwt_min} IS NULL THEN {q.d_port_any}"
        f" ELSE {q.d_port_berth} END)"
    )


def _km(column: str) -> str:
    return f"({column} * 1000.0)"


def _min_test(value: str, bound: str, m: str) -> str:
    return f"{value} >= {bound} * (1 - {m})"


def _max_test(value: str, bound: str, m: str) -> str:
    return f"{value} <= {bound} * (1 + {m})"


def _min_short(value: str, bound: str) -> str:
    return f"greatest(0, ({bound} - {value}) / NULLIF({bound}, 0))"


def _max_short(value: str, bound: str) -> str:
    return f"greatest(0, ({value} - {bound}) / NULLIF({bound}, 0))"


def _rank(v: vocab.Vocabulary, column: str) -> str:
    return f"array_position({sql_array(v.keys)}, {column})"


def _split(q: Source) -> str:
    return f"COALESCE({q.b.min_split_m2}, {q.b.vacant_gfa_m2})"


# The size a space need aims at: the middle of the range, or its one bound.
def _gfa_target(q: Source) -> str:
    r = q.r
    return f"COALESCE(({r.gfa_m2_min} + {r.gfa_m2_max}) / 2.0, {r.gfa_m2_min}, {r.gfa_m2_max})"


def _mu_target(q: Source) -> str:
    r = q.r
    return f"COALESCE(({r.land_mu_min} + {r.land_mu_max}) / 2.0, {r.land_mu_min}, {r.land_mu_max})"


def _size_score(q: Source) -> str:
    target, split, vacant = _gfa_target(q), _split(q), q.b.vacant_gfa_m2
    return (
        f"CASE WHEN {_space(q)} THEN (CASE"
        # a unit of the wanted size can be let: the space is between its smallest split and all
        f" WHEN {split} <= {target} AND {vacant} >= {target} THEN 1.0"
        f" WHEN {vacant} < {target}"
        f" THEN greatest(0, 1 - ({target} - {vacant}) / {target})"
        f" ELSE greatest(0, 1 - ({split} - {target}) / {target}) END)"
        f" ELSE greatest(0, 1 - abs({q.s.area_mu} - {_mu_target(q)}) / {_mu_target(q)}) END"
    )


_UTILITY_NEEDS = (("power", "power_kva"), ("water", "water_t_d"), ("sewer", "wastewater_t_d"))


def _needed_utilities(q: Source) -> str:
    whens = ", ".join(
        f"CASE WHEN {getattr(q.r, col)} IS NOT NULL THEN {_lit(u)} END" for u, col in _UTILITY_NEEDS
    )
    return f"array_remove(ARRAY[{whens}], NULL)"


def _utilities_score(q: Source) -> str:
    # share of the needed utilities the site has, without a subquery per candidate
    has = " + ".join(
        f"(CASE WHEN {getattr(q.r, col)} IS NOT NULL AND {_lit(u)} = ANY({q.s.utilities})"
        " THEN 1 ELSE 0 END)"
        for u, col in _UTILITY_NEEDS
    )
    needed = " + ".join(
        f"(CASE WHEN {getattr(q.r, col)} IS NOT NULL THEN 1 ELSE 0 END)"
        for _u, col in _UTILITY_NEEDS
    )
    return f"({has})::float8 / NULLIF({needed}, 0)"


def _access(key: str, distance: str, limit_km: str) -> str:
    scale = f"(COALESCE({limit_km}, {ACCESS_SCALE_KM[key]}) * 1000.0)"
    return f"COALESCE(greatest(0, 1 - {distance} / {scale}), 0)"


def _price(q: Source) -> str:
    s, b, r = q.s, q.b, q.r
    return (
        f"(CASE WHEN {_space(q)}"
        f" THEN (CASE WHEN {r.tenure} = 'buy' THEN {b.sale_yuan_m2}"
        f" ELSE {b.rent_yuan_m2_month} END)"
        f" WHEN {_land(q)} THEN {s.reserve_price_wan_per_mu} END)"
    )


# --- explanations: wording helpers ------------------------------------------------------------


def number_text(x: float | int | None, digits: int = 1) -> str:
    """A number for an explanation: thousands separated, trailing zeros dropped, "?" if None."""
    if x is None:
        return "?"
    text = f"{float(x):,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


_num = number_text


def unknown_texts() -> Texts:
    """The words for a value that is not recorded."""
    t = vocab.MATCH_OUTCOME.term("unknown")
    return t.zh, t.en


def _labels(v: vocab.Vocabulary, keys: Any) -> Texts:
    keys = [keys] if isinstance(keys, str) else list(keys or [])
    if not keys:
        return unknown_texts()
    return "、".join(v.label(k, "zh") for k in keys), ", ".join(v.label(k, "en") for k in keys)


def _qty(x: float | int | None, unit_zh: str, unit_en: str | None = None, digits: int = 1) -> Texts:
    if x is None:
        return unknown_texts()
    return f"{_num(x, digits)} {unit_zh}", f"{_num(x, digits)} {unit_en or unit_zh}"


def _bound(op: str, x: float | int | None, unit_zh: str, unit_en: str | None = None) -> Texts:
    zh, en = _qty(x, unit_zh, unit_en)
    return f"{op} {zh}", f"{op} {en}"


def _km_text(m: float | None) -> Texts:
    return _qty(None if m is None else m / 1000.0, "km", "km", 1)


def _range(lo: float | None, hi: float | None, unit_zh: str, unit_en: str) -> Texts:
    if lo is not None and hi is not None:
        return f"{_num(lo)}–{_num(hi)} {unit_zh}", f"{_num(lo)}–{_num(hi)} {unit_en}"
    if lo is not None:
        return _bound("≥", lo, unit_zh, unit_en)
    return _bound("≤", hi, unit_zh, unit_en)


def _land_use_site(value: Mapping[str, Any]) -> Texts:
    planned, legacy = value.get("planned_use"), value.get("legacy_use")
    zh, en = [], []
    if planned:
        zh.append(f"{planned} {landuse.label('2023', planned, 'zh')}")
        en.append(f"{planned} {landuse.label('2023', planned, 'en')}")
    if legacy:
        zh.append(f"{legacy} {landuse.label('gb50137', legacy, 'zh')}")
        en.append(f"{legacy} {landuse.label('gb50137', legacy, 'en')}")
    return ("；".join(zh), "; ".join(en)) if zh else unknown_texts()


def _land_use_req(spec: Spec) -> Texts:
    zh, en = [], []
    for code in spec.effective_land_use_codes():
        system = "2023" if code.isdigit() else "gb50137"
        zh.append(f"{code} {landuse.label(system, code, 'zh')}")
        en.append(f"{code} {landuse.label(system, code, 'en')}")
    zh_text = "、".join(zh) + "（含下级及对应类）"
    en_text = "; ".join(en) + " (with sub-classes and equivalents)"
    if spec.land_use_from_industry and spec.industry:
        zh_text = f"行业 {industries.label(spec.industry, 'zh')} 适用：{zh_text}"
        en_text = f"industry {industries.label(spec.industry, 'en')}: {en_text}"
    return zh_text, en_text


def _zones(value: list[Mapping[str, Any]] | None) -> Texts:
    if not value:
        return "无", "none"
    zh = "、".join(
        f"{z['name_zh']}（{vocab.CONSTRAINT_KIND.label(z['kind'])} {z['pct']}%）" for z in value
    )
    en = "; ".join(
        f"{z['name_en'] or z['code']} ({vocab.CONSTRAINT_KIND.label(z['kind'], 'en')} {z['pct']}%)"
        for z in value
    )
    return zh, en


def _blocking_req(spec: Spec) -> Texts:
    kinds = sorted(vocab.BLOCKING_CONSTRAINT_KINDS)
    return (
        "不压占" + "、".join(vocab.CONSTRAINT_KIND.label(k) for k in kinds),
        "no overlap with " + ", ".join(vocab.CONSTRAINT_KIND.label(k, "en") for k in kinds),
    )


def _port_site(row: Mapping[str, Any]) -> Texts:
    port, m = row.get("port"), row.get("port_m")
    if m is None:
        return unknown_texts()
    zh, en = _km_text(m)
    if port:
        dwt = f"，{_num(port['berth_dwt'], 0)} 吨级" if port.get("berth_dwt") else ""
        dwt_en = f", {_num(port['berth_dwt'], 0)} DWT" if port.get("berth_dwt") else ""
        zh += f"（{port['name_zh']}{dwt}）"
        en += f" ({port['name_en'] or port['code']}{dwt_en})"
    return zh, en


def _port_req(spec: Spec) -> Texts:
    zh, en = _bound("≤", spec.max_km_port, "km")
    if spec.port_berth_dwt_min:
        zh += f"，泊位 ≥ {_num(spec.port_berth_dwt_min, 0)} 吨级"
        en += f", berth ≥ {_num(spec.port_berth_dwt_min, 0)} DWT"
    return zh, en


def _kinds_for(spec: Spec) -> list[str]:
    return list(NEED_KINDS[spec.need])


def _building_types_for(spec: Spec) -> list[str]:
    return spec.building_types or list(DEFAULT_BUILDING_TYPES.get(spec.need, ()))


def _offers_for(spec: Spec) -> list[str]:
    return list(TENURE_OFFERS.get(spec.tenure, vocab.OFFER.keys))


def _access_req(key: str, limit: float | None) -> Texts:
    scale = limit if limit is not None else ACCESS_SCALE_KM[key]
    return (
        f"越近越好（{_num(scale)} km 处为 0 分）",
        f"closer is better (0 points at {_num(scale)} km)",
    )


def _order_req(v: vocab.Vocabulary, best: str) -> Texts:
    return f"{v.label(best)}最佳", f"best: {v.label(best, 'en')}"


def _size_site(v: Any) -> Texts:
    if isinstance(v, Mapping):
        zh, en = _qty(v.get("vacant_gfa_m2"), "m²", digits=0)
        split = v.get("min_split_m2")
        if split is not None:
            zh += f"（最小分割 {_num(split, 0)} m²）"
            en += f" (smallest unit {_num(split, 0)} m²)"
        return zh, en
    return _qty(v, "亩", "mu")


def _size_req(spec: Spec) -> Texts:
    if spec.need in SPACE_NEEDS:
        return _range(spec.gfa_m2_min, spec.gfa_m2_max, "m²", "m²")
    return _range(spec.land_mu_min, spec.land_mu_max, "亩", "mu")


def _land_area_req(spec: Spec) -> Texts:
    zh, en = _range(spec.land_mu_min, spec.land_mu_max, "亩", "mu")
    if spec.size_tolerance_pct:
        zh += f"（容差 ±{_num(spec.size_tolerance_pct)}%）"
        en += f" (tolerance ±{_num(spec.size_tolerance_pct)}%)"
    return zh, en


def _floor_area_req(spec: Spec) -> Texts:
    zh, en = _bound("≥", spec.gfa_m2_min, "m²")
    if spec.size_tolerance_pct:
        zh += f"（容差 {_num(spec.size_tolerance_pct)}%）"
        en += f" (tolerance {_num(spec.size_tolerance_pct)}%)"
    return zh, en


def _far_site(v: Mapping[str, Any]) -> Texts:
    if v.get("far_max") is None:
        return unknown_texts()
    cap = _num(v.get("capacity_m2"), 0)
    return (
        f"容积率上限 {_num(v['far_max'])}，可建 {cap} m²",
        f"FAR up to {_num(v['far_max'])}, up to {cap} m² of floor area",
    )


def _far_req(spec: Spec) -> Texts:
    zh, en = _qty(spec.gfa_m2_min, "m²", digits=0)
    return f"项目建筑面积 ≥ {zh}", f"project floor area ≥ {en}"


def _at_least(v: vocab.Vocabulary, key: str | None) -> Texts:
    zh, en = _labels(v, key)
    return f"≥ {zh}", f"≥ {en}"


def _standard_site(v: Mapping[str, Any]) -> Texts:
    if not v.get("standard_land"):
        return "非标准地（无门槛）", "not standard land (no thresholds)"
    inv, tax = v.get("invest_intensity_wan_per_mu"), v.get("tax_wan_per_mu_yr")
    return (
        f"标准地：投资强度 ≥ {_num(inv)} 万元/亩，亩均税收 ≥ {_num(tax)} 万元/年",
        f"standard land: investment ≥ {_num(inv)} 万元/mu, tax ≥ {_num(tax)} 万元/mu/yr",
    )


def _standard_req(spec: Spec) -> Texts:
    zh, en = [], []
    if spec.invest_total_wan is not None:
        zh.append(f"总投资 {_num(spec.invest_total_wan)} 万元")
        en.append(f"investment {_num(spec.invest_total_wan)} 万元")
    if spec.tax_commit_wan_per_mu_yr is not None:
        zh.append(f"税收承诺 {_num(spec.tax_commit_wan_per_mu_yr)} 万元/亩/年")
        en.append(f"tax pledge {_num(spec.tax_commit_wan_per_mu_yr)} 万元/mu/yr")
    return "，".join(zh), ", ".join(en)


def _utilities_site(v: Mapping[str, Any]) -> Texts:
    has = v.get("has") or []
    return _labels(vocab.UTILITY, has) if has else ("无", "none")


def _utilities_req(spec: Spec) -> Texts:
    needed = [
        k
        for k, given in (
            ("power", spec.power_kva),
            ("water", spec.water_t_d),
            ("sewer", spec.wastewater_t_d),
        )
        if given is not None
    ]
    return _labels(vocab.UTILITY, needed)


def _fresh_site(v: Mapping[str, Any]) -> Texts:
    if not v.get("verified_at"):
        return unknown_texts()
    return (
        f"核实于 {v['verified_at']}（{v['age_days']} 天前）",
        f"verified {v['verified_at']} ({v['age_days']} days ago)",
    )


def _location_site(v: Mapping[str, Any]) -> Texts:
    """The site's township and block; in English their ``*_en`` names where the data has them,
    else the Chinese name."""
    names = [n for n in ("township", "block") if v.get(n)]
    if not names:
        return unknown_texts()
    return "，".join(v[n] for n in names), ", ".join(v.get(f"{n}_en") or v[n] for n in names)


def _location_req(spec: Spec) -> Texts:
    names = [*spec.preferred_townships, *spec.preferred_blocks]
    return "优先 " + "、".join(names), "preferably " + ", ".join(names)


def _price_unit(spec: Spec) -> Texts:
    if spec.need in SPACE_NEEDS:
        return ("元/m²", "yuan/m²") if spec.tenure == "buy" else ("元/m²/月", "yuan/m²/month")
    return "万元/亩", "万元/mu"


def _price_site(row: Mapping[str, Any], spec: Spec) -> Texts:
    unit_zh, unit_en = _price_unit(spec)
    price, cheapest = row.get("price"), row.get("cheapest")
    if price is None:
        return "未公布", "not published"
    zh, en = _qty(price, unit_zh, unit_en)
    if cheapest is not None:
        zh += f"（候选最低 {_num(cheapest)}）"
        en += f" (lowest candidate {_num(cheapest)})"
    return zh, en


# --- the declaration ---------------------------------------------------------------------------

#: SQL part of a source (``q``); a test also takes the margin (``m``)
Part = Callable[[Source], str]
TestPart = Callable[[Source, str], str]


@dataclass(frozen=True)
class Formatter:
    """How one criterion is told to officers: the site's value as text (from the value the
    explanation query returns, the whole row and the requirement), the requirement as text and
    as a value.

    The requirement side depends on the requirement alone; the explanations take it from a
    per-match cache (it was a third of the time of explaining a row).
    """

    site: Callable[[Any, Mapping[str, Any], Spec], Texts]
    req: Callable[[Spec], Texts]
    req_value: Callable[[Spec], Any]


#: kinds of value an investor's page may show (see :mod:`gis_app.domain.public_schema`)
NUM, METRES, LAND_USE, LOCATION, UTILITIES, NONE = (
    "num",
    "metres",
    "land_use",
    "location",
    "utilities",
    "none",
)


def vocab_kind(v: vocab.Vocabulary) -> str:
    """The public value kind of keys of ``v``."""
    return f"vocab:{v.name}"


@dataclass(frozen=True)
class Public:
    """What an investor's page shows of a criterion: its label, the site's value and the
    investor's own figure, formatted by ``kind`` (a number in ``unit``, metres as km, a
    vocabulary's labels, a land-use class, a township and block, utilities); ``kind`` "none"
    hides the criterion, for the ``reason`` given.

    ``site``: the site's value may be shown (from public columns only); ``required``: the
    investor's own figure may be — never for budget-like figures (price and rent caps).
    """

    kind: str
    unit: str = ""
    site: bool = False
    required: bool = False
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.kind == NONE) != bool(self.reason):
            raise ValueError("a hidden criterion says why; a shown one has no reason to give")

    @property
    def shown(self) -> bool:
        """Whether the criterion appears on investor pages at all."""
        return self.kind != NONE


def hidden(reason: str) -> Public:
    """A criterion investors never see, and why."""
    return Public(NONE, reason=reason)


_INTERNAL = "internal scoring, not the investor's requirement"


@dataclass(frozen=True)
class Member:
    """A hard criterion met when one column holds a value of a set: the column (of the site
    ``s`` or the building ``b``, as a source names them), the vocabulary its values come from
    (a check constraint holds it to them) and the set (SQL ``text[]``) the requirement
    accepts. Its test is ``column = ANY(set)``. ``every``: the criterion may not apply to a
    space need, and then accepts every value, NULL included (a building without a recorded
    offer). The space key (:data:`SPACE_KEY_CRITERIA`) numbers each value by its place in the
    vocabulary."""

    table: str
    column: str
    values: vocab.Vocabulary
    accepted: Part
    every: bool = False

    def of(self, q: Source) -> str:
        """The column as ``q`` names it."""
        return str(getattr(getattr(q, self.table), self.column))

    def test(self, q: Source, margin: str) -> str:
        """The criterion's test (no margin: a value is in the set or not)."""
        return f"{self.of(q)} = ANY({self.accepted(q)})"


@dataclass(frozen=True)
class Criterion:
    """One match criterion, declared once: labels, SQL parts, formatter, public wording.

    Hard: ``applies`` and ``test`` (``shortfall`` for numeric ones, which take the margin);
    soft: ``applies`` and ``score`` times ``weight`` (price: ``score`` is None and ``value``
    is the price, scored against the cheapest candidate by the match query).
    """

    key: str
    zh: str
    en: str
    hard: bool
    applies: Cond
    value: Part
    explain: Formatter
    public: Public
    test: TestPart | None = None
    shortfall: Part | None = None
    score: Part | None = None
    level: str = "site"
    weight: float = 0.0
    #: a membership criterion: its column and accepted set (its ``test`` is the member's)
    member: Member | None = None

    @functools.cached_property
    def term(self) -> vocab.Term:
        """The criterion's labels."""
        return vocab.Term(self.key, self.zh, self.en)

    @property
    def has_margin(self) -> bool:
        """Whether a site may miss it by a margin (and so be a near miss)."""
        return self.shortfall is not None


def _value(column: Callable[[Source], str]) -> Part:
    return lambda q: f"to_jsonb({column(q)})"


def _f(
    site: Callable[[Any], Texts],
    req: Callable[[Spec], Texts],
    req_value: Callable[[Spec], Any],
) -> Formatter:
    """A formatter whose site text depends on the value only (so it is worded once per value:
    a match explains ~30 rows of ~15 criteria, and the sites share most values)."""
    texts = _by_value(site)
    return Formatter(lambda v, row, spec: texts(v), req, req_value)


def _by_value(fn: Callable[[Any], Texts], size: int = 4096) -> Callable[[Any], Texts]:
    """``fn`` remembering its result per value (JSON values: lists are keyed as tuples)."""
    memo: dict[Hashable, Texts] = {}

    def texts(value: Any) -> Texts:
        key = (type(value), tuple(value)) if isinstance(value, list) else (type(value), value)
        try:
            return memo[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value (a dict): worded each time
            return fn(value)
        if len(memo) >= size:
            memo.clear()
        memo[key] = result = fn(value)
        return result

    return texts


def _labelled(v: vocab.Vocabulary) -> Callable[[Any], Texts]:
    return lambda value: _labels(v, value)


def _no_req_value(spec: Spec) -> None:
    return None


_BLOCKING_VALUE = (
    "(SELECT COALESCE(jsonb_agg(jsonb_build_object('kind', o.zone_kind, 'code', z.code,"
    " 'name_zh', z.name_zh, 'name_en', z.name_en, 'pct', round(o.overlap_pct::numeric, 1))"
    " ORDER BY o.overlap_pct DESC, z.code), '[]'::jsonb)"
    " FROM site_constraint_overlap o JOIN constraint_zone z ON z.id = o.zone_id"
    " WHERE o.site_id = {site_id} AND o.zone_kind IN {kinds})"
)

_KIND = Member("s", "kind", vocab.SITE_KIND, lambda q: _case_need(q, NEED_KINDS))
_AVAILABILITY = Member("s", "availability", vocab.AVAILABILITY, lambda q: q.r.accept_availability)
_BUILDING_TYPE = Member(
    "b",
    "building_type",
    vocab.BUILDING_TYPE,
    lambda q: (
        f"CASE WHEN cardinality({q.r.building_types}) > 0"
        f" THEN {q.r.building_types} ELSE {_case_need(q, DEFAULT_BUILDING_TYPES)} END"
    ),
)
_OFFER = Member(
    "b",
    "offer",
    vocab.OFFER,
    lambda q: (
        f"CASE {q.r.tenure}"
        + "".join(f" WHEN {_lit(t)} THEN {sql_array(o)}" for t, o in TENURE_OFFERS.items())
        + " ELSE ARRAY[]::text[] END"
    ),
    every=True,
)

HARD: tuple[Criterion, ...] = (
    Criterion(
        "kind",
        "资源类型",
        "Site kind",
        hard=True,
        applies=ALWAYS,
        test=_KIND.test,
        member=_KIND,
        value=_value(lambda q: q.s.kind),
        explain=_f(
            _labelled(vocab.SITE_KIND),
            lambda s: _labels(vocab.SITE_KIND, _kinds_for(s)),
            _kinds_for,
        ),
        public=Public(vocab_kind(vocab.SITE_KIND), site=True, required=True),
    ),
    Criterion(
        "land_use",
        "用地性质",
        "Land use",
        hard=True,
        applies=Listed(("land_use_2023_codes", "land_use_gb_codes")),
        test=lambda q, m: (
            f"({q.s.planned_use} = ANY({q.r.land_use_2023_codes})"
            f" OR {q.s.legacy_use} = ANY({q.r.land_use_gb_codes}))"
        ),
        value=lambda q: (
            f"jsonb_build_object('planned_use', {q.s.planned_use}, 'legacy_use', {q.s.legacy_use})"
        ),
        explain=_f(_land_use_site, _land_use_req, lambda s: s.effective_land_use_codes()),
        public=Public(LAND_USE, site=True),
    ),
    Criterion(
        "availability",
        "招商状态",
        "Availability",
        hard=True,
        applies=ALWAYS,
        test=_AVAILABILITY.test,
        member=_AVAILABILITY,
        value=_value(lambda q: q.s.availability),
        explain=_f(
            _labelled(vocab.AVAILABILITY),
            lambda s: _labels(vocab.AVAILABILITY, s.accept_availability),
            lambda s: s.accept_availability,
        ),
        public=hidden("always met by what is offered: only available sites are recommended"),
    ),
    Criterion(
        "blocking_zones",
        "管控区冲突",
        "Blocking constraint zones",
        hard=True,
        applies=ALWAYS,
        test=lambda q, m: q.not_blocked,
        value=lambda q: _BLOCKING_VALUE.format(site_id=q.s.id, kinds=_BLOCKING),
        explain=_f(_zones, _blocking_req, lambda s: sorted(vocab.BLOCKING_CONSTRAINT_KINDS)),
        public=hidden("an always-true check on recommended sites"),
    ),
    Criterion(
        "land_area",
        "用地面积",
        "Land area",
        hard=True,
        applies=LAND & any_stated("land_mu_min", "land_mu_max"),
        test=lambda q, m: (
            f"({q.r.land_mu_min} IS NULL OR {q.s.area_m2} >= {_land_min_m2(q)} * (1 - {m}))"
            f" AND ({q.r.land_mu_max} IS NULL OR {q.s.area_m2} <= {_land_max_m2(q)} * (1 + {m}))"
        ),
        shortfall=lambda q: (
            f"greatest(COALESCE({_min_short(q.s.area_m2, _land_min_m2(q))}, 0),"
            f" COALESCE({_max_short(q.s.area_m2, _land_max_m2(q))}, 0))"
        ),
        value=_value(lambda q: f"round({q.s.area_mu}::numeric, 1)"),
        explain=_f(
            lambda v: _qty(v, "亩", "mu"), _land_area_req, lambda s: [s.land_mu_min, s.land_mu_max]
        ),
        public=Public(NUM, "亩", site=True, required=True),
    ),
    Criterion(
        "readiness_min",
        "土地整理要求",
        "Required readiness",
        hard=True,
        applies=Stated("readiness_min"),
        test=lambda q, m: (
            f"{_rank(vocab.READINESS, q.s.readiness)}"
            f" >= {_rank(vocab.READINESS, q.r.readiness_min)}"
        ),
        value=_value(lambda q: q.s.readiness),
        explain=_f(
            _labelled(vocab.READINESS),
            lambda s: _at_least(vocab.READINESS, s.readiness_min),
            lambda s: s.readiness_min,
        ),
        public=Public(vocab_kind(vocab.READINESS), site=True, required=True),
    ),
    Criterion(
        "shoreline",
        "岸线长度",
        "Shoreline length",
        hard=True,
        applies=Stated("shoreline_min_m") | NeedIn(("shoreline",)),
        test=lambda q, m: (
            f"{q.s.shoreline_m} > 0 AND {q.s.shoreline_m} >= COALESCE({q.r.shoreline_min_m}, 0)"
            f" * (1 - {m})"
        ),
        shortfall=lambda q: (
            f"CASE WHEN {q.s.shoreline_m} > 0 THEN COALESCE("
            f"{_min_short(q.s.shoreline_m, q.r.shoreline_min_m)}, 0) END"
        ),
        value=_value(lambda q: q.s.shoreline_m),
        explain=_f(
            lambda v: _qty(v, "m"),
            lambda s: (
                _bound("≥", s.shoreline_min_m, "m") if s.shoreline_min_m else ("> 0 m", "> 0 m")
            ),
            lambda s: s.shoreline_min_m,
        ),
        public=Public(NUM, "m", site=True, required=True),
    ),
    Criterion(
        "berth",
        "泊位等级",
        "Berth class",
        hard=True,
        applies=Stated("berth_dwt_min"),
        test=lambda q, m: _min_test(q.s.berth_dwt, q.r.berth_dwt_min, m),
        shortfall=lambda q: _min_short(q.s.berth_dwt, q.r.berth_dwt_min),
        value=_value(lambda q: q.s.berth_dwt),
        explain=_f(
            lambda v: _qty(v, "吨级", "DWT", 0),
            lambda s: _bound("≥", s.berth_dwt_min, "吨级", "DWT"),
            lambda s: s.berth_dwt_min,
        ),
        public=Public(NUM, "DWT", site=True, required=True),
    ),
    Criterion(
        "water_depth",
        "前沿水深",
        "Water depth",
        hard=True,
        applies=Stated("water_depth_min_m"),
        test=lambda q, m: _min_test(q.s.water_depth_m, q.r.water_depth_min_m, m),
        shortfall=lambda q: _min_short(q.s.water_depth_m, q.r.water_depth_min_m),
        value=_value(lambda q: q.s.water_depth_m),
        explain=_f(
            lambda v: _qty(v, "m"),
            lambda s: _bound("≥", s.water_depth_min_m, "m"),
            lambda s: s.water_depth_min_m,
        ),
        public=Public(NUM, "m", site=True, required=True),
    ),
    Criterion(
        "port_distance",
        "距港口码头",
        "Distance to port",
        hard=True,
        applies=Stated("max_km_port"),
        test=lambda q, m: _max_test(d_port(q), _km(q.r.max_km_port), m),
        shortfall=lambda q: _max_short(d_port(q), _km(q.r.max_km_port)),
        # the nearest qualifying port: a column of its own in the explanation query
        value=lambda q: "NULL",
        explain=Formatter(
            lambda v, row, spec: _port_site(row),
            _port_req,
            lambda s: {"max_km": s.max_km_port, "berth_dwt_min": s.port_berth_dwt_min},
        ),
        public=Public(METRES, "km", site=True, required=True),
    ),
    Criterion(
        "expressway_distance",
        "距高速互通",
        "Distance to expressway interchange",
        hard=True,
        applies=Stated("max_km_expressway"),
        test=lambda q, m: _max_test(q.d_expressway, _km(q.r.max_km_expressway), m),
        shortfall=lambda q: _max_short(q.d_expressway, _km(q.r.max_km_expressway)),
        value=_value(lambda q: f"round({q.d_expressway})"),
        explain=_f(
            _km_text,
            lambda s: _bound("≤", s.max_km_expressway, "km"),
            lambda s: s.max_km_expressway,
        ),
        public=Public(METRES, "km", site=True, required=True),
    ),
    Criterion(
        "ferry_distance",
        "距客运码头",
        "Distance to ferry terminal",
        hard=True,
        applies=Stated("max_km_ferry"),
        test=lambda q, m: _max_test(q.d_ferry, _km(q.r.max_km_ferry), m),
        shortfall=lambda q: _max_short(q.d_ferry, _km(q.r.max_km_ferry)),
        value=_value(lambda q: f"round({q.d_ferry})"),
        explain=_f(_km_text, lambda s: _bound("≤", s.max_km_ferry, "km"), lambda s: s.max_km_ferry),
        public=Public(METRES, "km", site=True, required=True),
    ),
    Criterion(
        "max_price",
        "出让底价上限",
        "Land price cap",
        hard=True,
        applies=LAND & Stated("max_price_wan_per_mu"),
        test=lambda q, m: _max_test(q.s.reserve_price_wan_per_mu, q.r.max_price_wan_per_mu, m),
        shortfall=lambda q: _max_short(q.s.reserve_price_wan_per_mu, q.r.max_price_wan_per_mu),
        value=_value(lambda q: q.s.reserve_price_wan_per_mu),
        explain=_f(
            lambda v: _qty(v, "万元/亩", "万元/mu"),
            lambda s: _bound("≤", s.max_price_wan_per_mu, "万元/亩", "万元/mu"),
            lambda s: s.max_price_wan_per_mu,
        ),
        public=Public(NUM, "万元/亩", site=True),
    ),
    # building level (plant and building needs)
    Criterion(
        "building_type",
        "建筑类型",
        "Building type",
        hard=True,
        level="building",
        applies=SPACE,
        test=_BUILDING_TYPE.test,
        member=_BUILDING_TYPE,
        value=_value(lambda q: q.b.building_type),
        explain=_f(
            _labelled(vocab.BUILDING_TYPE),
            lambda s: _labels(vocab.BUILDING_TYPE, _building_types_for(s)),
            _building_types_for,
        ),
        public=Public(vocab_kind(vocab.BUILDING_TYPE), site=True),
    ),
    Criterion(
        "vacancy",
        "空置情况",
        "Vacancy",
        hard=True,
        level="building",
        applies=SPACE,
        test=lambda q, m: (
            f"{q.b.occupancy} IN {sql_list(VACANT_OCCUPANCY)} AND {q.b.vacant_gfa_m2} > 0"
        ),
        value=_value(lambda q: q.b.occupancy),
        explain=_f(
            _labelled(vocab.OCCUPANCY),
            lambda s: _labels(vocab.OCCUPANCY, list(VACANT_OCCUPANCY)),
            lambda s: list(VACANT_OCCUPANCY),
        ),
        public=Public(vocab_kind(vocab.OCCUPANCY), site=True),
    ),
    Criterion(
        "floor_area",
        "可用面积",
        "Vacant floor area",
        hard=True,
        level="building",
        applies=SPACE & Stated("gfa_m2_min"),
        test=lambda q, m: _min_test(q.b.vacant_gfa_m2, _gfa_min(q), m),
        shortfall=lambda q: _min_short(q.b.vacant_gfa_m2, _gfa_min(q)),
        value=_value(lambda q: q.b.vacant_gfa_m2),
        explain=_f(lambda v: _qty(v, "m²", digits=0), _floor_area_req, lambda s: s.gfa_m2_min),
        public=Public(NUM, "m²", site=True, required=True),
    ),
    Criterion(
        "min_split",
        "最小分割面积",
        "Smallest lettable unit",
        hard=True,
        level="building",
        applies=SPACE & Stated("gfa_m2_max"),
        test=lambda q, m: _max_test(_split(q), _gfa_max(q), m),
        shortfall=lambda q: _max_short(_split(q), _gfa_max(q)),
        value=_value(_split),
        explain=_f(
            lambda v: _qty(v, "m²", digits=0),
            lambda s: _bound("≤", s.gfa_m2_max, "m²"),
            lambda s: s.gfa_m2_max,
        ),
        public=Public(NUM, "m²", site=True, required=True),
    ),
    Criterion(
        "offer",
        "租售方式",
        "Lease or sale",
        hard=True,
        level="building",
        applies=SPACE & Differs("tenure", "either"),
        test=_OFFER.test,
        member=_OFFER,
        value=_value(lambda q: q.b.offer),
        explain=_f(
            _labelled(vocab.OFFER), lambda s: _labels(vocab.OFFER, _offers_for(s)), _offers_for
        ),
        public=Public(vocab_kind(vocab.OFFER), site=True, required=True),
    ),
    Criterion(
        "floor_height",
        "层高",
        "Clear height",
        hard=True,
        level="building",
        applies=SPACE & Stated("height_min_m"),
        test=lambda q, m: _min_test(q.b.floor_height_m, q.r.height_min_m, m),
        shortfall=lambda q: _min_short(q.b.floor_height_m, q.r.height_min_m),
        value=_value(lambda q: q.b.floor_height_m),
        explain=_f(
            lambda v: _qty(v, "m"),
            lambda s: _bound("≥", s.height_min_m, "m"),
            lambda s: s.height_min_m,
        ),
        public=Public(NUM, "m", site=True, required=True),
    ),
    Criterion(
        "floor_load",
        "楼面荷载",
        "Floor load",
        hard=True,
        level="building",
        applies=SPACE & Stated("floor_load_min_kg_m2"),
        test=lambda q, m: _min_test(q.b.floor_load_kg_m2, q.r.floor_load_min_kg_m2, m),
        shortfall=lambda q: _min_short(q.b.floor_load_kg_m2, q.r.floor_load_min_kg_m2),
        value=_value(lambda q: q.b.floor_load_kg_m2),
        explain=_f(
            lambda v: _qty(v, "kg/m²", digits=0),
            lambda s: _bound("≥", s.floor_load_min_kg_m2, "kg/m²"),
            lambda s: s.floor_load_min_kg_m2,
        ),
        public=Public(NUM, "kg/m²", site=True, required=True),
    ),
    Criterion(
        "crane",
        "行车吨位",
        "Crane capacity",
        hard=True,
        level="building",
        applies=SPACE & Positive("crane_min_t"),
        test=lambda q, m: _min_test(q.b.crane_t, q.r.crane_min_t, m),
        shortfall=lambda q: _min_short(q.b.crane_t, q.r.crane_min_t),
        value=_value(lambda q: q.b.crane_t),
        explain=_f(
            lambda v: _qty(v, "t"),
            lambda s: _bound("≥", s.crane_min_t, "t"),
            lambda s: s.crane_min_t,
        ),
        public=Public(NUM, "t", site=True, required=True),
    ),
    Criterion(
        "power",
        "配电容量",
        "Power capacity",
        hard=True,
        level="building",
        applies=SPACE & Stated("power_kva"),
        test=lambda q, m: _min_test(q.b.power_kva, q.r.power_kva, m),
        shortfall=lambda q: _min_short(q.b.power_kva, q.r.power_kva),
        value=_value(lambda q: q.b.power_kva),
        explain=_f(
            lambda v: _qty(v, "kVA", digits=0),
            lambda s: _bound("≥", s.power_kva, "kVA"),
            lambda s: s.power_kva,
        ),
        public=Public(NUM, "kVA", site=True, required=True),
    ),
    Criterion(
        "max_rent",
        "租金上限",
        "Rent cap",
        hard=True,
        level="building",
        applies=All((SPACE, Stated("max_rent_yuan_m2_month"), Differs("tenure", "buy"))),
        test=lambda q, m: _max_test(q.b.rent_yuan_m2_month, q.r.max_rent_yuan_m2_month, m),
        shortfall=lambda q: _max_short(q.b.rent_yuan_m2_month, q.r.max_rent_yuan_m2_month),
        value=_value(lambda q: q.b.rent_yuan_m2_month),
        explain=_f(
            lambda v: _qty(v, "元/m²/月", "yuan/m²/month"),
            lambda s: _bound("≤", s.max_rent_yuan_m2_month, "元/m²/月", "yuan/m²/month"),
            lambda s: s.max_rent_yuan_m2_month,
        ),
        public=Public(NUM, "元/m²/月", site=True),
    ),
)

_POLICY_STEPS = len(vocab.POLICY_STATUS) - 1

SOFT: tuple[Criterion, ...] = (
    Criterion(
        "size_fit",
        "面积匹配度",
        "Size fit",
        hard=False,
        weight=20,
        applies=(LAND & any_stated("land_mu_min", "land_mu_max"))
        | (SPACE & any_stated("gfa_m2_min", "gfa_m2_max")),
        score=lambda q: f"COALESCE({_size_score(q)}, 0)",
        value=lambda q: (
            f"CASE WHEN {_space(q)} THEN jsonb_build_object('vacant_gfa_m2', {q.b.vacant_gfa_m2},"
            f" 'min_split_m2', {_split(q)}) ELSE to_jsonb(round({q.s.area_mu}::numeric, 1)) END"
        ),
        explain=_f(_size_site, _size_req, _no_req_value),
        public=hidden(_INTERNAL),
    ),
    Criterion(
        "price",
        "价格",
        "Price",
        hard=False,
        weight=15,
        applies=LAND | SPACE,
        # the price; the match query scores it against the cheapest candidate
        value=_price,
        explain=Formatter(
            lambda v, row, spec: _price_site(row, spec),
            lambda s: ("越低越好（以候选最低价为满分）", "lower is better (full points: cheapest)"),
            _no_req_value,
        ),
        public=hidden("price rank among the candidates: internal"),
    ),
    Criterion(
        "readiness",
        "土地整理",
        "Site readiness",
        hard=False,
        weight=10,
        applies=LAND,
        score=lambda q: (
            f"CASE {q.s.readiness} WHEN 'cleared' THEN 1.0 WHEN 'partly_cleared' THEN 0.5"
            " ELSE 0 END"
        ),
        value=_value(lambda q: q.s.readiness),
        explain=_f(
            _labelled(vocab.READINESS),
            lambda s: _order_req(vocab.READINESS, "cleared"),
            _no_req_value,
        ),
        public=hidden(_INTERNAL),
    ),
    Criterion(
        "policy",
        "政策处理",
        "Policy handling",
        hard=False,
        weight=8,
        applies=LAND,
        score=lambda q: (
            f"COALESCE(({_rank(vocab.POLICY_STATUS, q.s.policy_status)} - 1)::float8"
            f" / {_POLICY_STEPS}, 0)"
        ),
        value=_value(lambda q: q.s.policy_status),
        explain=_f(
            _labelled(vocab.POLICY_STATUS),
            lambda s: _order_req(vocab.POLICY_STATUS, "delivered"),
            _no_req_value,
        ),
        public=hidden(_INTERNAL),
    ),
    Criterion(
        "quota",
        "用地指标",
        "Land-use quota",
        hard=False,
        weight=8,
        applies=LAND,
        score=lambda q: (
            f"CASE {q.s.quota_status} WHEN 'approved' THEN 1.0 WHEN 'not_needed' THEN 1.0"
            " WHEN 'in_annual_plan' THEN 0.75 WHEN 'applied' THEN 0.5 WHEN 'pending' THEN 0.25"
            " ELSE 0 END"
        ),
        value=_value(lambda q: q.s.quota_status),
        explain=_f(
            _labelled(vocab.QUOTA_STATUS),
            lambda s: _order_req(vocab.QUOTA_STATUS, "approved"),
            _no_req_value,
        ),
        public=hidden(_INTERNAL),
    ),
    Criterion(
        "planning",
        "控规状态",
        "Regulatory plan",
        hard=False,
        weight=6,
        applies=LAND,
        score=lambda q: (
            f"CASE {q.s.planning_status} WHEN 'approved' THEN 1.0 WHEN 'amending' THEN 0.5"
            " WHEN 'drafting' THEN 0.25 ELSE 0 END"
        ),
        value=_value(lambda q: q.s.planning_status),
        explain=_f(
            _labelled(vocab.PLANNING_STATUS),
            lambda s: _order_req(vocab.PLANNING_STATUS, "approved"),
            _no_req_value,
        ),
        public=hidden(_INTERNAL),
    ),
    Criterion(
        "port_access",
        "港口可达性",
        "Port access",
        hard=False,
        weight=10,
        applies=Stated("max_km_port") | NeedIn(("land", "shoreline")),
        score=lambda q: _access("port_access", d_port(q), q.r.max_km_port),
        # the nearest qualifying port: a column of its own in the explanation query
        value=lambda q: "NULL",
        explain=Formatter(
            lambda v, row, spec: _port_site(row),
            lambda s: _access_req("port_access", s.max_km_port),
            lambda s: s.max_km_port,
        ),
        public=hidden("a generic preference, not the investor's requirement"),
    ),
    Criterion(
        "expressway_access",
        "高速可达性",
        "Expressway access",
        hard=False,
        weight=6,
        applies=Stated("max_km_expressway") | NeedIn(("land", "plant")),
        score=lambda q: _access("expressway_access", q.d_expressway, q.r.max_km_expressway),
        value=_value(lambda q: f"round({q.d_expressway})"),
        explain=_f(
            _km_text,
            lambda s: _access_req("expressway_access", s.max_km_expressway),
            lambda s: s.max_km_expressway,
        ),
        public=hidden("a generic preference, not the investor's requirement"),
    ),
    Criterion(
        "ferry_access",
        "客运码头可达性",
        "Ferry access",
        hard=False,
        weight=4,
        applies=Stated("max_km_ferry") | NeedIn(("island",)),
        score=lambda q: _access("ferry_access", q.d_ferry, q.r.max_km_ferry),
        value=_value(lambda q: f"round({q.d_ferry})"),
        explain=_f(
            _km_text,
            lambda s: _access_req("ferry_access", s.max_km_ferry),
            lambda s: s.max_km_ferry,
        ),
        public=hidden("a generic preference, not the investor's requirement"),
    ),
    Criterion(
        "location",
        "意向区域",
        "Preferred area",
        hard=False,
        weight=12,
        applies=Listed(("preferred_townships", "preferred_blocks")),
        score=lambda q: (
            f"CASE WHEN {q.s.township} = ANY({q.r.preferred_townships})"
            f" OR {q.s.block} = ANY({q.r.preferred_blocks}) THEN 1.0 ELSE 0 END"
        ),
        value=lambda q: (
            f"jsonb_build_object('township', {q.s.township}, 'block', {q.s.block},"
            f" 'township_en', {q.s.township_en}, 'block_en', {q.s.block_en})"
        ),
        explain=_f(
            _location_site,
            _location_req,
            lambda s: {"townships": s.preferred_townships, "blocks": s.preferred_blocks},
        ),
        public=Public(LOCATION, site=True),
    ),
    Criterion(
        "far_fit",
        "容积率适配",
        "Floor-area-ratio fit",
        hard=False,
        weight=5,
        applies=LAND & Stated("gfa_m2_min"),
        score=lambda q: (
            f"least(1.0, COALESCE({q.s.far_max}, 0) * {q.s.area_m2} / NULLIF({q.r.gfa_m2_min}, 0))"
        ),
        value=lambda q: (
            f"jsonb_build_object('far_max', {q.s.far_max},"
            f" 'capacity_m2', round(({q.s.far_max} * {q.s.area_m2})::numeric))"
        ),
        explain=_f(_far_site, _far_req, lambda s: s.gfa_m2_min),
        public=hidden(_INTERNAL),
    ),
    Criterion(
        "height_limit",
        "建筑限高",
        "Height limit",
        hard=False,
        weight=3,
        applies=LAND & Stated("height_min_m"),
        score=lambda q: (
            f"CASE WHEN {q.s.height_limit_m} IS NULL THEN 0.5"
            f" WHEN {q.s.height_limit_m} >= {q.r.height_min_m} THEN 1.0 ELSE 0 END"
        ),
        value=_value(lambda q: q.s.height_limit_m),
        explain=_f(
            lambda v: _qty(v, "m") if v is not None else unknown_texts(),
            lambda s: _bound("≥", s.height_min_m, "m"),
            lambda s: s.height_min_m,
        ),
        public=Public(NUM, "m", site=True),
    ),
    Criterion(
        "standard_land",
        "标准地指标",
        "Standard-land thresholds",
        hard=False,
        weight=5,
        applies=LAND & any_stated("invest_total_wan", "tax_commit_wan_per_mu_yr"),
        score=lambda q: (
            f"CASE WHEN NOT {q.s.standard_land} THEN 1.0 ELSE (COALESCE(least(1.0,"
            f" {q.r.invest_total_wan} / {q.s.area_mu}"
            f" / NULLIF({q.s.invest_intensity_wan_per_mu}, 0)), 1.0)"
            f" + COALESCE(least(1.0, {q.r.tax_commit_wan_per_mu_yr}"
            f" / NULLIF({q.s.tax_wan_per_mu_yr}, 0)), 1.0)) / 2 END"
        ),
        value=lambda q: (
            f"jsonb_build_object('standard_land', {q.s.standard_land},"
            f" 'invest_intensity_wan_per_mu', {q.s.invest_intensity_wan_per_mu},"
            f" 'tax_wan_per_mu_yr', {q.s.tax_wan_per_mu_yr},"
            f" 'project_intensity_wan_per_mu', round(({q.r.invest_total_wan}"
            f" / {q.s.area_mu})::numeric, 1))"
        ),
        explain=_f(
            _standard_site,
            _standard_req,
            lambda s: {"invest_total_wan": s.invest_total_wan, "tax": s.tax_commit_wan_per_mu_yr},
        ),
        public=hidden("budget thresholds: investment and tax pledges stay internal"),
    ),
    Criterion(
        "utilities",
        "配套设施",
        "Utilities",
        hard=False,
        weight=6,
        applies=LAND & any_stated("power_kva", "water_t_d", "wastewater_t_d"),
        score=_utilities_score,
        value=lambda q: (
            f"jsonb_build_object('has', to_jsonb({q.s.utilities}),"
            f" 'needed', to_jsonb({_needed_utilities(q)}))"
        ),
        explain=_f(_utilities_site, _utilities_req, _no_req_value),
        public=Public(UTILITIES, site=True),
    ),
    Criterion(
        "freshness",
        "信息时效",
        "Record freshness",
        hard=False,
        weight=5,
        applies=ALWAYS,
        score=lambda q: (
            f"CASE WHEN {q.s.verified_at} IS NULL THEN 0 ELSE greatest(0, least(1.0,"
            f" 1 - (current_date - {q.s.verified_at} - {FRESH_DAYS})::float8"
            f" / {STALE_DAYS - FRESH_DAYS})) END"
        ),
        value=lambda q: (
            f"jsonb_build_object('verified_at', {q.s.verified_at},"
            f" 'age_days', current_date - {q.s.verified_at})"
        ),
        explain=_f(
            _fresh_site,
            lambda s: (
                f"{FRESH_DAYS} 天内核实最佳，{STALE_DAYS} 天为 0 分",
                f"best if checked within {FRESH_DAYS} days, 0 at {STALE_DAYS}",
            ),
            lambda s: FRESH_DAYS,
        ),
        public=hidden("the age of the record: internal"),
    ),
)

#: every criterion, hard constraints first, in the order explanations list them
CRITERIA: tuple[Criterion, ...] = HARD + SOFT
BY_KEY: dict[str, Criterion] = {c.key: c for c in CRITERIA}
DEFAULT_WEIGHTS: dict[str, float] = {c.key: c.weight for c in SOFT}

#: the criteria's labels as a vocabulary (``vocab.MATCH_CRITERION``)
MATCH_CRITERION = vocab.Vocabulary(
    "match_criterion", "匹配条件", "Match criterion", [c.term for c in CRITERIA]
)


#: The space key (revisions 0052, 0053): one 64-bit number per unit for its district and the
#: values of the hard criteria of space needs that test one column against a set
#: (availability, kind, building type, offer), kept in ``match_unit.space_key`` (a generated
#: column of ``gis_app_space_key`` of these columns). It leads the space indexes instead of
#: four text keys and a filter: PostgreSQL 15 checks every key of every index entry it reads,
#: and an index-only scan copies and deforms each entry whole, where a text column makes each
#: later column's offset a walk from the start. The key is exact: the district's part is 39
#: bits of the hash of its code, unique among the districts (an index on ``district`` refuses
#: a district whose part another holds), and each criterion's column takes 6 bits, the
#: value's place in its vocabulary (0: NULL; a value outside it makes the key NULL, and the
#: unit no space need's candidate). So a unit's key is among those a need accepts exactly
#: when its district is one the match reads and the four criteria hold: the match statement
#: reads the key and leaves those tests out, and the space indexes need not carry the five
#: text columns.
SPACE_KEY_CRITERIA: tuple[str, ...] = ("availability", "kind", "building_type", "offer")
#: the space key's arguments: the district, then each criterion's column
SPACE_KEY_COLUMNS: tuple[str, ...] = (
    "district_code",
    *(m.column for m in (BY_KEY[k].member for k in SPACE_KEY_CRITERIA) if m is not None),
)
#: bits of the district's part of the space key, and of each criterion's value
_DISTRICT_KEY_BITS = 39
_VALUE_KEY_BITS = 6


def _check(criteria: tuple[Criterion, ...]) -> None:
    """Refuse, at import, a criterion that lacks a part its kind needs."""
    for c in criteria:
        if not isinstance(c.applies, Cond):
            # a match statement keeps only the criteria whose condition holds in Python
            raise ValueError(f"criterion {c.key}: applies must be a condition (applicability)")
        if c.hard and (c.test is None or c.score is not None or c.weight):
            raise ValueError(f"hard criterion {c.key}: a test, no score and no weight")
        if not c.hard and (c.test is not None or c.shortfall is not None or c.weight <= 0):
            raise ValueError(f"soft criterion {c.key}: a score or value and a weight, no test")
        if c.level not in ("site", "building") or (c.level == "building" and not c.hard):
            raise ValueError(f"criterion {c.key}: level {c.level!r}")
    if len(BY_KEY) != len(criteria):
        raise ValueError("duplicate criterion key")
    for k in SPACE_KEY_CRITERIA:
        m = BY_KEY[k].member
        if m is None:
            raise ValueError(f"space key criterion {k}: a membership (column and accepted set)")
        # without every value, it must apply to every space need
        if not m.every and BY_KEY[k].applies not in (ALWAYS, SPACE):
            raise ValueError(f"space key criterion {k}: may not apply, accept every value")
        if len(m.values) >= 2**_VALUE_KEY_BITS:
            raise ValueError(f"space key criterion {k}: too many values for its bits")
    if _DISTRICT_KEY_BITS + _VALUE_KEY_BITS * len(SPACE_KEY_CRITERIA) > 63:
        raise ValueError("the space key's parts overflow a bigint")


_check(CRITERIA)


def space_key(columns: Iterable[str]) -> str:
    """SQL: the space key of these column expressions (in :data:`SPACE_KEY_COLUMNS` order)."""
    return f"gis_app_space_key({', '.join(columns)})"


def _space_key_members() -> list[tuple[Criterion, Member]]:
    pairs = [(BY_KEY[k], BY_KEY[k].member) for k in SPACE_KEY_CRITERIA]
    return [(c, m) for c, m in pairs if m is not None]


def _district_part(code: str) -> str:
    # only built-in functions: a restore computes the generated column under an empty
    # search_path
    return f"(hashtextextended({code}, 0) & {2**_DISTRICT_KEY_BITS - 1})"


def district_key_function() -> str:
    """SQL creating ``gis_app_district_key(code)``: a district's part of the space key."""
    return f"""CREATE OR REPLACE FUNCTION gis_app_district_key(code text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
SELECT {_district_part("code")}
$fn$;"""


def space_key_function() -> str:
    """SQL creating ``gis_app_space_key``: the exact space key of a unit's district code and
    the columns of :data:`SPACE_KEY_CRITERIA` (see there)."""
    members = [m for _, m in _space_key_members()]
    params = ", ".join(f"{col} text" for col in SPACE_KEY_COLUMNS)
    parts = [f"({_district_part('district_code')} << {_VALUE_KEY_BITS * len(members)})"]
    for i, m in enumerate(members):
        shift = _VALUE_KEY_BITS * (len(members) - 1 - i)
        place = f"array_position({sql_array(m.values.keys)}, {m.column})"
        parts.append(f"(CASE WHEN {m.column} IS NULL THEN 0 ELSE {place} END::bigint << {shift})")
    body = "\n     | ".join(parts)
    return f"""CREATE OR REPLACE FUNCTION gis_app_space_key({params}) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT {body}
$fn$;"""


def space_key_of(q: Source) -> str:
    """SQL: the space key of ``q``'s unit (the space indexes' leading column)."""
    return str(q.s.space_key)


def _accepted(c: Criterion, m: Member, q: Source) -> str:
    if not m.every:
        return m.accepted(q)
    return (
        f"CASE WHEN COALESCE(({c.applies(q)}), false) THEN {m.accepted(q)}"
        f" ELSE {sql_array(m.values.keys)} || ARRAY[NULL]::text[] END"
    )


def accepted_space_keys(q: Source, districts: str) -> str:
    """SQL: the array of the space keys requirement ``q.r`` accepts in ``districts`` (a
    ``text[]``): one per combination of a district and a value of each criterion's column it
    accepts (every value the column may hold, NULL included, when the criterion does not
    apply)."""
    sets = [districts, *(_accepted(c, m, q) for c, m in _space_key_members())]
    names = [f"k{i}" for i in range(len(sets))]
    unnested = ", ".join(f"unnest({s}) {n}" for s, n in zip(sets, names, strict=True))
    return f"ARRAY(SELECT {space_key(names)} FROM {unnested})"


def space_units(alias: str = "") -> str:
    """SQL: the units a plant or building need can take, the space indexes' predicate: a
    building with vacant floor area in a vacant or partly vacant state, on no blocking zone
    (``alias``: the unit's table alias, e.g. ``"s."``)."""
    a = alias
    return (
        f"{a}building_id IS NOT NULL AND {a}vacant_gfa_m2 > 0 AND NOT {a}blocked"
        f" AND {a}occupancy IN {sql_list(VACANT_OCCUPANCY)}"
    )
