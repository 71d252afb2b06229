"""The registry's coercion reads values as planners type them (issue 23): Chinese labels of
vocabularies and land-use classes, codes whose leading zeros a spreadsheet dropped, dates in
the usual Chinese forms and spreadsheet serials; and refuses NUL in text, one rule for all."""

from __future__ import annotations

import datetime as dt

import pytest

from gis_app.domain.fields import BUILDING, SITE, FieldError, restore_leading_zeros


@pytest.mark.parametrize(
    ("field", "typed", "stored"),
    [
        ("availability", "可招商", "available"),
        ("availability", "available", "available"),
        ("availability", "Available", "available"),
        ("kind", "土地", "land"),
        ("planned_use", "一类工业用地", "100101"),
        ("planned_use", "100101 一类工业用地", "100101"),
        ("legacy_use", "一类工业用地", "M1"),
        ("legacy_use", "m1", "M1"),
        ("current_use", 601, "0601"),
        ("current_use", "601", "0601"),
        ("utilities", "通路、通水，power", ["road", "water", "power"]),
        ("verified_at", "2026-08-21", dt.date(2026, 8, 21)),
        ("verified_at", "2026/8/21", dt.date(2026, 8, 21)),
        ("verified_at", "2026/08/21 00:00:00", dt.date(2026, 8, 21)),
        ("verified_at", "2026年8月21日", dt.date(2026, 8, 21)),
        ("verified_at", 46255, dt.date(2026, 8, 21)),
        ("verified_at", "46255", dt.date(2026, 8, 21)),
    ],
)
def test_values_as_typed(field: str, typed, stored) -> None:
    assert SITE[field].coerce(typed) == stored


def test_building_vocabularies_read_labels_too() -> None:
    assert BUILDING["building_type"].coerce("标准厂房") == "standard_plant"


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("availability", "在售", "allowed: available 可招商"),
        ("legacy_use", "住宅用地", "R11, R21, R31"),
        ("planned_use", "100101 二类工业用地", "100101 is 一类工业用地"),
        ("verified_at", "2026/2/30", "no such date"),
        ("verified_at", 5, "expected a date"),
        ("name_zh", "a\x00b", "NUL"),
        ("utilities", ["road", "x\x00"], "NUL"),
    ],
)
def test_refused_with_the_reason(field: str, typed, message: str) -> None:
    with pytest.raises(FieldError, match=message):
        SITE[field].coerce(typed)


def test_leading_zeros_restored_only_when_one_code_fits() -> None:
    assert restore_leading_zeros("902", ["0902", "0903"]) == "0902"
    assert restore_leading_zeros("902", ["1902"]) is None
    assert restore_leading_zeros("A1", ["0A1"]) is None
    with pytest.raises(FieldError, match="could be any of 0012, 012"):
        restore_leading_zeros("12", ["012", "0012", "120"])


def test_a_declared_length_is_checked_by_coercion_itself() -> None:
    from gis_app.domain.fields import Field

    f = Field("text", name="title", length=5)
    assert f.coerce("五个字正好") == "五个字正好"
    with pytest.raises(FieldError) as info:
        f.coerce("六个字太长了")
    assert info.value.code == "too_long" and info.value.params == {"max_length": 5}
