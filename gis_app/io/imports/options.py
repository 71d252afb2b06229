"""What an import is asked to do: the layer, how to read the file, and the limits it runs under.

:class:`ImportOptions` is the one description of an import request. The command line
(``gis-app import`` flags) and the API (``POST /api/imports`` form fields) both build it with
:meth:`ImportOptions.parse` from the text the user typed, so each option is parsed and checked
in one place and a bad value gets the same message from both.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gis_app.domain import fields
from gis_app.domain.errors import InvalidInput
from gis_app.domain.vocab import Term
from gis_app.io import geometry_checks
from gis_app.io.fields import (
    BUILDING_FIELDS,
    CURRENT_USE_FIELDS,
    SITE_FIELDS,
    ZONE_FIELDS,
    Field,
    FieldError,
)

#: progress callback: phase ("reading", "checking", "staging" …), rows done, rows in all
Progress = Callable[[str, int, int], None]


def quiet(phase: str, done: int, total: int) -> None:
    """A progress callback that reports nothing."""


@dataclass(frozen=True)
class ImportLayer:
    """A layer that files can be imported into."""

    name: str
    table: str
    #: the fields an import checks and writes
    fields: dict[str, Field]
    must_cover: bool  # inside the jurisdiction (sites) or only touching it (zones, 三调)
    #: every field of the layer in the registry, those the database keeps included (their
    #: columns are recognised, then ignored as derived)
    registry: dict[str, Field]
    #: what one row is, for messages ("a new site needs …"), in both languages
    noun: Term
    #: rows carry an outline (buildings do not: they belong to a site)
    geometry: bool = True
    #: a field naming the site a row belongs to by code, and the column it fills with the
    #: site's id (a building's ``site_code`` → ``site_id``)
    site_reference: tuple[str, str] | None = None


LAYERS: dict[str, ImportLayer] = {
    "sites": ImportLayer(
        "sites", "site", SITE_FIELDS, True, fields.SITE, Term("site", "地块", "site")
    ),
    "constraint_zones": ImportLayer(
        "constraint_zones",
        "constraint_zone",
        ZONE_FIELDS,
        False,
        fields.ZONE,
        Term("constraint_zone", "管控区", "constraint zone"),
    ),
    # buildings (plants, offices …) of existing sites: no geometry, a site code per row
    "buildings": ImportLayer(
        "buildings",
        "building",
        BUILDING_FIELDS,
        False,
        fields.BUILDING,
        Term("building", "楼宇", "building"),
        geometry=False,
        site_reference=("site_code", "site_id"),
    ),
    # a 三调 DLTB layer covers the county: parcels need only touch the jurisdiction
    "current_use": ImportLayer(
        "current_use",
        "current_use_parcel",
        CURRENT_USE_FIELDS,
        False,
        fields.CURRENT_USE,
        Term("current_use", "现状地类图斑", "current-use parcel"),
    ),
}

#: units of a declared-area column (YDMJ/DKMJ 用地面积)
AREA_UNITS = ("m2", "mu", "ha")

_CODECS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "gbk": "gbk",
    "cp936": "gbk",
    "936": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
    "big5": "big5",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "88591": "latin-1",
}


def python_codec(name: str) -> str:
    """The Python codec for an encoding name as GIS files and users write it (CP936 → gbk)."""
    key = name.strip().lower().replace("_", "-")
    return _CODECS.get(key, _CODECS.get(key.replace("-", ""), key))


_MAPPING_SHAPE = "mapping must be a JSON object {column: field}"


def _shape_refusal(detail: str, code: str, name: str, value: Any) -> InvalidInput:
    """The refusal of a mapping or of values (option ``name``) not written as they must be."""
    return InvalidInput(detail, code=code, field=name, params={"value": str(value)[:60]})


def parse_mapping(value: str | Sequence[str] | Mapping[str, Any] | None) -> dict[str, str]:
    """Column → field from a JSON object (text or parsed) or ``COLUMN=FIELD`` items.

    An empty field (``COLUMN=`` or ``"COLUMN": ""``) or ``-`` ignores the column.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise _shape_refusal(_MAPPING_SHAPE, "bad_mapping", "mapping", value) from None
        if not isinstance(value, dict):
            raise _shape_refusal(_MAPPING_SHAPE, "bad_mapping", "mapping", value)
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise _shape_refusal(_MAPPING_SHAPE, "bad_mapping", "mapping", value)
        return dict(value)
    out: dict[str, str] = {}
    for item in value:
        src, sep, dst = str(item).partition("=")
        if not sep or not src:
            raise _shape_refusal(
                f"mapping item {item!r} must be COLUMN=FIELD", "bad_mapping", "mapping", item
            )
        out[src] = dst
    return out


