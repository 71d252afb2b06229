"""Everything about one site for officers: labelled attributes, buildings, distances, constraint
overlaps and status history (from the ``history`` table the database triggers write).

Values are rendered in both languages here (vocabulary and land-use labels from
``gis_app.domain``); pages only lay them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gis_app.db import district_queries, site_sheet_queries
from gis_app.domain import fields, landuse, plane_area, vocab
from gis_app.domain.errors import NotFound, UnknownVocabularyValue
from gis_app.domain.vocab import Term, Vocabulary

STALE_AFTER_DAYS = 365


# column → (label, how to show the value), from the field registry; the order is the sheet's
SITE_SHEET_FIELDS: dict[str, tuple[Term, str]] = {
    n: (fields.SITE[n].term, fields.SITE[n].display) for n in fields.sheet_order(fields.SITE)
}

#: the sheet's sections: each registry group in order, with its fields in the sheet's order
SECTIONS: tuple[tuple[Term, tuple[str, ...]], ...] = tuple(
    (group, tuple(n for n in SITE_SHEET_FIELDS if fields.SITE[n].group == group.key))
    for group in fields.SITE_GROUPS
)

#: the buildings table of the sheet: the registry's building fields of group ``building``
BUILDING_SHEET_FIELDS: dict[str, tuple[Term, str]] = {
    n: (f.term, f.display) for n, f in fields.BUILDING.items() if f.group == "building"
}

_YES_NO = {True: ("是", "Yes"), False: ("否", "No")}

#: fields the database derives (areas, version, timestamps): a change of them is not news in
#: the history, the edit that caused it is
_KEPT_BY_DATABASE = frozenset(fields.names(fields.SITE, managed=True))


@dataclass(frozen=True)
class Value:
    """A field shown on the sheet: its label and its value in both languages."""

    key: str
    label: Term
    zh: str
    en: str
    raw: Any = None

    def text(self, lang: str = "zh") -> str:
        """The value in ``lang``."""
        return self.zh if lang == "zh" else self.en


@dataclass
class HistoryEntry:
    """One history row: when, who, and the changed fields old → new (labelled)."""

    changed_at: dt.datetime
    changed_by: str
    action: str
    table_name: str
    row_id: int
    note: str | None
    changes: list[tuple[Term, Value, Value]] = field(default_factory=list)


@dataclass(frozen=True)
class CurrentUse:
    """A site's 三调 current-use composition as the sheet shows it."""

    #: the groups with a share, largest first: "耕地 12.0%，建设用地 80.0%" (zh, en)
    summary: tuple[str, str]
    surveyed_pct: float
    #: first-level classes, largest first: (label with its code, m², % of the site)
    classes: list[tuple[Term, float, float]]


def _current_use(row: dict[str, Any] | None) -> CurrentUse | None:
    if row is None:
        return None
    shares = sorted(
        ((t, row[f"{t.key}_pct"]) for t in vocab.CURRENT_USE_GROUP if row[f"{t.key}_pct"] > 0),
        key=lambda x: -x[1],
    )
    summary = (
        "，".join(f"{t.zh} {pct:.1f}%" for t, pct in shares),
        ", ".join(f"{t.en} {pct:.1f} %" for t, pct in shares),
    )
    classes = []
    for code, (m2, pct) in sorted(row["classes"].items(), key=lambda kv: -float(kv[1][0])):
        entry = landuse.SANDIAO.get(code)
        label = (
            Term(code, f"{code} {entry.zh}", f"{code} {entry.en}")
            if entry
            else Term(code, code, code)
        )
        classes.append((label, float(m2), float(pct)))
    return CurrentUse(summary, row["surveyed_pct"], classes)


@dataclass
class SiteSheet:
    """Everything an officer needs to know about one site."""

    id: int
    code: str
    name_zh: str
    name_en: str | None
    record: dict[str, Any]
    sections: list[tuple[Term, list[Value]]]
    internal: list[Value]
    buildings: list[list[Value]]
    distances: list[dict[str, Any]]
    overlaps: list[dict[str, Any]]
    history: list[HistoryEntry]
    geometry: dict[str, Any]
    bounds: tuple[float, float, float, float]
    stale: bool
    #: the declared area further than the tolerance from the plane area: (zh, en), else None
    area_flag: tuple[str, str] | None = None
    #: the 三调 current-use composition (None: the survey does not reach the site)
    current_use: CurrentUse | None = None

    def name(self, lang: str = "zh") -> str:
        """The site's name in ``lang`` (Chinese when there is no English name)."""
        return self.name_en if lang == "en" and self.name_en else self.name_zh


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


#: rows of other tables by code, for values that reference them (``ref:district``): the
#: table's name → code → its names; read per page with :func:`references`
References = Mapping[str, Mapping[str, Term]]


#: how the rows of a table that registry fields reference (``Field.references``) are read
_REFERENCED: dict[str, Callable[[sa.Connection], dict[str, Term]]] = {
    "district": district_queries.district_terms,
}


def references(conn: sa.Connection) -> dict[str, dict[str, Term]]:
    """The rows that the site's registry fields reference by code (districts), with their
    names: a handful of rows per table, read once per page."""
    tables = {f.references for f in fields.SITE.values() if f.references is not None}
    return {t: _REFERENCED[t](conn) for t in sorted(tables)}


