"""The indicator report of the office's half-year (or any period's) report, computed from the
ledger: each indicator's actual against the district's annual target and its completion %, the
same period of the year before and the year-on-year change, the projects of 1亿元 or more and
their share of the funds, and the funds by sector and by platform (against each platform's
target). Every figure carries the projects it sums, so that each can be traced.

A report is a district's (or a city's: its districts' projects together, against the city's own
targets): by default the reader's home district; row security keeps out what the reader may not
read.

The database sums each project's months of the period (one statement per period); the report
groups those per-project sums, which are as many as the projects active in the period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from gis_app.db import district_queries
from gis_app.db import project_queries as q
from gis_app.db.edit_queries import translate_db_errors
from gis_app.db.engine import set_app_user
from gis_app.domain import projects, vocab
from gis_app.domain.errors import InvalidInput, range_refusal
from gis_app.domain.fields import FieldError
from gis_app.domain.vocab import Term

#: the name the report gives projects without a platform
NO_PLATFORM = {"zh": "未指定平台", "en": "No platform"}


def parse_period(start: str | None, end: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first months of a period ``start``–``end`` (``2026-01``, ``2026-06``); by default
    January to the last month of the current year. Both in one calendar year (targets are
    annual), start not after end."""
    try:
        last = today.replace(day=1)
        s = projects.parse_month(start) if start else last.replace(month=1)
        e = projects.parse_month(end) if end else last
    except FieldError as err:
        raise InvalidInput(
            f"period: {err}", code=err.code, field="period", params=err.params
        ) from None
    if s > e:
        raise InvalidInput(
            f"period: {projects.month_key(s)} is after {projects.month_key(e)}",
            code="period_inverted",
            field="start",
            params={"value": projects.month_key(s), "max": projects.month_key(e)},
        )
    if s.year != e.year:
        raise InvalidInput(
            f"period: {projects.month_key(s)}–{projects.month_key(e)} spans two years; the "
            "targets are annual, so a period lies within one year",
            code="period_two_years",
            field="start",
            params={"value": projects.month_key(s), "max": projects.month_key(e)},
        )
    return s, e


def report_district(conn: sa.Connection, district: str | None, username: str) -> Term:
    """The district (or city) a ledger report is about: ``district`` when given (refused when it
    names none), else ``username``'s home district."""
    code = district.strip() if district else district_queries.home_of(conn, username)
    names = district_queries.district_terms(conn)
    if code not in names:
        raise InvalidInput(
            f"district: no district {code!r}",
            code="referral_not_a_district",
            field="district",
            params={"value": str(code)[:40]},
        )
    return names[code]


def _district(term: Term) -> dict[str, str]:
    return {"code": term.key, "zh": term.zh, "en": term.en}


def _label(s: dt.date, e: dt.date) -> dict[str, str]:
    zh = f"{s.year}年{s.month}月" if s == e else f"{s.year}年{s.month}—{e.month}月"
    en_s, en_e = f"{s:%B}", f"{e:%B}"
    en = f"{en_s} {s.year}" if s == e else f"{en_s}–{en_e} {s.year}"
    return {"zh": zh, "en": en, "start": projects.month_key(s), "end": projects.month_key(e)}


def _value(row: dict[str, Any], ind: projects.Indicator) -> float:
    if ind.count == "registered":  # a flag per project, a count per month and unit
        return float(row["registered"] or 0)
    return float(sum(row[c] or 0.0 for c in ind.columns))


def _traced(rows: list[dict[str, Any]], ind: projects.Indicator) -> list[dict[str, Any]]:
    out = [
        {"code": r["code"], "name": r["name"], "id": r["id"], "value": _value(r, ind)} for r in rows
    ]
    return sorted((p for p in out if p["value"]), key=lambda p: (-p["value"], p["code"]))


def _total(rows: list[dict[str, Any]], ind: projects.Indicator) -> float:
    return sum(_value(r, ind) for r in rows)


