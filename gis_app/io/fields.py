"""Field specifications of the inventory layers for file import and edits.

Sites, buildings and constraint zones are declared in the field registry
(:mod:`gis_app.domain.fields`, which also holds :class:`Field` and its coercion); their checked
fields are taken from it here, beside those of the other layers (infrastructure,
jurisdiction). The loader checks every record against them and names the record and field in
every problem it reports.
"""

from __future__ import annotations

from typing import Any

from gis_app.domain import fields, vocab
from gis_app.domain.fields import Field, FieldError
from gis_app.domain.vocab import Vocabulary

__all__ = [
    "BUILDING_FIELDS",
    "CURRENT_USE_FIELDS",
    "INFRA_FIELDS",
    "JURISDICTION_FIELDS",
    "SITE_FIELDS",
    "ZONE_FIELDS",
    "Field",
    "FieldError",
]


def _f(type_: str, **kw: Any) -> Field:
    return Field(type_, **kw)


def _voc(v: Vocabulary, required: bool = False) -> Field:
    return Field("text", required=required, vocabulary=v)


#: the checked fields of a site, a building and a constraint zone, from the registry in
#: :mod:`gis_app.domain.fields`
SITE_FIELDS: dict[str, Field] = fields.checked(fields.SITE)
BUILDING_FIELDS: dict[str, Field] = fields.checked(fields.BUILDING)
ZONE_FIELDS: dict[str, Field] = fields.checked(fields.ZONE)
CURRENT_USE_FIELDS: dict[str, Field] = fields.checked(fields.CURRENT_USE)

INFRA_FIELDS: dict[str, Field] = {
    "code": _f("text", required=True),
    "kind": _voc(vocab.INFRA_KIND, required=True),
    "name_zh": _f("text", required=True),
    "name_en": _f("text"),
    "berth_dwt": _f("int", min=0),
}

#: a row of ``district`` (the file keeps its historical name, ``jurisdiction.geojson``): a
#: district with its outline, or a city / province above districts (no outline needed);
#: ``level`` defaults to district, ``illustrative`` to false
JURISDICTION_FIELDS: dict[str, Field] = {
    "code": _f("text", required=True),
    "name_zh": _f("text", required=True),
    "name_en": _f("text"),
    "default_epsg": _f("int", required=True),
    "level": _voc(vocab.DISTRICT_LEVEL),
    "parent_code": _f("text"),
    "illustrative": _f("bool"),
    "note": _f("text"),
}
