"""SQL built from the criteria registry: the shared hard predicate, the match query with the
query explaining its rows, and the database functions and triggers that keep reverse matches
current and raise alerts.

One predicate, several sources. Every criterion's SQL parts are functions of a
:class:`~gis_app.domain.match_criteria.Source` that names what they read; this module renders
them for each statement instead of rewriting finished SQL text:

* :data:`~gis_app.domain.match_criteria.SITE` — the base tables (site ``s``, building ``b``,
  the trigger-kept distances and overlaps): the database functions evaluate the predicate
  (``margin`` 0, buildings through ``EXISTS``) against the ``requirement`` table, for QGIS and
  psql edits as much as for the app. A change to the criteria ships as a new migration with
  the text of :func:`install_ddl` pasted in (revisions never import the application); a test
  checks that the database holds the current text.
* :data:`UNIT` — ``match_unit s``, one row per candidate with the distances and the blocking
  flag as columns (revision 0008): the match query. The requirement comes in as a one-row
  subquery of constants, so the planner folds every condition the requirement does not state
  and the rest become index-friendly comparisons (``s.kind = ANY(...)``, ``s.area_m2 >= ...``).
* :data:`LISTED` — the listed rows' site and building with their unit's derived columns: the
  explanation query.
* :data:`BINDS` — the requirement's binds instead of the row ``r``, for the per-request
  constants computed outside its scope (the total weight).

The match statement itself is assembled from named clauses (:func:`_candidates`, the counting
and listing CTEs of :func:`_site_lists` / :func:`_space_lists`, :func:`_ranked`), joined by
:func:`match_sql`.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from gis_app.domain import match_criteria as criteria
from gis_app.domain import vocab
from gis_app.matching.spec import RequirementSpec

#: requirement columns the criteria read, with their SQL types (the constant row's columns)
REQ_COLUMNS: dict[str, str] = criteria.REQ_COLUMNS

#: ``match_unit s``: a site (land needs) or a vacant building with its site's fields (space
#: needs), with the nearest distances and the blocking flag folded in (revision 0008). With a
#: berth class the distance to the qualifying ports is the site's shape against them, computed
#: once per candidate in the lateral ``pd`` of the match query. A test checks that the match
#: query touches nothing but match_unit.
UNIT = criteria.Source(
    "match_unit",
    s=criteria.table("s", {"id": "site_id", "code": "site_code"}),
    b=criteria.table("s", {"id": "building_id", "code": "building_code"}),
    r=criteria.REQUIREMENT_ROW,
    d_port_any="s.d_port",
    d_port_berth="pd.d",
    d_expressway="s.d_expressway",
    d_ferry="s.d_ferry",
    not_blocked="NOT s.blocked",
)
#: the rows listed, explained from site ``s`` and building ``b`` themselves, but distances and
#: the blocking test from their unit ``u`` (no subquery per criterion and row), the distance to
#: the qualifying ports from the lateral ``pd``
LISTED = criteria.Source(
    "listed",
    s=criteria.table("s"),
    b=criteria.table("b"),
    r=criteria.REQUIREMENT_ROW,
    d_port_any="u.d_port",
    d_port_berth="pd.d",
    d_expressway="u.d_expressway",
    d_ferry="u.d_ferry",
    not_blocked="NOT u.blocked",
)
#: the requirement's binds (criteria on the requirement only, outside ``r``'s scope)
BINDS = UNIT.with_requirement(criteria.REQUIREMENT_BINDS)

OPEN_STATUSES = criteria.sql_list(vocab.OPEN_REQUIREMENT_STATUSES)


#: the keys of the criteria that apply to one requirement (:func:`applying`); None where a
#: statement serves every requirement and asks each criterion's ``applies`` in SQL
Applying = frozenset[str] | None


def applying(params: dict[str, Any]) -> frozenset[str]:
    """The keys of the criteria that apply to the requirement bound in ``params`` (the binds
    of :func:`constant_row`), decided in Python by the same conditions the SQL states."""
    values = {name: params[f"r_{name}"] for name in REQ_COLUMNS}
    return frozenset(c.key for c in criteria.CRITERIA if c.applies.holds(values))


def _known(c: criteria.Criterion, chosen: Applying) -> bool:
    """Whether ``c`` may apply under ``chosen`` (a criterion known not to is left out)."""
    return chosen is None or c.key in chosen


def _term(
    c: criteria.Criterion, source: criteria.Source, margin: str, chosen: Applying = None
) -> str:
    assert c.test is not None
    if chosen is not None:
        return f"({c.test(source, margin)})"
    return f"(NOT COALESCE(({c.applies(source)}), false) OR ({c.test(source, margin)}))"


def hard_predicate(
    margin: str = "0",
    buildings: str = "exists",
    source: criteria.Source = criteria.SITE,
    without: tuple[str, ...] = (),
    chosen: Applying = None,
) -> str:
    """The hard constraints as one SQL condition on ``source``'s site and requirement ``r``
    (``margin`` relaxes them).

    ``buildings="exists"`` puts the building-level constraints in an ``EXISTS`` over the site's
    buildings (base tables only); ``"join"`` expects the building in the row (a joined ``b``,
    or a match unit). ``without``: the criteria another condition decides (the space key).
    ``chosen``: the criteria that apply (:func:`applying`): only theirs, without their
    ``applies`` (the condition then holds only for requirements they apply to).
    """
    hard = [c for c in criteria.HARD if c.key not in without and _known(c, chosen)]
    site = [_term(c, source, margin, chosen) for c in hard if c.level == "site"]
    bld = [_term(c, source, margin, chosen) for c in hard if c.level == "building"] or ["true"]
    need_space = f"{source.r.need} IN {criteria.sql_list(criteria.SPACE_NEEDS)}"
    if buildings == "exists":
        bpart = (
            f"(NOT ({need_space}) OR EXISTS (SELECT 1 FROM building b"
            f" WHERE {source.b.site_id} = {source.s.id}"
            "\n      AND " + "\n      AND ".join(bld) + "))"
        )
    elif buildings == "join":
        bpart = "\n  AND ".join(bld)
    else:
        raise ValueError(buildings)
    return "\n  AND ".join([*site, bpart])


_ROW_SQL = (
    "(SELECT "
    + ", ".join(f"CAST(:r_{name} AS {typ}) AS {name}" for name, typ in REQ_COLUMNS.items())
    + ")"
)


def constant_row(spec: RequirementSpec) -> tuple[str, dict[str, Any]]:
    """The requirement as a one-row subquery of bound constants (alias it ``r``)."""
    c2023, cgb = spec.land_use_sets()
    values = spec.model_dump()
    values |= {"land_use_2023_codes": c2023, "land_use_gb_codes": cgb}
    return _ROW_SQL, {f"r_{name}": values[name] for name in REQ_COLUMNS}


def _uses(keys: tuple[str, ...], source: criteria.Source, chosen: Applying = None) -> str:
    if chosen is not None:
        return "true" if chosen.intersection(keys) else "false"
    return " OR ".join(f"COALESCE(({criteria.BY_KEY[k].applies(source)}), false)" for k in keys)


_PORT_KEYS = ("port_distance", "port_access")
_PRICE = criteria.BY_KEY["price"]

_BERTH_DISTANCE = (
    "CROSS JOIN LATERAL (SELECT (SELECT ST_Distance(g.geom::geography, "
    f"{criteria.QUALIFYING_PORTS}) FROM site g WHERE g.id = s.site_id) AS d OFFSET 0) pd"
)
# without a berth class the criteria's berth branch folds away; pd is then a constant row
_NO_BERTH_DISTANCE = "CROSS JOIN (SELECT NULL::float8 AS d) pd"

# A port limit first asks whether the site's box (kept in match_unit; a PostgreSQL box since
# revision 0042, 32 bytes of every index entry) meets a box around a qualifying port that
# surely holds the (relaxed) limit: a few box comparisons per candidate, the boxes built once
# per query. It only demands part of what the port criterion demands, so
# it changes no result; it spares the geodesic distance for candidates far from every port.
_NEAR_PORTS = f"""(r.max_km_port IS NULL OR s.envelope && ANY(ARRAY(
        SELECT box(ST_Expand(i.geom,
                   (r.max_km_port * 1000.0 * (1 + :margin)) / (110000.0 * cos(radians(least(89.0,
                       abs(ST_Y(ST_Centroid(i.geom)))
                       + r.max_km_port * 1000.0 * (1 + :margin) / 110000.0)))),
                   r.max_km_port * 1000.0 * (1 + :margin) / 110000.0))
          FROM infrastructure i
         WHERE i.kind IN {criteria.sql_list(criteria.PORT_KINDS)}
           AND (r.port_berth_dwt_min IS NULL OR i.berth_dwt >= r.port_berth_dwt_min))))"""


def _weight(key: str) -> str:
    # float8 binds: a numeric weight would turn every row's arithmetic into numeric
    return f"CAST(:w_{key} AS float8)"


# The score shown and ranked on: 0–100 to one decimal, halves rounded up. In float8: a cast to
# numeric and back cost ~1.5 µs a row (45 ms for 30k candidates). The 1e-9 makes a value that
# is a half in decimal (72.45, held as 72.4499…) round up, as the decimal rounding did.
# The price criterion's score: the cheapest candidate's price over the candidate's, at most 1
# (0.5 without a price). The request's total weight and price weight (0 when price does not
# apply) are constants of ``counts``, not columns of every candidate: narrower candidate rows
# through the worker's queue and the materialised CTE took 5–8 % off the plant requests at 1M.
def _price_score(row: str) -> str:
    return (
        f"CASE WHEN {row}.price IS NULL THEN 0.5"
        f" ELSE least(1.0, (SELECT cheapest FROM counts) / NULLIF({row}.price, 0)) END"
    )


_W_TOTAL = "(SELECT w_total FROM counts)"
_ROUNDED_SCORE = (
    f"floor(1000.0 * (c.soft_points + (SELECT w_price FROM counts) * {_price_score('c')})"
    f" / {_W_TOTAL} + 0.5 + 1e-9) / 10.0"
)


# Land needs that state land uses take their candidates in two index-only branches, one per
# classification, instead of every site in the size range: a site whose 2023 code fits comes
# from the first; one that fits only by its GB 50137 code from the second (so none twice).
# The second reads only units whose 2023 code does not imply their GB 50137 code (the partial
# index of revision 0011): for the others every search that accepts the GB code accepts the
# 2023 code too, so the first branch has them already. Most sites carry agreeing codes: the
# second branch had read as many entries as the first to keep none.
_LAND_USE_UNITS = (
    "(SELECT u.* FROM match_unit u WHERE u.building_id IS NULL"
    " AND u.planned_use = ANY(CAST(:r_land_use_2023_codes AS text[]))"
    " UNION ALL"
    " SELECT u.* FROM match_unit u WHERE u.building_id IS NULL"
    " AND u.legacy_use IS NOT NULL"
    " AND NOT gis_app_legacy_use_implied(u.planned_use, u.legacy_use)"
    " AND u.legacy_use = ANY(CAST(:r_land_use_gb_codes AS text[]))"
    " AND (u.planned_use = ANY(CAST(:r_land_use_2023_codes AS text[]))) IS NOT TRUE)"
)


#: the SQL type of every bind of the match query (for a prepared statement)
BIND_TYPES: dict[str, str] = (
    {f"r_{name}": typ for name, typ in REQ_COLUMNS.items()}
    | {"margin": "float8", "limit": "bigint", "nm_limit": "bigint", "bar": "float8"}
    | {"cheapest_at_most": "float8"}
    | {"sample": "bigint", "priced": "bigint"}
    | {f"w_{key}": "float8" for key in criteria.DEFAULT_WEIGHTS}
    | {"districts": "text[]"}
)

# The districts a match reads (revision 0033). Restricted (a district's officers, a referral,
# a city): the candidates whose unit carries one of the bound codes. Unrestricted: every
# district, read in the statement's own snapshot (every unit's district is its site's, a
# foreign key on district.code, so this keeps every unit). The candidate indexes hold
# district_code between their equality keys and the size range, so either way it is an index
# condition bounding one range per district: a district reads only its own entries, and the
# match over every district keeps its size bound (PostgreSQL 15 has no skip scan: with no
# condition on the district, the size range would no longer bound the scan).
_BOUND_DISTRICTS = "CAST(:districts AS text[])"
_ALL_DISTRICTS = "ARRAY(SELECT d.code FROM district d)"
_IN_DISTRICTS = f"AND s.district_code = ANY({_BOUND_DISTRICTS})"
_EVERY_DISTRICT = f"AND s.district_code = ANY({_ALL_DISTRICTS})"


# A space need's candidates: the space index's entries under the space keys the need accepts
# (revisions 0052, 0053; one per combination of district, availability, kind, building type and
# offer, built once per query), each an index range bounded by the size. The key is exact, so
# it decides the districts and those four criteria (the statement leaves their tests out).
def _space_keys(scoped: bool) -> str:
    districts = _BOUND_DISTRICTS if scoped else _ALL_DISTRICTS
    return (
        f"AND {criteria.space_key_of(UNIT)} = ANY({criteria.accepted_space_keys(UNIT, districts)})"
    )


def statement(
    spec: RequirementSpec,
    *,
    margin: float = 0.1,
    limit: int = 20,
    nm_limit: int = 10,
    weights: dict[str, float] | None = None,
    districts: list[str] | None = None,
    space_keys: bool = True,
    only_applying: bool = True,
    bar: float | None = None,
    cheapest_at_most: float | None = None,
) -> tuple[str, dict[str, Any]]:
    """The match query for ``spec`` and all its binds (see :data:`BIND_TYPES`).

    ``margin`` is a share (0.1 = 10 %); ``weights`` default to ``spec.effective_weights()``;
    ``districts``: only sites of these districts (codes), None: every site. ``space_keys``:
    a space need's candidates are those under the space keys it accepts, which decide the
    districts and the criteria they stand for (False: those criteria and districts tested
    instead, the keys unread; the same result, for tests and benchmarks). ``only_applying``:
    the text holds only the criteria that apply to ``spec`` (False: every criterion, each
    asking in SQL whether it applies; the same result, for tests and benchmarks). ``bar``: a
    score the last listed match is expected to reach, for the barred statement of
    :func:`match_sql` (its rows say whether the bar held; None: the statement without one),
    with ``cheapest_at_most``, a price expected to be at least the cheapest match's (None: not
    known).
    """
    row_sql, params = _binds(spec, margin, limit, nm_limit, weights, districts)
    query = match_sql(
        row_sql,
        space=spec.need in criteria.SPACE_NEEDS,
        land_use=land_use_branches(spec.need, params),
        berth=spec.port_berth_dwt_min is not None,
        scoped=districts is not None,
        space_keys=space_keys,
        chosen=applying(params) if only_applying else None,
        barred=bar is not None,
    )
    if bar is not None:
        params |= {"bar": bar, "cheapest_at_most": cheapest_at_most}
    return query, params


def _binds(
    spec: RequirementSpec,
    margin: float,
    limit: int,
    nm_limit: int,
    weights: dict[str, float] | None,
    districts: list[str] | None,
) -> tuple[str, dict[str, Any]]:
    """The requirement's constant row and the binds every statement of a match shares."""
    row_sql, params = constant_row(spec)
    params |= {"margin": margin, "limit": limit, "nm_limit": nm_limit}
    used = spec.effective_weights() if weights is None else weights
    params |= {f"w_{k}": float(v) for k, v in used.items()}
    if districts is not None:
        params["districts"] = list(districts)
    return row_sql, params


