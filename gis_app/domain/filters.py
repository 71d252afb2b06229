"""The search filters of the site list that the field registry gives.

Each ``filterable`` field of :data:`gis_app.domain.fields.SITE` and ``BUILDING`` is one query
parameter of ``GET /api/sites`` and one flag of ``gis-app search``, its kind of comparison
taken from the field's type: names and vocabulary keys match any of the repeated values,
numbers are lower bounds, yes/no fields compare equal. The SQL is built in
:mod:`gis_app.db.site_queries`; filters that are not one comparison on one column (areas in
亩 or m², land-use codes with their descendants, boxes, radii, distances, prices, text) are
written there explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gis_app.domain import fields, vocab

#: unit suffixes of field names; a bound's parameter puts ``_min``/``_max`` before them
#: (``water_depth_m`` → ``water_depth_min_m``), other names end in it (``berth_dwt_min``)
_UNIT_SUFFIXES = ("_kg_m2", "_m2", "_m", "_t", "_kva", "_pct")


def bound_parameter(name: str, bound: str = "min") -> str:
    """The query parameter of a lower (``min``) or upper (``max``) bound on the numeric field
    ``name``."""
    for suffix in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return f"{name.removesuffix(suffix)}_{bound}{suffix}"
    return f"{name}_{bound}"


@dataclass(frozen=True)
class RegistryFilter:
    """A search filter taken from a ``filterable`` field of the registry.

    ``op`` says how the parameter compares: ``any`` (the column equals one of the repeated
    values: vocabulary keys or names of places), ``min`` (the column is at least the value),
    ``max`` (at most) or ``is`` (yes/no). A filter on a building field matches a site with one
    building meeting every building filter; one on the current-use composition
    (``site_current_use``) a site whose composition meets it (a site the survey does not reach
    has none, and is left out).
    """

    parameter: str
    field: fields.Field
    table: str
    op: str

    @property
    def python_type(self) -> Any:
        """The type of the parameter's value (``list[str]`` for repeatable parameters)."""
        if self.op == "any":
            return list[str]
        return {"is": bool, "min": float, "max": float}[self.op]

    @property
    def annotation(self) -> Any:
        """The type of the :class:`SiteFilter` attribute (None: not given)."""
        return self.python_type if self.op == "any" else self.python_type | None

    @property
    def help(self) -> str:
        """What the parameter means, with the field's labels."""
        label = f"{self.field.zh} / {self.field.en}"
        if self.op in ("min", "max"):
            sign = "≥" if self.op == "min" else "≤"
            unit = f" (in {self.field.unit})" if self.field.unit else ""
            return f"{label} {sign}{unit}"
        if self.op == "is":
            return f"{label}: true or false"
        if self.field.vocabulary is not None:
            return f"{label}, repeatable: {', '.join(self.field.vocabulary.keys)}"
        return f"{label}, repeatable"


#: filterable fields searched by explicit filters of :mod:`gis_app.db.site_queries` (their
#: parameters): land-use codes match their descendants and the other classification; areas
#: are ranges in 亩 or m²
EXPLICIT_FILTERS: dict[str, tuple[str, ...]] = {
    "planned_use": ("land_use",),
    "legacy_use": ("land_use",),
    "area_m2": ("area_m2_min", "area_m2_max"),
    "area_mu": ("area_mu_min", "area_mu_max"),
}


#: the tables whose registries give filters: the site's own columns, its buildings', and its
#: current-use composition
FILTERED_TABLES: dict[str, dict[str, fields.Field]] = {
    "site": fields.SITE,
    "building": fields.BUILDING,
    "site_current_use": fields.SITE_CURRENT_USE,
}


def _registry_filters() -> tuple[RegistryFilter, ...]:
    out = []
    for table, registry in FILTERED_TABLES.items():
        for name in fields.names(registry, filterable=True, exclude=EXPLICIT_FILTERS):
            f = registry[name]
            if f.type == "bool":
                out.append(RegistryFilter(name, f, table, "is"))
            elif f.type in ("float", "int"):
                bound = f.filter_bound
                out.append(RegistryFilter(bound_parameter(name, bound), f, table, bound))
            elif f.type == "text":
                out.append(RegistryFilter(name, f, table, "any"))
            else:
                raise TypeError(f"{table}.{name}: no search filter for a {f.type} field")
    return tuple(out)


#: the search filters derived from the registry, in its order (sites, then buildings)
REGISTRY_FILTERS: tuple[RegistryFilter, ...] = _registry_filters()


# --- every parameter of the site search, as a search form shows it ---------------------------

#: how a form asks for a parameter
CONTROLS = (
    *("choices", "names", "yes_no", "number", "text", "land_use", "point", "area", "view"),
    "district",
)


