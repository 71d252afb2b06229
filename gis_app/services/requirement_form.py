"""The fields of an investor requirement as officers enter and read them: labels in Chinese and
English, the kind of input, units and vocabularies, grouped in sections.

The requirement pages build their form and their summary from these; the values are checked
by :class:`gis_app.matching.spec.RequirementSpec` when the form is sent (``POST
/api/requirements``), so a field here is only ever a way of entering a spec field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gis_app.domain import fields, landuse, vocab
from gis_app.domain import industry as industries
from gis_app.domain.errors import UnknownVocabularyValue
from gis_app.domain.vocab import Term
from gis_app.matching.spec import RequirementSpec


@dataclass(frozen=True)
class Field:
    """One input of the requirement form.

    ``kind``: ``text``, ``number``, ``integer``, ``choice`` (one of ``vocabulary``), ``choices``
    (several), ``list`` (comma-separated text), ``bool`` or ``longtext``.
    """

    key: str
    label: Term
    kind: str = "number"
    unit: str = ""
    vocabulary: vocab.Vocabulary | None = None
    required: bool = False
    placeholder: str = ""


#: inputs that are not the usual one of their field's type
_LONG_TEXT = frozenset({"notes"})
_PLACEHOLDERS = {"industry": "C3411", "land_use_codes": "1001, M2"}


def _kind(f: fields.Field) -> str:
    if f.name in _LONG_TEXT:
        return "longtext"
    if f.vocabulary is not None:
        return "choices" if f.type == "text_list" else "choice"
    return {"float": "number", "int": "integer", "text_list": "list"}.get(f.type, f.type)


def _input(f: fields.Field) -> Field:
    return Field(
        f.name,
        f.term,
        _kind(f),
        f.unit or "",
        vocabulary=f.vocabulary,
        required=f.required,
        placeholder=_PLACEHOLDERS.get(f.name, ""),
    )


#: the form's sections and inputs: the registry's requirement fields that have a section
SECTIONS: tuple[tuple[Term, tuple[Field, ...]], ...] = tuple(
    (section, tuple(_input(f) for f in fields.REQUIREMENT.values() if f.group == section.key))
    for section in fields.REQUIREMENT_GROUPS
)

FIELDS: dict[str, Field] = {f.key: f for _, inputs in SECTIONS for f in inputs}

_unknown = set(FIELDS) - set(RequirementSpec.model_fields)
if _unknown:  # a form field must be a spec field
    raise RuntimeError(f"requirement form fields not in RequirementSpec: {sorted(_unknown)}")

_DEFAULTS = {k: f.default for k, f in RequirementSpec.model_fields.items()}


def _number(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")


def _text(f: Field, value: Any, lang: str) -> str:
    if f.kind == "bool":
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if f.vocabulary is not None:
        values = value if isinstance(value, list) else [value]
        sep = "、" if lang == "zh" else ", "
        return sep.join(f.vocabulary.label(v, lang) if v in f.vocabulary else v for v in values)
    if f.key == "land_use_codes":
        return "; ".join(f"{c} {_land_use_label(c, lang)}".strip() for c in value)
    if f.key == "industry":
        try:
            return industries.label(value, lang)
        except UnknownVocabularyValue:  # stored before the code list knew it
            return str(value)
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(str(v) for v in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        unit = f.unit.split(" / ")[0 if lang == "zh" else -1] if f.unit else ""
        return f"{_number(value)} {unit}".strip()
    return str(value)


def _land_use_label(code: str, lang: str) -> str:
    for system in ("2023", "gb50137"):
        if landuse.is_valid(system, code):
            return landuse.label(system, code, lang)
    return ""


def summary(record: dict[str, Any], lang: str = "zh") -> list[tuple[Term, str]]:
    """The fields a requirement states (not left empty or at their default), labelled."""
    out: list[tuple[Term, str]] = []
    for key, f in FIELDS.items():
        value = record.get(key)
        if value is None or value == [] or value == "":
            continue
        if key in _DEFAULTS and value == _DEFAULTS[key] and not f.required:
            continue
        out.append((f.label, _text(f, value, lang)))
    return out


def form_values(record: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the form's inputs show: a stored requirement's values, or a new one's defaults.

    Numbers without a trailing ``.0``; free-text lists joined by commas; vocabulary lists as
    lists (their boxes are ticked).
    """
    source = _DEFAULTS | (record or {})
    out: dict[str, Any] = {}
    for key, f in FIELDS.items():
        value = source.get(key)
        if value is None:
            continue
        if f.kind == "list":
            out[key] = ", ".join(str(v) for v in value)
        elif f.kind in ("number", "integer"):
            out[key] = _plain_number(value)
        elif f.kind in ("choices", "bool"):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def _plain_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))
