"""Dashboard figures: available land and floor space, status pipelines, blockers, stale records,
land readiness and the requirement funnel — computed in PostGIS, labelled here, exported as
JSON, CSV or XLSX.

Every figure is a :class:`StatTable`: bilingual column headings, one row per group (stable
English keys plus Chinese and English labels from ``gis_app.domain``), the parameters it was
computed with and totals. The API returns it as JSON and the dashboard draws its charts from
that JSON, so the page and the downloads always show the same numbers.

Definitions (also in the README):

* **available land** — the parcel area (亩, from geometry) of active *land parcels* marked
  可招商 (``availability = 'available'``); plants and buildings count by their **vacant floor
  area** (the ``vacant_gfa_m2`` of the buildings on available sites), islands by their own
  area (可招商海岛, 亩) and shorelines by their recorded length (可招商岸线, m).
  ``available_mu`` keeps the parcel area of every available site, whatever its kind.
  Retired (split or merged) parcels are never counted.
* **blockers** of a site not yet signed: policy handling (政策处理) not delivered; regulatory
  plan (控规) not approved; land quota (用地指标) pending, applied or only in the annual plan;
  land not cleared (毛地/部分净地); overlap with a zone that forbids supply (生态保护红线,
  永久基本农田). A site may have several.
* **steps** (land readiness): procedural steps still to go in each pipeline (e.g. 征收公告 →
  补偿方案 → 签订协议 → 报批 → 批准 → 清表 → 交地 is 6 steps); a rough ordering of how soon a
  site could be supplied, not a duration.
* **stale**: never verified, or ``verified_at`` more than N days before the reference date.
* **funnel**: new → recommended → visiting → negotiating → signed → landed (+ dropped);
  *reached* counts requirements that were ever in that stage or a later one (from the
  history; 匹配中 ``matching`` is part of the new stage and has no count of its own),
  *dropped from* those that left it for ``dropped``; times in days in each status from the
  history table's status changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gis_app.db import district_queries, project_queries, stats_queries
from gis_app.db.stats_queries import Scope, Steps
from gis_app.domain import fields, landuse, vocab
from gis_app.domain.errors import InvalidInput, range_refusal
from gis_app.domain.vocab import Term, Vocabulary
from gis_app.io.spreadsheet import safe_cell

NOT_RECORDED = Term("", "未登记", "Not recorded")
#: the query parameter narrowing a figure to districts: the site search's (the registry field)
DISTRICT_PARAMETER = "district_code"

AVAILABLE_BY: tuple[str, ...] = tuple(stats_queries.AVAILABLE_DIMENSIONS)
PIPELINE_BY: tuple[str, ...] = stats_queries.PIPELINE_FIELDS
STALE_BY: tuple[str, ...] = ("block", "site")
READINESS_BY: tuple[str, ...] = ("block", "site")
FUNNEL_BY: tuple[str, ...] = tuple(stats_queries.FUNNEL_GROUPS)
FORMATS: tuple[str, ...] = ("json", "csv", "xlsx")

DEFAULT_STALE_DAYS = 365
MAX_DAYS = 36_500
MAX_ROWS = 5_000
#: "available land" is land parcels only: plants and buildings count by their vacant floor
#: area, islands and shorelines by their own figures (their parcel areas are not land on offer)
KIND_GROUPS = stats_queries.KindGroups(
    land=("land",), islands=("island",), shorelines=("shoreline",)
)
#: sites that readiness looks at: not on offer yet, and not taken
READINESS_CANDIDATES: tuple[str, ...] = ("unavailable", "reserved")
#: signed sites are gone; their blockers no longer matter
BLOCKERS_EXCLUDE: tuple[str, ...] = ("signed",)

_PIPELINE_VOCAB: dict[str, Vocabulary] = {
    "supply_stage": vocab.SUPPLY_STAGE,
    "policy_status": vocab.POLICY_STATUS,
    "planning_status": vocab.PLANNING_STATUS,
    "quota_status": vocab.QUOTA_STATUS,
}


def _steps_to_end(v: Vocabulary) -> dict[str, int]:
    """Steps from each key to the last key of a pipeline vocabulary."""
    last = len(v) - 1
    return {k: last - i for i, k in enumerate(v.keys)}


#: what a site still waits for, per pipeline (see the module docstring)
STEPS = Steps(
    policy=_steps_to_end(vocab.POLICY_STATUS),
    # 控规: none → drafting → approved; an amendment or a use change is one plan procedure
    # (a use change needs drafting and approval of the amended plan)
    planning={"none": 2, "drafting": 1, "amending": 1, "use_change_needed": 2, "approved": 0},
    # 用地指标: pending → applied → in_annual_plan → approved; not_needed is beside the pipeline
    quota={"pending": 3, "applied": 2, "in_annual_plan": 1, "approved": 0, "not_needed": 0},
    clearing=_steps_to_end(vocab.READINESS),
    blocking_zone_kinds=tuple(sorted(vocab.BLOCKING_CONSTRAINT_KINDS)),
)


# --- tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a figure: key, bilingual heading, unit, and how to format it."""

    key: str
    zh: str
    en: str
    unit: str = ""
    kind: str = "number"  # "text", "int", "number", "date", "bool"

    def heading(self) -> str:
        """``中文 / English (unit)`` for CSV and XLSX headers."""
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.zh} / {self.en}{unit}"

    def as_dict(self) -> dict[str, str]:
        """The column for JSON."""
        return {"key": self.key, "zh": self.zh, "en": self.en, "unit": self.unit, "kind": self.kind}


