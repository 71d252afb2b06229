"""The matching criteria, each defined once as SQL over a site ``s``, a building ``b`` and a
requirement row ``r``.

Hard constraints decide whether a site qualifies. Each has an ``applies`` condition (on ``r``
only: the requirement states it) and a ``test`` in which ``{m}`` stands for the near-miss margin
(0 for the strict test, e.g. 0.1 to find sites that miss by up to 10 %). Numeric constraints also
have a ``shortfall``: by what share the site misses (0 when it passes); constraints without one
(kind, land use, availability, blocking zones …) never make a near miss, since no margin can
describe them.

Soft scores rank the qualifying sites: a ``score`` between 0 and 1 times the weight. Price is
scored against the cheapest candidate, so its score is finished in the match query.

Building-level criteria (``level="building"``) apply to plant and building needs; a site
qualifies when one of its buildings meets all of them together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gis_app.domain import vocab

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


def _case_need(mapping: dict[str, tuple[str, ...]], default: str = "ARRAY[]::text[]") -> str:
    whens = " ".join(f"WHEN {_lit(k)} THEN {sql_array(v)}" for k, v in mapping.items())
    return f"CASE r.need {whens} ELSE {default} END"


_LAND = f"r.need IN {sql_list(LAND_NEEDS)}"
_SPACE = f"r.need IN {sql_list(SPACE_NEEDS)}"
_M2_PER_MU = repr(vocab.M2_PER_MU)
_TOL = "(r.size_tolerance_pct / 100.0)"
_BLOCKING = sql_list(sorted(vocab.BLOCKING_CONSTRAINT_KINDS))

# Bounds of the size range after the officer's tolerance (m² for land, m² of floor space).
LAND_MIN_M2 = f"(r.land_mu_min * {_M2_PER_MU} * (1 - {_TOL}))"
LAND_MAX_M2 = f"(r.land_mu_max * {_M2_PER_MU} * (1 + {_TOL}))"
GFA_MIN = f"(r.gfa_m2_min * (1 - {_TOL}))"
GFA_MAX = f"(r.gfa_m2_max * (1 + {_TOL}))"

# Distance (m) to the nearest port or wharf; with a berth class, to the nearest one that has it
# (the trigger-kept site_distance holds only the nearest of each kind, whatever its berth).
D_PORT_ANY = (
    "(SELECT min(d.distance_m) FROM site_distance d"
    f" WHERE d.site_id = s.id AND d.infra_kind IN {sql_list(PORT_KINDS)})"
)
#: the ports and wharves that take ships of the requirement's berth class, as one collection
QUALIFYING_PORTS = (
    "(SELECT ST_Collect(i.geom)::geography"
    f" FROM infrastructure i WHERE i.kind IN {sql_list(PORT_KINDS)}"
    " AND i.berth_dwt >= r.port_berth_dwt_min)"
)
# one distance to the collection of qualifying ports: the collection is built once per query
# and PostGIS caches its tree across calls (several times faster than one per port)
D_PORT_BERTH = f"ST_Distance(s.geom::geography, {QUALIFYING_PORTS})"
D_PORT = f"(CASE WHEN r.port_berth_dwt_min IS NULL THEN {D_PORT_ANY} ELSE {D_PORT_BERTH} END)"


def d_kind(kind: str) -> str:
    """SQL: distance (m) from site ``s`` to the nearest infrastructure of ``kind``."""
    vocab.INFRA_KIND.term(kind)
    return (
        "(SELECT d.distance_m FROM site_distance d"
        f" WHERE d.site_id = s.id AND d.infra_kind = {_lit(kind)})"
    )


D_EXPRESSWAY = d_kind("expressway_interchange")
D_FERRY = d_kind("ferry_terminal")


def _min_test(value: str, bound: str) -> str:
    return f"{value} >= {bound} * (1 - {{m}})"


def _max_test(value: str, bound: str) -> str:
    return f"{value} <= {bound} * (1 + {{m}})"


def _min_short(value: str, bound: str) -> str:
    return f"greatest(0, ({bound} - {value}) / NULLIF({bound}, 0))"


def _max_short(value: str, bound: str) -> str:
    return f"greatest(0, ({value} - {bound}) / NULLIF({bound}, 0))"


def _rank(v: vocab.Vocabulary, column: str) -> str:
    return f"array_position({sql_array(v.keys)}, {column})"


@dataclass(frozen=True)
class Criterion:
    """One criterion: SQL for when it applies, its test or score, and the site's value."""

    key: str
    hard: bool
    applies: str
    test: str = ""
    shortfall: str | None = None
    score: str = ""
    value: str = "NULL"
    level: str = "site"
    weight: float = 0.0

    @property
    def term(self) -> vocab.Term:
        """The criterion's labels."""
        return vocab.MATCH_CRITERION.term(self.key)


