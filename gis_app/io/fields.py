"""Field specifications of the inventory layers and value coercion for file import.

Each layer (sites, buildings, constraint zones, infrastructure, jurisdiction) declares its
fields once here; the loader checks every record against them and names the record and field in
every problem it reports.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

from gis_app.domain import landuse, vocab
from gis_app.domain.vocab import Vocabulary


class FieldError(ValueError):
    """A value that does not fit its field."""


@dataclass(frozen=True)
class Field:
    """One attribute of a layer: its type, vocabulary and whether it is required."""

    type: str  # text, float, int, bool, date, text_list, landuse
    required: bool = False
    vocabulary: Vocabulary | None = None
    landuse_system: str | None = None
    min: float | None = None
    max: float | None = None

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to the field's type, or raise :class:`FieldError`."""
        if _is_missing(value):
            if self.required:
                raise FieldError("is required")
            return [] if self.type == "text_list" else None
        out = _CONVERT[self.type](value)
        if self.vocabulary is not None:
            items = out if isinstance(out, list) else [out]
            for item in items:
                if item not in self.vocabulary:
                    raise FieldError(
                        f"unknown {self.vocabulary.name} value {item!r} "
                        f"(allowed: {', '.join(self.vocabulary.keys)})"
                    )
        if self.landuse_system is not None and not landuse.is_valid(self.landuse_system, out):
            raise FieldError(f"unknown land-use code {out!r} in {self.landuse_system}")
        if self.min is not None and out < self.min:
            raise FieldError(f"{out} is below the minimum {self.min}")
        if self.max is not None and out > self.max:
            raise FieldError(f"{out} is above the maximum {self.max}")
        return out


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and v.strip() == "":
        return True
    try:
        import pandas as pd

        return bool(v is pd.NaT or (not isinstance(v, list | tuple) and pd.isna(v) is True))
    except (TypeError, ValueError):
        return False


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(int(v)) if float(v).is_integer() else str(v)
    raise FieldError(f"expected text, got {v!r}")