@dataclass
class StatTable:
    """A figure: its rows, columns, the parameters it was computed with and totals."""

    name: str
    title: Term
    columns: list[Column]
    rows: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The figure as JSON-ready data (dates as ISO strings)."""
        return {
            "name": self.name,
            "title": {"zh": self.title.zh, "en": self.title.en},
            "params": _jsonable(self.params),
            "columns": [c.as_dict() for c in self.columns],
            "rows": [_jsonable(r) for r in self.rows],
            "totals": _jsonable(self.totals),
        }

    def filename(self, ext: str, today: dt.date | None = None) -> str:
        """A download name such as ``stats-available-block-2026-11-28.csv``."""
        day = (today or dt.date.today()).isoformat()
        return f"stats-{self.name}-{day}.{ext}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _c(key: str, zh: str, en: str, unit: str = "", kind: str = "number") -> Column:
    return Column(key, zh, en, unit, kind)


KEY = _c("key", "键", "Key", kind="text")
LABEL_ZH = _c("label_zh", "名称", "Name (zh)", kind="text")
LABEL_EN = _c("label_en", "名称（英文）", "Name (en)", kind="text")
SITES = _c("sites", "资源数", "Sites", kind="int")
AVAILABLE_SITES = _c("available_sites", "可招商资源数", "Available sites", kind="int")
AVAILABLE_MU = _c("available_mu", "可招商资源占地", "Parcel area of available sites", "亩")
AVAILABLE_LAND_MU = _c("available_land_mu", "可招商土地", "Available land", "亩")
AVAILABLE_ISLAND_MU = _c("available_island_mu", "可招商海岛", "Available islands", "亩")
AVAILABLE_SHORELINE_M = _c("available_shoreline_m", "可招商岸线", "Available shoreline", "m")
VACANT_GFA = _c("vacant_gfa_m2", "空置建筑面积", "Vacant floor area", "m²")
TOTAL_MU = _c("total_mu", "资源总面积", "Total area", "亩")
AREA_MU = _c("area_mu", "面积", "Area", "亩")

DIMENSION_TERMS: dict[str, Term] = {
    "district": Term("district", fields.SITE["district_code"].zh, fields.SITE["district_code"].en),
    "block": Term("block", "区块", "Block"),
    "township": Term("township", "街道/镇", "Township"),
    "kind": Term("kind", "资源类型", "Kind"),
    "land_use": Term("land_use", "规划用途", "Planned land use"),
    "officer": Term("officer", "招商专员", "Officer"),
    "site": Term("site", "资源", "Site"),
    "none": Term("none", "不分组", "No grouping"),
    **{k: Term(k, v.zh, v.en) for k, v in _PIPELINE_VOCAB.items()},
}


def _labeller(
    dimension: str, districts: Mapping[str, Term] | None = None
) -> Callable[[str | None], Term]:
    """Labels for the keys of a dimension (vocabulary, land-use code, a district's names from
    ``districts``, or the name itself)."""

    def label(key: str | None) -> Term:
        if key is None:
            return NOT_RECORDED
        if dimension == "district":
            return (districts or {}).get(key) or Term(key, key, key)
        if dimension == "kind":
            return vocab.SITE_KIND.term(key)
        if dimension in _PIPELINE_VOCAB:
            return _PIPELINE_VOCAB[dimension].term(key)
        if dimension == "status":
            return vocab.REQUIREMENT_STATUS.term(key)
        if dimension == "land_use" and landuse.is_valid("2023", key):
            entry = landuse.lookup("2023", key)
            return Term(key, f"{key} {entry.zh}", f"{key} {entry.en}")
        return Term(key, key, key)  # names of places and people are their own labels

    return label


def _labelled(
    rows: Iterable[dict[str, Any]], dimension: str, districts: Mapping[str, Term] | None = None
) -> list[dict[str, Any]]:
    label = _labeller(dimension, districts)
    out = []
    for r in rows:
        t = label(r["key"])
        out.append({"key": r["key"], "label_zh": t.zh, "label_en": t.en, **_without_key(r)})
    return out


def _without_key(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "key"}


def _round(rows: list[dict[str, Any]], columns: Sequence[Column]) -> list[dict[str, Any]]:
    """Round measures for display (in place): 亩 to 0.01, m² to 0.1, days to 0.01."""
    digits = {"亩": 2, "m²": 1, "m": 1, "%": 1, "days": 2}
    for r in rows:
        for c in columns:
            v = r.get(c.key)
            if v is None:
                continue
            if c.kind == "int":
                r[c.key] = int(v)
            elif c.kind == "number":
                r[c.key] = round(float(v), digits.get(c.unit, 3))
    return rows


def _sum(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> dict[str, Any]:
    totals: dict[str, Any] = {}
    for c in columns:
        if c.kind in ("int", "number"):
            s = sum(float(r.get(c.key) or 0) for r in rows)
            totals[c.key] = int(s) if c.kind == "int" else s
    return _round([totals], columns)[0]


def _finish(
    rows: list[dict[str, Any]],
    columns: Sequence[Column],
    total_columns: Sequence[Column] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Totals of the exact values, then the rows rounded for display."""
    totals = _sum(rows, columns if total_columns is None else total_columns)
    return _round(rows, columns), totals