def indicator_report(
    conn: sa.Connection, start: dt.date, end: dt.date, district: Term
) -> dict[str, Any]:
    """The report of ``district`` (its projects and those of the districts below it, against
    its targets) for the months ``start``–``end`` (first days of months, one year)."""
    below = district_queries.districts_below(conn, district.key)
    rows = q.period_by_project(conn, start, end, below)
    prev_start, prev_end = start.replace(year=start.year - 1), end.replace(year=end.year - 1)
    prev_rows = q.period_by_project(conn, prev_start, prev_end, below)
    targets = q.targets(conn, start.year, below)
    own = {
        t["indicator"]: t["value"]
        for t in targets
        if t["scope"] == "district" and t["district_code"] == district.key
    }
    platform_targets = {
        t["scope_key"]: t["value"]
        for t in targets
        if t["scope"] == "platform" and t["indicator"] == "funds"
    }
    indicators = []
    for ind in projects.INDICATORS:
        actual, previous = _total(rows, ind), _total(prev_rows, ind)
        target = own.get(ind.key)
        indicators.append(
            {
                "key": ind.key,
                "label": {"zh": ind.zh, "en": ind.en},
                "unit": {"zh": ind.unit.zh, "en": ind.unit.en},
                "actual": actual,
                "target": target,
                "completion_pct": projects.pct(actual, target),
                "previous": previous,
                "yoy_pct": projects.yoy_pct(actual, previous),
                "projects": _traced(rows, ind),
            }
        )
    funds = projects.INDICATOR_BY_KEY["funds"]
    total_funds = _total(rows, funds)
    big_rows = [r for r in rows if (r["planned_fixed_asset_wan"] or 0) >= projects.BIG_PROJECT_WAN]
    big_funds = _total(big_rows, funds)
    big = {
        "threshold_wan": projects.BIG_PROJECT_WAN,
        "count": len(big_rows),
        "funds": big_funds,
        "share_pct": projects.pct(big_funds, total_funds),
        "projects": [
            {
                "code": r["code"],
                "name": r["name"],
                "id": r["id"],
                "planned_fixed_asset_wan": r["planned_fixed_asset_wan"],
                "funds": _value(r, funds),
            }
            for r in sorted(big_rows, key=lambda r: (-_value(r, funds), r["code"]))
        ],
    }
    return {
        "district": _district(district),
        "period": _label(start, end),
        "previous_period": _label(prev_start, prev_end),
        "indicators": indicators,
        "big_projects": big,
        "by_sector": _by_sector(rows),
        "by_platform": _by_platform(rows, platform_targets),
    }