def _hard(
    key: str,
    applies: str,
    test: str,
    value: str,
    *,
    shortfall: str | None = None,
    level: str = "site",
) -> Criterion:
    return Criterion(key, True, applies, test=test, shortfall=shortfall, value=value, level=level)


def _soft(key: str, applies: str, score: str, value: str, weight: float) -> Criterion:
    return Criterion(key, False, applies, score=score, value=value, weight=weight)


HARD: tuple[Criterion, ...] = (
    _hard(
        "kind",
        "true",
        f"s.kind = ANY({_case_need(NEED_KINDS)})",
        "to_jsonb(s.kind)",
    ),
    _hard(
        "land_use",
        "cardinality(r.land_use_2023_codes) + cardinality(r.land_use_gb_codes) > 0",
        "(s.planned_use = ANY(r.land_use_2023_codes) OR s.legacy_use = ANY(r.land_use_gb_codes))",
        "jsonb_build_object('planned_use', s.planned_use, 'legacy_use', s.legacy_use)",
    ),
    _hard(
        "availability",
        "true",
        "s.availability = ANY(r.accept_availability)",
        "to_jsonb(s.availability)",
    ),
    _hard(
        "blocking_zones",
        "true",
        "NOT EXISTS (SELECT 1 FROM site_constraint_overlap o"
        f" WHERE o.site_id = s.id AND o.zone_kind IN {_BLOCKING})",
        "(SELECT COALESCE(jsonb_agg(jsonb_build_object('kind', o.zone_kind, 'code', z.code,"
        " 'name_zh', z.name_zh, 'name_en', z.name_en, 'pct', round(o.overlap_pct::numeric, 1))"
        " ORDER BY o.overlap_pct DESC, z.code), '[]'::jsonb)"
        " FROM site_constraint_overlap o JOIN constraint_zone z ON z.id = o.zone_id"
        f" WHERE o.site_id = s.id AND o.zone_kind IN {_BLOCKING})",
    ),
    _hard(
        "land_area",
        f"{_LAND} AND (r.land_mu_min IS NOT NULL OR r.land_mu_max IS NOT NULL)",
        f"(r.land_mu_min IS NULL OR s.area_m2 >= {LAND_MIN_M2} * (1 - {{m}}))"
        f" AND (r.land_mu_max IS NULL OR s.area_m2 <= {LAND_MAX_M2} * (1 + {{m}}))",
        "to_jsonb(round(s.area_mu::numeric, 1))",
        shortfall=f"greatest(COALESCE({_min_short('s.area_m2', LAND_MIN_M2)}, 0),"
        f" COALESCE({_max_short('s.area_m2', LAND_MAX_M2)}, 0))",
    ),
    _hard(
        "readiness_min",
        "r.readiness_min IS NOT NULL",
        f"{_rank(vocab.READINESS, 's.readiness')} >= {_rank(vocab.READINESS, 'r.readiness_min')}",
        "to_jsonb(s.readiness)",
    ),
    _hard(
        "shoreline",
        "r.shoreline_min_m IS NOT NULL OR r.need = 'shoreline'",
        "s.shoreline_m > 0 AND s.shoreline_m >= COALESCE(r.shoreline_min_m, 0) * (1 - {m})",
        "to_jsonb(s.shoreline_m)",
        shortfall="CASE WHEN s.shoreline_m > 0 THEN COALESCE("
        + _min_short("s.shoreline_m", "r.shoreline_min_m")
        + ", 0) END",
    ),
    _hard(
        "berth",
        "r.berth_dwt_min IS NOT NULL",
        _min_test("s.berth_dwt", "r.berth_dwt_min"),
        "to_jsonb(s.berth_dwt)",
        shortfall=_min_short("s.berth_dwt", "r.berth_dwt_min"),
    ),
    _hard(
        "water_depth",
        "r.water_depth_min_m IS NOT NULL",
        _min_test("s.water_depth_m", "r.water_depth_min_m"),
        "to_jsonb(s.water_depth_m)",
        shortfall=_min_short("s.water_depth_m", "r.water_depth_min_m"),
    ),
    _hard(
        "port_distance",
        "r.max_km_port IS NOT NULL",
        _max_test(D_PORT, "(r.max_km_port * 1000.0)"),
        "NULL",  # filled with the nearest qualifying port by the match query
        shortfall=_max_short(D_PORT, "(r.max_km_port * 1000.0)"),
    ),
    _hard(
        "expressway_distance",
        "r.max_km_expressway IS NOT NULL",
        _max_test(D_EXPRESSWAY, "(r.max_km_expressway * 1000.0)"),
        f"to_jsonb(round({D_EXPRESSWAY}))",
        shortfall=_max_short(D_EXPRESSWAY, "(r.max_km_expressway * 1000.0)"),
    ),
    _hard(
        "ferry_distance",
        "r.max_km_ferry IS NOT NULL",
        _max_test(D_FERRY, "(r.max_km_ferry * 1000.0)"),
        f"to_jsonb(round({D_FERRY}))",
        shortfall=_max_short(D_FERRY, "(r.max_km_ferry * 1000.0)"),
    ),
    _hard(
        "max_price",
        f"{_LAND} AND r.max_price_wan_per_mu IS NOT NULL",
        _max_test("s.reserve_price_wan_per_mu", "r.max_price_wan_per_mu"),
        "to_jsonb(s.reserve_price_wan_per_mu)",
        shortfall=_max_short("s.reserve_price_wan_per_mu", "r.max_price_wan_per_mu"),
    ),
    # building level (plant and building needs)
    _hard(
        "building_type",
        _SPACE,
        "b.building_type = ANY(CASE WHEN cardinality(r.building_types) > 0"
        f" THEN r.building_types ELSE {_case_need(DEFAULT_BUILDING_TYPES)} END)",
        "to_jsonb(b.building_type)",
        level="building",
    ),
    _hard(
        "vacancy",
        _SPACE,
        "b.occupancy IN ('vacant', 'partly_vacant') AND b.vacant_gfa_m2 > 0",
        "to_jsonb(b.occupancy)",
        level="building",
    ),
    _hard(
        "floor_area",
        f"{_SPACE} AND r.gfa_m2_min IS NOT NULL",
        _min_test("b.vacant_gfa_m2", GFA_MIN),
        "to_jsonb(b.vacant_gfa_m2)",
        shortfall=_min_short("b.vacant_gfa_m2", GFA_MIN),
        level="building",
    ),
    _hard(
        "min_split",
        f"{_SPACE} AND r.gfa_m2_max IS NOT NULL",
        _max_test("COALESCE(b.min_split_m2, b.vacant_gfa_m2)", GFA_MAX),
        "to_jsonb(COALESCE(b.min_split_m2, b.vacant_gfa_m2))",
        shortfall=_max_short("COALESCE(b.min_split_m2, b.vacant_gfa_m2)", GFA_MAX),
        level="building",
    ),
    _hard(
        "offer",
        f"{_SPACE} AND r.tenure <> 'either'",
        "b.offer = ANY(CASE r.tenure"
        + "".join(f" WHEN {_lit(t)} THEN {sql_array(o)}" for t, o in TENURE_OFFERS.items())
        + " ELSE ARRAY[]::text[] END)",
        "to_jsonb(b.offer)",
        level="building",
    ),
    _hard(
        "floor_height",
        f"{_SPACE} AND r.height_min_m IS NOT NULL",
        _min_test("b.floor_height_m", "r.height_min_m"),
        "to_jsonb(b.floor_height_m)",
        shortfall=_min_short("b.floor_height_m", "r.height_min_m"),
        level="building",
    ),
    _hard(
        "floor_load",
        f"{_SPACE} AND r.floor_load_min_kg_m2 IS NOT NULL",
        _min_test("b.floor_load_kg_m2", "r.floor_load_min_kg_m2"),
        "to_jsonb(b.floor_load_kg_m2)",
        shortfall=_min_short("b.floor_load_kg_m2", "r.floor_load_min_kg_m2"),
        level="building",
    ),
    _hard(
        "crane",
        f"{_SPACE} AND COALESCE(r.crane_min_t, 0) > 0",
        _min_test("b.crane_t", "r.crane_min_t"),
        "to_jsonb(b.crane_t)",
        shortfall=_min_short("b.crane_t", "r.crane_min_t"),
        level="building",
    ),
    _hard(
        "power",
        f"{_SPACE} AND r.power_kva IS NOT NULL",
        _min_test("b.power_kva", "r.power_kva"),
        "to_jsonb(b.power_kva)",
        shortfall=_min_short("b.power_kva", "r.power_kva"),
        level="building",
    ),
    _hard(
        "max_rent",
        f"{_SPACE} AND r.max_rent_yuan_m2_month IS NOT NULL AND r.tenure <> 'buy'",
        _max_test("b.rent_yuan_m2_month", "r.max_rent_yuan_m2_month"),
        "to_jsonb(b.rent_yuan_m2_month)",
        shortfall=_max_short("b.rent_yuan_m2_month", "r.max_rent_yuan_m2_month"),
        level="building",
    ),
)