def _nulls_last(key: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    return lambda r: (r["key"] is None, key(r))


# --- checks ---------------------------------------------------------------------------------


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise InvalidInput(
            f"{name} must be one of {', '.join(allowed)}, got {value[:40]!r}",
            code="unknown_value",
            field=name,
            params={"value": value[:40]},
        )
    return value


def _check_int(name: str, value: int, lo: int, hi: int) -> int:
    if not lo <= value <= hi:
        raise range_refusal(
            f"{name} must be between {lo} and {hi}, got {value}", name, value, lo, hi
        )
    return value


def _check_names(name: str, values: Sequence[str]) -> tuple[str, ...]:
    if len(values) > 200:
        raise InvalidInput(
            f"{name}: at most 200 values, got {len(values)}",
            code="too_many_values",
            field=name,
            params={"max": 200, "count": len(values)},
        )
    for v in values:
        if not v.strip() or len(v) > 200:
            raise InvalidInput(
                f"{name}: {v[:40]!r} is not a name (1 to 200 characters)",
                code="text_not_acceptable",
                field=name,
                params={"value": v[:40], "max_length": 200},
            )
    return tuple(values)


def make_scope(
    kinds: Sequence[str] = (),
    blocks: Sequence[str] = (),
    townships: Sequence[str] = (),
    districts: Sequence[str] = (),
) -> Scope:
    """A checked :class:`Scope`; unknown kinds raise ``UnknownVocabularyValue``. ``districts``
    are district codes (an unknown one covers no site)."""
    for k in kinds:
        vocab.SITE_KIND.term(k)
    return Scope(
        tuple(kinds),
        _check_names("block", blocks),
        _check_names("township", townships),
        _check_names(DISTRICT_PARAMETER, districts),
    )


def check_format(fmt: str) -> str:
    """Return ``fmt`` if it is a known download format (json, csv, xlsx)."""
    return _check_choice("format", fmt, FORMATS)


# --- figures --------------------------------------------------------------------------------


def available(
    conn: sa.Connection, by: str = "block", scope: Scope | None = None, land_use_level: int = 2
) -> StatTable:
    """Available land (亩) and vacant floor area (m²) by block, township, kind or land use.

    ``land_use_level`` cuts 2023 planned-use codes to level 1 (2 digits), 2 (4) or 3 (6).
    """
    _check_choice("by", by, AVAILABLE_BY)
    _check_int("land_use_level", land_use_level, 1, 3)
    scope = scope or Scope()
    names = district_queries.district_terms(conn) if by == "district" else None
    rows = _labelled(
        stats_queries.available_by(conn, by, scope, 2 * land_use_level, KIND_GROUPS), by, names
    )
    if by == "kind":
        rows.sort(key=_nulls_last(lambda r: vocab.SITE_KIND.rank(r["key"])))
    else:
        rows.sort(key=_nulls_last(lambda r: (-float(r["available_mu"]), r["key"])))
    measures = [
        SITES,
        AVAILABLE_SITES,
        AVAILABLE_LAND_MU,
        VACANT_GFA,
        AVAILABLE_ISLAND_MU,
        AVAILABLE_SHORELINE_M,
        AVAILABLE_MU,
        TOTAL_MU,
    ]
    rows, totals = _finish(rows, measures)
    dim = DIMENSION_TERMS[by]
    return StatTable(
        name=f"available-{by}",
        title=Term(
            "available",
            f"可招商土地与空置建筑面积（按{dim.zh}）",
            f"Available land and vacant floor area by {dim.en.lower()}",
        ),
        columns=[KEY, LABEL_ZH, LABEL_EN, *measures],
        rows=rows,
        params={"by": by, "land_use_level": land_use_level, **_scope_params(scope)},
        totals=totals,
    )


def pipeline(
    conn: sa.Connection, by: str = "supply_stage", scope: Scope | None = None
) -> StatTable:
    """Sites and 亩 in each stage of supply, policy handling, regulatory plan or land quota.

    Every stage of the vocabulary is listed (zeros included), in pipeline order; sites where
    the status does not apply (e.g. existing plants have no 政策处理) are "not recorded".
    """
    _check_choice("by", by, PIPELINE_BY)
    scope = scope or Scope()
    v = _PIPELINE_VOCAB[by]
    found = {r["key"]: r for r in stats_queries.pipeline_by(conn, by, scope)}
    zero = {"sites": 0, "area_mu": 0.0, "available_sites": 0, "available_mu": 0.0}
    raw = [found.get(k, {"key": k, **zero}) for k in v.keys]
    if None in found:
        raw.append(found[None])
    measures = [SITES, AREA_MU, AVAILABLE_SITES, AVAILABLE_MU]
    rows, totals = _finish(_labelled(raw, by), measures)
    return StatTable(
        name=f"pipeline-{by}",
        title=Term("pipeline", f"{v.zh}进度", f"Pipeline: {v.en.lower()}"),
        columns=[KEY, LABEL_ZH, LABEL_EN, *measures],
        rows=rows,
        params={"by": by, **_scope_params(scope)},
        totals=totals,
    )


_BLOCKER_COLUMNS = [
    SITES,
    AREA_MU,
    _c("blocked_sites", "受阻资源数", "Blocked sites", kind="int"),
    _c("blocked_mu", "受阻面积", "Blocked area", "亩"),
    _c("policy_sites", "政策处理未完成（宗）", "Policy handling unfinished (sites)", kind="int"),
    _c("policy_mu", "政策处理未完成", "Policy handling unfinished", "亩"),
    _c("planning_sites", "控规未批（宗）", "Regulatory plan not approved (sites)", kind="int"),
    _c("planning_mu", "控规未批", "Regulatory plan not approved", "亩"),
    _c("quota_sites", "用地指标未落实（宗）", "Land quota not secured (sites)", kind="int"),
    _c("quota_mu", "用地指标未落实", "Land quota not secured", "亩"),
    _c("clearing_sites", "未达净地（宗）", "Not cleared (sites)", kind="int"),
    _c("clearing_mu", "未达净地", "Not cleared", "亩"),
    _c("zone_sites", "压占红线/基本农田（宗）", "Overlaps redline/farmland (sites)", kind="int"),
    _c("zone_mu", "压占红线/基本农田", "Overlaps redline/farmland", "亩"),
]

#: blocker keys in display order, with their labels (the dashboard's legend)
BLOCKERS: dict[str, Term] = {
    "policy": Term("policy", "政策处理未完成", "Policy handling unfinished"),
    "planning": Term("planning", "控规未批", "Regulatory plan not approved"),
    "quota": Term("quota", "用地指标未落实", "Land quota not secured"),
    "clearing": Term("clearing", "未达净地", "Not cleared"),
    "zone": Term("zone", "压占红线/基本农田", "Overlaps redline or farmland"),
}


def blockers(conn: sa.Connection, scope: Scope | None = None) -> StatTable:
    """Per block: what holds up its sites that are not yet signed (sites and 亩 per blocker)."""
    scope = scope or Scope()
    raw = stats_queries.blockers_by(conn, scope, STEPS, BLOCKERS_EXCLUDE, "block")
    rows, totals = _finish(_labelled(raw, "block"), _BLOCKER_COLUMNS)
    rows.sort(key=_nulls_last(lambda r: (-r["blocked_mu"], r["key"])))
    return StatTable(
        name="blockers-block",
        title=Term("blockers", "各区块受阻原因", "What blocks each block"),
        columns=[KEY, LABEL_ZH, LABEL_EN, *_BLOCKER_COLUMNS],
        rows=rows,
        params={"exclude_availability": list(BLOCKERS_EXCLUDE), **_scope_params(scope)},
        totals=totals,
    )


#: the blocker columns of the districts side by side: sites and 亩 held up, 亩 per blocker
_DISTRICT_BLOCKER_COLUMNS = [
    c
    for c in _BLOCKER_COLUMNS
    if c.key == "blocked_sites" or (c.key.endswith("_mu") and c.key != AREA_MU.key)
]
#: the requirement pipeline of a district: requirements in each status, and those still open
OPEN_REQUIREMENTS = _c("open_requirements", "在谈需求", "Open requirements", kind="int")
_PIPELINE_STATUS_COLUMNS = [
    _c(f"req_{t.key}", f"需求·{t.zh}", f"Requirements: {t.en.lower()}", kind="int")
    for t in vocab.REQUIREMENT_STATUS
]
DISTRICT_COLUMNS = [
    SITES,
    AVAILABLE_SITES,
    AVAILABLE_LAND_MU,
    VACANT_GFA,
    *_DISTRICT_BLOCKER_COLUMNS,
    OPEN_REQUIREMENTS,
    *_PIPELINE_STATUS_COLUMNS,
]


def districts(conn: sa.Connection, scope: Scope | None = None) -> StatTable:
    """The districts side by side (the city view): per district, available land (亩) and
    vacant floor area (m²), what blocks its sites not yet signed (sites, 亩, 亩 per blocker)
    and its requirement pipeline (requirements per status; open ones together).

    Every district-level row in scope is listed, zeros included, by code. The site figures
    are the same queries as :func:`available` and :func:`blockers`, grouped by
    ``district_code`` in the database; requirements count by their own district (the site
    filters of ``scope`` do not apply to them, its districts do).
    """
    scope = scope or Scope()
    terms = district_queries.district_list(conn, ("district",))
    if scope.districts:
        terms = [t for t in terms if t.key in scope.districts]
    avail = stats_queries.available_by(conn, "district", scope, kinds=KIND_GROUPS)
    blocked = stats_queries.blockers_by(conn, scope, STEPS, BLOCKERS_EXCLUDE, "district")
    site_figures: dict[str, dict[str, Any]] = {r["key"]: _without_key(r) for r in avail}
    for r in blocked:  # its "sites" are those not yet signed: the blocker columns only
        site_figures.setdefault(r["key"], {}).update(
            {c.key: r[c.key] for c in _DISTRICT_BLOCKER_COLUMNS}
        )
    requirements: dict[str, dict[str, int]] = {}
    for r in stats_queries.requirements_by_district(conn, scope.districts):
        requirements.setdefault(r["key"], {})[f"req_{r['status']}"] = int(r["n"])
    rows = []
    for t in terms:
        got = site_figures.get(t.key, {}) | requirements.get(t.key, {})
        row: dict[str, Any] = {"key": t.key, "label_zh": t.zh, "label_en": t.en}
        row |= {c.key: got.get(c.key, 0) for c in DISTRICT_COLUMNS}
        row[OPEN_REQUIREMENTS.key] = sum(
            got.get(f"req_{k}", 0) for k in vocab.OPEN_REQUIREMENT_STATUSES
        )
        rows.append(row)
    rows, totals = _finish(rows, DISTRICT_COLUMNS)
    return StatTable(
        name="districts",
        title=Term("districts", "各区县对比", "Districts side by side"),
        columns=[KEY, LABEL_ZH, LABEL_EN, *DISTRICT_COLUMNS],
        rows=rows,
        params={"exclude_availability": list(BLOCKERS_EXCLUDE), **_scope_params(scope)},
        totals=totals,
    )


_STALE_BLOCK_COLUMNS = [
    SITES,
    _c("stale_sites", "过期资源数", "Stale sites", kind="int"),
    _c("stale_mu", "过期资源面积", "Stale area", "亩"),
    _c("never_verified", "从未核实", "Never verified", kind="int"),
    _c("oldest_verified_at", "最早核实日期", "Oldest check", kind="date"),
]
_SITE_COLUMNS = [
    _c("id", "资源 ID", "Site id", kind="int"),
    _c("code", "编号", "Code", kind="text"),
    _c("name_zh", "名称", "Name", kind="text"),
    _c("kind", "资源类型", "Kind", kind="text"),
    _c("block", "区块", "Block", kind="text"),
    _c("township", "街道/镇", "Township", kind="text"),
    _c("availability", "招商状态", "Availability", kind="text"),
    AREA_MU,
]
_STALE_SITE_COLUMNS = [
    *_SITE_COLUMNS,
    _c("verified_at", "核实日期", "Verified", kind="date"),
    _c("verified_by", "核实人", "Verified by", kind="text"),
    _c("days_since", "距今天数", "Days since", "days", kind="int"),
]


def stale(
    conn: sa.Connection,
    days: int = DEFAULT_STALE_DAYS,
    by: str = "block",
    scope: Scope | None = None,
    as_of: dt.date | None = None,
    limit: int = 500,
) -> StatTable:
    """Records not verified for more than ``days`` days (or never), per block or per site.

    ``as_of`` is the reference date (today by default); per site, the oldest come first and at
    most ``limit`` rows are listed (``totals`` has the full count).
    """
    _check_choice("by", by, STALE_BY)
    _check_int("days", days, 0, MAX_DAYS)
    _check_int("limit", limit, 1, MAX_ROWS)
    scope = scope or Scope()
    as_of = as_of or dt.date.today()
    cutoff = as_of - dt.timedelta(days=days)
    params = {"days": days, "as_of": as_of, "cutoff": cutoff, "by": by, **_scope_params(scope)}
    title = Term("stale", f"超过 {days} 天未核实的记录", f"Records not verified for {days}+ days")
    if by == "block":
        rows, totals = _finish(
            _labelled(stats_queries.stale_by_block(conn, scope, cutoff), "block"),
            _STALE_BLOCK_COLUMNS,
            _STALE_BLOCK_COLUMNS[:4],
        )
        rows.sort(key=_nulls_last(lambda r: (-r["stale_sites"], r["key"])))
        return StatTable(
            name="stale-block",
            title=title,
            columns=[KEY, LABEL_ZH, LABEL_EN, *_STALE_BLOCK_COLUMNS],
            rows=rows,
            params=params,
            totals=totals,
        )
    raw = stats_queries.stale_sites(conn, scope, cutoff, as_of, limit)
    total = int(raw[0]["total"]) if raw else 0
    rows = [{c.key: r[c.key] for c in _STALE_SITE_COLUMNS} for r in raw]
    rows = _round(rows, _STALE_SITE_COLUMNS)
    return StatTable(
        name="stale-site",
        title=title,
        columns=_STALE_SITE_COLUMNS,
        rows=rows,
        params={**params, "limit": limit},
        totals={"stale_sites": total, "listed": len(rows)},
    )


_STUCK_COLUMNS = [
    _c("code", "地块编号", "Site code", kind="text"),
    _c("name_zh", "名称", "Name", kind="text"),
    _c("block", "区块", "Block", kind="text"),
    _c("township", "街道/镇", "Township", kind="text"),
    AREA_MU,
    _c("project_code", "项目编号", "Project code", kind="text"),
    _c("project_name", "项目名称", "Project", kind="text"),
    _c("officer", "招商专员", "Officer", kind="text"),
    _c("stage_zh", "当前节点", "Stage (zh)", kind="text"),
    _c("stage_en", "当前节点（英文）", "Stage", kind="text"),
    _c("late_zh", "滞后节点", "Late (zh)", kind="text"),
    _c("late_en", "滞后节点（英文）", "Late", kind="text"),
    _c("days_late", "滞后天数", "Days behind", "days", kind="int"),
]


def stuck_projects(
    conn: sa.Connection, scope: Scope | None = None, today: dt.date | None = None, limit: int = 500
) -> StatTable:
    """Sites taken by projects that are behind their milestones (开工 late, 达效 late): the
    project, its stage, what is late and by how many days, the most behind first."""
    _check_int("limit", limit, 1, MAX_ROWS)
    scope = scope or Scope()
    today = today or dt.date.today()
    where, params = scope.where()
    raw = project_queries.stuck_sites(conn, today, where, params, limit)
    rows = []
    for r in raw:
        stage = vocab.MILESTONE.term(r["stage"]) if r["stage"] else None
        late = [vocab.MILESTONE.term(k) for k in vocab.MILESTONE.keys if k in r["late"]]
        rows.append(
            {c.key: r[c.key] for c in _STUCK_COLUMNS if c.key in r}
            | {
                "stage_zh": stage.zh if stage else "",
                "stage_en": stage.en if stage else "",
                "late_zh": "、".join(t.zh for t in late),
                "late_en": ", ".join(t.en for t in late),
            }
        )
    return StatTable(
        name="stuck-projects",
        title=Term("stuck", "项目滞后的地块", "Sites whose projects are behind"),
        columns=_STUCK_COLUMNS,
        rows=_round(rows, _STUCK_COLUMNS),
        params={"as_of": today, "limit": limit, **_scope_params(scope)},
        totals={"stuck_sites": int(raw[0]["total"]) if raw else 0, "listed": len(rows)},
    )


_READINESS_BLOCK_COLUMNS = [
    _c("candidate_sites", "待供资源数", "Sites not yet on offer", kind="int"),
    _c("candidate_mu", "待供面积", "Area not yet on offer", "亩"),
    _c("min_steps", "最少剩余环节", "Fewest steps to go", kind="int"),
    _c("soon_sites", "近期可供资源数", "Sites within reach", kind="int"),
    _c("soon_mu", "近期可供面积", "Area within reach", "亩"),
    _c("waiting_policy", "待政策处理", "Waiting for policy handling", kind="int"),
    _c("waiting_planning", "待控规", "Waiting for the regulatory plan", kind="int"),
    _c("waiting_quota", "待用地指标", "Waiting for land quota", kind="int"),
    _c("waiting_clearing", "待清表/平整", "Waiting for clearing", kind="int"),
    _c("zone_conflicts", "压占红线/基本农田", "Overlaps redline/farmland", kind="int"),
]
_READINESS_SITE_COLUMNS = [
    *_SITE_COLUMNS,
    _c("policy_status", "政策处理", "Policy handling", kind="text"),
    _c("policy_progress_pct", "政策处理进度", "Policy progress", "%", kind="int"),
    _c("planning_status", "控规状态", "Regulatory plan", kind="text"),
    _c("quota_status", "用地指标", "Land quota", kind="text"),
    _c("readiness", "土地整理", "Readiness", kind="text"),
    _c("policy_steps", "政策处理剩余环节", "Policy steps to go", kind="int"),
    _c("planning_steps", "控规剩余环节", "Plan steps to go", kind="int"),
    _c("quota_steps", "指标剩余环节", "Quota steps to go", kind="int"),
    _c("clearing_steps", "整理剩余环节", "Clearing steps to go", kind="int"),
    _c("steps_total", "剩余环节合计", "Steps to go", kind="int"),
    _c("zone_conflict", "压占红线/基本农田", "Overlaps redline/farmland", kind="bool"),
    _c("waits_for", "等待事项", "Waits for", kind="text"),
    _c("blocking_note", "受阻说明", "Blocking note", kind="text"),
]


def _waits_for(row: dict[str, Any]) -> str:
    parts = [
        BLOCKERS[k].zh for k in ("policy", "planning", "quota", "clearing") if row[f"{k}_steps"] > 0
    ]
    if row["zone_conflict"]:
        parts.append(BLOCKERS["zone"].zh)
    return "、".join(parts)


def readiness(
    conn: sa.Connection,
    by: str = "block",
    scope: Scope | None = None,
    soon_steps: int = 2,
    candidates: Sequence[str] = READINESS_CANDIDATES,
) -> StatTable:
    """Which sites (or blocks) not yet on offer could be supplied soonest, and what they wait for.

    Candidates are active sites whose availability is in ``candidates``. Per block, "within
    reach" means at most ``soon_steps`` steps to go and no overlap with a blocking zone.
    """
    _check_choice("by", by, READINESS_BY)
    _check_int("soon_steps", soon_steps, 0, 30)
    for c in candidates:
        vocab.AVAILABILITY.term(c)
    scope = scope or Scope()
    params = {
        "by": by,
        "soon_steps": soon_steps,
        "candidates": list(candidates),
        **_scope_params(scope),
    }
    if by == "block":
        raw = stats_queries.readiness_by_block(conn, scope, STEPS, candidates, soon_steps)
        rows, totals = _finish(
            _labelled(raw, "block"),
            _READINESS_BLOCK_COLUMNS,
            [c for c in _READINESS_BLOCK_COLUMNS if c.key != "min_steps"],
        )
        rows.sort(
            key=_nulls_last(
                lambda r: (r["min_steps"] is None, r["min_steps"] or 0, -r["soon_mu"], r["key"])
            )
        )
        return StatTable(
            name="readiness-block",
            title=Term("readiness", "各区块土地可供时序", "Which blocks could be supplied soonest"),
            columns=[KEY, LABEL_ZH, LABEL_EN, *_READINESS_BLOCK_COLUMNS],
            rows=rows,
            params=params,
            totals=totals,
        )
    raw = stats_queries.site_readiness(conn, scope, STEPS, candidates)
    rows = []
    for r in raw:
        row = {c.key: r.get(c.key) for c in _READINESS_SITE_COLUMNS if c.key != "waits_for"}
        row["waits_for"] = _waits_for(r)
        rows.append(row)
    rows, totals = _finish(rows, _READINESS_SITE_COLUMNS, [AREA_MU])
    return StatTable(
        name="readiness-site",
        title=Term("readiness", "待供资源剩余环节", "Sites not yet on offer: steps to go"),
        columns=_READINESS_SITE_COLUMNS,
        rows=rows,
        params=params,
        totals={"sites": len(rows), **totals},
    )


_FUNNEL_COLUMNS = [
    _c("current", "当前数量", "Now in stage", kind="int"),
    _c("reached", "累计到达", "Reached", kind="int"),
    _c("conversion_pct", "转化率", "Conversion from previous stage", "%"),
    _c("dropped_from", "由此放弃", "Dropped from here", kind="int"),
    _c("completed", "已完成停留次数", "Stays completed", kind="int"),
    _c("mean_days", "平均停留", "Mean time in stage", "days"),
    _c("median_days", "停留中位数", "Median time in stage", "days"),
    _c("max_days", "最长停留", "Longest time in stage", "days"),
    _c("in_stage_mean_days", "当前平均已停留", "Mean time so far (still in stage)", "days"),
]
_DROPPED = "dropped"
#: the funnel's stages in order ("reached" and conversion are counted for these)
FUNNEL_STAGES: tuple[str, ...] = (
    "new",
    "recommended",
    "visiting",
    "negotiating",
    "signed",
    "landed",
)
#: requirement status → funnel stage: 匹配中 (matching) is still the new stage; dropped is none
FUNNEL_STAGE_OF: dict[str, str] = {
    **{s: s for s in FUNNEL_STAGES},
    "matching": "new",
}


def funnel(
    conn: sa.Connection,
    by: str = "none",
    officers: Sequence[str] = (),
    blocks: Sequence[str] = (),
    as_of: dt.datetime | None = None,
    districts: Sequence[str] = (),
) -> StatTable:
    """The requirement funnel new → … → landed (+ dropped), per officer or block if asked.

    ``officers``, ``blocks`` and ``districts`` (the requirement's district) narrow the
    requirements (a requirement belongs to the blocks
    it prefers and to the blocks of sites recommended to it, so per block it may count in
    several groups). Times come from the status changes in the history table.
    """
    _check_choice("by", by, FUNNEL_BY)
    statuses = vocab.REQUIREMENT_STATUS.keys
    fq = stats_queries.FunnelQuery(
        statuses=statuses,
        stages=FUNNEL_STAGES,
        stage_of=FUNNEL_STAGE_OF,
        dropped=_DROPPED,
        by=by,
        officers=_check_names("officer", officers),
        blocks=_check_names("block", blocks),
        as_of=as_of,
        districts=_check_names(DISTRICT_PARAMETER, districts),
    )
    raw = stats_queries.funnel(conn, fq)
    status_label = _labeller("status")
    group_label = _labeller(by if by != "none" else "none")
    rows: list[dict[str, Any]] = []
    previous: dict[Any, int | None] = {}
    for r in raw:
        st = status_label(r["status"])
        row: dict[str, Any] = {}
        if by != "none":
            g = group_label(r["grp"])
            row |= {"group": r["grp"], "group_zh": g.zh, "group_en": g.en}
        row |= {"key": r["status"], "label_zh": st.zh, "label_en": st.en}
        row |= {c.key: r.get(c.key) for c in _FUNNEL_COLUMNS if c.key != "conversion_pct"}
        if r["status"] not in FUNNEL_STAGES and r["status"] != _DROPPED:
            row["reached"] = None  # a working status inside a stage (匹配中 is still new)
        if r["status"] in FUNNEL_STAGES:
            prev = previous.get(r["grp"])
            reached = int(r["reached"])
            row["conversion_pct"] = (
                (100.0 if reached else None)
                if prev is None
                else (100.0 * reached / prev if prev else None)
            )
            previous[r["grp"]] = reached
        else:
            row["conversion_pct"] = None
        rows.append(row)
    rows = _round(rows, _FUNNEL_COLUMNS)
    group_cols = (
        []
        if by == "none"
        else [
            _c("group", DIMENSION_TERMS[by].zh, DIMENSION_TERMS[by].en, kind="text"),
            _c("group_zh", "分组名称", "Group (zh)", kind="text"),
            _c("group_en", "分组名称（英文）", "Group (en)", kind="text"),
        ]
    )
    dim = DIMENSION_TERMS[by]
    suffix = "" if by == "none" else f"（按{dim.zh}）"
    suffix_en = "" if by == "none" else f" by {dim.en.lower()}"
    return StatTable(
        name=f"funnel-{by}",
        title=Term("funnel", f"项目推进漏斗{suffix}", f"Requirement funnel{suffix_en}"),
        columns=[*group_cols, KEY, LABEL_ZH, LABEL_EN, *_FUNNEL_COLUMNS],
        rows=rows,
        params={
            "by": by,
            "officer": list(officers),
            "block": list(blocks),
            DISTRICT_PARAMETER: list(districts),
            "as_of": as_of,
        },
        totals={
            **_time_data(rows),
            "requirements": int(sum(r["current"] for r in rows)) if by != "block" else None,
            "dropped": int(sum(r["current"] for r in rows if r["key"] == _DROPPED))
            if by != "block"
            else None,
        },
    )


#: stage times are drawn once some completed stay lasted at least this long: on fresh data
#: (moves minutes apart) a chart of 0–0.01 days says nothing
MIN_DAYS_FOR_TIMES = 1.0


def _time_data(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Whether the funnel's stage times say something yet (see :data:`MIN_DAYS_FOR_TIMES`)."""
    completed = int(sum(r.get("completed") or 0 for r in rows))
    longest = max((float(r["max_days"]) for r in rows if r.get("max_days") is not None), default=0)
    return {
        "completed_stays": completed,
        "longest_days": round(longest, 2),
        "times_enough_data": completed > 0 and longest >= MIN_DAYS_FOR_TIMES,
    }


def availability_map_data(
    conn: sa.Connection, scope: Scope | None = None, outline_tolerance_deg: float = 0.0005
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Blocks (hull of their sites, with available 亩) and the simplified outline, WGS84."""
    scope = scope or Scope()
    return (
        stats_queries.block_outlines_geojson(conn, scope),
        stats_queries.jurisdiction_outline_geojson(conn, outline_tolerance_deg, scope.districts),
    )


def _scope_params(scope: Scope) -> dict[str, list[str]]:
    return {
        "kind": list(scope.kinds),
        "block": list(scope.blocks),
        "township": list(scope.townships),
        DISTRICT_PARAMETER: list(scope.districts),
    }


# --- downloads ------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    # names (blocks, townships, sites, officers) are stored text: never a live formula
    if isinstance(value, list | tuple):
        return safe_cell("、".join(str(v) for v in value))
    return safe_cell(value)


def to_csv(table: StatTable) -> bytes:
    """The figure as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese right)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.heading() for c in table.columns])
    for r in table.rows:
        row = []
        for c in table.columns:
            v = _cell(r.get(c.key))
            if v is None:
                v = ""
            elif isinstance(v, bool):
                v = "true" if v else "false"
            elif isinstance(v, dt.date):
                v = v.isoformat()
            row.append(v)
        w.writerow(row)
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(table: StatTable) -> bytes:
    """The figure as an XLSX workbook: one sheet, bilingual headings, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = table.name[:31]
    ws.append([f"{table.title.zh} / {table.title.en}"])
    ws["A1"].font = Font(bold=True)
    ws.append([c.heading() for c in table.columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in table.rows:
        ws.append([_cell(r.get(c.key)) for c in table.columns])
    ws.freeze_panes = "A3"
    for i, c in enumerate(table.columns, start=1):
        width = max(10, min(40, len(c.heading()) + 2))
        ws.column_dimensions[get_column_letter(i)].width = width
        if c.kind == "date":
            for (cell,) in ws.iter_rows(min_row=3, min_col=i, max_col=i):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