#: candidates a first run's bar is taken from (:func:`bar_probe`), and priced units read for a
#: bound of the cheapest match's price
SAMPLE_UNITS = 500
PRICED_UNITS = 500


def bar_probe(
    spec: RequirementSpec,
    *,
    margin: float = 0.1,
    limit: int = 20,
    nm_limit: int = 10,
    weights: dict[str, float] | None = None,
    districts: list[str] | None = None,
    sample: int | None = None,
    priced: int | None = None,
) -> tuple[str, dict[str, Any]] | None:
    """A statement giving a first run of a space need a bar (:mod:`gis_app.matching.bars`),
    and its binds; None for a need it does not serve (land needs, a berth class stated: their
    first runs read few candidates, or pay a port distance per candidate read).

    Its one row (none when the sample holds fewer than ``limit`` matching sites) holds ``bar``,
    a score at most that of the ``limit``-th match of the list, so the barred statement lists
    the same rows as the statement without a bar and says that it held. It scores ``sample``
    candidates (the first rows of the match's own index scan; default :data:`SAMPLE_UNITS`)
    with a price no match undercuts (:func:`_price_floor`, from the ``priced`` cheapest units;
    default :data:`PRICED_UNITS`); each sampled row then scores at most what it scores in the
    match, and ``limit`` distinct matching sites that reach a score prove that the list's last
    reaches it. ``cheapest``: that price (for tests); ``cheapest_at_most``: the cheapest
    matching price in the sample, for the barred statement (:func:`_collected`);
    ``collected_share``: the share of the sample's rows that statement would collect with
    them, an estimate of its share of all candidates (collecting most of them costs more than
    the statement without a bar).
    """
    if spec.need not in criteria.SPACE_NEEDS or spec.port_berth_dwt_min is not None:
        return None
    row_sql, params = _binds(spec, margin, limit, nm_limit, weights, districts)
    params |= {
        "sample": SAMPLE_UNITS if sample is None else sample,
        "priced": PRICED_UNITS if priced is None else priced,
    }
    return bar_probe_sql(row_sql, scoped=districts is not None, chosen=applying(params)), params


