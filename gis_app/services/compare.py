"""Two to four sites side by side for officers: every attribute by group, buildings, distances to
infrastructure, constraint-zone overlaps, status, price and rent, with the rows whose values
differ marked.

The rows come from the field registry (:mod:`gis_app.domain.fields`, through the site sheet's
sections, :mod:`gis_app.services.site_sheet`), the infrastructure and constraint vocabularies;
values are rendered in both languages as the sheet renders them. Internal fields are included:
this is an officers' page, never an investor's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gis_app.db import site_sheet_queries
from gis_app.domain import fields, vocab
from gis_app.domain.errors import InvalidInput, NotFound
from gis_app.domain.vocab import Term
from gis_app.services.site_sheet import (
    BUILDING_SHEET_FIELDS,
    SECTIONS,
    SITE_SHEET_FIELDS,
    References,
    Value,
    format_value,
    references,
)

#: how many sites a comparison holds
MIN_SITES, MAX_SITES = 2, 4

_NONE = ("—", "—")


@dataclass(frozen=True)
class Row:
    """One compared item: its label (None: the page's word for ``key``) and each site's value;
    ``differs`` when they are not all the same."""

    key: str
    label: Term | None
    values: list[Value]

    @property
    def differs(self) -> bool:
        """Whether the sites' values are not all the same."""
        return len({v.zh for v in self.values}) > 1


@dataclass
class Section:
    """A group of rows, titled by the registry's group (None: the page's word for ``key``)."""

    key: str
    title: Term | None
    rows: list[Row] = field(default_factory=list)


@dataclass
class Comparison:
    """The sites compared (their records, in the order asked) and the sections of rows."""

    sites: list[dict[str, Any]]
    sections: list[Section]

    @property
    def differences(self) -> int:
        """How many rows differ."""
        return sum(r.differs for s in self.sections for r in s.rows)


def parse_ids(text: str | None) -> list[int]:
    """The site ids of ``ids=3,8,12``: 2–4 distinct positive numbers, in the order given."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    ids: list[int] = []
    for p in parts:
        if not p.isdigit() or not 0 < int(p) < 2**63:
            raise InvalidInput(
                f"ids: {p[:20]!r} is not a site id (ids=3,8,12)",
                code="not_a_site_id",
                field="ids",
                params={"value": p[:20]},
            )
        if int(p) not in ids:
            ids.append(int(p))
    if not MIN_SITES <= len(ids) <= MAX_SITES:
        raise _count_error(len(ids))
    return ids


def _count_error(count: int) -> InvalidInput:
    return InvalidInput(
        f"ids: choose {MIN_SITES} to {MAX_SITES} different sites to compare, got {count}",
        code="compare_count",
        field="ids",
        params={"min": MIN_SITES, "max": MAX_SITES, "count": count},
    )


def _label(name: str, registry: dict[str, fields.Field]) -> Term:
    """The field's label, with its unit when the label does not already say it."""
    f = registry[name]
    t = f.term
    if f.unit and f.unit not in t.zh and f.unit not in t.en:
        return Term(name, f"{t.zh}（{f.unit}）", f"{t.en} ({f.unit})")
    return t


def _value(key: str, zh_en: tuple[str, str], raw: Any = None, label: Term | None = None) -> Value:
    return Value(key, label or Term(key, key, key), zh_en[0], zh_en[1], raw)


def _field_rows(
    records: list[dict[str, Any]],
    names: Iterable[str],
    registry: dict[str, fields.Field],
    refs: References | None = None,
) -> list[Row]:
    rows = []
    for name in names:
        label = _label(name, registry)
        how = SITE_SHEET_FIELDS[name][1]
        values = [
            _value(name, format_value(how, r.get(name), refs), r.get(name), label) for r in records
        ]
        rows.append(Row(name, label, values))
    return rows


def _joined(texts: list[tuple[str, str]]) -> tuple[str, str]:
    shown = [t for t in texts if t != _NONE]
    if not shown:
        return _NONE
    return "；".join(t[0] for t in shown), "; ".join(t[1] for t in shown)


def _building_rows(buildings: list[list[dict[str, Any]]]) -> list[Row]:
    """Summary rows (how many, vacant floor area in total, lowest rent and sale price), then
    each building field with every building's value."""
    rows = [
        Row(
            "building_count",
            None,
            [_value("building_count", (str(len(bs)), str(len(bs))), len(bs)) for bs in buildings],
        )
    ]
    for key, name, how, agg in (
        ("vacant_total", "vacant_gfa_m2", "num0", sum),
        ("min_rent", "rent_yuan_m2_month", "num2", min),
        ("min_sale", "sale_yuan_m2", "num0", min),
    ):
        values = []
        for bs in buildings:
            xs = [b[name] for b in bs if b.get(name) is not None]
            total = agg(xs) if xs else None
            values.append(_value(key, format_value(how, total), total))
        rows.append(Row(key, None, values))
    for name, (_, how) in BUILDING_SHEET_FIELDS.items():
        if name == "code":
            continue
        label = _label(name, fields.BUILDING)
        values = [
            _value(
                name,
                _joined([format_value(how, b.get(name)) for b in bs]),
                [b.get(name) for b in bs],
                label,
            )
            for bs in buildings
        ]
        rows.append(Row(name, label, values))
    return rows


def _distance_rows(distances: list[list[dict[str, Any]]]) -> list[Row]:
    """One row per kind of infrastructure: the nearest's distance in km and its name."""
    rows = []
    for kind in vocab.INFRA_KIND:
        values = []
        for ds in distances:
            d = next((d for d in ds if d["infra_kind"] == kind.key), None)
            if d is None:
                values.append(_value(kind.key, _NONE))
                continue
            km = d["distance_m"] / 1000
            zh = f"{km:,.1f} km · {d['name_zh']}"
            en = f"{km:,.1f} km · {d['name_en'] or d['name_zh']}"
            values.append(_value(kind.key, (zh, en), round(km, 1)))
        if any(v.raw is not None for v in values):
            label = Term(kind.key, f"{kind.zh}（km）", f"{kind.en} (km)")
            rows.append(Row(kind.key, label, values))
    return rows


def _overlap_rows(overlaps: list[list[dict[str, Any]]]) -> list[Row]:
    """One row per kind of constraint zone that any of the sites overlaps: m² and % of the
    site; one row ``no_overlap`` when none does."""
    rows = []
    for kind in vocab.CONSTRAINT_KIND:
        values = []
        for os_ in overlaps:
            hits = [o for o in os_ if o["zone_kind"] == kind.key]
            if not hits:
                values.append(_value(kind.key, _NONE, 0.0))
                continue
            m2 = sum(o["overlap_m2"] for o in hits)
            pct = sum(o["overlap_pct"] for o in hits)
            text = f"{m2:,.0f} m² ({pct:.1f}%)"
            values.append(_value(kind.key, (text, text), round(pct, 1)))
        if any(v.raw for v in values):
            rows.append(Row(kind.key, kind, values))
    if not rows:
        rows.append(Row("no_overlap", None, [_value("no_overlap", _NONE) for _ in overlaps]))
    return rows


def compare_sites(conn: sa.Connection, ids: list[int]) -> Comparison:
    """The sites ``ids`` (2–4, in that order) side by side; :class:`NotFound` naming a
    missing one."""
    if not MIN_SITES <= len(ids) <= MAX_SITES or len(set(ids)) != len(ids):
        raise _count_error(len(set(ids)))
    records = []
    for site_id in ids:
        rec = site_sheet_queries.site_record(conn, site_id)
        if rec is None:
            raise NotFound(
                f"ids: site {site_id} not found",
                code="site_not_found",
                field="ids",
                params={"value": site_id},
            )
        records.append(rec)
    refs = references(conn)
    sections = [
        Section(title.key, title, _field_rows(records, names, fields.SITE, refs))
        for title, names in SECTIONS
    ]
    internal = site_sheet_queries.INTERNAL_COLUMNS
    sections.append(Section("internal", None, _field_rows(records, internal, fields.SITE, refs)))
    buildings = [site_sheet_queries.site_buildings(conn, i) for i in ids]
    sections.append(Section("buildings", None, _building_rows(buildings)))
    distances = [site_sheet_queries.site_distances(conn, i) for i in ids]
    sections.append(Section("distances", None, _distance_rows(distances)))
    overlaps = [site_sheet_queries.site_overlaps(conn, i) for i in ids]
    sections.append(Section("constraints", None, _overlap_rows(overlaps)))
    return Comparison(records, sections)
