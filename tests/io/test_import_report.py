"""The import report's per-row values: read as the dicts they were, kept compactly (a large
import holds one per new row until the report is done)."""

from __future__ import annotations

import json

import pytest

from gis_app.io.imports.report import ImportReport, RowReport, RowValues, report_json


def test_row_values_read_as_the_dict_they_keep() -> None:
    names: dict[tuple[str, ...], tuple[str, ...]] = {}
    given = {"code": "PT-001", "name_zh": "塘头地块1号", "area_mu": 12.5, "township": None}
    v = RowValues.shared(given, names)
    assert v == given and given == v and dict(v) == given
    assert list(v) == list(given) and list(v.items()) == list(given.items())
    assert v["name_zh"] == "塘头地块1号" and v.get("far_max") is None and "area_mu" in v
    with pytest.raises(KeyError):
        v["far_max"]
    assert v != {**given, "area_mu": 13.0} and repr(v) == repr(given)
    assert RowValues() == {} and len(RowValues()) == 0


def test_rows_giving_the_same_fields_share_their_names() -> None:
    names: dict[tuple[str, ...], tuple[str, ...]] = {}
    a = RowValues.shared({"code": "A", "kind": "land"}, names)
    b = RowValues.shared({"code": "B", "kind": "plant"}, names)
    c = RowValues.shared({"code": "C", "availability": "available"}, names)
    assert a._keys is b._keys and a._keys is not c._keys
    assert len(names) == 2


def test_the_report_gives_each_rows_values_as_json() -> None:
    report = ImportReport("塘头.gpkg", "sites")
    rep = RowReport(2, "PT-002", status="insert")
    rep.values = RowValues.shared({"code": "PT-002", "name_zh": "城北<b>地块</b>"}, {})
    report.rows.append(rep)
    body = json.loads(report_json(report))
    assert body["rows"][0]["values"] == {"code": "PT-002", "name_zh": "城北<b>地块</b>"}
    assert (
        "name_zh=城北<b>地块</b>" in ImportReport("x", "sites", dry_run=True, rows=[rep]).summary()
    )
    assert not hasattr(rep, "__dict__")  # slots: no dict per row either