def _group(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
    return groups


def _group_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by = projects.INDICATOR_BY_KEY
    return {
        "funds": _total(rows, by["funds"]),
        "tax": _total(rows, by["tax"]),
        "foreign_capital": _total(rows, by["foreign_capital"]),
        "projects": sorted(r["code"] for r in rows),
    }


def _by_sector(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups = _group(rows, "sector")
    return [
        {"key": t.key, "label": {"zh": t.zh, "en": t.en}, **_group_figures(groups[t.key])}
        for t in vocab.SECTOR
        if t.key in groups
    ]


def _by_platform(rows: list[dict[str, Any]], targets: dict[str, float]) -> list[dict[str, Any]]:
    groups = _group(rows, "platform")
    names = sorted((n for n in set(groups) | set(targets) if n), key=str)
    out = []
    for name in [*names, *([None] if None in groups else [])]:
        figures = _group_figures(groups.get(name, []))
        target = targets.get(name) if name else None
        out.append(
            {
                "name": name,
                "label": {"zh": name, "en": name} if name else NO_PLATFORM,
                **figures,
                "target": target,
                "completion_pct": projects.pct(figures["funds"], target),
            }
        )
    return out


def _matches(target: dict[str, Any], row: dict[str, Any], below: list[str]) -> bool:
    if row["district_code"] not in below:
        return False
    if target["scope"] == "district":
        return True
    return row[target["scope"]] == target["scope_key"]


def target_progress(
    conn: sa.Connection, year: int, through: dt.date, district: Term
) -> list[dict[str, Any]]:
    """Every target of ``year`` set by ``district`` or a district below it (the district's,
    its platforms', its officers': 责任状) with its month-by-month cumulative actual from
    January to ``through`` and its completion % so far; each target counts the projects of its
    own district and those below it."""
    start = dt.date(year, 1, 1)
    end = min(through, dt.date(year, 12, 1))
    months = [dt.date(year, m, 1) for m in range(1, end.month + 1)] if end >= start else []
    below = district_queries.districts_below(conn, district.key)
    rows = q.monthly_by_unit(conn, start, end, below) if months else []
    names = district_queries.district_terms(conn)
    under: dict[str, list[str]] = {}
    out = []
    scopes = {k: i for i, k in enumerate(projects.TARGET_SCOPE.keys)}
    order = {i.key: n for n, i in enumerate(projects.INDICATORS)}
    targets = sorted(
        q.targets(conn, year, below),
        key=lambda t: (
            t["district_code"] != district.key,
            t["district_code"],
            scopes[t["scope"]],
            t["scope_key"],
            order[t["indicator"]],
        ),
    )
    for t in targets:
        ind = projects.INDICATOR_BY_KEY[t["indicator"]]
        code = t["district_code"]
        if code not in under:
            under[code] = district_queries.districts_below(conn, code)
        per_month = dict.fromkeys(months, 0.0)
        for r in rows:
            if _matches(t, r, under[code]):
                per_month[r["month"]] += _value(r, ind)
        running, cumulative = 0.0, []
        for m in months:
            running += per_month[m]
            cumulative.append({"month": projects.month_key(m), "actual": running})
        scope = projects.TARGET_SCOPE.term(t["scope"])
        out.append(
            {
                "district": _district(names.get(code) or Term(code, code, code)),
                "scope": t["scope"],
                "scope_label": {"zh": scope.zh, "en": scope.en},
                "scope_key": t["scope_key"],
                "indicator": ind.key,
                "label": {"zh": ind.zh, "en": ind.en},
                "unit": {"zh": ind.unit.zh, "en": ind.unit.en},
                "target": t["value"],
                "actual": running,
                "completion_pct": projects.pct(running, t["value"]),
                "months": cumulative,
            }
        )
    return out


def set_target(
    conn: sa.Connection,
    district: Term,
    year: int,
    scope: str,
    scope_key: str,
    indicator: str,
    value: float,
    user: str,
) -> list[dict[str, Any]]:
    """Set one annual target of ``district`` (the district's own, one of its platforms' or
    officers'); commit. Returns the year's targets of the district and those below it."""
    what = f"target {district.key} {year} {scope} {scope_key or ''} {indicator}".replace("  ", " ")
    if not 2000 <= year <= 2100:
        raise range_refusal(f"{what}: year must be between 2000 and 2100", "year", year, 2000, 2100)
    if scope not in projects.TARGET_SCOPE or indicator not in projects.INDICATOR:
        raise InvalidInput(
            f"{what}: scope is one of {', '.join(projects.TARGET_SCOPE.keys)}; indicator one of "
            f"{', '.join(projects.INDICATOR.keys)}",
            code="unknown_value",
            field="scope" if scope not in projects.TARGET_SCOPE else "indicator",
            params={"value": (scope if scope not in projects.TARGET_SCOPE else indicator)[:40]},
        )
    key = scope_key.strip()
    if (scope == "district") != (key == ""):
        raise InvalidInput(
            f"{what}: scope_key names the platform or the officer (and is empty for the district)",
            code="target_scope_key",
            field="scope_key",
        )
    if value < 0:
        raise InvalidInput(
            f"{what}: a target cannot be negative",
            code="below_min",
            field="value",
            params={"min": 0, "value": value},
        )
    set_app_user(conn, user, f"set {what}")
    with translate_db_errors(what):
        q.put_target(conn, district.key, year, scope, key, indicator, value)
    conn.commit()
    return q.targets(conn, year, district_queries.districts_below(conn, district.key))