def format_value(how: str, value: Any, refs: References | None = None) -> tuple[str, str]:
    """A stored value as (Chinese, English) text for the sheet; ``refs`` names the codes of
    other tables (a district code is shown by the district's name, the code when unknown)."""
    if value is None or value == "" or value == []:
        return "—", "—"
    kind, _, arg = how.partition(":")
    if kind == "ref":
        t = (refs or {}).get(arg, {}).get(str(value))
        return (t.zh, t.en) if t is not None else (str(value), str(value))
    if kind == "vocab":
        voc: Vocabulary = vocab.VOCABULARIES[arg]
        if value in voc:
            t = voc.term(value)
            return t.zh, t.en
        return str(value), str(value)
    if kind == "vocabs":
        voc = vocab.VOCABULARIES[arg]
        terms = [voc.term(v) if v in voc else Term(v, v, v) for v in value]
        return "、".join(t.zh for t in terms), ", ".join(t.en for t in terms)
    if kind == "lu":
        try:
            return (
                f"{value} {landuse.label(arg, value, 'zh')}",
                f"{value} {landuse.label(arg, value, 'en')}",
            )
        except UnknownVocabularyValue:  # an unknown code is shown as stored
            return str(value), str(value)
    if kind == "gk_zone":
        try:
            return plane_area.zone_label(int(value))
        except (TypeError, ValueError):
            return str(value), str(value)
    if kind.startswith("num"):
        try:
            text = _number(float(value), int(kind[3:]))
        except (TypeError, ValueError):
            text = str(value)
        return text, text
    if kind == "bool":
        return _YES_NO[bool(value)]
    if kind == "date":
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        return text, text
    if kind == "datetime":
        text = (
            value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else str(value)[:16]
        )
        return text, text
    return str(value), str(value)


def _value(
    fields: dict[str, tuple[Term, str]], key: str, raw: Any, refs: References | None = None
) -> Value:
    label, how = fields[key]
    zh, en = format_value(how, raw, refs)
    return Value(key, label, zh, en, raw)


def _history_value(table: str, key: str, raw: Any, refs: References) -> tuple[Term, Value]:
    fields = SITE_SHEET_FIELDS if table == "site" else BUILDING_SHEET_FIELDS
    if key in fields:
        v = _value(fields, key, raw, refs)
        return v.label, v
    label = Term(key, key, key)
    text = "…" if key == "geom" else ("—" if raw is None else str(raw)[:200])
    return label, Value(key, label, text, text, raw)


def _history(rows: list[dict[str, Any]], refs: References) -> list[HistoryEntry]:
    out = []
    for r in rows:
        entry = HistoryEntry(
            r["changed_at"], r["changed_by"], r["action"], r["table_name"], r["row_id"], r["note"]
        )
        changes = r["changes"] or {}
        if r["action"] == "update":
            for key in sorted(
                changes,
                key=lambda k: list(SITE_SHEET_FIELDS).index(k) if k in SITE_SHEET_FIELDS else 999,
            ):
                if key in _KEPT_BY_DATABASE:
                    continue
                old, new = changes[key]
                label, before = _history_value(r["table_name"], key, old, refs)
                _, after = _history_value(r["table_name"], key, new, refs)
                entry.changes.append((label, before, after))
        out.append(entry)
    return out


def site_sheet(conn: sa.Connection, site_id: int, today: dt.date | None = None) -> SiteSheet:
    """Everything about one site for officers; :class:`NotFound` when there is none."""
    rec = site_sheet_queries.site_record(conn, site_id)
    if rec is None:
        raise NotFound(f"site {site_id} not found")
    refs = references(conn)
    sections = [
        (title, [_value(SITE_SHEET_FIELDS, k, rec.get(k), refs) for k in keys])
        for title, keys in SECTIONS
    ]
    internal = [
        _value(SITE_SHEET_FIELDS, k, rec.get(k), refs) for k in site_sheet_queries.INTERNAL_COLUMNS
    ]
    buildings = [
        [_value(BUILDING_SHEET_FIELDS, k, b.get(k)) for k in BUILDING_SHEET_FIELDS]
        for b in site_sheet_queries.site_buildings(conn, site_id)
    ]
    verified = rec.get("verified_at")
    today = today or dt.date.today()
    stale = verified is None or (today - verified).days > STALE_AFTER_DAYS
    return SiteSheet(
        id=rec["id"],
        code=rec["code"],
        name_zh=rec["name_zh"],
        name_en=rec["name_en"],
        record=rec,
        sections=sections,
        internal=internal,
        buildings=buildings,
        distances=site_sheet_queries.site_distances(conn, site_id),
        overlaps=site_sheet_queries.site_overlaps(conn, site_id),
        history=_history(site_sheet_queries.site_history(conn, site_id), refs),
        geometry=rec["geometry"],
        bounds=(rec["x0"], rec["y0"], rec["x1"], rec["y1"]),
        stale=stale,
        area_flag=_area_flag(rec),
        current_use=_current_use(site_sheet_queries.site_current_use(conn, site_id)),
    )


def _area_flag(rec: dict[str, Any]) -> tuple[str, str] | None:
    """The flag of a declared area that differs from the plane area by more than 1 %."""
    declared, plane, epsg = (
        rec.get("declared_area_mu"),
        rec.get("area_m2_plane"),
        rec.get("plane_epsg"),
    )
    if epsg is None or not plane_area.is_flagged(declared, plane):
        return None
    return plane_area.declared_gap_text(declared, plane, epsg)
