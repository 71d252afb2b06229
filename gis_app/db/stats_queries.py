"""Dashboard figures computed in PostGIS: grouping and aggregation happen in SQL.

Every query works on the active sites (``retired_at IS NULL``: split or merged parents are kept
for history only) narrowed by a :class:`Scope`. Vocabulary keys and step tables come from the
service as bound parameters, so the domain order lives in one place (``gis_app.domain``).
Nothing here loads a table into Python; each query returns one row per group.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

#: group expressions of the "available" figures (``land_use`` is cut to a level of the code)
AVAILABLE_DIMENSIONS: dict[str, str] = {
    "block": "s.block",
    "township": "s.township",
    "kind": "s.kind",
    "land_use": "left(s.planned_use, :lu_len)",
    "district": "s.district_code",
}
#: group expressions of the blocker figures (per block, or per district side by side)
BLOCKER_DIMENSIONS: dict[str, str] = {"block": "s.block", "district": "s.district_code"}
#: status columns the pipeline can be grouped by
PIPELINE_FIELDS: tuple[str, ...] = (
    "supply_stage",
    "policy_status",
    "planning_status",
    "quota_status",
)


@dataclass(frozen=True)
class Scope:
    """Which active sites a figure covers (empty lists: all); ``districts`` are district codes
    (the dashboard drilled down to a district)."""

    kinds: Sequence[str] = ()
    blocks: Sequence[str] = ()
    townships: Sequence[str] = ()
    districts: Sequence[str] = ()

    def where(self) -> tuple[str, dict[str, Any]]:
        """SQL condition on alias ``s`` and its parameters (only the filters given)."""
        clauses = ["s.retired_at IS NULL"]
        params: dict[str, Any] = {}
        for name, column, values in (
            ("scope_kinds", "kind", self.kinds),
            ("scope_blocks", "block", self.blocks),
            ("scope_townships", "township", self.townships),
            ("scope_districts", "district_code", self.districts),
        ):
            if values:
                clauses.append(f"s.{column} = ANY(CAST(:{name} AS text[]))")
                params[name] = list(values)
        return " AND ".join(clauses), params


def _rows(conn: sa.Connection, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.text(sql), dict(params)).mappings()]


@dataclass(frozen=True)
class KindGroups:
    """Which site kinds are counted as what in the "available" figures (vocabulary keys)."""

    land: Sequence[str]
    islands: Sequence[str]
    shorelines: Sequence[str]

    def params(self) -> dict[str, Any]:
        """Bound parameters of the per-kind sums."""
        return {
            "land_kinds": list(self.land),
            "island_kinds": list(self.islands),
            "shoreline_kinds": list(self.shorelines),
        }


def available_by(
    conn: sa.Connection,
    dimension: str,
    scope: Scope,
    land_use_digits: int = 4,
    kinds: KindGroups | None = None,
) -> list[dict[str, Any]]:
    """Sites, available sites, available 亩 and vacant m² on available sites, per group.

    ``available_mu`` is the parcel area of every available site whatever its kind;
    ``available_land_mu`` only that of land parcels, ``available_island_mu`` of islands, and
    ``available_shoreline_m`` the recorded shoreline length of shorelines. Vacant floor area
    is the ``vacant_gfa_m2`` of the buildings on sites marked available.
    """
    kinds = kinds or KindGroups(("land",), ("island",), ("shoreline",))
    expr = AVAILABLE_DIMENSIONS[dimension]
    where, params = scope.where()
    avail = "s.availability = 'available'"
    sql = f"""
        SELECT {expr} AS key,
               count(*) AS sites,
               count(*) FILTER (WHERE {avail}) AS available_sites,
               COALESCE(sum(s.area_mu) FILTER (WHERE {avail}), 0) AS available_mu,
               COALESCE(sum(s.area_mu) FILTER (
                   WHERE {avail} AND s.kind = ANY(CAST(:land_kinds AS text[]))), 0)
                   AS available_land_mu,
               COALESCE(sum(s.area_mu) FILTER (
                   WHERE {avail} AND s.kind = ANY(CAST(:island_kinds AS text[]))), 0)
                   AS available_island_mu,
               COALESCE(sum(s.shoreline_m) FILTER (
                   WHERE {avail} AND s.kind = ANY(CAST(:shoreline_kinds AS text[]))), 0)
                   AS available_shoreline_m,
               COALESCE(sum(v.vacant_gfa_m2) FILTER (WHERE {avail}), 0) AS vacant_gfa_m2,
               COALESCE(sum(s.area_mu), 0) AS total_mu
          FROM site s
          LEFT JOIN (SELECT b.site_id, sum(b.vacant_gfa_m2) AS vacant_gfa_m2
                       FROM building b GROUP BY b.site_id) v ON v.site_id = s.id
         WHERE {where}
         GROUP BY 1
    """
    return _rows(conn, sql, {**params, **kinds.params(), "lu_len": land_use_digits})


def pipeline_by(conn: sa.Connection, status_field: str, scope: Scope) -> list[dict[str, Any]]:
    """Sites and 亩 (all, and available) per value of one status column."""
    if status_field not in PIPELINE_FIELDS:
        raise ValueError(f"not a pipeline field: {status_field!r}")
    where, params = scope.where()
    sql = f"""
        SELECT s.{status_field} AS key,
               count(*) AS sites,
               COALESCE(sum(s.area_mu), 0) AS area_mu,
               count(*) FILTER (WHERE s.availability = 'available') AS available_sites,
               COALESCE(sum(s.area_mu) FILTER (WHERE s.availability = 'available'), 0)
                   AS available_mu
          FROM site s
         WHERE {where}
         GROUP BY 1
    """
    return _rows(conn, sql, params)


@dataclass(frozen=True)
class Steps:
    """What is still missing for a site to be supplied, as step tables per status column.

    Each table maps a status key to the steps still to go (a key not listed counts 0 steps).
    ``blocking_zone_kinds``: an overlap with one of these zones blocks the site altogether.
    """

    policy: Mapping[str, int]
    planning: Mapping[str, int]
    quota: Mapping[str, int]
    clearing: Mapping[str, int]
    blocking_zone_kinds: Sequence[str]

    def params(self) -> dict[str, Any]:
        """Bound parameters of the step expressions."""
        return {
            "steps_policy": json.dumps(dict(self.policy)),
            "steps_planning": json.dumps(dict(self.planning)),
            "steps_quota": json.dumps(dict(self.quota)),
            "steps_clearing": json.dumps(dict(self.clearing)),
            "blocking_kinds": list(self.blocking_zone_kinds),
        }


# Per-site waiting steps; one SELECT list shared by the blocker and readiness figures.
_STEP_COLUMNS = """
    COALESCE((CAST(:steps_policy AS jsonb) ->> s.policy_status)::int, 0) AS policy_steps,
    COALESCE((CAST(:steps_planning AS jsonb) ->> s.planning_status)::int, 0) AS planning_steps,
    COALESCE((CAST(:steps_quota AS jsonb) ->> s.quota_status)::int, 0) AS quota_steps,
    COALESCE((CAST(:steps_clearing AS jsonb) ->> s.readiness)::int, 0) AS clearing_steps,
    z.site_id IS NOT NULL AS zone_conflict
