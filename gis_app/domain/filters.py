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

from gis_app.domain import fields

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