# The size a space need aims at: the middle of the range, or its one bound.
_GFA_TARGET = "COALESCE((r.gfa_m2_min + r.gfa_m2_max) / 2.0, r.gfa_m2_min, r.gfa_m2_max)"
_MU_TARGET = "COALESCE((r.land_mu_min + r.land_mu_max) / 2.0, r.land_mu_min, r.land_mu_max)"
_SPLIT = "COALESCE(b.min_split_m2, b.vacant_gfa_m2)"
_SIZE_SCORE = (
    f"CASE WHEN {_SPACE} THEN (CASE"
    # a unit of the wanted size can be let: the space is between its smallest split and all
    f" WHEN {_SPLIT} <= {_GFA_TARGET} AND b.vacant_gfa_m2 >= {_GFA_TARGET} THEN 1.0"
    f" WHEN b.vacant_gfa_m2 < {_GFA_TARGET}"
    f" THEN greatest(0, 1 - ({_GFA_TARGET} - b.vacant_gfa_m2) / {_GFA_TARGET})"
    f" ELSE greatest(0, 1 - ({_SPLIT} - {_GFA_TARGET}) / {_GFA_TARGET}) END)"
    f" ELSE greatest(0, 1 - abs(s.area_mu - {_MU_TARGET}) / {_MU_TARGET}) END"
)
_POLICY_SCORE = (
    f"COALESCE(({_rank(vocab.POLICY_STATUS, 's.policy_status')} - 1)::float8"
    f" / {len(vocab.POLICY_STATUS) - 1}, 0)"
)
_QUOTA_SCORE = (
    "CASE s.quota_status WHEN 'approved' THEN 1.0 WHEN 'not_needed' THEN 1.0"
    " WHEN 'in_annual_plan' THEN 0.75 WHEN 'applied' THEN 0.5 WHEN 'pending' THEN 0.25"
    " ELSE 0 END"
)
_PLANNING_SCORE = (
    "CASE s.planning_status WHEN 'approved' THEN 1.0 WHEN 'amending' THEN 0.5"
    " WHEN 'drafting' THEN 0.25 ELSE 0 END"
)
_READINESS_SCORE = (
    "CASE s.readiness WHEN 'cleared' THEN 1.0 WHEN 'partly_cleared' THEN 0.5 ELSE 0 END"
)
_UTILITY_NEEDS = (("power", "r.power_kva"), ("water", "r.water_t_d"), ("sewer", "r.wastewater_t_d"))
_NEEDED_UTILITIES = (
    "array_remove(ARRAY["
    + ", ".join(f"CASE WHEN {col} IS NOT NULL THEN {_lit(u)} END" for u, col in _UTILITY_NEEDS)
    + "], NULL)"
)
# share of the needed utilities the site has, without a subquery per candidate
_UTILITIES_SCORE = (
    "("
    + " + ".join(
        f"(CASE WHEN {col} IS NOT NULL AND {_lit(u)} = ANY(s.utilities) THEN 1 ELSE 0 END)"
        for u, col in _UTILITY_NEEDS
    )
    + ")::float8 / NULLIF("
    + " + ".join(f"(CASE WHEN {col} IS NOT NULL THEN 1 ELSE 0 END)" for _u, col in _UTILITY_NEEDS)
    + ", 0)"
)