@functools.lru_cache(maxsize=256)
def bar_probe_sql(row_sql: str, *, scoped: bool = False, chosen: Applying = None) -> str:
    """The text of :func:`bar_probe` (a space need without a berth class)."""
    total, price = _weights(chosen)
    sampled = _candidates(
        row_sql, space=True, land_use=False, berth=False, scoped=scoped, chosen=chosen, sample=True
    )
    kept = _kept(total, price, "bar.bar", "bar.cheapest_at_most")
    return f"""
WITH {_price_floor(row_sql, scoped, chosen)},
counts AS (
  SELECT f.cheapest, {total} AS w_total, {price} AS w_price FROM floor f
),
{sampled},
{_totals(chosen, "cand")},
bar AS (
  SELECT b.score AS bar, (SELECT cheapest FROM counts) AS cheapest,
         (SELECT min(price) FROM cand WHERE n_fail = 0 AND price > 0) AS cheapest_at_most
    FROM (SELECT site_id, max(score) AS score FROM totals WHERE n_fail = 0 GROUP BY site_id) b
   ORDER BY b.score DESC
   LIMIT 1 OFFSET :limit - 1
)
SELECT bar.*,
       (SELECT (count(*) FILTER (WHERE {kept}))::float8 / count(*) FROM cand) AS collected_share
  FROM bar"""


def _price_floor(row_sql: str, scoped: bool, chosen: Applying) -> str:
    """``floor``: a price no match undercuts, for a sample's scores to be at most the match's.

    The price criterion scores a row against the cheapest match (:data:`_CHEAPEST`), which only
    the whole candidate scan knows. Read in price order (the partial price indexes of revision
    0059), the first ``:priced`` priced units give it: the cheapest of them that matches is
    the cheapest match; when none does, none of the cheaper ones read does either, so the
    dearest read is a floor; when fewer were read, no match has a price and the floor is NULL
    (every match then scores its price as the match does: 0.5 without one)."""
    value = _PRICE.value(UNIT)
    districts = _IN_DISTRICTS if scoped else _EVERY_DISTRICT
    matches = hard_predicate("0", "join", UNIT, (), chosen)
    return f"""floor AS (
  SELECT CASE WHEN bool_or(p.m) THEN min(p.price) FILTER (WHERE p.m)
              WHEN count(*) = :priced THEN max(p.price) END AS cheapest
    FROM (SELECT ({value})::float8 AS price,
                 COALESCE(({matches}) {districts}, false) AS m
            FROM {row_sql} r, match_unit s
            {_NO_BERTH_DISTANCE}
           WHERE {criteria.space_units("s.")} AND ({value}) > 0
           ORDER BY {value}
           LIMIT :priced) p
)"""


def land_use_branches(need: str, params: dict[str, Any]) -> bool:
    """Whether the candidates of a match with these binds (of :func:`statement`) come from the
    two land-use branches (a land need stating land uses, or an industry implying them)."""
    return need not in criteria.SPACE_NEEDS and bool(
        params["r_land_use_2023_codes"] or params["r_land_use_gb_codes"]
    )