"""
# Sites overlapping a blocking zone, found once (a hash join, not a subquery per site).
_ZONE_JOIN = """
    LEFT JOIN (SELECT DISTINCT o.site_id FROM site_constraint_overlap o
                WHERE o.zone_kind = ANY(CAST(:blocking_kinds AS text[]))) z ON z.site_id = s.id
"""


def blockers_by(
    conn: sa.Connection,
    scope: Scope,
    steps: Steps,
    exclude_availability: Sequence[str],
    dimension: str = "block",
) -> list[dict[str, Any]]:
    """Per block (or district): sites and 亩 held up by each blocker (a site may have
    several)."""
    where, params = scope.where()
    sql = f"""
        WITH f AS MATERIALIZED (
            SELECT {BLOCKER_DIMENSIONS[dimension]} AS grp, s.area_mu, {_STEP_COLUMNS}
              FROM site s {_ZONE_JOIN}
             WHERE {where} AND s.availability <> ALL(CAST(:exclude AS text[]))
        ), g AS (
            SELECT f.*, (policy_steps > 0 OR planning_steps > 0 OR quota_steps > 0
                         OR clearing_steps > 0 OR zone_conflict) AS blocked
              FROM f
        )
        SELECT grp AS key,
               count(*) AS sites,
               COALESCE(sum(area_mu), 0) AS area_mu,
               count(*) FILTER (WHERE blocked) AS blocked_sites,
               COALESCE(sum(area_mu) FILTER (WHERE blocked), 0) AS blocked_mu,
               count(*) FILTER (WHERE policy_steps > 0) AS policy_sites,
               COALESCE(sum(area_mu) FILTER (WHERE policy_steps > 0), 0) AS policy_mu,
               count(*) FILTER (WHERE planning_steps > 0) AS planning_sites,
               COALESCE(sum(area_mu) FILTER (WHERE planning_steps > 0), 0) AS planning_mu,
               count(*) FILTER (WHERE quota_steps > 0) AS quota_sites,
               COALESCE(sum(area_mu) FILTER (WHERE quota_steps > 0), 0) AS quota_mu,
               count(*) FILTER (WHERE clearing_steps > 0) AS clearing_sites,
               COALESCE(sum(area_mu) FILTER (WHERE clearing_steps > 0), 0) AS clearing_mu,
               count(*) FILTER (WHERE zone_conflict) AS zone_sites,
               COALESCE(sum(area_mu) FILTER (WHERE zone_conflict), 0) AS zone_mu
          FROM g
         GROUP BY 1
    """
    return _rows(conn, sql, {**params, **steps.params(), "exclude": list(exclude_availability)})


def _readiness_sql(where: str) -> str:
    return f"""
        SELECT x.*,
               x.policy_steps + x.planning_steps + x.quota_steps + x.clearing_steps
                   AS steps_total
          FROM (
            SELECT s.id, s.code, s.name_zh, s.name_en, s.kind, s.block, s.township,
                   s.availability, s.area_mu, s.policy_status, s.policy_progress_pct,
                   s.planning_status, s.quota_status, s.readiness, s.supply_stage,
                   s.blocking_note, s.verified_at,
                   {_STEP_COLUMNS}
              FROM site s {_ZONE_JOIN}
             WHERE {where} AND s.availability = ANY(CAST(:candidates AS text[]))
          ) x
    """


def site_readiness(
    conn: sa.Connection, scope: Scope, steps: Steps, candidates: Sequence[str]
) -> list[dict[str, Any]]:
    """Sites not yet on offer with their remaining steps, soonest first (zone conflicts last)."""
    where, params = scope.where()
    sql = (
        _readiness_sql(where)
        + """
         ORDER BY zone_conflict, steps_total, policy_progress_pct DESC NULLS LAST, code
        """
    )
    return _rows(conn, sql, {**params, **steps.params(), "candidates": list(candidates)})


def readiness_by_block(
    conn: sa.Connection, scope: Scope, steps: Steps, candidates: Sequence[str], soon_steps: int
) -> list[dict[str, Any]]:
    """Per block: candidate sites, how few steps the nearest one needs, 亩 within reach."""
    where, params = scope.where()
    sql = f"""
        WITH r AS MATERIALIZED ({_readiness_sql(where)})
        SELECT block AS key,
               count(*) AS candidate_sites,
               COALESCE(sum(area_mu), 0) AS candidate_mu,
               min(steps_total) FILTER (WHERE NOT zone_conflict) AS min_steps,
               count(*) FILTER (WHERE NOT zone_conflict AND steps_total <= :soon) AS soon_sites,
               COALESCE(sum(area_mu) FILTER (WHERE NOT zone_conflict AND steps_total <= :soon),
                        0) AS soon_mu,
               count(*) FILTER (WHERE policy_steps > 0) AS waiting_policy,
               count(*) FILTER (WHERE planning_steps > 0) AS waiting_planning,
               count(*) FILTER (WHERE quota_steps > 0) AS waiting_quota,
               count(*) FILTER (WHERE clearing_steps > 0) AS waiting_clearing,
               count(*) FILTER (WHERE zone_conflict) AS zone_conflicts
          FROM r
         GROUP BY 1
    """
    return _rows(
        conn,
        sql,
        {**params, **steps.params(), "candidates": list(candidates), "soon": soon_steps},
    )


def stale_sites(
    conn: sa.Connection, scope: Scope, cutoff: dt.date, as_of: dt.date, limit: int
) -> list[dict[str, Any]]:
    """Sites never verified or verified before ``cutoff``, oldest first, with the total count."""
    where, params = scope.where()
    sql = f"""
        SELECT s.id, s.code, s.name_zh, s.kind, s.block, s.township, s.availability,
               s.area_mu, s.verified_at, s.verified_by,
               CAST(:as_of AS date) - s.verified_at AS days_since,
               count(*) OVER () AS total
          FROM site s
         WHERE {where} AND (s.verified_at IS NULL OR s.verified_at < :cutoff)
         ORDER BY s.verified_at NULLS FIRST, s.code
         LIMIT :limit
    """
    return _rows(conn, sql, {**params, "cutoff": cutoff, "as_of": as_of, "limit": limit})


def stale_by_block(conn: sa.Connection, scope: Scope, cutoff: dt.date) -> list[dict[str, Any]]:
    """Per block: sites, stale sites and their 亩, never-verified sites, oldest check."""
    where, params = scope.where()
    sql = f"""
        SELECT s.block AS key,
               count(*) AS sites,
               count(*) FILTER (WHERE s.verified_at IS NULL OR s.verified_at < :cutoff)
                   AS stale_sites,
               COALESCE(sum(s.area_mu) FILTER (
                   WHERE s.verified_at IS NULL OR s.verified_at < :cutoff), 0) AS stale_mu,
               count(*) FILTER (WHERE s.verified_at IS NULL) AS never_verified,
               min(s.verified_at) AS oldest_verified_at
          FROM site s
         WHERE {where}
         GROUP BY 1
    """
    return _rows(conn, sql, {**params, "cutoff": cutoff})


def block_outlines_geojson(conn: sa.Connection, scope: Scope) -> dict[str, Any]:
    """Blocks as a FeatureCollection (WGS84): the hull of their sites, with availability."""
    where, params = scope.where()
    sql = f"""
        SELECT json_build_object(
                 'type', 'FeatureCollection',
                 'features', COALESCE(json_agg(json_build_object(
                     'type', 'Feature',
                     'geometry', ST_AsGeoJSON(ST_Transform(x.hull, 4326), 6)::json,
                     'properties', json_build_object(
                         'block', x.block, 'township', x.township, 'sites', x.sites,
                         'available_sites', x.available_sites,
                         'available_mu', round(x.available_mu::numeric, 1),
                         'total_mu', round(x.total_mu::numeric, 1),
                         'available_share', round((100 * x.available_mu
                                                   / NULLIF(x.total_mu, 0))::numeric, 1)))
                   ORDER BY x.block), '[]'::json))
          FROM (
            SELECT s.block, min(s.township) AS township, count(*) AS sites,
                   count(*) FILTER (WHERE s.availability = 'available') AS available_sites,
                   COALESCE(sum(s.area_mu) FILTER (WHERE s.availability = 'available'), 0)
                       AS available_mu,
                   COALESCE(sum(s.area_mu), 0) AS total_mu,
                   ST_ConvexHull(ST_Collect(s.geom)) AS hull
              FROM site s
             WHERE {where} AND s.block IS NOT NULL
             GROUP BY s.block
          ) x
    """
    return conn.execute(sa.text(sql), params).scalar_one()


def jurisdiction_outline_geojson(
    conn: sa.Connection, tolerance_deg: float, districts: Sequence[str] = ()
) -> dict[str, Any]:
    """The outlines of the districts (``districts``; empty: all), simplified for a small map,
    as a FeatureCollection (WGS84)."""
    sql = """
        SELECT json_build_object(
                 'type', 'FeatureCollection',
                 'features', COALESCE(json_agg(json_build_object(
                     'type', 'Feature',
                     'geometry', ST_AsGeoJSON(ST_Transform(
                         ST_SimplifyPreserveTopology(j.geom, :tol), 4326), 5)::json,
                     'properties', json_build_object('name_zh', j.name_zh,
                                                     'name_en', j.name_en))), '[]'::json))
          FROM jurisdiction j
         WHERE cardinality(CAST(:districts AS text[])) = 0
            OR j.code = ANY(CAST(:districts AS text[]))
    """
    params = {"tol": tolerance_deg, "districts": list(districts)}
    return conn.execute(sa.text(sql), params).scalar_one()


def requirements_by_district(
    conn: sa.Connection, districts: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Requirements per district and status: one row (``key``, ``status``, ``n``) per pair that
    has any; ``districts`` narrows to those codes (empty: every district)."""
    where = "r.district_code = ANY(CAST(:districts AS text[]))" if districts else "true"
    sql = f"""
        SELECT r.district_code AS key, r.status, count(*) AS n
          FROM requirement r
         WHERE {where}
         GROUP BY 1, 2
    """
    return _rows(conn, sql, {"districts": list(districts)})


