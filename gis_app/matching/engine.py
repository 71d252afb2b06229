"""Run a match: one SQL statement filters (indexes first), scores and ranks in PostGIS, a second
reads the criteria of the rows it lists; Python only words the explanations. A match run again
sends the barred form of the first statement, with the bar its last run kept
(:mod:`gis_app.matching.bars`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from gis_app.db import prepared, scope
from gis_app.domain import match_criteria as criteria
from gis_app.domain.errors import Conflict, InvalidInput, range_refusal
from gis_app.matching import bars
from gis_app.matching import sql as match_sql
from gis_app.matching.explain import SiteMatch, explain_row
from gis_app.matching.spec import RequirementSpec

#: a match is run again when an edit between its two statements left a listed row inconsistent
_ATTEMPTS = 3
#: most results a match may list (matches; near misses have their own cap)
MAX_LIMIT = 200
MAX_NEAR_MISS_LIMIT = 100
MAX_MARGIN_PCT = 50.0


@dataclass
class MatchResult:
    """Ranked matches and near misses of one requirement, each explained."""

    need: str
    margin_pct: float
    weights: dict[str, float]
    total_matches: int
    total_near_misses: int
    matches: list[SiteMatch] = field(default_factory=list)
    near_misses: list[SiteMatch] = field(default_factory=list)
    requirement_id: int | None = None
    project_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


#: match units (sites and vacant buildings) from which a match scans with a parallel worker
PARALLEL_FROM_UNITS = 500_000
#: match units from which a match is planned with the requirement's values (a custom plan);
#: below, the statement's generic plan, made once per session, runs faster than planning
CUSTOM_PLANS_FROM_UNITS = 5_000

# JIT compilation of this wide query costs more than it saves. One parallel worker beside the
# leader shortens the broad requests on a large inventory; two workers on two cores are slower,
# and on a small inventory starting the worker costs more than it saves, hence the size gate,
# read from the table statistics (figures: docs/matching_performance.md;
# ``bench/worker_start.py``).
# The planner would not choose the worker by itself: it multiplies the selectivities of
# correlated specs and expects a handful of rows, nor can its estimate of the index pages
# read serve as the gate (for the same request it swings across the threshold). A nonzero
# setup cost keeps the two land-use branches under one Gather (one worker, not one per branch).
# A worker starts faster when the server preloads PostGIS (``shared_preload_libraries``).
# Land needs stating land uses take no worker: their candidates come from two index ranges of
# the stated classes (about 9,400 entries for class M2 at 1M sites), so the worker took at most
# 2–4 ms of the leader's CPU and cost more than that to start and gather: at 1M sites, on the
# 2-core machine with other work running, the two land requests ran 7–26 % faster (p50)
# without it, in interleaved rounds (``bench/match_1m.py``; README).
# Planning the ~40 KB statement with the requirement's values takes 2–8 ms; on a district's
# inventory (the sample: 73 sites) the generic plan executes in under 1 ms, on 150k units it
# is 3x slower than a custom plan; both cross near 10k units (``bench/match_plan.py``
# databases, figures in the README), hence the second gate.
# A space need's candidates come from the space key index (revision 0052), whose entries the
# leader and the worker share only if the planner sees enough per-row work to divide: its
# estimate of the rows (a handful, the correlated criteria multiplied again) leaves the index
# descents, which a worker does not divide, as the whole cost, and it plans no worker. Costing
# each row at 1 (not 0.01) for a space need that may take a worker lets it choose the
# parallel scan: the any-type plant request at 1M sites ran in ~0.85 of the time
# (``bench/results/match_space_key_ab.md``).
SPACE_ROW_COST = 1.0


#: match units from which a space need matched for the first time takes a bar from a sample
#: of its candidates (:func:`gis_app.matching.sql.bar_probe`); on a smaller inventory the
#: statement without a bar reads too few rows for a second statement to pay
SAMPLED_BAR_FROM_UNITS = PARALLEL_FROM_UNITS
#: the most of its candidates a barred statement may be expected to collect (the sample's
#: share) for a first run to send it: at 1M sites the barred plant statements break even with
#: the one without a bar near 45 % collected, the probe costs ~2 ms more
#: (``bench/match_collect_share.py``; docs/matching_performance.md)
MAX_COLLECTED_SHARE = 0.35

#: how long a process trusts the units of a set of districts (they change with ANALYZE)
UNITS_TTL_S = 60.0
_UNITS: dict[tuple[Any, ...], tuple[float, float | None]] = {}


def _kept_units(
    conn: sa.Connection, key: tuple[Any, ...], sql: str, binds: dict[str, Any]
) -> float | None:
    """The units ``sql`` counts, kept per process for :data:`UNITS_TTL_S` per database and
    ``key``."""
    url = conn.engine.url
    key = (url.host, url.port, url.database, *key)
    now = time.monotonic()
    hit = _UNITS.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    units = conn.execute(sa.text(sql), binds).scalar()
    _UNITS[key] = (now + UNITS_TTL_S, None if units is None else float(units))
    return _UNITS[key][1]


def scoped_units(conn: sa.Connection, districts: Sequence[str]) -> float | None:
    """How many match units the districts ``districts`` hold, of those the session may read
    (revision 0041: from the column statistics); None when the session reads no district's
    scope (the owner) — the gates then count the whole table. Kept per process for
    :data:`UNITS_TTL_S` per database, scope and districts (the statistics query takes about
    0.4 ms, as much as a district's land match gains)."""
    return _kept_units(
        conn,
        (scope.bound(conn), tuple(sorted(districts))),
        "SELECT gis_app_match_units(CAST(:codes AS text[]))",
        {"codes": list(districts)},
    )


def table_units(conn: sa.Connection) -> float:
    """How many match units the table holds, from its statistics (kept per process for
    :data:`UNITS_TTL_S` per database, as :func:`scoped_units`)."""
    units = _kept_units(
        conn, ("table",), "SELECT reltuples FROM pg_class WHERE oid = 'match_unit'::regclass", {}
    )
    return -1.0 if units is None else units


def settings_sql(worker: bool = True, units: float | None = None, space: bool = False) -> str:
    """The statements that set the planner settings a match runs with, for the transaction
    (no binds: sent in the same trip as the match itself); ``worker=False``: never a parallel
    worker. ``units``: how many match units the match reads (:func:`scoped_units`; default:
    the whole table's). ``space``: a plant or building need (its rows costed at
    :data:`SPACE_ROW_COST` when it may take a worker)."""
    from_units = int(PARALLEL_FROM_UNITS) if worker else -1
    n = "reltuples" if units is None else repr(float(units))
    takes_worker = f"{from_units} >= 0 AND n >= {from_units}"
    row_cost = (
        f" set_config('cpu_tuple_cost', CASE WHEN {takes_worker} THEN '{SPACE_ROW_COST!r}'"
        " ELSE current_setting('cpu_tuple_cost') END, true),"
        if space
        else ""
    )
    return (
        "SET LOCAL jit = off; SET LOCAL parallel_setup_cost = 1;"
        " SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_index_scan_size = 0;"
        " SELECT set_config('max_parallel_workers_per_gather',"
        f"   CASE WHEN {takes_worker} THEN '1' ELSE '0' END,"
        " true),"
        f"{row_cost}"
        " set_config('plan_cache_mode',"
        f"   CASE WHEN n >= {int(CUSTOM_PLANS_FROM_UNITS)} THEN 'force_custom_plan'"
        "   ELSE 'force_generic_plan' END, true)"
        f"  FROM (SELECT {n} AS n FROM pg_class WHERE oid = 'match_unit'::regclass) u; "
    )


def apply_settings(conn: sa.Connection) -> None:
    """Set the planner settings a match query runs with, for the transaction."""
    conn.exec_driver_sql(settings_sql())


def _with_explanations(
    conn: sa.Connection, params: dict[str, Any], ranked: Sequence[sa.RowMapping]
) -> list[dict[str, Any]] | None:
    """The ranked rows, each with its names and per-criterion values (a second, generic-plan
    query over the listed rows only); None when the inventory changed between the two
    statements (each reads its own snapshot) so that a listed row no longer agrees with its
    ranking: a site gone, or its hard criteria no longer failing as often as it was ranked for.
    """
    if not ranked:
        return []
    listed = [(r["site_id"], r["building_id"]) for r in ranked]
    query, binds = match_sql.explanation(params, listed)
    details = prepared.execute(conn, query, binds, match_sql.EXPLAIN_BIND_TYPES, plan="generic")
    if [(d["site_id"], d["building_id"]) for d in details] != listed:
        return None
    rows = [dict(r) | _criteria(d) for r, d in zip(ranked, details, strict=True)]
    for row in rows:
        failing = sum(1 for applies, passes, _, _ in row["hard"].values() if applies and not passes)
        if failing != row["n_fail"]:
            return None
    return rows


def _criteria(d: sa.RowMapping) -> dict[str, Any]:
    """An explanation row with ``hard`` as {criterion: [applies, passes, shortfall, value]} and
    ``soft`` as {criterion: [applies, score, value]} (what :func:`explain_row` reads)."""
    row = dict(d)
    hard = zip(
        row.pop("hard_applies"),
        row.pop("hard_passes"),
        row.pop("hard_shortfalls"),
        row.pop("hard_values"),
        strict=True,
    )
    soft = zip(row.pop("soft_applies"), row.pop("soft_scores"), row.pop("soft_values"), strict=True)
    row["hard"] = {k: list(v) for k, v in zip(match_sql.EXPLAINED_HARD, hard, strict=True)}
    row["soft"] = {k: list(v) for k, v in zip(match_sql.EXPLAINED_SOFT, soft, strict=True)}
    return row


def _sampled_bar(
    conn: sa.Connection, spec: RequirementSpec, options: dict[str, Any], units: float
) -> bars.Bar | None:
    """A bar for a match run for the first time, from a sample of its candidates
    (:func:`gis_app.matching.sql.bar_probe`); None when the need takes none, the sample holds
    too few matching sites, or the barred statement would collect more than
    :data:`MAX_COLLECTED_SHARE` of the sample (a bar far below the list's last)."""
    probe = match_sql.bar_probe(spec, **options)
    if probe is None:
        return None
    # serial: the sample is the first rows of the scan, a worker would only start; planned
    # with the requirement's values, which fold the price to the column its index orders
    # (a generic plan would sort every priced unit)
    before = settings_sql(worker=False, units=units, space=True)
    rows = prepared.execute(conn, *probe, match_sql.BIND_TYPES, plan="custom", before=before)
    if not rows or rows[0]["collected_share"] > MAX_COLLECTED_SHARE:
        return None
    ceiling = rows[0]["cheapest_at_most"]
    return bars.Bar(float(rows[0]["bar"]), None if ceiling is None else float(ceiling))


def run_match(
    conn: sa.Connection,
    spec: RequirementSpec,
    *,
    limit: int = 20,
    near_miss_limit: int = 10,
    margin_pct: float | None = None,
    weights: dict[str, float] | None = None,
    requirement_id: int | None = None,
    districts: list[str] | None = None,
) -> MatchResult:
    """Match ``spec`` against the inventory; ``margin_pct`` and ``weights`` override the spec's.

    ``districts``: only sites of these districts (codes), each result naming its district;
    None: every site.

    Ties in score are broken by site code (then building code), so a result is reproducible.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise range_refusal(
            f"limit must be between 1 and {MAX_LIMIT}, got {limit}", "limit", limit, 1, MAX_LIMIT
        )
    if not 0 <= near_miss_limit <= MAX_NEAR_MISS_LIMIT:
        raise range_refusal(
            f"near_miss_limit must be between 0 and {MAX_NEAR_MISS_LIMIT}, got {near_miss_limit}",
            "near_miss_limit",
            near_miss_limit,
            0,
            MAX_NEAR_MISS_LIMIT,
        )
    margin = spec.near_miss_margin_pct if margin_pct is None else margin_pct
    if not 0 <= margin <= MAX_MARGIN_PCT:
        raise range_refusal(
            f"margin_pct must be between 0 and {MAX_MARGIN_PCT:g}, got {margin}",
            "margin_pct",
            margin,
            0,
            f"{MAX_MARGIN_PCT:g}",
        )
    for key, w in (weights or {}).items():
        if key not in criteria.DEFAULT_WEIGHTS or not 0 <= w <= 1000:
            raise InvalidInput(
                f"weight {key!r}={w} is not a known criterion with 0 <= weight",
                code="bad_weight",
                field="weight",
                params={"value": f"{key}:{w}"[:60]},
            )
    effective = spec.effective_weights(weights)
    options = {
        "margin": margin / 100.0,
        "limit": limit,
        "nm_limit": near_miss_limit,
        "weights": effective,
        "districts": districts,
    }
    query, params = match_sql.statement(spec, **options)
    # the districts the match reads: those it names, else (row security) the caller's
    bound = scope.bound(conn)
    reads = districts if districts is not None else (bound.read if bound else None)
    units = scoped_units(conn, reads) if reads is not None else None
    before = settings_sql(
        worker=not match_sql.land_use_branches(spec.need, params),
        units=units,
        space=spec.need in criteria.SPACE_NEEDS,
    )

    def ranking(query: str, params: dict[str, Any]) -> Sequence[sa.RowMapping]:
        return prepared.execute(conn, query, params, match_sql.BIND_TYPES, plan=None, before=before)

    match = bars.key(conn, query, params)
    for attempt in range(_ATTEMPTS):
        bar = bars.kept(match)
        if bar is None and attempt == 0:
            read = units if units is not None else table_units(conn)
            bar = (
                _sampled_bar(conn, spec, options, read) if read >= SAMPLED_BAR_FROM_UNITS else None
            )
        ranked: Sequence[sa.RowMapping] = []
        if bar is not None:
            barred = match_sql.statement(
                spec, **options, bar=bar.score, cheapest_at_most=bar.cheapest
            )
            ranked = ranking(*barred)
        if not ranked or not ranked[0]["bar_held"]:  # no bar, or one the lists no longer reach
            ranked = ranking(query, params)
        rows = _with_explanations(conn, params, ranked)
        if rows is not None:
            bars.keep(match, ranked)
            break
    else:
        raise Conflict(
            f"the inventory changed {_ATTEMPTS} times while matching; try again in a moment",
            code="try_again",
        )
    result = MatchResult(
        need=spec.need,
        margin_pct=margin,
        weights=effective,
        total_matches=0,
        total_near_misses=0,
        requirement_id=requirement_id,
        project_name=spec.project_name,
    )
    req_cache: dict = {}
    for row in rows:
        result.total_matches = int(row["n_matches"])
        result.total_near_misses = int(row["n_near_misses"])
        m = explain_row(row, spec, effective, req_cache)
        (result.near_misses if m.near_miss else result.matches).append(m)
    return result