def _float(v: Any) -> float:
    if isinstance(v, bool):
        raise FieldError(f"expected a number, got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise FieldError(f"expected a number, got {v!r}") from None
    if not math.isfinite(f):
        raise FieldError(f"expected a finite number, got {v!r}")
    return f


def _int(v: Any) -> int:
    f = _float(v)
    if not f.is_integer():
        raise FieldError(f"expected a whole number, got {v!r}")
    return int(f)


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in (
        "true",
        "false",
        "1",
        "0",
        "yes",
        "no",
        "是",
        "否",
    ):
        return v.strip().lower() in ("true", "1", "yes", "是")
    raise FieldError(f"expected true/false, got {v!r}")


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime().date()
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            pass
    raise FieldError(f"expected a date YYYY-MM-DD, got {v!r}")


def _text_list(v: Any) -> list[str]:
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("["):
            try:
                v = json.loads(s)
            except json.JSONDecodeError:
                raise FieldError(f"expected a list, got {v!r}") from None
        else:
            v = [p for p in (x.strip() for x in s.split(",")) if p]
    if hasattr(v, "tolist"):
        v = v.tolist()
    if not isinstance(v, list | tuple):
        raise FieldError(f"expected a list, got {v!r}")
    return [_text(x) for x in v]


_CONVERT = {
    "text": _text,
    "float": _float,
    "int": _int,
    "bool": _bool,
    "date": _date,
    "text_list": _text_list,
    "landuse": _text,
}


def _f(type_: str, **kw: Any) -> Field:
    return Field(type_, **kw)


def _voc(v: Vocabulary, required: bool = False) -> Field:
    return Field("text", required=required, vocabulary=v)


NONNEG = {"min": 0.0}

SITE_FIELDS: dict[str, Field] = {
    "code": _f("text", required=True),
    "name_zh": _f("text", required=True),
    "name_en": _f("text"),
    "kind": _voc(vocab.SITE_KIND, required=True),
    "block": _f("text"),
    "township": _f("text"),
    "platform": _f("text"),
    "address": _f("text"),
    "geom_quality": _voc(vocab.GEOM_QUALITY),
    "declared_area_mu": _f("float", min=0.0),
    "planned_use": Field("landuse", landuse_system="2023"),
    "legacy_use": Field("landuse", landuse_system="gb50137"),
    "current_use": Field("landuse", landuse_system="sandiao"),
    "far_min": _f("float", **NONNEG),
    "far_max": _f("float", **NONNEG),
    "coverage_min_pct": _f("float", min=0.0, max=100.0),
    "green_max_pct": _f("float", min=0.0, max=100.0),
    "height_limit_m": _f("float", **NONNEG),
    "ownership": _voc(vocab.OWNERSHIP),
    "supply_stage": _voc(vocab.SUPPLY_STAGE),
    "readiness": _voc(vocab.READINESS),
    "utilities": Field("text_list", vocabulary=vocab.UTILITY),
    "policy_status": _voc(vocab.POLICY_STATUS),
    "policy_progress_pct": _f("int", min=0, max=100),
    "planning_status": _voc(vocab.PLANNING_STATUS),
    "in_ugb": _voc(vocab.IN_UGB),
    "quota_status": _voc(vocab.QUOTA_STATUS),
    "supply_mode": _voc(vocab.SUPPLY_MODE),
    "standard_land": _f("bool"),
    "invest_intensity_wan_per_mu": _f("float", **NONNEG),
    "tax_wan_per_mu_yr": _f("float", **NONNEG),
    "energy_tce_per_wan": _f("float", **NONNEG),
    "lease_years": _f("int", min=0, max=70),
    "reserve_price_wan_per_mu": _f("float", **NONNEG),
    "shoreline_m": _f("float", **NONNEG),
    "berth_dwt": _f("int", min=0),
    "water_depth_m": _f("float", **NONNEG),
    "availability": _voc(vocab.AVAILABILITY, required=True),
    "blocking_note": _f("text"),
    "source_doc": _f("text"),
    "verified_at": _f("date"),
    "verified_by": _f("text"),
    "description_zh": _f("text"),
    "description_en": _f("text"),
    "photo_urls": _f("text_list"),
    "owner_name": _f("text"),
    "owner_contact": _f("text"),
    "internal_note": _f("text"),
    "negotiation_note": _f("text"),
    "price_floor_wan_per_mu": _f("float", **NONNEG),
}

BUILDING_FIELDS: dict[str, Field] = {
    "code": _f("text", required=True),
    "site_code": _f("text", required=True),
    "name_zh": _f("text", required=True),
    "name_en": _f("text"),
    "building_type": _voc(vocab.BUILDING_TYPE, required=True),
    "floors": _f("int", min=1, max=200),
    "gfa_m2": _f("float", **NONNEG),
    "vacant_gfa_m2": _f("float", **NONNEG),
    "min_split_m2": _f("float", **NONNEG),
    "occupancy": _voc(vocab.OCCUPANCY),
    "offer": _voc(vocab.OFFER),
    "rent_yuan_m2_month": _f("float", **NONNEG),
    "sale_yuan_m2": _f("float", **NONNEG),
    "floor_height_m": _f("float", **NONNEG),
    "floor_load_kg_m2": _f("float", **NONNEG),
    "crane_t": _f("float", **NONNEG),
    "crane_count": _f("int", min=0),
    "power_kva": _f("float", **NONNEG),
    "fire_hazard_class": _voc(vocab.FIRE_HAZARD_CLASS),
    "eia_coverage": _f("text"),
    "has_title_cert": _f("bool"),
    "built_year": _f("int", min=1900, max=2100),
    "owner_contact": _f("text"),
    "internal_note": _f("text"),
}

ZONE_FIELDS: dict[str, Field] = {
    "code": _f("text", required=True),
    "kind": _voc(vocab.CONSTRAINT_KIND, required=True),
    "name_zh": _f("text", required=True),
    "name_en": _f("text"),
    "source": _f("text"),
    "version_date": _f("date"),
}

INFRA_FIELDS: dict[str, Field] = {
    "code": _f("text", required=True),
    "kind": _voc(vocab.INFRA_KIND, required=True),
    "name_zh": _f("text", required=True),
    "name_en": _f("text"),
    "berth_dwt": _f("int", min=0),
}

JURISDICTION_FIELDS: dict[str, Field] = {
    "code": _f("text", required=True),
    "name_zh": _f("text", required=True),
    "name_en": _f("text"),
    "default_epsg": _f("int", required=True),
}
