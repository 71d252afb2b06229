"""A match statement holds only the criteria that apply to its requirement (issue 24, item 3):
whether one applies is decided in Python by the same condition the SQL states
(:mod:`gis_app.domain.applicability`). These tests hold the two readings equal on every
criterion over a grid of requirement values, NULLs included, and the statement built from the
applying criteria equal, row for row, to the one that asks every criterion in SQL."""

from __future__ import annotations

import random
from typing import Any

import pytest
import sqlalchemy as sa

from gis_app.domain import match_criteria as criteria
from gis_app.domain.applicability import ALWAYS, Differs, Listed, NeedIn, Positive, Stated
from gis_app.matching import sql as match_sql
from gis_app.matching.spec import parse_spec

#: values each requirement column may take in the grid (None: not stated)
_CHOICES: dict[str, list[Any]] = {
    "need": ["land", "island", "shoreline", "plant", "building"],
    "tenure": ["lease", "buy", "either", None],
    "crane_min_t": [None, 0.0, 5.0],
    "readiness_min": [None, "cleared"],
}
_NUMBER = [None, 10.0]
_LIST = [None, [], ["x"]]


def _grid(n: int, seed: int = 24) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    rows = []
    for _ in range(n):
        row: dict[str, Any] = {}
        for name, typ in criteria.REQ_COLUMNS.items():
            if name in _CHOICES:
                row[name] = rnd.choice(_CHOICES[name])
            elif typ.endswith("[]"):
                row[name] = rnd.choice(_LIST)
            elif typ == "text":
                row[name] = rnd.choice([None, "x"])
            elif typ == "integer":
                row[name] = rnd.choice([None, 10000])
            else:
                row[name] = rnd.choice(_NUMBER)
        rows.append(row)
    return rows


def test_python_and_sql_agree_on_every_criterion(conn: sa.Connection) -> None:
    # one statement evaluates every criterion's SQL condition, as the statements read it
    # (COALESCE(..., false)), over the requirement bound as the match binds it
    row_sql = match_sql._ROW_SQL
    columns = ", ".join(
        f"COALESCE(({c.applies(criteria.SITE)}), false) AS {c.key}" for c in criteria.CRITERIA
    )
    query = sa.text(f"SELECT {columns} FROM {row_sql} r")
    grid = _grid(400)
    seen: dict[str, set[bool]] = {c.key: set() for c in criteria.CRITERIA}
    for values in grid:
        in_sql = conn.execute(query, {f"r_{k}": v for k, v in values.items()}).one()._mapping
        for c in criteria.CRITERIA:
            in_python = c.applies.holds(values)
            assert in_python == in_sql[c.key], (c.key, c.applies(criteria.SITE), values)
            seen[c.key].add(in_python)
    # the grid reaches both answers of every criterion that can go either way (price applies
    # to every need)
    either_way = [c.key for c in criteria.CRITERIA if c.applies != ALWAYS and c.key != "price"]
    assert all(seen[k] == {True, False} for k in either_way), seen
    assert seen["price"] == {True}


def test_null_is_false_at_every_leaf() -> None:
    values = dict.fromkeys(criteria.REQ_COLUMNS) | {"need": "plant"}
    assert not Stated("power_kva").holds(values)
    assert not Differs("tenure", "either").holds(values)  # NULL <> 'either' is NULL
    assert not Positive("crane_min_t").holds(values | {"crane_min_t": 0.0})
    # cardinality(NULL) is NULL: one NULL list makes the sum NULL, whatever the other holds
    lists = Listed(("preferred_townships", "preferred_blocks"))
    assert not lists.holds(values | {"preferred_townships": ["六横镇"]})
    assert lists.holds(values | {"preferred_townships": ["六横镇"], "preferred_blocks": []})
    assert NeedIn(("plant", "building")).holds(values)


def test_every_criterion_declares_a_condition() -> None:
    bad = criteria.Criterion(
        "bad", "坏", "Bad", hard=False, weight=1.0,
        applies=lambda q: "true",  # type: ignore[arg-type]
        value=lambda q: "NULL", score=lambda q: "0",
        explain=criteria.BY_KEY["freshness"].explain, public=criteria.BY_KEY["freshness"].public,
    )  # fmt: skip
    with pytest.raises(ValueError, match="bad: applies must be a condition"):
        criteria._check((*criteria.CRITERIA, bad))


#: requirements of every need, each leaving different criteria out
BODIES: list[dict[str, Any]] = [
    {"need": "plant", "gfa_m2_min": 1000, "height_min_m": 6, "tenure": "lease"},
    {"need": "plant", "gfa_m2_min": 500, "crane_min_t": 5, "tenure": "either", "power_kva": 200},
    {"need": "building", "gfa_m2_min": 300, "gfa_m2_max": 5000, "max_rent_yuan_m2_month": 40,
     "preferred_townships": ["沈家门街道"]},
    {"need": "land", "land_mu_min": 10, "land_mu_max": 200, "readiness_min": "cleared"},
    {"need": "land", "land_use_codes": ["M"], "land_mu_min": 5, "max_km_port": 30,
     "max_price_wan_per_mu": 80, "invest_total_wan": 10000},
    {"need": "shoreline", "shoreline_min_m": 50, "max_km_port": 20},
    {"need": "island"},
]  # fmt: skip


@pytest.mark.parametrize("body", BODIES, ids=[str(i) for i in range(len(BODIES))])
def test_only_the_applying_criteria_rank_the_same(conn: sa.Connection, body: dict) -> None:
    spec = parse_spec(body)
    lists = {"limit": 200, "nm_limit": 100, "margin": 0.4}
    query, params = match_sql.statement(spec, **lists)
    reference, ref_params = match_sql.statement(spec, **lists, only_applying=False)
    chosen = match_sql.applying(params)
    assert len(query) < len(reference)
    # each candidate is scored on the criteria that apply, and on no other
    candidates = query.split("counts AS (")[0]
    for c in match_sql._SCORED:
        assert (f"CAST(:w_{c.key} AS float8)" in candidates) == (c.key in chosen), c.key
    shipped = conn.execute(sa.text(query), params).all()
    asked = conn.execute(sa.text(reference), ref_params).all()
    assert shipped == asked, body
    assert shipped, "the sample answers each of these"


def test_one_text_per_set_of_applying_criteria() -> None:
    a, _ = match_sql.statement(parse_spec({"need": "plant", "gfa_m2_min": 1000}))
    b, _ = match_sql.statement(parse_spec({"need": "plant", "gfa_m2_min": 3000}))
    c, _ = match_sql.statement(parse_spec({"need": "plant", "gfa_m2_min": 1000, "power_kva": 9}))
    assert a == b  # the values are binds: one prepared statement serves both
    assert a != c


@pytest.mark.parametrize("body", BODIES, ids=[str(i) for i in range(len(BODIES))])
def test_the_explanation_of_the_applying_criteria_is_the_same(
    conn: sa.Connection, body: dict
) -> None:
    spec = parse_spec(body)
    query, params = match_sql.statement(spec, limit=50, nm_limit=50, margin=0.4)
    listed = [(r.site_id, r.building_id) for r in conn.execute(sa.text(query), params)]
    assert listed
    text, binds = match_sql.explanation(params, listed)
    assert text == match_sql.explanation_sql(match_sql.applying(params))
    shipped = conn.execute(sa.text(text), binds).all()
    asked = conn.execute(sa.text(match_sql.explanation_sql(None)), binds).all()
    assert shipped == asked, body
    assert len(text) < len(match_sql.explanation_sql(None))
