"""Bilingual explanations of match rows: per criterion the site's value, the requirement,
pass/fail or points, in Chinese and English; for near misses, what would have to change.

Runs in Python on the few rows the match query returns; the values come from that query.
Each criterion's labels and wording (its :class:`~gis_app.domain.match_criteria.Formatter`)
are declared with it in :mod:`gis_app.domain.match_criteria`; this module assembles them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gis_app.domain import match_criteria as criteria
from gis_app.domain import vocab
from gis_app.matching.spec import RequirementSpec

Texts = criteria.Texts  # (zh, en)


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
    #: the district the site lies in: {"code", "zh", "en"}
    district: dict[str, str] | None = None
    #: for a near miss: the constraint it fails and what would have to change
    failed: str | None = None
    change_zh: str | None = None
    change_en: str | None = None
    reasons_zh: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    criteria: list[CriterionResult] = field(default_factory=list)


_num = criteria.number_text

#: each criterion's formatter, as declared in the registry
FORMATTERS: dict[str, criteria.Formatter] = {c.key: c.explain for c in criteria.CRITERIA}


def _verdict(passed: bool) -> Texts:
    t = vocab.MATCH_OUTCOME.term("pass" if passed else "fail")
    return t.zh, t.en


def _requirement_side(
    key: str, spec: RequirementSpec, cache: dict[str, tuple[Texts, Any]] | None
) -> tuple[Texts, Any]:
    if cache is not None and key in cache:
        return cache[key]
    fmt = criteria.BY_KEY[key].explain
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
        district=row.get("district"),
    )
    for c in criteria.HARD:
        applies, passed, shortfall, value = row["hard"][c.key]
        if not applies:
            continue
        szh, sen = c.explain.site(value, row, spec)
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
    for c in criteria.SOFT:
        applies, score, value = soft_rows.get(c.key, [False, None, None])
        if not applies:
            continue
        score = float(score or 0.0)
        w = float(weights.get(c.key, 0.0))
        site_texts = c.explain.site(value, row, spec)
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
