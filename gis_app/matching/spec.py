"""An investor requirement as the officer states it: fields, units, checks.

The same model is the body of ``POST /api/requirements`` and ``POST /api/match`` and the
content of ``gis-app match FILE.json``. Unknown fields, unknown vocabulary values and land-use
codes, inverted ranges and out-of-range numbers are refused with the field named.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from gis_app.domain import fields, landuse, vocab
from gis_app.domain import industry as industries
from gis_app.domain.error_vocab import problem_from_pydantic
from gis_app.domain.errors import InvalidInput, UnknownVocabularyValue
from gis_app.domain.match_criteria import DEFAULT_WEIGHTS

#: a text field's longest value when the registry does not say
TEXT_LENGTH = 200
Weight = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
#: a match needs no project name; saving a requirement does (gis_app.services.requirements)
_OPTIONAL_TO_MATCH = frozenset({"project_name"})
_BODY = {n: f for n, f in fields.REQUIREMENT.items() if not f.managed}

_VOCAB_FIELDS: dict[str, vocab.Vocabulary] = {
    n: f.vocabulary for n, f in _BODY.items() if f.vocabulary and f.type != "text_list"
}
_VOCAB_LIST_FIELDS: dict[str, vocab.Vocabulary] = {
    n: f.vocabulary for n, f in _BODY.items() if f.vocabulary and f.type == "text_list"
}


def _annotation(f: fields.Field) -> Any:
    """The pydantic type of a requirement field: its registry type, bounds and lengths."""
    if f.type == "text":
        # a coded value is checked against its vocabulary instead
        return str if f.vocabulary else Annotated[str, Field(max_length=f.length or TEXT_LENGTH)]
    if f.type in ("float", "int"):
        number = float if f.type == "float" else int
        extra = {"allow_inf_nan": False} if f.type == "float" else {}
        return Annotated[number, Field(ge=f.min, le=f.max, **extra)]
    if f.type == "text_list":
        item = Annotated[str, Field(max_length=f.item_length)] if f.item_length else str
        return Annotated[list[item], Field(min_length=f.min, max_length=f.length)]
    return {"date": dt.date, "bool": StrictBool}[f.type]


def _field_definitions() -> dict[str, Any]:
    """Each body field of the registry as pydantic's ``(type, default)`` (required when the
    registry requires it and gives no default; pydantic copies a list default per instance),
    then the soft-score weights per criterion, checked against the criterion registry."""
    out: dict[str, Any] = {}
    for name, f in _BODY.items():
        kind = _annotation(f)
        if f.required and f.default is None and name not in _OPTIONAL_TO_MATCH:
            out[name] = (kind, ...)
        elif isinstance(f.default, tuple):
            out[name] = (kind, list(f.default))
        else:
            out[name] = (kind if f.default is not None else kind | None, f.default)
    out["weights"] = (Annotated[dict[str, Weight], Field(max_length=len(DEFAULT_WEIGHTS))], {})
    return out


class _Requirement(BaseModel):
    """The checks and helpers of a requirement; its fields come from the registry
    (:data:`gis_app.domain.fields.REQUIREMENT`, see :data:`RequirementSpec`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after", check_fields=False)
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        for t in texts:
            if isinstance(t, str) and "\x00" in t:
                raise ValueError("text must not contain NUL characters")
        return value

    @field_validator(*_VOCAB_FIELDS, mode="after", check_fields=False)
    @classmethod
    def _in_vocab(cls, value: str | None, info: Any) -> str | None:
        if value is not None and value not in _VOCAB_FIELDS[info.field_name]:
            raise _refused(
                "unknown_value",
                f"unknown {info.field_name} value {value!r}; allowed: "
                + ", ".join(_VOCAB_FIELDS[info.field_name].keys),
                value=value,
            )
        return value

    @field_validator(*_VOCAB_LIST_FIELDS, mode="after", check_fields=False)
    @classmethod
    def _all_in_vocab(cls, values: list[str], info: Any) -> list[str]:
        voc = _VOCAB_LIST_FIELDS[info.field_name]
        for v in values:
            if v not in voc:
                raise _refused(
                    "unknown_value",
                    f"unknown {info.field_name} value {v!r}; allowed: {', '.join(voc.keys)}",
                    value=v,
                )
        return list(dict.fromkeys(values))

    @field_validator("land_use_codes", mode="after", check_fields=False)
    @classmethod
    def _land_use(cls, codes: list[str]) -> list[str]:
        out = []
        for code in codes:
            try:
                landuse.expand_query(code)
            except UnknownVocabularyValue as e:
                raise _refused(
                    "unknown_land_use",
                    f"unknown land-use code {code!r} (2023 classification or GB 50137); "
                    f"allowed include: {', '.join(e.allowed[:30])}",
                    value=code,
                ) from None
            out.append(code.strip().upper())
        return list(dict.fromkeys(out))

    @field_validator("industry", mode="after", check_fields=False)
    @classmethod
    def _industry(cls, code: str | None) -> str | None:
        if not code:  # an empty form field states no industry
            return None
        try:
            return industries.normalise(code)
        except UnknownVocabularyValue as e:
            raise _refused(
                "unknown_industry",
                f"unknown GB/T 4754-2017 industry code {code!r}: give a section letter (C), a "
                f"division (C26 or 26) or a group or class (C261, C2614); "
                f"allowed include: {', '.join(e.allowed[:40])}",
                value=code,
            ) from None

    @field_validator("weights", mode="after", check_fields=False)
    @classmethod
    def _weights(cls, weights: dict[str, float]) -> dict[str, float]:
        for key in weights:
            if key not in DEFAULT_WEIGHTS:
                raise ValueError(f"unknown weight {key!r}; allowed: {', '.join(DEFAULT_WEIGHTS)}")
        return weights

    @model_validator(mode="after")
    def _ranges(self) -> Any:
        for lo, hi in (("land_mu_min", "land_mu_max"), ("gfa_m2_min", "gfa_m2_max")):
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and a > b:
                raise _refused(
                    "range_inverted",
                    f"{lo} ({a:g}) is greater than {hi} ({b:g})",
                    field_name=lo,
                    value=a,
                    upper=hi,
                    upper_value=b,
                )
        return self

    @property
    def land_use_from_industry(self) -> bool:
        """Whether the land-use constraint comes from ``industry`` (no ``land_use_codes`` given)."""
        return not self.land_use_codes and bool(self.effective_land_use_codes())

    def effective_land_use_codes(self) -> list[str]:
        """The stated ``land_use_codes``, else the 2023 classes compatible with ``industry``."""
        if self.land_use_codes or not self.industry:
            return list(self.land_use_codes)
        return list(industries.land_use_codes(self.industry))

    def land_use_sets(self) -> tuple[list[str], list[str]]:
        """The 2023 and GB 50137 codes a site may carry to meet the land-use constraint.

        Stated ``land_use_codes`` win; without them the industry's compatible classes are used,
        expanded the same way (descendants and the other classification's equivalents).
        """
        c2023: set[str] = set()
        cgb: set[str] = set()
        for code in self.effective_land_use_codes():
            a, b = landuse.expand_query(code)
            c2023 |= a
            cgb |= b
        return sorted(c2023), sorted(cgb)

    def effective_weights(self, override: dict[str, float] | None = None) -> dict[str, float]:
        """Default weights, then this requirement's, then a per-request ``override``."""
        return DEFAULT_WEIGHTS | self.weights | (override or {})


#: What an investor needs (areas in 亩 or m², distances in km, prices in 万元/亩 or 元/m²): the
#: registry's requirement fields less those the server keeps, with the checks above.
RequirementSpec = create_model(
    "RequirementSpec",
    __base__=_Requirement,
    __module__=__name__,
    __doc__="What an investor needs, as the officer states it (fields: the registry's).",
    **_field_definitions(),
)

FIELDS: tuple[str, ...] = tuple(RequirementSpec.model_fields)


def parse_spec(data: Any, what: str = "requirement") -> RequirementSpec:
    """Validate ``data`` as a requirement; raise :class:`InvalidInput` naming each bad field."""
    try:
        return RequirementSpec.model_validate(data)
    except ValidationError as e:
        refusals = [
            problem_from_pydantic(item, _item_message(item)) for item in e.errors(include_url=False)
        ]
        raise InvalidInput(f"{what}: {validation_message(e)}", refusals=refusals) from None


def validation_message(err: ValidationError) -> str:
    """One line naming every bad field and what is wrong with it."""
    return "; ".join(_item_message(item) for item in err.errors(include_url=False))


def _item_message(item: Any) -> str:
    loc = ".".join(str(p) for p in item["loc"])
    msg = str(item["msg"]).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def _refused(code: str, detail: str, **context: Any) -> PydanticCustomError:
    """A validator's refusal with a code of the error vocabulary (the detail stays English)."""
    # the detail is the message template: braces in the value must not be read as placeholders
    return PydanticCustomError(code, detail.replace("{", "(").replace("}", ")"), context)


def parse_weights(items: list[str]) -> dict[str, float]:
    """Parse ``key:weight`` strings (query parameters) into a weight override."""
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition(":")
        key = key.strip()
        try:
            w = float(value)
        except ValueError:
            w = float("nan")
        if not sep or key not in DEFAULT_WEIGHTS or not 0 <= w <= 1000:
            raise InvalidInput(
                f"weight {item[:60]!r} must be 'criterion:number' (0–1000) with a criterion "
                f"among {', '.join(DEFAULT_WEIGHTS)}",
                code="bad_weight",
                field="weight",
                params={"value": item[:60]},
            )
        out[key] = w
    return out