_VALUES_SHAPE = "values must be a JSON object {field: value} or FIELD=VALUE lines"


def parse_values(value: str | Sequence[str] | Mapping[str, Any] | None) -> dict[str, Any]:
    """Field → value for every row, from a JSON object (text or parsed) or ``FIELD=VALUE``
    items (the CLI's repeated ``--set``; the API form's lines). Not yet checked."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise _shape_refusal(_VALUES_SHAPE, "bad_set_value", "set", text) from None
        else:
            value = [line for line in text.splitlines() if line.strip()]
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise _shape_refusal(_VALUES_SHAPE, "bad_set_value", "set", value)
        return dict(value)
    out: dict[str, Any] = {}
    for item in value:
        name, sep, given = str(item).partition("=")
        if not sep or not name.strip():
            raise _shape_refusal(
                f"value {item!r} must be FIELD=VALUE (e.g. kind=land)", "bad_set_value", "set", item
            )
        out[name.strip()] = given.strip()
    return out


def _checked_values(layer: ImportLayer, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` with each field found (by name or Chinese label) and its value coerced."""
    headers = fields.column_names({k: v for k, v in layer.fields.items() if v.editable})
    out: dict[str, Any] = {}
    for name, value in given.items():
        hit = headers.get(name.strip().lower())
        if hit is None:
            raise InvalidInput(
                f"--set {name}: no such field of {layer.name} that an import may set",
                code="unknown_field",
                field=name[:60],
            )
        if hit[0] == "code":
            raise InvalidInput(
                "--set code: every row needs its own code", code="set_code_not_allowed", field="set"
            )
        try:
            out[hit[0]] = layer.fields[hit[0]].coerce(value)
        except FieldError as e:
            raise InvalidInput(
                f"--set {name}={value}: {e}", code=e.code, field=hit[0], params=e.params
            ) from None
    return out