# the price the price criterion scores against: the lowest among the matches, else among all
# candidates (taken in the pass that counts them, not in a pass of its own)
_CHEAPEST = (
    "COALESCE(min(price) FILTER (WHERE n_fail = 0 AND price > 0),"
    " min(price) FILTER (WHERE price > 0)) AS cheapest"
)


def _site_lists(order: str, per_request: str) -> tuple[str, str]:
    """``counts`` (with the ``per_request`` columns), and ``top`` when each candidate is a site
    (land needs)."""
    return (
        f"""counts AS (
  SELECT count(*) FILTER (WHERE n_fail = 0) AS n_matches,
         count(*) FILTER (WHERE n_fail = 1) AS n_near_misses,
         {per_request}
    FROM cand
)""",
        f"""top AS (
  (SELECT * FROM totals WHERE n_fail = 0 ORDER BY {order} LIMIT :limit)
  UNION ALL
  (SELECT * FROM totals WHERE n_fail = 1 ORDER BY {order} LIMIT :nm_limit)
)""",
    )


def _space_lists(
    order: str, row_sql: str, berth: bool, per_request: str, chosen: Applying = None
) -> tuple[str, str]:
    """``counts`` (with the ``per_request`` columns), and ``top`` when each candidate is a
    building: a site is listed once, with
    its best building (the first of its rows in the ranking order), among the near misses only
    when none of its buildings matches.

    Counting sites, not buildings: a candidate whose site has one vacant building
    (``site_units`` = 1) is its site; only the candidates of sites with several are counted
    distinct (no grouping of every candidate by site, which took a fifth of the query at 1M
    sites).

    No sort of every candidate: the first ``n × per_site`` rows of a list in ranking order hold
    the best rows of its first ``n`` sites (no site has more than ``per_site`` rows: the most
    vacant buildings of a candidate's site), so a bounded top-N sort and a DISTINCT ON over
    those few rows give the same list.
    """

    def first_sites(rows: str, limit: str) -> str:
        return f"""(SELECT * FROM (
     SELECT DISTINCT ON (site_id) * FROM ({rows} LIMIT {limit} * (SELECT per_site FROM counts)) f
      ORDER BY site_id, score DESC, building_code) d
   ORDER BY {order} LIMIT {limit})"""

    matches = f"SELECT * FROM totals t WHERE t.n_fail = 0 ORDER BY {order}"
    # Only a site with several vacant buildings can have one that fits beside one that nearly
    # does. Whether one fits is asked of that site's units (an index probe, the hard
    # constraints) for the near misses in ranking order until the list is full, not of every
    # near miss (a hash of all matching sites took a pass over every candidate).
    near_misses = f"""SELECT * FROM (
         SELECT * FROM totals t WHERE t.n_fail = 1 ORDER BY {order} OFFSET 0) o
        WHERE CASE WHEN o.site_units > 1 THEN NOT EXISTS (
                SELECT 1 FROM {row_sql} r, match_unit s
                {_BERTH_DISTANCE if berth else _NO_BERTH_DISTANCE}
                 WHERE s.site_id = o.site_id AND s.building_id IS NOT NULL
                   AND s.vacant_gfa_m2 > 0 AND {hard_predicate("0", "join", UNIT, (), chosen)})
              ELSE true END"""

    return (
        f"""counts AS (
  SELECT count(*) FILTER (WHERE n_fail = 0 AND site_units = 1)
         + count(DISTINCT site_id) FILTER (WHERE n_fail = 0 AND site_units > 1) AS n_matches,
         count(*) FILTER (WHERE n_fail = 1 AND site_units = 1)
         + count(DISTINCT site_id) FILTER (WHERE n_fail <= 1 AND site_units > 1)
         - count(DISTINCT site_id) FILTER (WHERE n_fail = 0 AND site_units > 1) AS n_near_misses,
         COALESCE(max(site_units) FILTER (WHERE n_fail <= 1), 1) AS per_site,
         {per_request}
    FROM cand
)""",
        f"""top AS (
  {first_sites(matches, ":limit")}
  UNION ALL
  {first_sites(near_misses, ":nm_limit")}
)""",
    )


# --- the match statement, clause by clause ----------------------------------------------------

_ORDER = "score DESC, site_code, building_code"
#: soft criteria scored per candidate (price is scored against the cheapest, in :func:`_ranked`)
_SCORED = tuple(c for c in criteria.SOFT if c.score is not None)


def _n_fail(source: criteria.Source, chosen: Applying = None) -> str:
    # Only a constraint with a margin can fail in a row that passed the relaxed filter: the
    # others are the same test there, so counting them added ~10 CASE terms a candidate.
    def fails(c: criteria.Criterion) -> str:
        assert c.test is not None
        when = "" if chosen is not None else f"COALESCE(({c.applies(source)}), false) AND "
        return f"(CASE WHEN {when}NOT COALESCE(({c.test(source, '0')}), false) THEN 1 ELSE 0 END)"

    terms = [fails(c) for c in criteria.HARD if c.has_margin and _known(c, chosen)]
    return " + ".join(terms) or "0"


def _soft_points(source: criteria.Source, chosen: Applying = None) -> str:
    def points(c: criteria.Criterion) -> str:
        assert c.score is not None
        scored = f"{_weight(c.key)} * COALESCE(({c.score(source)}), 0)"
        if chosen is not None:
            return f"({scored})"
        return f"(CASE WHEN ({c.applies(source)}) THEN {scored} ELSE 0 END)"

    return " + ".join(points(c) for c in _SCORED if _known(c, chosen)) or "0"


def _candidates(
    row_sql: str,
    *,
    space: bool,
    land_use: bool,
    berth: bool,
    scoped: bool = False,
    space_keys: bool = True,
    chosen: Applying = None,
    barred: bool = False,
    sample: bool = False,
) -> str:
    """``cand``: the candidates that pass the relaxed hard filter, scored, from match units
    (``chosen``: the criteria that apply, :func:`applying`; None: every criterion, asking its
    ``applies``). Kept for the passes that count and list them; with a bar (``barred``) read
    once, by the pass that counts them and collects the rows that may be listed; with
    ``sample``, only the first ``:sample`` rows of the scan (:func:`bar_probe`)."""
    source = UNIT
    keyed = space and space_keys
    districts = _IN_DISTRICTS if scoped else _EVERY_DISTRICT
    where = _space_keys(scoped) if keyed else districts
    without = criteria.SPACE_KEY_CRITERIA if keyed else ()
    # the partial indexes' predicates (the vacancy criterion demands vacant space anyway)
    units = criteria.space_units("s.") if space else "s.building_id IS NULL"
    ids = (
        f"{source.s.id} AS site_id, {source.s.code} AS site_code,"
        f" {source.b.id} AS building_id, {source.b.code} AS building_code"
    )
    # OFFSET 0: inlined into the aggregate, the scores would be computed there (in the leader,
    # once per aggregate reading them) instead of where the rows are read (leader and worker)
    once = "\n   OFFSET 0" if barred else ""
    if sample:  # the first rows of the scan (:func:`bar_probe`)
        once = "\n   LIMIT :sample"
    return f"""cand AS {"" if barred else "MATERIALIZED "}(
  SELECT {ids},
         {_n_fail(source, chosen)} AS n_fail,
         {_PRICE.value(source)}::float8 AS price,
         ({_soft_points(source, chosen)})::float8 AS soft_points,
         {"s.site_units" if space else "NULL::smallint"} AS site_units
    FROM {row_sql} r, {_LAND_USE_UNITS if land_use and not space else "match_unit"} s
   {_BERTH_DISTANCE if berth else _NO_BERTH_DISTANCE}
   WHERE {units}
     AND {_NEAR_PORTS}
     AND {hard_predicate(":margin", "join", source, without, chosen)}
     {where}{once}
)"""