def _access(key: str, distance: str, limit_km: str) -> str:
    scale = f"(COALESCE({limit_km}, {ACCESS_SCALE_KM[key]}) * 1000.0)"
    return f"COALESCE(greatest(0, 1 - {distance} / {scale}), 0)"


SOFT: tuple[Criterion, ...] = (
    _soft(
        "size_fit",
        f"({_LAND} AND (r.land_mu_min IS NOT NULL OR r.land_mu_max IS NOT NULL))"
        f" OR ({_SPACE} AND (r.gfa_m2_min IS NOT NULL OR r.gfa_m2_max IS NOT NULL))",
        f"COALESCE({_SIZE_SCORE}, 0)",
        f"CASE WHEN {_SPACE} THEN jsonb_build_object('vacant_gfa_m2', b.vacant_gfa_m2,"
        f" 'min_split_m2', {_SPLIT}) ELSE to_jsonb(round(s.area_mu::numeric, 1)) END",
        20,
    ),
    # scored against the cheapest candidate by the match query; here: the price itself
    _soft(
        "price",
        f"{_LAND} OR {_SPACE}",
        "NULL",
        "NULL",
        15,
    ),
    _soft("readiness", _LAND, _READINESS_SCORE, "to_jsonb(s.readiness)", 10),
    _soft("policy", _LAND, _POLICY_SCORE, "to_jsonb(s.policy_status)", 8),
    _soft("quota", _LAND, _QUOTA_SCORE, "to_jsonb(s.quota_status)", 8),
    _soft("planning", _LAND, _PLANNING_SCORE, "to_jsonb(s.planning_status)", 6),
    _soft(
        "port_access",
        "r.max_km_port IS NOT NULL OR r.need IN ('land', 'shoreline')",
        _access("port_access", D_PORT, "r.max_km_port"),
        "NULL",  # the nearest qualifying port, filled by the match query
        10,
    ),
    _soft(
        "expressway_access",
        "r.max_km_expressway IS NOT NULL OR r.need IN ('land', 'plant')",
        _access("expressway_access", D_EXPRESSWAY, "r.max_km_expressway"),
        f"to_jsonb(round({D_EXPRESSWAY}))",
        6,
    ),
    _soft(
        "ferry_access",
        "r.max_km_ferry IS NOT NULL OR r.need = 'island'",
        _access("ferry_access", D_FERRY, "r.max_km_ferry"),
        f"to_jsonb(round({D_FERRY}))",
        4,
    ),
    _soft(
        "location",
        "cardinality(r.preferred_townships) + cardinality(r.preferred_blocks) > 0",
        "CASE WHEN s.township = ANY(r.preferred_townships) OR s.block = ANY(r.preferred_blocks)"
        " THEN 1.0 ELSE 0 END",
        "jsonb_build_object('township', s.township, 'block', s.block)",
        12,
    ),
    _soft(
        "far_fit",
        f"{_LAND} AND r.gfa_m2_min IS NOT NULL",
        "least(1.0, COALESCE(s.far_max, 0) * s.area_m2 / NULLIF(r.gfa_m2_min, 0))",
        "jsonb_build_object('far_max', s.far_max,"
        " 'capacity_m2', round((s.far_max * s.area_m2)::numeric))",
        5,
    ),
    _soft(
        "height_limit",
        f"{_LAND} AND r.height_min_m IS NOT NULL",
        "CASE WHEN s.height_limit_m IS NULL THEN 0.5"
        " WHEN s.height_limit_m >= r.height_min_m THEN 1.0 ELSE 0 END",
        "to_jsonb(s.height_limit_m)",
        3,
    ),
    _soft(
        "standard_land",
        f"{_LAND} AND (r.invest_total_wan IS NOT NULL OR r.tax_commit_wan_per_mu_yr IS NOT NULL)",
        "CASE WHEN NOT s.standard_land THEN 1.0 ELSE (COALESCE(least(1.0, r.invest_total_wan"
        " / s.area_mu / NULLIF(s.invest_intensity_wan_per_mu, 0)), 1.0)"
        " + COALESCE(least(1.0, r.tax_commit_wan_per_mu_yr / NULLIF(s.tax_wan_per_mu_yr, 0)),"
        " 1.0)) / 2 END",
        "jsonb_build_object('standard_land', s.standard_land,"
        " 'invest_intensity_wan_per_mu', s.invest_intensity_wan_per_mu,"
        " 'tax_wan_per_mu_yr', s.tax_wan_per_mu_yr,"
        " 'project_intensity_wan_per_mu', round((r.invest_total_wan / s.area_mu)::numeric, 1))",
        5,
    ),
    _soft(
        "utilities",
        f"{_LAND} AND (r.power_kva IS NOT NULL OR r.water_t_d IS NOT NULL"
        " OR r.wastewater_t_d IS NOT NULL)",
        _UTILITIES_SCORE,
        "jsonb_build_object('has', to_jsonb(s.utilities),"
        f" 'needed', to_jsonb({_NEEDED_UTILITIES}))",
        6,
    ),
    _soft(
        "freshness",
        "true",
        f"CASE WHEN s.verified_at IS NULL THEN 0 ELSE greatest(0, least(1.0,"
        f" 1 - (current_date - s.verified_at - {FRESH_DAYS})::float8"
        f" / {STALE_DAYS - FRESH_DAYS})) END",
        "jsonb_build_object('verified_at', s.verified_at,"
        " 'age_days', current_date - s.verified_at)",
        5,
    ),
)

ALL: tuple[Criterion, ...] = HARD + SOFT
BY_KEY: dict[str, Criterion] = {c.key: c for c in ALL}
DEFAULT_WEIGHTS: dict[str, float] = {c.key: c.weight for c in SOFT}

if set(BY_KEY) != set(vocab.MATCH_CRITERION.keys):  # labels and criteria must stay in step
    raise RuntimeError("gis_app.matching.criteria and vocab.MATCH_CRITERION disagree")
