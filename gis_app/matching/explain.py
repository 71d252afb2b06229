"""Bilingual explanations of match rows: per criterion the site's value, the requirement,
pass/fail or points, in Chinese and English; for near misses, what would have to change.

Runs in Python on the few rows the match query returns; the values come from that query.
Labels come from :mod:`gis_app.domain.vocab` and :mod:`gis_app.domain.landuse`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gis_app.domain import industry as industries
from gis_app.domain import landuse, vocab
from gis_app.matching import criteria as C
from gis_app.matching.spec import RequirementSpec

Texts = tuple[str, str]  # (zh, en)


@dataclass
class CriterionResult:
    """One criterion of one result."""

    key: str
    label_zh: str
    label_en: str
    hard: bool
    site_value: Any
    requirement: Any
    site_text_zh: str
    site_text_en: str
    requirement_text_zh: str
    requirement_text_en: str
    passed: bool | None = None  # hard constraints
    shortfall_pct: float | None = None  # hard numeric constraints that fail
    score: float | None = None  # soft: 0–1
    points: float | None = None  # soft: score × weight
    max_points: float | None = None  # soft: the weight
    text_zh: str = ""
    text_en: str = ""


@dataclass
class SiteMatch:
    """One site in a match result, with the building that fits best (plant/building needs)."""

    rank: int
    site_id: int
    code: str
    name_zh: str
    name_en: str | None
    kind: str
    township: str | None
    block: str | None
    score: float
    building_id: int | None = None
    building_code: str | None = None
    building_name_zh: str | None = None
    building_name_en: str | None = None
    near_miss: bool = False
    #: for a near miss: the constraint it fails and what would have to change
    failed: str | None = None
    change_zh: str | None = None
    change_en: str | None = None
    reasons_zh: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    criteria: list[CriterionResult] = field(default_factory=list)


def _num(x: float | int | None, digits: int = 1) -> str:
    if x is None:
        return "?"
    text = f"{float(x):,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _unknown() -> Texts:
    t = vocab.MATCH_OUTCOME.term("unknown")
    return t.zh, t.en


def _labels(v: vocab.Vocabulary, keys: Any) -> Texts:
    keys = [keys] if isinstance(keys, str) else list(keys or [])
    if not keys:
        return _unknown()
    return "、".join(v.label(k, "zh") for k in keys), ", ".join(v.label(k, "en") for k in keys)


def _qty(x: float | int | None, unit_zh: str, unit_en: str | None = None, digits: int = 1) -> Texts:
    if x is None:
        return _unknown()
    return f"{_num(x, digits)} {unit_zh}", f"{_num(x, digits)} {unit_en or unit_zh}"


def _bound(op: str, x: float | int | None, unit_zh: str, unit_en: str | None = None) -> Texts:
    zh, en = _qty(x, unit_zh, unit_en)
    return f"{op} {zh}", f"{op} {en}"


def _km(m: float | None) -> Texts:
    return _qty(None if m is None else m / 1000.0, "km", "km", 1)


def _range(lo: float | None, hi: float | None, unit_zh: str, unit_en: str) -> Texts:
    if lo is not None and hi is not None:
        return f"{_num(lo)}–{_num(hi)} {unit_zh}", f"{_num(lo)}–{_num(hi)} {unit_en}"
    if lo is not None:
        return _bound("≥", lo, unit_zh, unit_en)
    return _bound("≤", hi, unit_zh, unit_en)


def _land_use(value: Mapping[str, Any]) -> Texts:
    planned, legacy = value.get("planned_use"), value.get("legacy_use")
    zh, en = [], []
    if planned:
        zh.append(f"{planned} {landuse.label('2023', planned, 'zh')}")
        en.append(f"{planned} {landuse.label('2023', planned, 'en')}")
    if legacy:
        zh.append(f"{legacy} {landuse.label('gb50137', legacy, 'zh')}")
        en.append(f"{legacy} {landuse.label('gb50137', legacy, 'en')}")
    return ("；".join(zh), "; ".join(en)) if zh else _unknown()


def _requested_land_use(spec: RequirementSpec) -> Texts:
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


def _port(row: Mapping[str, Any]) -> Texts:
    port, m = row.get("port"), row.get("port_m")
    if m is None:
        return _unknown()
    zh, en = _km(m)
    if port:
        dwt = f"，{_num(port['berth_dwt'], 0)} 吨级" if port.get("berth_dwt") else ""
        dwt_en = f", {_num(port['berth_dwt'], 0)} DWT" if port.get("berth_dwt") else ""
        zh += f"（{port['name_zh']}{dwt}）"
        en += f" ({port['name_en'] or port['code']}{dwt_en})"
    return zh, en


def _port_requirement(spec: RequirementSpec) -> Texts:
    zh, en = _bound("≤", spec.max_km_port, "km")
    if spec.port_berth_dwt_min:
        zh += f"，泊位 ≥ {_num(spec.port_berth_dwt_min, 0)} 吨级"
        en += f", berth ≥ {_num(spec.port_berth_dwt_min, 0)} DWT"
    return zh, en


def _kinds_for(spec: RequirementSpec) -> list[str]:
    return list(C.NEED_KINDS[spec.need])


def _building_types_for(spec: RequirementSpec) -> list[str]:
    return spec.building_types or list(C.DEFAULT_BUILDING_TYPES.get(spec.need, ()))


def _offers_for(spec: RequirementSpec) -> list[str]:
    return list(C.TENURE_OFFERS.get(spec.tenure, vocab.OFFER.keys))


def _access_req(spec: RequirementSpec, key: str, limit: float | None) -> Texts:
    scale = limit if limit is not None else C.ACCESS_SCALE_KM[key]
    return (
        f"越近越好（{_num(scale)} km 处为 0 分）",
        f"closer is better (0 points at {_num(scale)} km)",
    )


def _order_req(v: vocab.Vocabulary, best: str) -> Texts:
    return f"{v.label(best)}最佳", f"best: {v.label(best, 'en')}"


@dataclass(frozen=True)
class Formatter:
    """How one criterion is told: the site's value as text, the requirement as text and value.

    The requirement side depends on the requirement alone; :func:`explain_row` takes it from a
    per-match cache (it was a third of the time of explaining a row).
    """

    site: Callable[[Any, Mapping[str, Any]], Texts]
    req: Callable[[RequirementSpec], Texts]
    req_value: Callable[[RequirementSpec], Any]


_f = Formatter


def _size_site(v: Any, row: Mapping[str, Any]) -> Texts:
    if isinstance(v, Mapping):
        zh, en = _qty(v.get("vacant_gfa_m2"), "m²", digits=0)
        split = v.get("min_split_m2")
        if split is not None:
            zh += f"（最小分割 {_num(split, 0)} m²）"
            en += f" (smallest unit {_num(split, 0)} m²)"
        return zh, en
    return _qty(v, "亩", "mu")


def _size_req(spec: RequirementSpec) -> Texts:
    if spec.need in C.SPACE_NEEDS:
        return _range(spec.gfa_m2_min, spec.gfa_m2_max, "m²", "m²")
    return _range(spec.land_mu_min, spec.land_mu_max, "亩", "mu")


def _land_area_req(spec: RequirementSpec) -> Texts:
    zh, en = _range(spec.land_mu_min, spec.land_mu_max, "亩", "mu")
    if spec.size_tolerance_pct:
        zh += f"（容差 ±{_num(spec.size_tolerance_pct)}%）"
        en += f" (tolerance ±{_num(spec.size_tolerance_pct)}%)"
    return zh, en


def _floor_area_req(spec: RequirementSpec) -> Texts:
    zh, en = _bound("≥", spec.gfa_m2_min, "m²")
    if spec.size_tolerance_pct:
        zh += f"（容差 {_num(spec.size_tolerance_pct)}%）"
        en += f" (tolerance {_num(spec.size_tolerance_pct)}%)"
    return zh, en


def _far_site(v: Mapping[str, Any], row: Mapping[str, Any]) -> Texts:
    if v.get("far_max") is None:
        return _unknown()
    cap = _num(v.get("capacity_m2"), 0)
    return (
        f"容积率上限 {_num(v['far_max'])}，可建 {cap} m²",
        f"FAR up to {_num(v['far_max'])}, up to {cap} m² of floor area",
    )


def _far_req(spec: RequirementSpec) -> Texts:
    zh, en = _qty(spec.gfa_m2_min, "m²", digits=0)
    return f"项目建筑面积 ≥ {zh}", f"project floor area ≥ {en}"


def _at_least(v: vocab.Vocabulary, key: str | None) -> Texts:
    zh, en = _labels(v, key)
    return f"≥ {zh}", f"≥ {en}"


def _standard_site(v: Mapping[str, Any], row: Mapping[str, Any]) -> Texts:
    if not v.get("standard_land"):
        return "非标准地（无门槛）", "not standard land (no thresholds)"
    inv, tax = v.get("invest_intensity_wan_per_mu"), v.get("tax_wan_per_mu_yr")
    return (
        f"标准地：投资强度 ≥ {_num(inv)} 万元/亩，亩均税收 ≥ {_num(tax)} 万元/年",
        f"standard land: investment ≥ {_num(inv)} 万元/mu, tax ≥ {_num(tax)} 万元/mu/yr",
    )


def _standard_req(spec: RequirementSpec) -> Texts:
    zh, en = [], []
    if spec.invest_total_wan is not None:
        zh.append(f"总投资 {_num(spec.invest_total_wan)} 万元")
        en.append(f"investment {_num(spec.invest_total_wan)} 万元")
    if spec.tax_commit_wan_per_mu_yr is not None:
        zh.append(f"税收承诺 {_num(spec.tax_commit_wan_per_mu_yr)} 万元/亩/年")
        en.append(f"tax pledge {_num(spec.tax_commit_wan_per_mu_yr)} 万元/mu/yr")
    return "，".join(zh), ", ".join(en)


def _utilities_site(v: Mapping[str, Any], row: Mapping[str, Any]) -> Texts:
    has = v.get("has") or []
    return _labels(vocab.UTILITY, has) if has else ("无", "none")


def _utilities_req(spec: RequirementSpec) -> Texts:
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


def _fresh_site(v: Mapping[str, Any], row: Mapping[str, Any]) -> Texts:
    if not v.get("verified_at"):
        return _unknown()
    return (
        f"核实于 {v['verified_at']}（{v['age_days']} 天前）",
        f"verified {v['verified_at']} ({v['age_days']} days ago)",
    )


def _location_site(v: Mapping[str, Any], row: Mapping[str, Any]) -> Texts:
    parts = [p for p in (v.get("township"), v.get("block")) if p]
    return ("，".join(parts), ", ".join(parts)) if parts else _unknown()


def _location_req(spec: RequirementSpec) -> Texts:
    names = [*spec.preferred_townships, *spec.preferred_blocks]
    return "优先 " + "、".join(names), "preferably " + ", ".join(names)


def _price_site(v: Any, row: Mapping[str, Any], spec: RequirementSpec) -> Texts:
    unit_zh, unit_en = _price_unit(spec)
    price, cheapest = row.get("price"), row.get("cheapest")
    if price is None:
        return "未公布", "not published"
    zh, en = _qty(price, unit_zh, unit_en)
    if cheapest is not None:
        zh += f"（候选最低 {_num(cheapest)}）"
        en += f" (lowest candidate {_num(cheapest)})"
    return zh, en


def _price_unit(spec: RequirementSpec) -> Texts:
    if spec.need in C.SPACE_NEEDS:
        return ("元/m²", "yuan/m²") if spec.tenure == "buy" else ("元/m²/月", "yuan/m²/month")
    return "万元/亩", "万元/mu"


FORMATTERS: dict[str, Formatter] = {
    "kind": _f(
        lambda v, row: _labels(vocab.SITE_KIND, v),
        lambda s: _labels(vocab.SITE_KIND, _kinds_for(s)),
        _kinds_for,
    ),
    "land_use": _f(
        lambda v, row: _land_use(v),
        _requested_land_use,
        lambda s: s.effective_land_use_codes(),
    ),
    "availability": _f(
        lambda v, row: _labels(vocab.AVAILABILITY, v),
        lambda s: _labels(vocab.AVAILABILITY, s.accept_availability),
        lambda s: s.accept_availability,
    ),
    "blocking_zones": _f(
        lambda v, row: _zones(v),
        lambda s: (
            "不压占"
            + "、".join(
                vocab.CONSTRAINT_KIND.label(k) for k in sorted(vocab.BLOCKING_CONSTRAINT_KINDS)
            ),
            "no overlap with "
            + ", ".join(
                vocab.CONSTRAINT_KIND.label(k, "en")
                for k in sorted(vocab.BLOCKING_CONSTRAINT_KINDS)
            ),
        ),
        lambda s: sorted(vocab.BLOCKING_CONSTRAINT_KINDS),
    ),
    "land_area": _f(
        lambda v, row: _qty(v, "亩", "mu"),
        _land_area_req,
        lambda s: [s.land_mu_min, s.land_mu_max],
    ),
    "readiness_min": _f(
        lambda v, row: _labels(vocab.READINESS, v),
        lambda s: _at_least(vocab.READINESS, s.readiness_min),
        lambda s: s.readiness_min,
    ),
    "shoreline": _f(
        lambda v, row: _qty(v, "m"),
        lambda s: _bound("≥", s.shoreline_min_m, "m") if s.shoreline_min_m else ("> 0 m", "> 0 m"),
        lambda s: s.shoreline_min_m,
    ),
    "berth": _f(
        lambda v, row: _qty(v, "吨级", "DWT", 0),
        lambda s: _bound("≥", s.berth_dwt_min, "吨级", "DWT"),
        lambda s: s.berth_dwt_min,
    ),
    "water_depth": _f(
        lambda v, row: _qty(v, "m"),
        lambda s: _bound("≥", s.water_depth_min_m, "m"),
        lambda s: s.water_depth_min_m,
    ),
    "port_distance": _f(
        lambda v, row: _port(row),
        _port_requirement,
        lambda s: {"max_km": s.max_km_port, "berth_dwt_min": s.port_berth_dwt_min},
    ),
    "expressway_distance": _f(
        lambda v, row: _km(v),
        lambda s: _bound("≤", s.max_km_expressway, "km"),
        lambda s: s.max_km_expressway,
    ),
    "ferry_distance": _f(
        lambda v, row: _km(v),
        lambda s: _bound("≤", s.max_km_ferry, "km"),
        lambda s: s.max_km_ferry,
    ),
    "max_price": _f(
        lambda v, row: _qty(v, "万元/亩", "万元/mu"),
        lambda s: _bound("≤", s.max_price_wan_per_mu, "万元/亩", "万元/mu"),
        lambda s: s.max_price_wan_per_mu,
    ),
    "building_type": _f(
        lambda v, row: _labels(vocab.BUILDING_TYPE, v),
        lambda s: _labels(vocab.BUILDING_TYPE, _building_types_for(s)),
        _building_types_for,
    ),
    "vacancy": _f(
        lambda v, row: _labels(vocab.OCCUPANCY, v),
        lambda s: _labels(vocab.OCCUPANCY, ["vacant", "partly_vacant"]),
        lambda s: ["vacant", "partly_vacant"],
    ),
    "floor_area": _f(
        lambda v, row: _qty(v, "m²", digits=0),
        _floor_area_req,
        lambda s: s.gfa_m2_min,
    ),
    "min_split": _f(
        lambda v, row: _qty(v, "m²", digits=0),
        lambda s: _bound("≤", s.gfa_m2_max, "m²"),
        lambda s: s.gfa_m2_max,
    ),
    "offer": _f(
        lambda v, row: _labels(vocab.OFFER, v),
        lambda s: _labels(vocab.OFFER, _offers_for(s)),
        _offers_for,
    ),
    "floor_height": _f(
        lambda v, row: _qty(v, "m"),
        lambda s: _bound("≥", s.height_min_m, "m"),
        lambda s: s.height_min_m,
    ),
    "floor_load": _f(
        lambda v, row: _qty(v, "kg/m²", digits=0),
        lambda s: _bound("≥", s.floor_load_min_kg_m2, "kg/m²"),
        lambda s: s.floor_load_min_kg_m2,
    ),
    "crane": _f(
        lambda v, row: _qty(v, "t"),
        lambda s: _bound("≥", s.crane_min_t, "t"),
        lambda s: s.crane_min_t,
    ),
    "power": _f(
        lambda v, row: _qty(v, "kVA", digits=0),
        lambda s: _bound("≥", s.power_kva, "kVA"),
        lambda s: s.power_kva,
    ),
    "max_rent": _f(
        lambda v, row: _qty(v, "元/m²/月", "yuan/m²/month"),
        lambda s: _bound("≤", s.max_rent_yuan_m2_month, "元/m²/月", "yuan/m²/month"),
        lambda s: s.max_rent_yuan_m2_month,
    ),
    # soft
    "size_fit": _f(_size_site, _size_req, lambda s: None),
    "readiness": _f(
        lambda v, row: _labels(vocab.READINESS, v),
        lambda s: _order_req(vocab.READINESS, "cleared"),
        lambda s: None,
    ),
    "policy": _f(
        lambda v, row: _labels(vocab.POLICY_STATUS, v),
        lambda s: _order_req(vocab.POLICY_STATUS, "delivered"),
        lambda s: None,
    ),
    "quota": _f(
        lambda v, row: _labels(vocab.QUOTA_STATUS, v),
        lambda s: _order_req(vocab.QUOTA_STATUS, "approved"),
        lambda s: None,
    ),
    "planning": _f(
        lambda v, row: _labels(vocab.PLANNING_STATUS, v),
        lambda s: _order_req(vocab.PLANNING_STATUS, "approved"),
        lambda s: None,
    ),
    "port_access": _f(
        lambda v, row: _port(row),
        lambda s: _access_req(s, "port_access", s.max_km_port),
        lambda s: s.max_km_port,
    ),
    "expressway_access": _f(
        lambda v, row: _km(v),
        lambda s: _access_req(s, "expressway_access", s.max_km_expressway),
        lambda s: s.max_km_expressway,
    ),
    "ferry_access": _f(
        lambda v, row: _km(v),
        lambda s: _access_req(s, "ferry_access", s.max_km_ferry),
        lambda s: s.max_km_ferry,
    ),
    "location": _f(
        _location_site,
        _location_req,
        lambda s: {"townships": s.preferred_townships, "blocks": s.preferred_blocks},
    ),
    "far_fit": _f(
        _far_site,
        _far_req,
        lambda s: s.gfa_m2_min,
    ),
    "height_limit": _f(
        lambda v, row: _qty(v, "m") if v is not None else _unknown(),
        lambda s: _bound("≥", s.height_min_m, "m"),
        lambda s: s.height_min_m,
    ),
    "standard_land": _f(
        _standard_site,
        _standard_req,
        lambda s: {"invest_total_wan": s.invest_total_wan, "tax": s.tax_commit_wan_per_mu_yr},
    ),
    "utilities": _f(_utilities_site, _utilities_req, lambda s: None),
    "freshness": _f(
        _fresh_site,
        lambda s: (
            f"{C.FRESH_DAYS} 天内核实最佳，{C.STALE_DAYS} 天为 0 分",
            f"best if checked within {C.FRESH_DAYS} days, 0 at {C.STALE_DAYS}",
        ),
        lambda s: C.FRESH_DAYS,
    ),
}


def _verdict(passed: bool) -> Texts:
    t = vocab.MATCH_OUTCOME.term("pass" if passed else "fail")
    return t.zh, t.en


def _requirement_side(
    key: str, spec: RequirementSpec, cache: dict[str, tuple[Texts, Any]] | None
) -> tuple[Texts, Any]:
    if cache is not None and key in cache:
        return cache[key]
    fmt = FORMATTERS[key]
    told = (fmt.req(spec), fmt.req_value(spec))
    if cache is not None:
        cache[key] = told
    return told


def explain_row(
    row: Mapping[str, Any],
    spec: RequirementSpec,
    weights: Mapping[str, float],
    req_cache: dict[str, tuple[Texts, Any]] | None = None,
) -> SiteMatch:
    """Turn one row of the match query into a :class:`SiteMatch` with its explanation.

    ``req_cache``: one dict per match (the requirement's texts are then built once).
    """
    near = row["n_fail"] == 1
    m = SiteMatch(
        rank=int(row["rank"]),
        site_id=int(row["site_id"]),
        code=row["site_code"],
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        kind=row["kind"],
        township=row["township"],
        block=row["block"],
        score=float(row["score"]),
        building_id=row["building_id"],
        building_code=row["building_code"],
        building_name_zh=row["building_name_zh"],
        building_name_en=row["building_name_en"],
        near_miss=near,
    )
    for c in C.HARD:
        applies, passed, shortfall, value = row["hard"][c.key]
        if not applies:
            continue
        szh, sen = FORMATTERS[c.key].site(value, row)
        (rzh, ren), rval = _requirement_side(c.key, spec, req_cache)
        vzh, ven = _verdict(passed)
        t = c.term
        res = CriterionResult(
            c.key, t.zh, t.en, True, value, rval, szh, sen, rzh, ren, passed=bool(passed)
        )
        res.text_zh = f"{'✓' if passed else '✗'} {t.zh}：{szh}（要求 {rzh}）{vzh}"
        res.text_en = f"{'✓' if passed else '✗'} {t.en}: {sen} (required {ren}) — {ven}"
        if not passed and shortfall is not None:
            res.shortfall_pct = round(100.0 * float(shortfall), 1)
            res.text_zh += f"，差 {_num(res.shortfall_pct)}%"
            res.text_en += f" by {_num(res.shortfall_pct)}%"
            m.failed = c.key
            m.change_zh = f"{t.zh}要求需放宽至 {szh}（现要求 {rzh}）"
            m.change_en = f"{t.en}: the requirement would have to accept {sen} (now {ren})"
        m.criteria.append(res)
    soft_rows = dict(row["soft"])
    # price is scored against the cheapest candidate in the query's last step
    soft_rows["price"] = [row["price_score"] is not None, row["price_score"], row["price"]]
    for c in C.SOFT:
        applies, score, value = soft_rows.get(c.key, [False, None, None])
        if not applies:
            continue
        score = float(score or 0.0)
        w = float(weights.get(c.key, 0.0))
        if c.key == "price":
            site_texts = _price_site(value, row, spec)
            req_texts = (
                "越低越好（以候选最低价为满分）",
                "lower is better (full points: cheapest)",
            )
            rval = None
        else:
            site_texts = FORMATTERS[c.key].site(value, row)
            req_texts, rval = _requirement_side(c.key, spec, req_cache)
        t = c.term
        pts = round(w * score, 2)
        res = CriterionResult(
            c.key,
            t.zh,
            t.en,
            False,
            value,
            rval,
            site_texts[0],
            site_texts[1],
            req_texts[0],
            req_texts[1],
            score=round(score, 3),
            points=pts,
            max_points=w,
        )
        res.text_zh = f"{t.zh}：{site_texts[0]} · {req_texts[0]} · {_num(pts)}/{_num(w)} 分"
        res.text_en = f"{t.en}: {site_texts[1]} · {req_texts[1]} · {_num(pts)}/{_num(w)} pts"
        m.criteria.append(res)
    m.reasons_zh, m.reasons_en = top_reasons(m)
    return m


def top_reasons(m: SiteMatch, n: int = 3) -> tuple[list[str], list[str]]:
    """The few lines that say most about a result: the failed constraint, then best scores."""
    zh: list[str] = []
    en: list[str] = []
    if m.near_miss and m.change_zh and m.change_en:
        zh.append(m.change_zh)
        en.append(m.change_en)
    # the strongest points in favour: well-scored criteria carrying the most weight
    soft = [c for c in m.criteria if not c.hard and c.max_points and (c.score or 0) >= 0.75]
    soft.sort(key=lambda c: (-(c.points or 0), c.key))
    for c in soft[: n - len(zh)]:
        zh.append(f"{c.label_zh}：{c.site_text_zh}")
        en.append(f"{c.label_en}: {c.site_text_en}")
    return zh, en
