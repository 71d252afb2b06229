"""Columns of an import file mapped to fields, and the cells of a row read as field values.

Columns map by the project's own field names (and its export, including the Shapefile
abbreviations), by the usual fields of Chinese planning and survey data (DKBH 地块编号,
YDXZ 用地性质, YDMJ 用地面积, RJL 容积率, JZMD 建筑密度, LDL 绿地率, KZGD 限高, DLMC 地类名称,
BZ 备注 …), by the registry's Chinese labels (an export's or the import template's headers:
"招商状态代码" holds codes, "招商状态" names such as 可招商, and both must agree), by a field
name cut to the 10 characters of a Shapefile (``availabili``), or by an explicit mapping.
Preset columns ("pseudo-fields", ``_far`` …) are parsed into the fields behind them:
"1.2-2.0" → far_min/far_max, "≥40%" → coverage, "24米" → height limit. Values are checked
against the same field specs the folder loader uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from gis_app.domain import fields, landuse, vocab
from gis_app.domain.error_vocab import Problem, in_column
from gis_app.io.export import SHP_NAMES
from gis_app.io.fields import FieldError
from gis_app.io.imports.options import ImportLayer, ImportOptions
from gis_app.io.inventory_loader import Coerced, check_cross_fields, check_values

_FROM_SHP = {v.lower(): k for k, v in SHP_NAMES.items()}

# Usual field names of Chinese planning and survey data (upper-case pinyin initials or Chinese):
# those naming one field are declared with it in the registry (``aliases``); those here are
# parsed specially (land-use code system, units, ranges) into the fields behind them.
_PSEUDO_ALIASES: dict[str, str] = {
    "ydxz": "_landuse",
    "ydxzdh": "_landuse",
    "ydxzdm": "_landuse",
    "用地性质": "_landuse",
    "用地性质代码": "_landuse",
    "用地代码": "_landuse",
    "ydmj": "_area",
    "dkmj": "_area",
    "用地面积": "_area",
    "地块面积": "_area",
    "rjl": "_far",
    "容积率": "_far",
    "jzmd": "_coverage",
    "建筑密度": "_coverage",
    "ldl": "_green",
    "绿地率": "_green",
    "kzgd": "_height",
    "jzxg": "_height",
    "限高": "_height",
    "建筑限高": "_height",
    "控制高度": "_height",
    "dlmc": "_dlmc",
    "地类名称": "_dlmc",
}
#: column name of other data → field (or pseudo-field starting with "_")
PRESET_ALIASES: dict[str, str] = {
    **{a: n for n, f in fields.SITE.items() for a in f.aliases},
    **_PSEUDO_ALIASES,
}
_PSEUDO = {
    "_landuse": ("planned_use", "legacy_use"),
    "_area": ("declared_area_mu",),
    "_far": ("far_min", "far_max"),
    "_coverage": ("coverage_min_pct",),
    "_green": ("green_max_pct",),
    "_height": ("height_limit_m",),
    "_dlmc": ("current_use",),
}


def map_columns(
    columns: list[str], layer: ImportLayer, mapping: Mapping[str, str]
) -> tuple[dict[str, str], list[str], list[Problem], dict[str, str]]:
    """Column → field (or preset pseudo-field); the ignored columns; problems with the mapping;
    label columns (Chinese names of a coded field that another column gives the code of) →
    their field, to be compared with the code."""
    out: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    labels: dict[str, str] = {}
    headers = fields.column_names(layer.registry)
    for src, dst in mapping.items():
        if src not in columns:
            problems.append(
                Problem(
                    "mapping_column_missing",
                    "mapping",
                    {"value": src},
                    f"mapping names column {src!r}, which the file does not have",
                )
            )
        elif dst not in ("", "-") and dst not in layer.fields and dst not in _PSEUDO:
            problems.append(
                Problem(
                    "mapping_field_unknown",
                    "mapping",
                    {"value": src, "other": dst, "layer": layer.noun},
                    f"mapping {src!r} → {dst!r}: no such field in {layer.name}",
                )
            )
    for col in columns:
        key = col.strip().lower()
        hit = headers.get(key)
        if col in mapping:
            target = mapping[col]
            if target in ("", "-"):
                ignored.append(col)
            else:
                out[col] = target
        elif key in layer.fields:
            out[col] = key
        elif layer.name == "sites" and key in _FROM_SHP and _FROM_SHP[key] in layer.fields:
            out[col] = _FROM_SHP[key]
        elif hit is not None and hit[0] in layer.fields:
            if hit[1]:
                labels[col] = hit[0]
            else:
                out[col] = hit[0]
        elif layer.name == "sites" and key in PRESET_ALIASES:
            out[col] = PRESET_ALIASES[key]
        else:
            ignored.append(col)
    landuse_cols = [c for c, t in out.items() if t == "_landuse"]
    if len(landuse_cols) > 1:  # e.g. YDXZ (name) beside YDXZDH (code): read the code column
        coded = [c for c in landuse_cols if c.lower().endswith(("dh", "dm", "代码"))]
        keep = (coded or landuse_cols)[0]
        for c in landuse_cols:
            if c != keep:
                del out[c]
                ignored.append(c)
    given = {f for t in out.values() for f in _PSEUDO.get(t, (t,))}
    for col, target in list(labels.items()):
        if target not in given:  # the names are the only source of the field
            out[col] = target
            given.add(target)
            del labels[col]
    seen: dict[str, str] = {}
    for col, target in out.items():
        for f in _PSEUDO.get(target, (target,)):
            if f in seen:
                problems.append(
                    Problem(
                        "columns_same_field",
                        f,
                        {"value": seen[f], "other": col},
                        f"columns {seen[f]!r} and {col!r} both map to {f}",
                    )
                )
            seen.setdefault(f, col)
    return out, ignored, problems, labels


_TEXT = fields.Field("text")

# Indicator cells read like "1.2-2.0", "≤2.0", "≥40%", "24米": unsigned numbers, any separator.
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _numbers(value: Any) -> list[float]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)] if math.isfinite(value) else []
    return [float(x) for x in _NUMBER.findall(str(value))]


def _pseudo(target: str, value: Any, opts: ImportOptions) -> dict[str, Any]:
    """Values of the fields behind a preset column (``_far`` → far_min/far_max …)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    text = _TEXT.coerce(value)
    if target == "_landuse":
        code = text.upper() if text[:1].isalpha() else text
        if landuse.is_valid("2023", code):
            return {"planned_use": code}
        if landuse.is_valid("gb50137", code):
            return {"legacy_use": code}
        for system, target_field in (("2023", "planned_use"), ("gb50137", "legacy_use")):
            hits = [c.code for c in landuse._table(system).values() if c.zh == text]
            if len(hits) == 1:
                return {target_field: hits[0]}
        raise FieldError(
            f"unknown land-use code {text!r} (neither the 2023 classification nor GB 50137)",
            "preset_unknown_land_use",
            value=text,
        )
    if target == "_dlmc":
        for system in ("sandiao", "2023"):
            hits = [c for c in landuse._table(system).values() if c.zh == text]
            if hits:
                if system == "sandiao":
                    return {"current_use": hits[0].code}
                raise FieldError(
                    f"地类名称 {text!r} is a planning class, not a 三调 current use",
                    "preset_planning_class",
                    value=text,
                )
        raise FieldError(
            f"unknown 地类名称 {text!r} (not a 三调 class name)", "preset_unknown_dlmc", value=text
        )
    nums = _numbers(value)
    if not nums:
        raise FieldError(f"expected a number, got {value!r}", "preset_not_a_number", value=text)
    if target == "_area":
        factor = {"m2": 1 / vocab.M2_PER_MU, "mu": 1.0, "ha": vocab.MU_PER_HA}[opts.area_unit]
        return {"declared_area_mu": round(nums[0] * factor, 4)}
    if target == "_far":
        if len(nums) >= 2:
            return {"far_min": nums[0], "far_max": nums[1]}
        if any(s in text for s in ("≥", ">=", ">", "不小于", "不低于")):
            return {"far_min": nums[0]}
        return {"far_max": nums[0]}
    pct = nums[0] * 100 if (nums[0] <= 1 and "%" not in text) else nums[0]
    if target == "_coverage":
        return {"coverage_min_pct": pct}
    if target == "_green":
        return {"green_max_pct": pct}
    return {"height_limit_m": nums[0]}  # _height


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def row_values(
    layer: ImportLayer,
    raw: dict[str, Any],
    columns: dict[str, str],
    where: str,
    opts: ImportOptions,
    problems: list[Problem],
    labels: Mapping[str, str] | None = None,
    memo: dict[tuple[str, Any, Any], bool] | None = None,
    coerced: Coerced | None = None,
) -> dict[str, Any]:
    """The checked field values of one row; problems are added to ``problems``.

    ``memo`` (one dict per file) remembers which label agrees with which code, so that a
    file of many rows compares each pair once; ``coerced`` (one dict per file) what each text
    cell became (:func:`~gis_app.io.inventory_loader.check_values`).

    ``labels`` are label columns (→ field) to compare with the code columns: a name that
    disagrees with its code is a problem (an edited label column is never silently ignored),
    a name beside a blank code is read instead. Values given for every row
    (``opts.values``, ``--set``) fill the fields that the row leaves blank or lacks.
    """
    props: dict[str, Any] = {}
    source: dict[str, str] = {}
    for col, target in columns.items():
        value = raw.get(col)
        if isinstance(value, bytes):
            problems.append(
                in_column(
                    col,
                    Problem("binary_value", None if target in _PSEUDO else target, {}, ""),
                    f"{where}: column {col}: binary value",
                )
            )
            continue
        if target in _PSEUDO:
            try:
                found = _pseudo(target, value, opts)
            except FieldError as e:
                problem = Problem(e.code, None, e.params, str(e))  # a preset, not a field
                problems.append(in_column(col, problem, f"{where}: column {col}: {e}"))
                continue
            props.update(found)
            source.update(dict.fromkeys(found, col))
        elif layer.fields[target].required and _blank(value):
            continue  # a blank required cell keeps the stored value (a new row must have it)
        else:
            props[target] = value
            source[target] = col
    for col, target in (labels or {}).items():
        _compare_label(layer, raw.get(col), col, target, props, source, where, problems, memo)
    for name, value in opts.values.items():
        if _blank(props.get(name)):
            props[name] = value
    start = len(problems)
    values = check_values(layer.fields, props, where, problems, only_given=True, coerced=coerced)
    for i in range(start, len(problems)):  # name the column the person sees, beside the field
        p = problems[i]
        col = source.get(p.field or "")
        if col is not None and col != p.field:
            head, _, rest = p.detail.partition(": field ")
            text = rest.partition(": ")[2]
            problems[i] = in_column(col, p, f"{head}: column {col} (field {p.field}): {text}")
    check_cross_fields(layer.fields, values, where, problems)
    return values