def _applied_weight(c: criteria.Criterion, chosen: Applying) -> str:
    """SQL: ``c``'s weight when it applies to the requirement (its binds), else 0."""
    if chosen is not None:
        return _weight(c.key) if c.key in chosen else "0"
    return f"(CASE WHEN ({c.applies(BINDS)}) THEN {_weight(c.key)} ELSE 0 END)"


def _price_applies(chosen: Applying) -> str:
    if chosen is not None:
        return "true" if _PRICE.key in chosen else "false"
    return _PRICE.applies(BINDS)


# The columns of ``cand`` (their types for ``listed``).
_CAND_COLUMNS = (
    ("site_id", "bigint"),
    ("site_code", "text"),
    ("building_id", "bigint"),
    ("building_code", "text"),
    ("n_fail", "integer"),
    ("price", "float8"),
    ("soft_points", "float8"),
    ("site_units", "smallint"),
)


def _per_request(chosen: Applying = None, barred: bool = False) -> str:
    """The columns of ``counts`` that are constants of the request: the cheapest price, the
    total weight and the price weight (criteria on the requirement's binds); with a bar
    (``barred``) also ``listed``, the candidates that may be listed (:func:`_collected`)."""
    total, price = _weights(chosen)
    collected = f",\n         {_collected(total, price)} AS listed" if barred else ""
    return f"{_CHEAPEST},\n         {total} AS w_total,\n         {price} AS w_price{collected}"


def _weights(chosen: Applying) -> tuple[str, str]:
    """SQL: the request's total weight (float8) and its price weight."""
    weight = " + ".join(_applied_weight(c, chosen) for c in _SCORED if _known(c, chosen)) or "0"
    price = _applied_weight(_PRICE, chosen)
    return f"({weight})::float8 + {price}", price


def _collected(total: str, price: str) -> str:
    """The aggregate of the rows a barred statement may list: every near miss, and the matches
    that may reach the bar ``:bar`` (a score).

    A row reaches the bar only if its soft points and the most its price can score reach it
    (0.06 covers the rounding to a tenth): that test on columns already computed spares
    scoring and sorting the others (with a bar kept from the last run, ~20 of the ~29,000
    matching units of the broad plant request at 1M sites). The price scores against the
    cheapest match, known only once every candidate is read; ``:cheapest_at_most``, a price the
    cheapest match does not exceed (the last run's cheapest, or a sample's, checked in
    :data:`_BAR_HELD`), bounds it; without one it may score up to 1."""
    columns = ", ".join(name for name, _ in _CAND_COLUMNS)
    kept = _kept(total, price, "CAST(:bar AS float8)", "CAST(:cheapest_at_most AS float8)")
    return f"array_agg(ROW({columns})) FILTER (WHERE {kept})"


def _kept(total: str, price: str, bar: str, ceiling: str) -> str:
    """SQL: whether a candidate row is collected by a barred statement with the bar ``bar``
    and the price ceiling ``ceiling`` (:func:`_collected`)."""
    most = (
        f"CASE WHEN price IS NULL THEN 0.5 WHEN {ceiling} IS NULL THEN 1.0"
        f" ELSE least(1.0, {ceiling} / NULLIF(price, 0)) END"
    )
    reach = (
        f"({total} <= 0 OR soft_points + {price} * {most} >= ({bar} - 0.06) * ({total}) / 100.0)"
    )
    return f"n_fail = 1 OR (n_fail = 0 AND {reach})"


# the collected rows as a table
_LISTED = (
    "listed AS (\n  SELECT u.* FROM counts, unnest(counts.listed) AS u("
    + ", ".join(f"{name} {typ}" for name, typ in _CAND_COLUMNS)
    + ")\n)"
)
# Whether the barred statement's matches list is the list: it holds as many sites as the full
# one would (the limit, or every match), its last scores at least the bar, and the cheapest
# match costs at most ``:cheapest_at_most``. Then every site above the bar had its best row
# collected and outranks every site below it; otherwise the inventory changed since the bar
# was taken, and the caller runs the statement without one.
_BAR_HELD = """bar_held AS (
  SELECT count(*) = least(:limit, (SELECT n_matches FROM counts))
         AND COALESCE(min(score) >= CAST(:bar AS float8), true)
         AND COALESCE((SELECT cheapest FROM counts) <= CAST(:cheapest_at_most AS float8), true)
         AS held
    FROM top WHERE n_fail = 0
)"""


def _totals(chosen: Applying = None, rows: str = "cand") -> str:
    """``totals``: the matches and near misses (of ``rows``) with their rounded score."""
    return f"""totals AS NOT MATERIALIZED (
  SELECT c.site_id, c.site_code, c.building_id, c.building_code, c.n_fail, c.price,
         {_price_applies(chosen)} AS price_applies, c.site_units,
         CASE WHEN {_W_TOTAL} > 0 THEN {_ROUNDED_SCORE} ELSE 0 END AS score
    FROM {rows} c WHERE c.n_fail <= 1
)"""


def _ranked() -> str:
    """``ranked``: the listed rows with their rank, the counts and the price score."""
    return f"""ranked AS (
  SELECT top.*,
         row_number() OVER (PARTITION BY n_fail ORDER BY {_ORDER}) AS rank,
         counts.n_matches, counts.n_near_misses, counts.cheapest,
         CASE WHEN top.price_applies THEN {_price_score("top")} END AS price_score
    FROM top CROSS JOIN counts
)"""


_SELECT = """SELECT k.site_id, k.site_code, k.building_id, k.building_code, k.n_fail, k.rank,
       k.n_matches, k.n_near_misses, k.score, k.price, k.price_score, k.cheapest{held}
  FROM ranked k
 ORDER BY k.n_fail, k.rank"""