# --- requirement funnel -----------------------------------------------------------------------

#: how the funnel is grouped: one group, per officer, or per block
FUNNEL_GROUPS: dict[str, str] = {
    "none": "SELECT r.id AS req_id, NULL::text AS grp FROM req r",
    "officer": "SELECT r.id AS req_id, r.officer AS grp FROM req r",
    # requirements with no block form a group of their own (NULL)
    "block": "SELECT r.id AS req_id, b.block AS grp FROM req r "
    "LEFT JOIN req_block b ON b.req_id = r.id",
}


@dataclass(frozen=True)
class FunnelQuery:
    """Which requirements the funnel covers and how it is grouped."""

    statuses: Sequence[str]  # every status, in display order
    stages: Sequence[str]  # funnel stages in order; "reached" is counted for these
    stage_of: Mapping[str, str]  # status → the funnel stage it belongs to (dropped: none)
    dropped: str
    by: str = "none"
    officers: Sequence[str] = ()
    blocks: Sequence[str] = ()
    as_of: dt.datetime | None = None
    #: requirements of these districts only (empty: every district)
    districts: Sequence[str] = ()


def funnel(conn: sa.Connection, q: FunnelQuery) -> list[dict[str, Any]]:
    """Per group and status: requirements now in it, reached it, dropped from it, and days.

    Stage intervals come from the history table (status old → new with ``changed_at``; the
    insert row gives the first status). A requirement without history starts at
    ``created_at``; the current stage starts no earlier than ``status_changed_at``. Time
    ``completed``/``mean_days``/``median_days``/``max_days`` cover stages that were left;
    ``in_stage_mean_days`` covers the requirements still in the stage.
    """
    req_filter = ["true"]
    params: dict[str, Any] = {
        "statuses": list(q.statuses),
        "stages": list(q.stages),
        "stage_rank": json.dumps(
            {status: list(q.stages).index(stage) + 1 for status, stage in q.stage_of.items()}
        ),
        "dropped": q.dropped,
        "as_of": q.as_of,
    }
    if q.officers:
        req_filter.append("r.officer = ANY(CAST(:officers AS text[]))")
        params["officers"] = list(q.officers)
    if q.districts:
        req_filter.append("r.district_code = ANY(CAST(:districts AS text[]))")
        params["districts"] = list(q.districts)
    block_filter = "true"
    if q.blocks:
        params["blocks"] = list(q.blocks)
        block_filter = (
            "EXISTS (SELECT 1 FROM req_block b WHERE b.req_id = r.id "
            "AND b.block = ANY(CAST(:blocks AS text[])))"
        )
    groups = FUNNEL_GROUPS[q.by]
    if q.by == "block" and q.blocks:
        groups += " WHERE b.block = ANY(CAST(:blocks AS text[]))"
    groups_of_none = (
        "SELECT NULL::text AS grp" if q.by == "none" else "SELECT DISTINCT grp FROM sel"
    )
    sql = f"""
        WITH req0 AS (
            SELECT r.id, r.officer, r.status, r.created_at, r.status_changed_at,
                   r.preferred_blocks
              FROM requirement r
             WHERE {" AND ".join(req_filter)}
        ), req_block AS (
            -- a requirement belongs to the blocks it prefers and those of sites recommended
            SELECT DISTINCT r.id AS req_id, x.block
              FROM req0 r
              CROSS JOIN LATERAL (
                    SELECT unnest(r.preferred_blocks) AS block
                    UNION
                    SELECT s.block
                      FROM recommendation rc
                      JOIN recommendation_site rs ON rs.recommendation_id = rc.id
                      JOIN site s ON s.id = rs.site_id
                     WHERE rc.requirement_id = r.id AND s.block IS NOT NULL) x
        ), req AS (
            SELECT r.* FROM req0 r WHERE {block_filter}
        ), sel AS ({groups}),
        moves AS (
            SELECT h.row_id AS req_id, h.id AS hid, h.changed_at AS at,
                   h.changes -> 'status' ->> 0 AS old_status,
                   h.changes -> 'status' ->> 1 AS new_status
              FROM history h
             WHERE h.table_name = 'requirement'
               AND h.row_id IN (SELECT id FROM req)
               AND h.action IN ('insert', 'update')
               AND h.changes -> 'status' IS NOT NULL
        ), first_move AS (
            SELECT DISTINCT ON (m.req_id) m.req_id, m.old_status, m.at
              FROM moves m ORDER BY m.req_id, m.at, m.hid
        ), entries AS (
            SELECT m.req_id, m.new_status AS status, m.at AS entered,
                   lead(m.at) OVER w AS left_at
              FROM moves m
            WINDOW w AS (PARTITION BY m.req_id ORDER BY m.at, m.hid)
            UNION ALL
            -- created before the history knew it: the first stage starts at created_at
            SELECT r.id, COALESCE(f.old_status, r.status), r.created_at, f.at
              FROM req r
              LEFT JOIN first_move f ON f.req_id = r.id
             WHERE r.id NOT IN (SELECT m.req_id FROM moves m WHERE m.old_status IS NULL)
        ), iv AS (
            SELECT e.req_id, e.status, e.left_at IS NULL AS open,
                   EXTRACT(EPOCH FROM (
                       COALESCE(e.left_at, COALESCE(CAST(:as_of AS timestamptz), now()))
                       - CASE WHEN e.left_at IS NULL AND e.status = r.status
                              THEN GREATEST(e.entered, r.status_changed_at)
                              ELSE e.entered END)) / 86400.0 AS days
              FROM entries e JOIN req r ON r.id = e.req_id
        ), maxrank AS (
            SELECT x.req_id, max((CAST(:stage_rank AS jsonb) ->> x.status)::int) AS rnk
              FROM (SELECT req_id, status FROM iv
                    UNION ALL SELECT id, status FROM req) x
             GROUP BY x.req_id
        ), ever_dropped AS (
            SELECT DISTINCT req_id FROM iv WHERE status = :dropped
            UNION SELECT id FROM req WHERE status = :dropped
        ), cells AS (
            SELECT g.grp, st.status, st.ord
              FROM ({groups_of_none}) g
             CROSS JOIN unnest(CAST(:statuses AS text[])) WITH ORDINALITY st(status, ord)
        ), cur AS (
            SELECT s.grp, r.status, count(*) AS n
              FROM sel s JOIN req r ON r.id = s.req_id GROUP BY 1, 2
        ), reach AS (
            SELECT s.grp, p.status, count(*) FILTER (WHERE mr.rnk >= p.ord) AS n
              FROM sel s
              JOIN maxrank mr ON mr.req_id = s.req_id
             CROSS JOIN unnest(CAST(:stages AS text[])) WITH ORDINALITY p(status, ord)
             GROUP BY 1, 2
            UNION ALL
            SELECT s.grp, :dropped, count(*)
              FROM sel s JOIN ever_dropped d ON d.req_id = s.req_id GROUP BY 1
        ), dropped_from AS (
            SELECT s.grp, m.old_status AS status, count(*) AS n
              FROM sel s JOIN moves m ON m.req_id = s.req_id
             WHERE m.new_status = :dropped AND m.old_status IS NOT NULL
             GROUP BY 1, 2
        ), times AS (
            SELECT s.grp, iv.status,
                   count(*) FILTER (WHERE NOT iv.open) AS completed,
                   avg(iv.days) FILTER (WHERE NOT iv.open) AS mean_days,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY iv.days)
                       FILTER (WHERE NOT iv.open) AS median_days,
                   max(iv.days) FILTER (WHERE NOT iv.open) AS max_days,
                   avg(iv.days) FILTER (WHERE iv.open) AS in_stage_mean_days
              FROM sel s JOIN iv ON iv.req_id = s.req_id
             GROUP BY 1, 2
        )
        SELECT c.grp, c.status,
               COALESCE(cur.n, 0) AS current,
               COALESCE(reach.n, 0) AS reached,
               COALESCE(df.n, 0) AS dropped_from,
               COALESCE(t.completed, 0) AS completed,
               t.mean_days, t.median_days, t.max_days, t.in_stage_mean_days
          FROM cells c
          LEFT JOIN cur ON cur.grp IS NOT DISTINCT FROM c.grp AND cur.status = c.status
          LEFT JOIN reach ON reach.grp IS NOT DISTINCT FROM c.grp AND reach.status = c.status
          LEFT JOIN dropped_from df ON df.grp IS NOT DISTINCT FROM c.grp
                                   AND df.status = c.status
          LEFT JOIN times t ON t.grp IS NOT DISTINCT FROM c.grp AND t.status = c.status
         ORDER BY c.grp NULLS LAST, c.ord
    """
    return _rows(conn, sql, params)