def _compare_label(
    layer: ImportLayer,
    name: Any,
    col: str,
    target: str,
    props: dict[str, Any],
    source: dict[str, str],
    where: str,
    problems: list[Problem],
    memo: dict[tuple[str, Any, Any], bool] | None = None,
) -> None:
    """Check a label column's name against the code of its field (or use it if none)."""
    if _blank(name):
        return
    if _blank(props.get(target)):
        props[target] = name  # the code was cleared and the name given: the name counts
        source[target] = col
        return
    key = (target, props[target], name)
    try:
        if memo is not None and memo.get(key):
            return  # this pair agreed in an earlier row
    except TypeError:  # an unhashable cell (a list): compare it
        key = None  # type: ignore[assignment]
    spec = layer.fields[target]
    try:
        code = spec.coerce(props[target])
    except FieldError:
        return  # the code column's own problem is reported by the checks
    try:
        named = spec.coerce(name)
    except FieldError:
        named = None
    if named == code or str(name).strip() == _name_of(spec, code):
        if memo is not None and key is not None:
            memo[key] = True
        return
    other = source.get(target, target)
    problems.append(
        in_column(
            col,
            Problem(
                "label_disagrees",
                target,
                {
                    "value": str(name).strip(),
                    "other": other,
                    "code": code,
                    "name": _name_of(spec, code),
                },
                "",
            ),
            f"{where}: column {col}: {str(name).strip()!r} disagrees with column "
            f"{other} ({code} = {_name_of(spec, code)}); change both, or "
            "clear the code to use the name",
        )
    )


def _name_of(spec: fields.Field, code: Any) -> str:
    if spec.vocabulary is not None:
        return spec.vocabulary.term(code).zh
    if spec.landuse_system is not None:
        return landuse.label(spec.landuse_system, code)
    return str(code)