# the text depends only on these arguments; building it took ~4 ms
@functools.lru_cache(maxsize=256)
def match_sql(
    row_sql: str,
    *,
    space: bool,
    land_use: bool = False,
    berth: bool = False,
    scoped: bool = False,
    space_keys: bool = True,
    chosen: Applying = None,
    barred: bool = False,
) -> str:
    """The match query: relaxed hard filter, scores, best building per site, top N of each list.

    Candidates come from ``match_unit`` (one row per site for land needs, per building for
    space needs), scored in the same pass; one aggregate gives the counts and the cheapest
    price; the two top-N lists are cut from the scored rows (for space needs one row per site,
    its best building, see :func:`_space_lists`). The rows listed are explained by
    :func:`explanation`, a second query.

    ``land_use``: the requirement states land uses (the land-use criterion applies);
    ``berth``: it states a port berth class (port distances are then computed per candidate);
    ``scoped``: only sites of the districts bound as ``:districts`` (codes); otherwise every
    district's (stated all the same: the candidate indexes are bounded by district).
    ``space_keys``: a space need's candidates are read by their space keys (revisions 0052,
    0053), which stand for its districts and the criteria of
    :data:`~gis_app.domain.match_criteria.SPACE_KEY_CRITERIA`.
    ``chosen``: the keys of the criteria that apply to the requirement (:func:`applying`): the
    text holds only theirs, and holds only for requirements they, and no others, apply to
    (a statement per set: fewer terms to plan and to evaluate per candidate); None: one text
    for every requirement, each criterion's ``applies`` asked in SQL.
    ``barred``: the statement with a bar, ``:bar``, a score the last listed match is expected
    to reach (:mod:`gis_app.matching.bars`). The candidates are then read once, by the
    aggregate that counts them, which also collects every near miss and the matches that may
    reach the bar (:func:`_collected`); the lists are cut from those. Each row then also says
    in ``bar_held`` whether the bar held (:data:`_BAR_HELD`): when it did not (or no row came
    back), the lists may be wrong and the statement without a bar must be run instead.

    Binds: ``:margin`` (share, e.g. 0.1), ``:limit``, ``:nm_limit``, ``:w_<criterion>`` and
    the requirement's ``:r_<column>`` of :func:`constant_row`. Returns one row per listed site
    (its ids and codes, rank, score, price, price score, the counts and the cheapest price) with
    ``n_fail`` 0 (match) or 1 (near miss).
    """
    per_request = _per_request(chosen, barred)
    counting, top = (
        _space_lists(_ORDER, row_sql, berth, per_request, chosen)
        if space
        else _site_lists(_ORDER, per_request)
    )
    ctes = [
        _candidates(
            row_sql,
            space=space,
            land_use=land_use,
            berth=berth,
            scoped=scoped,
            space_keys=space_keys,
            chosen=chosen,
            barred=barred,
        ),
        counting,
        *([_LISTED] if barred else []),
        _totals(chosen, "listed" if barred else "cand"),
        top,
        *([_BAR_HELD] if barred else []),
        _ranked(),
    ]
    held = ",\n       (SELECT held FROM bar_held) AS bar_held" if barred else ""
    return "\nWITH " + ",\n".join(ctes) + "\n" + _SELECT.format(held=held)


#: the SQL type of every bind of the explanation query (for a prepared statement)
EXPLAIN_BIND_TYPES: dict[str, str] = {f"r_{name}": typ for name, typ in REQ_COLUMNS.items()} | {
    "site_ids": "bigint[]",
    "building_ids": "bigint[]",
}


def explanation(
    match_params: dict[str, Any], listed: list[tuple[int, int | None]]
) -> tuple[str, dict[str, Any]]:
    """The query explaining the listed (site id, building id or None) rows, and its binds: the
    requirement's from ``match_params`` (those of :func:`statement`) and the listed ids.

    It returns, per listed row in order, the names, the nearest (qualifying) port and, per
    criterion in the order of :data:`EXPLAINED_HARD` and :data:`EXPLAINED_SOFT`, arrays of
    whether it applies, passes (hard) or scores (soft), the shortfall and the site's value.
    One text per set of applying criteria, as the match statement: it runs on a generic plan,
    planned once per connection. Folded into the match query, these expressions had doubled
    its planning (~4 ms a match) for the thirty rows a list shows.
    """
    params = {f"r_{name}": match_params[f"r_{name}"] for name in REQ_COLUMNS}
    params |= {
        "site_ids": [site for site, _ in listed],
        "building_ids": [building for _, building in listed],
    }
    return explanation_sql(applying(match_params)), params


#: the criteria in the order of the explanation query's arrays (:func:`_explanation_arrays`)
EXPLAINED_HARD = tuple(c.key for c in criteria.HARD)
EXPLAINED_SOFT = tuple(c.key for c in _SCORED)


def _explanation_arrays(source: criteria.Source, chosen: Applying = None) -> dict[str, str]:
    # Typed arrays, one element per criterion: a JSON object of per-criterion arrays cost
    # ~0.1 ms a row to build (every value's type looked up again in every call). The values go
    # out as one JSON array, parsed once per row (a jsonb[] is parsed element by element).
    # On the generic plan nothing folds: a criterion that does not apply is left NULL rather
    # than evaluated (Python skips it). With ``chosen`` (the criteria that apply, as the match
    # statement's), it is NULL in the text and the others are not asked whether they apply.
    hard = [criteria.BY_KEY[k] for k in EXPLAINED_HARD]
    soft = [criteria.BY_KEY[k] for k in EXPLAINED_SOFT]

    def array(items: list[str], typ: str) -> str:
        return f"CAST(ARRAY[{', '.join(items)}] AS {typ}[])"

    def json_array(items: list[str]) -> str:
        return f"array_to_json({array(items, 'jsonb')})"

    def applying(c: criteria.Criterion, expr: str) -> str:
        if chosen is not None:
            return expr if c.key in chosen else "NULL"
        return f"CASE WHEN ({c.applies(source)}) THEN {expr} END"

    def applies(c: criteria.Criterion) -> str:
        if chosen is not None:
            return "true" if c.key in chosen else "false"
        return f"COALESCE(({c.applies(source)}), false)"

    def passes(c: criteria.Criterion) -> str:
        assert c.test is not None
        return applying(c, f"COALESCE(({c.test(source, '0')}), false)")

    def shortfall(c: criteria.Criterion) -> str:
        return applying(c, f"({c.shortfall(source)})") if c.shortfall else "NULL"

    def score(c: criteria.Criterion) -> str:
        assert c.score is not None
        return applying(c, f"COALESCE(({c.score(source)}), 0)")

    return {
        "hard_applies": array([applies(c) for c in hard], "boolean"),
        "hard_passes": array([passes(c) for c in hard], "boolean"),
        "hard_shortfalls": array([shortfall(c) for c in hard], "float8"),
        "hard_values": json_array([applying(c, c.value(source)) for c in hard]),
        "soft_applies": array([applies(c) for c in soft], "boolean"),
        "soft_scores": array([score(c) for c in soft], "float8"),
        "soft_values": json_array([applying(c, c.value(source)) for c in soft]),
    }