@dataclass(frozen=True)
class SearchParameter:
    """One query parameter of ``GET /api/sites`` as a search form (the officers' map) shows it.

    ``control`` is how the form asks for it: ``choices`` (tick any keys of ``vocabulary``),
    ``names`` (any of the place names found in the data), ``district`` (any of the
    deployment's districts, by name: the field references ``district``), ``yes_no``,
    ``number`` (in ``unit``), ``text``, ``land_use`` (a code with its hierarchy), ``point``
    (``lon,lat``), ``area`` (a drawn area), ``view`` (the map's window). ``section`` is the
    form's group it sits in.
    """

    name: str
    zh: str
    en: str
    control: str
    section: str
    unit: str | None = None
    vocabulary: vocab.Vocabulary | None = None


#: sections of the search form, in order (zh, en)
SEARCH_SECTIONS: dict[str, tuple[str, str]] = {
    "identity": ("基本条件", "Basics"),
    "size": ("面积与用途", "Size and land use"),
    "status": ("状态与价格", "Status and price"),
    "marine": ("岸线与交通", "Waterfront and access"),
    "building": ("厂房/楼宇条件", "Building specs"),
    "search_area": ("空间范围", "Search area"),
}

_P = SearchParameter
#: the parameters that are not a registry field's comparison (see ``EXPLICIT_FILTERS`` and
#: :mod:`gis_app.db.site_queries`), with their labels; the API's signature is checked against
#: them by the tests
EXPLICIT_PARAMETERS: tuple[SearchParameter, ...] = (
    _P("q", "名称/编号", "Name or code", "text", "identity"),
    _P("land_use", "规划用途（含下级）", "Planned land use (with sub-classes)", "land_use", "size"),
    _P("area_mu_min", "面积 ≥（亩）", "Area ≥ (mu)", "number", "size", "亩"),
    _P("area_mu_max", "面积 ≤（亩）", "Area ≤ (mu)", "number", "size", "亩"),
    _P("area_m2_min", "面积 ≥（㎡）", "Area ≥ (m²)", "number", "size", "m²"),
    _P("area_m2_max", "面积 ≤（㎡）", "Area ≤ (m²)", "number", "size", "m²"),
    _P("max_price_wan_per_mu", "出让底价 ≤（万元/亩）", "Price ≤ (10k CNY/mu)", "number",
       "status", "万元/亩"),
    _P("verified_within_days", "近 N 天内核实", "Verified within (days)", "number", "status",
       "天"),
    _P("max_km_port", "距港口 ≤（公里）", "To a port ≤ (km)", "number", "marine", "km"),
    _P("max_km_wharf", "距码头 ≤（公里）", "To a wharf ≤ (km)", "number", "marine", "km"),
    _P("max_km_ferry", "距客运码头 ≤（公里）", "To a ferry terminal ≤ (km)", "number",
       "marine", "km"),
    _P("max_km_expressway", "距高速互通 ≤（公里）", "To an expressway interchange ≤ (km)",
       "number", "marine", "km"),
    _P("max_rent_yuan_m2_month", "租金 ≤（元/㎡·月）", "Rent ≤ (CNY/m²/month)", "number",
       "building", "元/㎡·月"),
    _P("near", "圆心（经度,纬度）", "Centre (lon,lat)", "point", "search_area"),
    _P("radius_km", "半径（公里）", "Radius (km)", "number", "search_area", "km"),
    _P("intersects", "绘制范围", "Drawn area", "area", "search_area"),
    _P("buffer_km", "缓冲距离（公里）", "Buffer (km)", "number", "search_area", "km"),
    _P("bbox", "地图视野", "Map window", "view", "search_area"),
)  # fmt: skip


#: the search form's section of a filter on a table whose fields have no sheet group of one
_TABLE_SECTION = {"building": "building", "site_current_use": "size"}


def _registry_parameter(flt: RegistryFilter) -> SearchParameter:
    f = flt.field
    zh, en = f.zh or flt.parameter, f.en or flt.parameter
    if flt.op in ("min", "max"):
        sign = "≥" if flt.op == "min" else "≤"
        zh, en = f"{zh} {sign}", f"{en} {sign}"
    control = {"is": "yes_no", "min": "number", "max": "number"}.get(flt.op) or (
        "choices" if f.vocabulary is not None else f.references or "names"
    )
    section = f.group if f.group in SEARCH_SECTIONS else _TABLE_SECTION.get(flt.table, "identity")
    return SearchParameter(flt.parameter, zh, en, control, section, f.unit, f.vocabulary)


def _search_parameters() -> tuple[SearchParameter, ...]:
    params = [_registry_parameter(f) for f in REGISTRY_FILTERS] + list(EXPLICIT_PARAMETERS)
    order = list(SEARCH_SECTIONS)
    bad = [p.name for p in params if p.control not in CONTROLS or p.section not in order]
    if bad:
        raise ValueError(f"search parameters without a known control or section: {bad}")
    return tuple(sorted(params, key=lambda p: order.index(p.section)))


#: every query parameter of the site search, by form section (registry order within one)
SEARCH_PARAMETERS: tuple[SearchParameter, ...] = _search_parameters()
