"""The criteria registry: every criterion has its SQL, its formatter and its public wording, and
what is derived from the registry (vocabulary, weights, public schema, statements) agrees."""

from __future__ import annotations

import re

import pytest

from gis_app.domain import match_criteria as R
from gis_app.domain import public_schema, vocab
from gis_app.matching import explain
from gis_app.matching import sql as match_sql
from gis_app.matching.spec import RequirementSpec, parse_spec

SOURCES = {
    "site": R.SITE,
    "match_unit": match_sql.UNIT,
    "listed": match_sql.LISTED,
    "binds": match_sql.BINDS,
}
SPECS = [
    parse_spec(
        {
            "need": "land",
            "land_use_codes": ["100102"],
            "land_mu_min": 50,
            "land_mu_max": 80,
            "max_km_port": 10,
            "port_berth_dwt_min": 10000,
            "max_price_wan_per_mu": 60,
            "readiness_min": "cleared",
            "invest_total_wan": 30000,
            "power_kva": 5000,
            "gfa_m2_min": 20000,
            "height_min_m": 24,
            "preferred_townships": ["沈家门街道"],
        }
    ),
    parse_spec(
        {
            "need": "plant",
            "tenure": "lease",
            "gfa_m2_min": 3000,
            "gfa_m2_max": 5000,
            "height_min_m": 8,
            "floor_load_min_kg_m2": 1500,
            "crane_min_t": 10,
            "power_kva": 800,
            "max_rent_yuan_m2_month": 30,
            "max_km_expressway": 15,
            "max_km_ferry": 20,
        }
    ),
    parse_spec({"need": "shoreline", "shoreline_min_m": 200, "berth_dwt_min": 5000}),
]


@pytest.mark.parametrize("c", R.CRITERIA, ids=lambda c: c.key)
def test_every_criterion_has_sql_formatter_and_public_wording(c: R.Criterion) -> None:
    # labels
    assert c.zh and c.en and c.zh != c.en
    # SQL: renders on every source, reading only requirement columns of the constant row
    for q in SOURCES.values():
        assert c.applies(q) and c.value(q)
        if c.hard:
            assert c.test is not None and c.test(q, "0")
            # only a constraint with a shortfall takes the margin (and makes near misses)
            assert (c.test(q, ":margin") != c.test(q, "0")) == c.has_margin
            if c.shortfall is not None:
                assert c.shortfall(q)
        else:
            assert c.weight > 0
            assert c.score is not None or c.key == "price"
            if c.score is not None:
                assert c.score(q)
    # the criterion applies on the requirement alone
    assert not re.search(r"\b[bs]\.", c.applies(match_sql.BINDS))
    # formatter: words every requirement and a missing site value in both languages
    assert isinstance(c.explain, R.Formatter)
    for spec in SPECS:
        zh, en = c.explain.req(spec)
        assert isinstance(zh, str) and isinstance(en, str)
        c.explain.req_value(spec)
    # public wording: shown with a kind the public schema formats, or hidden for a reason
    assert isinstance(c.public, R.Public)
    if c.public.shown:
        assert (
            c.public.kind
            in {
                R.NUM,
                R.METRES,
                R.LAND_USE,
                R.LOCATION,
                R.UTILITIES,
            }
            or c.public.kind.removeprefix("vocab:") in vocab.VOCABULARIES
        )
        assert c.public.site or c.public.required
    else:
        assert c.public.reason and not (c.public.site or c.public.required)


def test_a_criterion_cannot_be_declared_without_formatter_or_public_wording() -> None:
    with pytest.raises(TypeError):
        R.Criterion(  # type: ignore[call-arg]
            "new",
            "新",
            "New",
            hard=True,
            applies=lambda q: "true",
            value=lambda q: "NULL",
            test=lambda q, m: "true",
            explain=R.BY_KEY["kind"].explain,
        )
    with pytest.raises(ValueError, match="says why"):
        R.Public(R.NONE)


def test_vocabulary_weights_and_spec_derive_from_the_registry() -> None:
    keys = tuple(c.key for c in R.CRITERIA)
    assert vocab.MATCH_CRITERION is R.MATCH_CRITERION
    assert vocab.MATCH_CRITERION.keys == keys
    for c in R.CRITERIA:
        t = vocab.MATCH_CRITERION.term(c.key)
        assert (t.zh, t.en) == (c.zh, c.en)
    assert set(R.DEFAULT_WEIGHTS) == {c.key for c in R.SOFT}
    assert RequirementSpec(need="land").effective_weights() == R.DEFAULT_WEIGHTS
    # every criterion is explained: by the explanation query, or (price) by the match row
    assert set(match_sql.EXPLAINED_HARD) == {c.key for c in R.HARD}
    assert set(match_sql.EXPLAINED_SOFT) | {"price"} == {c.key for c in R.SOFT}
    assert set(explain.FORMATTERS) == set(keys)


@pytest.mark.parametrize("c", R.CRITERIA, ids=lambda c: c.key)
def test_the_public_schema_agrees_with_the_registry(c: R.Criterion) -> None:
    raw = {"criterion": c.key, "hard": c.hard, "passed": True, "site_value": 1, "required": 2}
    item = public_schema.public_explanation_item(raw)
    if not c.public.shown:
        assert item is None
        assert public_schema.stored_explanation_item(raw) is None
        return
    assert item is not None
    assert (item.label.key, item.label.zh, item.label.en) == (c.key, c.zh, c.en)
    stored = public_schema.stored_explanation_item(raw) or {}
    if not c.public.required:  # budget-like figures never reach an investor
        assert item.required is None and "required" not in stored
    if not c.public.site:
        assert item.site_value is None and "site_value" not in stored


def test_an_unknown_criterion_is_not_shown_to_investors() -> None:
    assert public_schema.public_explanation_item({"criterion": "nope", "passed": True}) is None


def test_the_match_query_reads_each_criterion_from_the_match_unit_only() -> None:
    q = match_sql.UNIT
    for c in R.HARD + R.SOFT:
        parts = [c.applies(q)]
        if c.test is not None:
            parts.append(c.test(q, ":margin"))
        if c.shortfall is not None:
            parts.append(c.shortfall(q))
        if c.score is not None:
            parts.append(c.score(q))
        if c.key == "price":
            parts.append(c.value(q))
        for part in parts:
            assert not re.search(r"\bb\.|site_distance|site_constraint_overlap", part), (
                c.key,
                part,
            )


def test_an_unknown_requirement_column_is_refused_when_rendered() -> None:
    with pytest.raises(KeyError, match="REQ_COLUMNS"):
        _ = R.REQUIREMENT_ROW.not_a_column
    with pytest.raises(KeyError, match="REQ_COLUMNS"):
        _ = R.REQUIREMENT_BINDS.not_a_column
