"""ImportOptions: one parser of what the CLI flags and the API form ask an import to do."""

from __future__ import annotations

import pytest

from gis_app.domain.errors import InvalidInput
from gis_app.io.imports import ImportOptions


def test_cli_flags_and_form_fields_give_the_same_options() -> None:
    cli = ImportOptions.parse(
        layer="sites",
        crs="epsg:4550",
        mapping=["DKBH=code", "备注=", "YDXZ=_landuse"],
        encoding="GBK",
        area_unit="mu",
        dry_run=True,
        note="复核",
    )
    form = ImportOptions.parse(
        layer="sites",
        crs="EPSG:4550",
        mapping='{"DKBH": "code", "备注": "", "YDXZ": "_landuse"}',
        encoding="GBK",
        area_unit="mu",
        dry_run=True,
        note="复核",
        doc_ref="",
    )
    assert cli.mapping == form.mapping == {"DKBH": "code", "备注": "", "YDXZ": "_landuse"}
    assert cli.declared_crs == form.declared_crs and cli.declared_crs.epsg == 4550
    assert (cli.layer, cli.area_unit, cli.dry_run, cli.note, cli.doc_ref) == (
        form.layer,
        form.area_unit,
        form.dry_run,
        form.note,
        form.doc_ref,
    )


def test_blank_fields_are_not_given() -> None:
    opts = ImportOptions.parse(
        layer="", crs=" ", mapping="", encoding="", area_unit="", note="", doc_ref=""
    )
    assert opts == ImportOptions()
    assert opts.declared_crs is None and opts.import_layer.table == "site"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "layer",
            "parcels",
            "unknown layer 'parcels'; choose sites, constraint_zones, buildings, current_use",
        ),
        ("area_unit", "acre", "area unit must be m2, mu or ha, not 'acre'"),
        ("crs", "EPSG:99999", "unknown CRS EPSG:99999"),
        ("crs", "wgs", "unknown CRS 'wgs'"),
        ("encoding", "klingon", "unknown encoding 'klingon'"),
        ("mapping", "[1, 2]", "mapping must be a JSON object {column: field}"),
        ("mapping", '{"DKBH": 1}', "mapping must be a JSON object {column: field}"),
        ("mapping", "{DKBH: code", "mapping must be a JSON object {column: field}"),
        ("mapping", ["DKBH"], "mapping item 'DKBH' must be COLUMN=FIELD"),
    ],
)
def test_a_bad_option_is_refused_with_its_name(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidInput, match="^" + message.replace("[", r"\[").replace("{", r"\{")):
        ImportOptions.parse(**{field: value})


def test_options_are_checked_when_made_directly_too() -> None:
    with pytest.raises(InvalidInput, match="unknown layer"):
        ImportOptions(layer="parcels")
    assert ImportOptions(encoding="cp936").encoding == "cp936"  # GDAL's name for GBK
