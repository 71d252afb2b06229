"""The field registry agrees with the SQLAlchemy tables, and its derived names are sound."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gis_app.db.models import (
    Building,
    ConstraintZone,
    CurrentUseParcel,
    Requirement,
    Site,
    SiteCurrentUse,
)
from gis_app.domain import fields, filters, public_schema
from gis_app.domain.fields import Field

# registry type → SQLAlchemy column types it may be stored in
_TYPES: dict[str, tuple[type, ...]] = {
    "text": (sa.Text,),
    "landuse": (sa.Text,),
    "float": (sa.Float,),
    "int": (sa.Integer,),  # SmallInteger and BigInteger are Integers
    "bool": (sa.Boolean,),
    "date": (sa.Date,),
    "datetime": (sa.DateTime,),
    "text_list": (sa.ARRAY,),
}

_TABLES = [
    pytest.param(Site.__table__, fields.SITE, fields.SITE_UNDECLARED, id="site"),
    pytest.param(Building.__table__, fields.BUILDING, fields.BUILDING_UNDECLARED, id="building"),
    pytest.param(ConstraintZone.__table__, fields.ZONE, fields.ZONE_UNDECLARED, id="zone"),
    pytest.param(
        Requirement.__table__, fields.REQUIREMENT, fields.REQUIREMENT_UNDECLARED, id="requirement"
    ),
    pytest.param(
        CurrentUseParcel.__table__,
        fields.CURRENT_USE,
        fields.CURRENT_USE_UNDECLARED,
        id="current_use",
    ),
    pytest.param(
        SiteCurrentUse.__table__,
        fields.SITE_CURRENT_USE,
        fields.SITE_CURRENT_USE_UNDECLARED,
        id="site_current_use",
    ),
]
_REGISTRIES = [fields.SITE, fields.BUILDING, fields.ZONE, fields.REQUIREMENT]
_NAMES = ["site", "building", "zone", "requirement"]


@pytest.mark.parametrize(("table", "registry", "undeclared"), _TABLES)
def test_every_column_is_declared_or_listed_as_undeclared(
    table: sa.Table, registry: dict[str, Field], undeclared: frozenset[str]
) -> None:
    columns = set(table.columns.keys())
    stored = {n for n, f in registry.items() if f.stored}
    assert columns - undeclared - stored == set(), "columns missing from the registry"
    assert stored - columns == set(), "registry fields with no column (stored=False if meant)"
    assert undeclared <= columns, "…_UNDECLARED names a column that is gone"
    assert not (undeclared & set(registry)), "a column both declared and listed as undeclared"


@pytest.mark.parametrize(("table", "registry", "undeclared"), _TABLES)
def test_declared_types_match_the_columns(
    table: sa.Table, registry: dict[str, Field], undeclared: frozenset[str]
) -> None:
    for name, f in registry.items():
        if not f.stored:
            continue
        col = table.columns[name]
        assert isinstance(col.type, _TYPES[f.type]), f"{name}: {f.type} vs {col.type!r}"
        if f.type == "text_list":
            assert isinstance(col.type.item_type, sa.Text), name
        if f.required:
            assert not col.nullable, f"{name} is required but the column is nullable"
        if col.computed is not None or name in ("id", "version", "created_at", "updated_at"):
            assert f.managed and not f.editable, f"{name} is kept by the database"


@pytest.mark.parametrize("registry", _REGISTRIES, ids=_NAMES)
def test_registry_entries_are_consistent(registry: dict[str, Field]) -> None:
    for name, f in registry.items():
        assert f.name == name
        assert f.zh and f.en, f"{name} has no label"
        if f.public:
            assert f.group != "internal", f"{name} is internal and public"
        if f.group == "internal":
            assert not f.exported, f"{name} is internal and exported"
        if f.sheet_before is not None:
            assert registry[f.sheet_before].group is not None, name
        if f.shp_label is not None:
            assert f.shp is not None
            assert f.vocabulary is not None or f.landuse_system is not None, name
        if f.managed:
            assert not f.editable and not f.aliases, name
    shp = [n for f in registry.values() for n in (f.shp, f.shp_label) if n is not None]
    assert len(shp) == len(set(x.lower() for x in shp)), "Shapefile names collide"
    assert all(len(n) <= 10 for n in shp), "a Shapefile name is longer than 10 characters"
    aliases = [a for f in registry.values() for a in f.aliases]
    assert len(aliases) == len(set(aliases)), "an import alias names two fields"
    assert all(a == a.lower() and a not in registry for a in aliases)


def test_new_fields_stay_internal_by_default() -> None:
    f = Field("text", zh="新字段", en="New field")
    assert not f.public and not f.exported and f.editable and not f.managed


def test_sheet_order_moves_only_fields_with_sheet_before() -> None:
    order = fields.sheet_order(fields.SITE)
    assert order[:6] == ("code", "kind", "block", "township", "platform", "address")
    assert order.index("area_mu") == order.index("area_m2") - 1
    assert order.index("geom_quality") == order.index("planned_use") - 1
    assert order.index("description_en") == order.index("source_doc") - 1


def test_every_filterable_field_is_a_search_filter() -> None:
    derived = {(f.table, f.field.name) for f in filters.REGISTRY_FILTERS}
    for table, registry in filters.FILTERED_TABLES.items():
        for name in fields.names(registry, filterable=True):
            assert (table, name) in derived or name in filters.EXPLICIT_FILTERS, name
    params = [f.parameter for f in filters.REGISTRY_FILTERS]
    assert len(params) == len(set(params)), "two filters share a query parameter"
    # the parameters of GET /api/sites as they were written by hand before the registry
    assert {"kind", "block", "availability", "water_depth_min_m", "berth_dwt_min"} <= set(params)
    assert {"vacant_gfa_min_m2", "floor_load_min_kg_m2", "crane_min_t", "power_min_kva"} <= set(
        params
    )


def test_the_investor_record_is_derived_from_the_public_fields() -> None:
    public = set(fields.names(fields.SITE, public=True))
    assert public >= public_schema.COMPOSED_SITE_FIELDS
    assert set(public_schema.PUBLIC_SITE_FIELDS) == public - public_schema.COMPOSED_SITE_FIELDS
    assert set(public_schema.PUBLIC_SITE_FIELDS) <= set(public_schema.PublicSite.model_fields)
    internal = set(fields.SITE) - public
    assert not internal & set(public_schema.PublicSite.model_fields)
    building = set(fields.names(fields.BUILDING, public=True))
    assert set(public_schema.PublicBuilding.model_fields) == building


def test_requirement_form_sections_are_registry_groups() -> None:
    groups = {g.key for g in fields.REQUIREMENT_GROUPS}
    assert {f.group for f in fields.REQUIREMENT.values()} - {None} == groups
    assert not any(f.public for f in fields.REQUIREMENT.values()), "requirements are internal"


def test_the_requirement_body_and_the_registry_name_the_same_fields() -> None:
    """What a client may send for a requirement (RequirementSpec) is the registry's requirement
    fields less those the server keeps; the server-kept set is derived from the registry."""
    from gis_app.matching.spec import RequirementSpec
    from gis_app.services.requirements import SERVER_FIELDS

    body = set(RequirementSpec.model_fields)
    declared = set(fields.REQUIREMENT) | fields.REQUIREMENT_UNDECLARED
    assert body | SERVER_FIELDS == declared
    assert not body & SERVER_FIELDS
    assert {
        "id",
        "created_by",
        "created_at",
        "updated_at",
        "version",
        "status_changed_at",
        "land_use_2023_codes",
        "land_use_gb_codes",
        "district_code",
    } == SERVER_FIELDS


def test_the_requirement_body_takes_its_types_bounds_and_defaults_from_the_registry() -> None:
    """RequirementSpec is derived: each bound, length and default is the registry's."""
    from gis_app.matching.spec import RequirementSpec

    props = RequirementSpec.model_json_schema()["properties"]
    checked = 0
    for name, f in fields.REQUIREMENT.items():
        if f.managed:
            assert name not in props
            continue
        p = props[name]
        typed = next((t for t in p.get("anyOf", [p]) if t.get("type") != "null"), p)
        if f.type in ("float", "int"):
            assert (typed.get("minimum"), typed.get("maximum")) == (f.min, f.max), name
            checked += 1
        if f.type == "text_list":
            assert typed.get("maxItems") == f.length and typed.get("minItems") == f.min, name
            assert typed["items"].get("maxLength") == f.item_length, name
            checked += 1
        default = list(f.default) if isinstance(f.default, tuple) else f.default
        assert p.get("default") == default or name == "need", name
    assert checked > 20
    assert RequirementSpec.model_json_schema()["required"] == ["need"]