def _text(value: str | None) -> str | None:
    """Optional text: blank (an empty form field) is not given."""
    return value if value is not None and value.strip() else None


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file and apply it; every field is checked when the object is made.

    ``crs`` is the CRS of the coordinates when the file declares none (or to override a WGS84
    label with ``gcj02``); ``mapping`` maps file columns to fields; ``encoding`` is the text
    encoding when the file does not declare one; ``area_unit`` is the unit of YDMJ/DKMJ
    columns; ``repair`` makes invalid polygons valid; ``dry_run`` checks and reports only;
    ``note`` and ``doc_ref`` go into the history (a backward status move needs the note);
    ``values`` fill a field in every row that leaves it blank (``--set kind=land``).
    """

    layer: str = "sites"
    crs: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    encoding: str | None = None
    area_unit: str = "m2"
    repair: bool = False
    dry_run: bool = False
    note: str | None = None
    doc_ref: str | None = None
    #: field → value for every row that leaves the field blank or lacks it (``--set``), checked
    values: Mapping[str, Any] = field(default_factory=dict)
    #: the report keeps what every row writes (the CLI's ``--report``); otherwise a large
    #: file's report keeps it for the rows it lists (:data:`~gis_app.io.imports.report.REPORT_ROWS`)
    full_report: bool = False
    #: ``crs`` parsed (None: the file's own)
    declared_crs: geometry_checks.DeclaredCrs | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.layer not in LAYERS:
            raise InvalidInput(
                f"unknown layer {self.layer!r}; choose {', '.join(LAYERS)}",
                code="unknown_value",
                field="layer",
                params={"value": str(self.layer)[:40]},
            )
        if self.area_unit not in AREA_UNITS:
            raise InvalidInput(
                f"area unit must be {', '.join(AREA_UNITS[:-1])} or {AREA_UNITS[-1]}, "
                f"not {self.area_unit!r}",
                code="unknown_value",
                field="area_unit",
                params={"value": str(self.area_unit)[:40]},
            )
        object.__setattr__(self, "mapping", parse_mapping(self.mapping))
        object.__setattr__(
            self, "values", _checked_values(LAYERS[self.layer], parse_values(self.values))
        )
        object.__setattr__(self, "crs", _text(self.crs))
        object.__setattr__(
            self, "declared_crs", geometry_checks.parse_crs(self.crs) if self.crs else None
        )
        object.__setattr__(self, "encoding", _text(self.encoding))
        if self.encoding is not None:
            try:
                codecs.lookup(python_codec(self.encoding))
            except LookupError:
                raise InvalidInput(
                    f"unknown encoding {self.encoding!r}; e.g. UTF-8, GBK or GB18030",
                    code="unknown_value",
                    field="encoding",
                    params={"value": self.encoding[:40]},
                ) from None
        object.__setattr__(self, "note", _text(self.note))
        object.__setattr__(self, "doc_ref", _text(self.doc_ref))

    @classmethod
    def parse(
        cls,
        *,
        layer: str | None = None,
        crs: str | None = None,
        mapping: str | Sequence[str] | Mapping[str, Any] | None = None,
        encoding: str | None = None,
        area_unit: str | None = None,
        repair: bool = False,
        dry_run: bool = False,
        note: str | None = None,
        doc_ref: str | None = None,
        values: str | Sequence[str] | Mapping[str, Any] | None = None,
        full_report: bool = False,
    ) -> ImportOptions:
        """Options from what a user typed (CLI flags or form fields); ``None`` is the default.

        ``mapping`` is a JSON object (API) or ``COLUMN=FIELD`` items (CLI ``--map``);
        ``values`` a JSON object or ``FIELD=VALUE`` items or lines (CLI ``--set``, the API's
        ``set``), whose values may be keys or Chinese labels (``availability=可招商``).
        """
        return cls(
            layer=layer or "sites",
            crs=crs,
            mapping=parse_mapping(mapping),
            encoding=encoding,
            area_unit=area_unit or "m2",
            repair=repair,
            dry_run=dry_run,
            note=note,
            doc_ref=doc_ref,
            values=parse_values(values),
            full_report=full_report,
        )

    @property
    def import_layer(self) -> ImportLayer:
        """The layer the rows go into."""
        return LAYERS[self.layer]


@dataclass(frozen=True)
class UploadLimits:
    """Limits on what an import may unpack and read, and the size from which it goes in bulk."""

    max_unzipped_bytes: int = 1_000_000_000
    max_zip_ratio: float = 200.0
    max_features: int = 1_000_000
    geometry: geometry_checks.GeometryLimits = field(default_factory=geometry_checks.GeometryLimits)
    #: files with at least this many rows take the bulk path (COPY into the stage; site
    #: history and derived tables computed per statement instead of per row)
    bulk_min_features: int = 5_000
    #: rows a bulk import checks and writes at a time (the next chunk is checked while one is
    #: written, :mod:`gis_app.io.imports.pipeline`)
    bulk_chunk_rows: int = 10_000

    @classmethod
    def from_settings(cls, s: Any) -> UploadLimits:
        """Limits from an ``EditSettings``."""
        return cls(
            s.max_unzipped_bytes,
            s.max_zip_ratio,
            s.max_import_features,
            geometry_checks.GeometryLimits.from_settings(s),
            s.bulk_import_min_features,
        )