@functools.lru_cache(maxsize=256)
def explanation_sql(chosen: Applying = None) -> str:
    """The text of :func:`explanation` for requirements to which the criteria ``chosen`` apply
    (None: one text for every requirement, each criterion asked in SQL)."""
    source = LISTED
    columns = ",\n       ".join(
        f"{sql} AS {name}" for name, sql in _explanation_arrays(source, chosen).items()
    )
    ports = _uses(_PORT_KEYS, source, chosen)
    return f"""
SELECT k.site_id, k.building_id, s.name_zh, s.name_en, s.kind, s.township, s.block,
       gis_app_district_json(s.district_code) AS district,
       b.name_zh AS building_name_zh, b.name_en AS building_name_en, b.building_type,
       CASE WHEN {ports} THEN round({criteria.d_port(source)}) END AS port_m,
       np.port,
       {columns}
  FROM unnest(CAST(:site_ids AS bigint[]), CAST(:building_ids AS bigint[]))
       WITH ORDINALITY k(site_id, building_id, ord)
  JOIN site s ON s.id = k.site_id
  LEFT JOIN building b ON b.id = k.building_id
  JOIN match_unit u ON u.site_id = k.site_id
                   AND (u.building_id = k.building_id
                        OR (u.building_id IS NULL AND k.building_id IS NULL))
 CROSS JOIN {_ROW_SQL} r
 -- the distance to the qualifying ports (a berth class stated), once per row, not per use
 CROSS JOIN LATERAL (
        SELECT CASE WHEN r.port_berth_dwt_min IS NOT NULL THEN {criteria.SITE.d_port_berth} END AS d
        OFFSET 0) pd
  LEFT JOIN LATERAL (
        SELECT jsonb_build_object('code', i.code, 'kind', i.kind, 'name_zh', i.name_zh,
                                  'name_en', i.name_en, 'berth_dwt', i.berth_dwt) AS port
          FROM (-- any berth: the nearest port the trigger-kept distances know
                SELECT d.infrastructure_id AS id, d.distance_m
                  FROM site_distance d
                 WHERE r.port_berth_dwt_min IS NULL AND d.site_id = s.id
                   AND d.infra_kind IN {criteria.sql_list(criteria.PORT_KINDS)}
                UNION ALL
                SELECT q.id, ST_Distance(s.geom::geography, q.geom::geography)
                  FROM infrastructure q
                 WHERE q.kind IN {criteria.sql_list(criteria.PORT_KINDS)}
                   AND q.berth_dwt >= r.port_berth_dwt_min) n
          JOIN infrastructure i ON i.id = n.id
         WHERE ({ports})
         ORDER BY n.distance_m, i.code
         LIMIT 1) np ON true
 ORDER BY k.ord"""


# --- database functions and triggers (migration 0004) ------------------------------------------


def _meets_function() -> str:
    return f"""
CREATE FUNCTION gis_app_site_meets_requirement(p_site_id bigint, p_requirement_id bigint)
RETURNS boolean LANGUAGE sql STABLE AS $fn$
SELECT COALESCE((
  SELECT {hard_predicate("0", "exists")}
    FROM site s, requirement r
   WHERE s.id = p_site_id AND r.id = p_requirement_id), false)
$fn$;
COMMENT ON FUNCTION gis_app_site_meets_requirement(bigint, bigint) IS
  'True when the site meets every hard constraint of the requirement (gis_app.matching)';
"""


def _site_ids_function() -> str:
    cols = ", ".join(f"%L::{typ} AS {name}" for name, typ in REQ_COLUMNS.items())
    args = ", ".join(f"req.{name}" for name in REQ_COLUMNS)
    query = f"SELECT s.id FROM (SELECT {cols}) r, site s WHERE " + hard_predicate(
        "0", "exists"
    ).replace("%", "%%")
    return f"""
CREATE FUNCTION gis_app_requirement_site_ids(p_requirement_id bigint)
RETURNS SETOF bigint LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    req requirement;
BEGIN
    SELECT * INTO req FROM requirement WHERE id = p_requirement_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- the requirement goes in as constants so that the planner can use the site indexes
    RETURN QUERY EXECUTE format($q${query}$q$, {args});
END $fn$;
"""


_INFRA = "__infrastructure__"


def _measures_to_infrastructure(c: criteria.Criterion) -> bool:
    """Whether a hard criterion's test reads a distance to infrastructure."""
    probe = dataclasses.replace(
        criteria.SITE, d_port_any=_INFRA, d_port_berth=_INFRA, d_expressway=_INFRA, d_ferry=_INFRA
    )
    return c.test is not None and _INFRA in c.test(probe, "0")


def context_match_function() -> str:
    """``gis_app_context_match_trg``: a zone or infrastructure statement brings the reverse
    matches of the open requirements up to date — for infrastructure, only of those that state a
    criterion measuring to it (revision 0048; the others cannot change)."""
    measuring = " OR ".join(
        f"COALESCE(({c.applies(criteria.SITE)}), false)"
        for c in criteria.HARD
        if _measures_to_infrastructure(c)
    )
    return f"""
CREATE FUNCTION gis_app_context_match_trg() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    rid bigint;
BEGIN
    FOR rid IN SELECT r.id FROM requirement r
                WHERE r.status IN {OPEN_STATUSES}
                  AND (TG_TABLE_NAME <> 'infrastructure' OR {measuring})
                ORDER BY r.id LOOP
        PERFORM gis_app_sync_requirement_matches(
            rid, true, format('%s 变更 / %s changed', TG_TABLE_NAME, TG_TABLE_NAME));
    END LOOP;
    RETURN NULL;
END $fn$;
"""


