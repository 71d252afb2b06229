"""A file's repeated text cells are coerced once (``check_values(coerced=…)``), with the same
values and the same refusals, each naming its own row."""

from __future__ import annotations

from gis_app.domain.error_vocab import Problem
from gis_app.io.fields import SITE_FIELDS
from gis_app.io.inventory_loader import Coerced, check_values


def _check(props: dict, where: str, coerced: Coerced | None) -> tuple[dict, list[Problem]]:
    problems: list[Problem] = []
    out = check_values(SITE_FIELDS, props, where, problems, only_given=True, coerced=coerced)
    return out, problems


def test_repeated_cells_give_what_each_would_alone() -> None:
    rows = [
        {"availability": "可招商", "utilities": "road,water", "name_zh": " 白莲3号 "},
        {"availability": "可招商", "utilities": "road,water", "name_zh": " 白莲3号 "},
        {"availability": "未知状态", "far_max": "2.0", "name_zh": "x"},
        {"availability": "未知状态", "far_max": "2.0", "name_zh": "x"},
    ]
    coerced: Coerced = {}
    for i, row in enumerate(rows):
        alone = _check(row, f"row {i + 1}", None)
        remembered = _check(row, f"row {i + 1}", coerced)
        assert remembered[0] == alone[0]
        assert remembered[1] == alone[1]
    assert coerced[("availability", "可招商")] == (True, "available")
    # the refusal of a repeated bad cell names each row
    third = _check(rows[2], "row 3", coerced)[1]
    fourth = _check(rows[3], "row 4", coerced)[1]
    assert third and [p.code for p in third] == [p.code for p in fourth]
    assert third[0].detail.startswith("row 3: field availability")
    assert fourth[0].detail.startswith("row 4: field availability")
    assert third[0].params is not fourth[0].params


def test_a_list_is_never_shared_between_rows() -> None:
    coerced: Coerced = {}
    first, _ = _check({"utilities": "road,water"}, "row 1", coerced)
    second, _ = _check({"utilities": "road,water"}, "row 2", coerced)
    assert first["utilities"] == second["utilities"] == ["road", "water"]
    assert first["utilities"] is not second["utilities"]