_SYNC_FUNCTIONS = f"""
CREATE FUNCTION gis_app_alert_reason(p_site_id bigint, p_requirement_id bigint, p_change text)
RETURNS text LANGUAGE sql STABLE AS $fn$
SELECT format('地块 %s 现已满足需求「%s」(#%s) 的全部硬性条件 / Site %s now meets every hard '
              'constraint of requirement "%s" (#%s)%s',
              s.code, r.project_name, r.id, s.code, r.project_name, r.id,
              COALESCE(' — ' || p_change, ''))
  FROM site s, requirement r WHERE s.id = p_site_id AND r.id = p_requirement_id
$fn$;

-- Bring requirement_match up to date for one requirement; new pairs raise alerts if asked.
CREATE FUNCTION gis_app_sync_requirement_matches(
    p_requirement_id bigint, p_alert boolean, p_change text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM requirement
                    WHERE id = p_requirement_id AND status IN {OPEN_STATUSES}) THEN
        DELETE FROM requirement_match WHERE requirement_id = p_requirement_id;
        RETURN;
    END IF;
    WITH now_ok AS (
        SELECT gis_app_requirement_site_ids(p_requirement_id) AS site_id
    ), gone AS (
        DELETE FROM requirement_match m
         WHERE m.requirement_id = p_requirement_id
           AND m.site_id NOT IN (SELECT site_id FROM now_ok)
    ), added AS (
        INSERT INTO requirement_match (requirement_id, site_id)
        SELECT p_requirement_id, site_id FROM now_ok
        ON CONFLICT DO NOTHING
        RETURNING site_id
    )
    INSERT INTO alert (requirement_id, site_id, officer, reason)
    SELECT p_requirement_id, a.site_id, COALESCE(r.officer, r.created_by),
           gis_app_alert_reason(a.site_id, p_requirement_id, p_change)
      FROM added a JOIN requirement r ON r.id = p_requirement_id
     WHERE p_alert;
END $fn$;

-- Bring requirement_match up to date for one site; requirements it newly meets raise alerts.
CREATE FUNCTION gis_app_sync_site_matches(p_site_id bigint, p_change text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    WITH now_ok AS (
        SELECT r.id FROM requirement r
         WHERE r.status IN {OPEN_STATUSES}
           AND gis_app_site_meets_requirement(p_site_id, r.id)
    ), gone AS (
        DELETE FROM requirement_match m
         WHERE m.site_id = p_site_id AND m.requirement_id NOT IN (SELECT id FROM now_ok)
    ), added AS (
        INSERT INTO requirement_match (requirement_id, site_id)
        SELECT id, p_site_id FROM now_ok
        ON CONFLICT DO NOTHING
        RETURNING requirement_id
    )
    INSERT INTO alert (requirement_id, site_id, officer, reason)
    SELECT a.requirement_id, p_site_id, COALESCE(r.officer, r.created_by),
           gis_app_alert_reason(p_site_id, a.requirement_id, p_change)
      FROM added a JOIN requirement r ON r.id = a.requirement_id;
END $fn$;

CREATE FUNCTION gis_app_changed_fields(o jsonb, n jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
SELECT string_agg(k, ', ' ORDER BY k)
  FROM jsonb_object_keys(n) k
 WHERE k <> ALL (ARRAY['version', 'updated_at']) AND (o -> k) IS DISTINCT FROM (n -> k)
$fn$;

CREATE FUNCTION gis_app_open_requirements() RETURNS boolean LANGUAGE sql STABLE AS $fn$
SELECT EXISTS (SELECT 1 FROM requirement WHERE status IN {OPEN_STATUSES})
$fn$;

CREATE FUNCTION gis_app_site_match_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    fields text;
BEGIN
    -- bulk loads into an inventory without open requirements pay next to nothing
    -- (closed requirements keep no matches, so there is nothing to bring up to date either)
    IF NOT gis_app_open_requirements() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM gis_app_sync_site_matches(NEW.id, '新增地块 / new site');
        RETURN NULL;
    END IF;
    fields := gis_app_changed_fields(to_jsonb(OLD), to_jsonb(NEW));
    IF fields IS NOT NULL THEN
        PERFORM gis_app_sync_site_matches(NEW.id, '变更 / changed: ' || fields);
    END IF;
    RETURN NULL;
END $fn$;

CREATE FUNCTION gis_app_building_match_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    fields text;
BEGIN
    IF NOT gis_app_open_requirements() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        fields := gis_app_changed_fields(to_jsonb(OLD), to_jsonb(NEW));
        IF fields IS NULL THEN
            RETURN NULL;
        END IF;
        PERFORM gis_app_sync_site_matches(
            NEW.site_id, format('建筑 / building %s 变更 / changed: %s', NEW.code, fields));
        IF OLD.site_id <> NEW.site_id THEN
            PERFORM gis_app_sync_site_matches(
                OLD.site_id, format('建筑 / building %s 移出 / moved out', OLD.code));
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM gis_app_sync_site_matches(
            NEW.site_id, format('新增建筑 / new building %s', NEW.code));
    ELSE
        PERFORM gis_app_sync_site_matches(
            OLD.site_id, format('删除建筑 / building %s removed', OLD.code));
    END IF;
    RETURN NULL;
END $fn$;

CREATE FUNCTION gis_app_requirement_match_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    -- a new or edited requirement takes the sites that meet it now, without alerts
    PERFORM gis_app_sync_requirement_matches(NEW.id, false, NULL);
    RETURN NULL;
END $fn$;

{context_match_function()}
-- Names sort after site_distance and site_overlap, so derived tables are current when these run.
CREATE TRIGGER site_requirement_match AFTER INSERT OR UPDATE ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_site_match_trg();
CREATE TRIGGER building_requirement_match AFTER INSERT OR UPDATE OR DELETE ON building
    FOR EACH ROW EXECUTE FUNCTION gis_app_building_match_trg();
CREATE TRIGGER requirement_requirement_match AFTER INSERT OR UPDATE ON requirement
    FOR EACH ROW EXECUTE FUNCTION gis_app_requirement_match_trg();
-- a zone update fires it only through what the site overlaps read (revision 0049)
CREATE TRIGGER zone_requirement_match
    AFTER INSERT OR UPDATE OF id, geom, kind OR DELETE ON constraint_zone
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_context_match_trg();
-- an infrastructure update fires it only through what the predicate reads (revision 0046)
CREATE TRIGGER infrastructure_requirement_match
    AFTER INSERT OR UPDATE OF id, kind, geom, berth_dwt OR DELETE
    ON infrastructure FOR EACH STATEMENT EXECUTE FUNCTION gis_app_context_match_trg();
"""

DROP_DDL = """
DROP TRIGGER IF EXISTS infrastructure_requirement_match ON infrastructure;
DROP TRIGGER IF EXISTS zone_requirement_match ON constraint_zone;
DROP TRIGGER IF EXISTS requirement_requirement_match ON requirement;
DROP TRIGGER IF EXISTS building_requirement_match ON building;
DROP TRIGGER IF EXISTS site_requirement_match ON site;
DROP FUNCTION IF EXISTS gis_app_context_match_trg();
DROP FUNCTION IF EXISTS gis_app_requirement_match_trg();
DROP FUNCTION IF EXISTS gis_app_building_match_trg();
DROP FUNCTION IF EXISTS gis_app_site_match_trg();
DROP FUNCTION IF EXISTS gis_app_changed_fields(jsonb, jsonb);
DROP FUNCTION IF EXISTS gis_app_open_requirements();
DROP FUNCTION IF EXISTS gis_app_sync_site_matches(bigint, text);
DROP FUNCTION IF EXISTS gis_app_sync_requirement_matches(bigint, boolean, text);
DROP FUNCTION IF EXISTS gis_app_alert_reason(bigint, bigint, text);
DROP FUNCTION IF EXISTS gis_app_requirement_site_ids(bigint);
DROP FUNCTION IF EXISTS gis_app_site_meets_requirement(bigint, bigint);
"""


def install_ddl() -> str:
    """SQL creating the match functions and triggers from the current criteria."""
    return DROP_DDL + _meets_function() + _site_ids_function() + _SYNC_FUNCTIONS


def predicate_function_body() -> str:
    """The body ``gis_app_site_meets_requirement`` must have (to detect a stale database)."""
    text = _meets_function()
    return text.split("$fn$")[1]
