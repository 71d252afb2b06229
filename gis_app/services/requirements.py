"""Investor requirements: create, read, update, list (one transaction per write).

Confidential requirements are visible only to their officer, their creator and admins; to
anyone else they do not exist (404), so that their existence does not leak either.

Optimistic concurrency (as for sites): every change names the version it was based on (the
``ETag`` of ``GET /api/requirements/{id}``, i.e. the row's ``version``, bumped by a database
trigger on every update — psql included). The row is locked ``FOR UPDATE`` (at most the lock
timeout), the version compared, and only then changed: of two officers who read the same
version, the second to save gets :class:`PreconditionFailed` instead of silently overwriting
the first one's change. Without a version the change is refused (:class:`PreconditionRequired`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gis_app.db.district_queries import district_terms, user_district, user_scope
from gis_app.db.edit_queries import translate_db_errors
from gis_app.db.engine import set_app_user
from gis_app.db.models import Requirement
from gis_app.db.referral_queries import referred_to_scope
from gis_app.domain import fields, vocab
from gis_app.domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    UnknownVocabularyValue,
)
from gis_app.matching.spec import FIELDS, RequirementSpec, parse_spec
from gis_app.services.paging import check_page

_REQUIREMENT = Requirement.__table__
#: columns a client may never set (managed by the server or the database)
SERVER_FIELDS = frozenset(fields.names(fields.REQUIREMENT, managed=True))
MAX_PAGE = 500


@dataclass(frozen=True)
class Viewer:
    """Who reads: their user name and whether they are an admin (sees every requirement)."""

    username: str
    admin: bool = False


def visible_to(viewer: Viewer) -> sa.ColumnElement[bool]:
    """SQL condition: requirements ``viewer`` may see (confidential ones only their own and
    those referred to their district)."""
    if viewer.admin:
        return sa.true()
    return sa.or_(
        _REQUIREMENT.c.confidential.is_(False),
        _REQUIREMENT.c.officer == viewer.username,
        _REQUIREMENT.c.created_by == viewer.username,
        # referred to the viewer's district: its officers work on it (issue 26, item 3)
        referred_to_scope(viewer.username),
    )


def _record(row: sa.RowMapping) -> dict[str, Any]:
    out = dict(row)
    for key, value in out.items():
        if isinstance(value, dt.date | dt.datetime):
            out[key] = value.isoformat()
    out["need_label"] = {
        "zh": vocab.NEED.label(out["need"]),
        "en": vocab.NEED.label(out["need"], "en"),
    }
    out["status_label"] = {
        "zh": vocab.REQUIREMENT_STATUS.label(out["status"]),
        "en": vocab.REQUIREMENT_STATUS.label(out["status"], "en"),
    }
    return out


def _values(spec: RequirementSpec) -> dict[str, Any]:
    values = spec.model_dump()
    c2023, cgb = spec.land_use_sets()
    values |= {"land_use_2023_codes": c2023, "land_use_gb_codes": cgb}
    return values


def spec_of(record: dict[str, Any]) -> RequirementSpec:
    """The matching spec of a stored requirement.

    A row written around the app (psql, an old version) that no longer validates is refused
    with :class:`InvalidInput` naming the requirement and the field, not a server error.
    """
    return parse_spec(
        {k: record[k] for k in FIELDS if k in record},
        what=f"stored requirement #{record.get('id')}",
    )


def create_requirement(conn: sa.Connection, data: Any, user: str) -> dict[str, Any]:
    """Validate and store a new requirement (its officer defaults to ``user``); commit."""
    if isinstance(data, dict):
        _refuse_server_fields(data)
    spec = data if isinstance(data, RequirementSpec) else parse_spec(data)
    if not spec.project_name:
        raise InvalidInput(
            "requirement: project_name is required", code="required", field="project_name"
        )
    values = _values(spec)
    values["officer"] = values.get("officer") or user
    values["created_by"] = user
    # the requirement belongs to its author's district (else the first district)
    values["district_code"] = user_district(user)
    set_app_user(conn, user, "create requirement")
    new_id = conn.execute(
        sa.insert(_REQUIREMENT).values(**values).returning(_REQUIREMENT.c.id)
    ).scalar_one()
    conn.commit()
    return get_requirement(conn, new_id, Viewer(user, admin=True))


def get_requirement(conn: sa.Connection, requirement_id: int, viewer: Viewer) -> dict[str, Any]:
    """One requirement; :class:`NotFound` if it does not exist or is hidden from ``viewer``."""
    row = (
        conn.execute(
            sa.select(_REQUIREMENT).where(_REQUIREMENT.c.id == requirement_id, visible_to(viewer))
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"requirement {requirement_id} not found")
    return _record(row)


def _other_district(conn: sa.Connection, requirement_id: int, district: str) -> Forbidden:
    """The refusal of a change to a requirement seen by another district through a referral:
    it matches and recommends, the requirement's own district changes it (issue 26, item 3)."""
    name = district_terms(conn).get(district)
    return Forbidden(
        f"requirement {requirement_id} belongs to district {district}; only its officers change it",
        code="requirement_other_district",
        params={"value": name or district},
    )


def lock_requirement(
    conn: sa.Connection, requirement_id: int, viewer: Viewer, expected_version: int | None
) -> dict[str, Any]:
    """Lock the requirement ``FOR UPDATE`` and check it is the version the caller read.

    :class:`PreconditionRequired` without a version, :class:`NotFound` if it does not exist or
    is hidden from ``viewer``, :class:`Forbidden` when it belongs to a district outside the
    viewer's (one it was referred to), :class:`PreconditionFailed` (with the current version)
    when it changed since; a row locked longer than the lock timeout is a :class:`LockTimeout`.
    """
    if expected_version is None:
        raise PreconditionRequired(
            f"requirement {requirement_id}: send If-Match with the ETag of the version you read "
            "(GET it first), so that a change made meanwhile is not overwritten"
        )
    with translate_db_errors(f"requirement {requirement_id}"):
        row = (
            conn.execute(
                sa.select(_REQUIREMENT)
                .where(_REQUIREMENT.c.id == requirement_id, visible_to(viewer))
                .with_for_update(of=_REQUIREMENT)
            )
            .mappings()
            .one_or_none()
        )
    if row is None:
        # under row security a requirement referred to the caller's district is read but not
        # locked (its own district's writers only): say so, not "not found"
        seen = (
            conn.execute(
                sa.select(_REQUIREMENT).where(
                    _REQUIREMENT.c.id == requirement_id, visible_to(viewer)
                )
            )
            .mappings()
            .one_or_none()
        )
        conn.rollback()
        if seen is None:
            raise NotFound(f"requirement {requirement_id} not found")
        raise _other_district(conn, requirement_id, seen["district_code"])
    if not viewer.admin and row["district_code"] not in user_scope(conn, viewer.username):
        # seen by another district through a referral: it matches and recommends, its
        # district changes it (issue 26, item 3)
        conn.rollback()
        raise _other_district(conn, requirement_id, row["district_code"])
    if row["version"] != expected_version:
        conn.rollback()
        raise PreconditionFailed(
            f"requirement {requirement_id} was changed by someone else since you read it (you "
            f"have version {expected_version}, it is now {row['version']}); nothing was saved: "
            "reload it and apply your change again",
            current_version=row["version"],
        )
    return _record(row)


def update_requirement(
    conn: sa.Connection,
    requirement_id: int,
    patch: dict[str, Any],
    viewer: Viewer,
    *,
    expected_version: int | None,
) -> dict[str, Any]:
    """Apply a partial update (fields as in the create body), checked as a whole; commit.

    ``expected_version`` is the version the caller read (its ETag); see
    :func:`lock_requirement`.
    """
    if not isinstance(patch, dict):
        raise InvalidInput(
            "requirement update must be a JSON object of fields", code="not_an_object", field="body"
        )
    _refuse_server_fields(patch)
    unknown = sorted(set(patch) - set(FIELDS))
    if unknown:
        raise InvalidInput(
            f"requirement: unknown field(s) {', '.join(unknown)}",
            code="unknown_field",
            field=unknown[0][:60],
        )
    current = lock_requirement(conn, requirement_id, viewer, expected_version)
    if "status" in patch and patch["status"] != current["status"]:
        # the transition rules live in one place (recommendations.change_status)
        raise InvalidInput(
            f"requirement {requirement_id}: change the status with "
            f"POST /api/requirements/{requirement_id}/status, which checks the transition",
            code="status_change_elsewhere",
            field="status",
        )
    merged = {k: current[k] for k in FIELDS} | patch
    spec = parse_spec(merged, f"requirement {requirement_id}")
    if not spec.project_name:
        raise InvalidInput(
            f"requirement {requirement_id}: project_name must not be empty",
            code="required",
            field="project_name",
        )
    values = _values(spec)
    changed = {k: v for k, v in values.items() if _differs(current.get(k), v)}
    if not changed:
        conn.rollback()  # release the row lock
        return current
    set_app_user(conn, viewer.username, f"update requirement {requirement_id}")
    with translate_db_errors(f"requirement {requirement_id}"):
        conn.execute(
            sa.update(_REQUIREMENT).where(_REQUIREMENT.c.id == requirement_id).values(**changed)
        )
    conn.commit()
    return get_requirement(conn, requirement_id, viewer)


def _differs(old: Any, new: Any) -> bool:
    if isinstance(new, dt.date) and isinstance(old, str):
        return old != new.isoformat()
    return old != new


def _refuse_server_fields(data: dict[str, Any]) -> None:
    managed = sorted(set(data) & SERVER_FIELDS)
    if managed:
        raise InvalidInput(
            f"requirement: {', '.join(managed)} cannot be set by a client",
            code="server_managed",
            field=managed[0],
        )


def list_requirements(
    conn: sa.Connection,
    viewer: Viewer,
    *,
    status: list[str] | None = None,
    need: list[str] | None = None,
    officer: str | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """The requirements ``viewer`` may see, newest first, and how many there are."""
    check_page(limit, offset, MAX_PAGE)
    conds: list[sa.ColumnElement[bool]] = [visible_to(viewer)]
    for name, values, voc in (
        ("status", status, vocab.REQUIREMENT_STATUS),
        ("need", need, vocab.NEED),
    ):
        for v in values or []:
            if v not in voc:
                raise UnknownVocabularyValue(name, v, voc.keys)
        if values:
            conds.append(_REQUIREMENT.c[name].in_(values))
    if officer:
        conds.append(_REQUIREMENT.c.officer == officer)
    if q:
        if "\x00" in q:
            raise InvalidInput("q must not contain NUL characters", code="text_nul", field="q")
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(
            sa.or_(
                _REQUIREMENT.c.project_name.ilike(like, escape="\\"),
                _REQUIREMENT.c.industry.ilike(like, escape="\\"),
                _REQUIREMENT.c.project_type.ilike(like, escape="\\"),
            )
        )
    where = sa.and_(*conds)
    total = conn.execute(
        sa.select(sa.func.count()).select_from(_REQUIREMENT).where(where)
    ).scalar_one()
    rows = (
        conn.execute(
            sa.select(_REQUIREMENT)
            .where(where)
            .order_by(_REQUIREMENT.c.created_at.desc(), _REQUIREMENT.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        .mappings()
        .all()
    )
    return int(total), [_record(r) for r in rows]


@dataclass
class ReexpandReport:
    """What :func:`reexpand_land_uses` did: requirements changed, unchanged, not valid."""

    changed: list[int]
    unchanged: int
    invalid: list[str]


def reexpand_land_uses(conn: sa.Connection, user: str) -> ReexpandReport:
    """Recompute every requirement's land-use sets from its stated codes or industry; commit.

    For after a release changes the land-use hierarchy or the industry → land-use mapping:
    stored sets (which the reverse match and the alerts read) keep the old expansion until the
    requirement is saved again. The update refreshes each changed requirement's matches (no
    alerts: as when it is saved). A requirement that no longer validates is reported by id and
    field and left as it is.
    """
    set_app_user(conn, user, "re-expand requirement land uses")
    rows = conn.execute(sa.select(_REQUIREMENT).order_by(_REQUIREMENT.c.id)).mappings().all()
    report = ReexpandReport([], 0, [])
    for row in rows:
        try:
            c2023, cgb = spec_of(dict(row)).land_use_sets()
        except InvalidInput as e:
            report.invalid.append(str(e))
            continue
        if (c2023, cgb) == (sorted(row["land_use_2023_codes"]), sorted(row["land_use_gb_codes"])):
            report.unchanged += 1
            continue
        conn.execute(
            sa.update(_REQUIREMENT)
            .where(_REQUIREMENT.c.id == row["id"])
            .values(land_use_2023_codes=c2023, land_use_gb_codes=cgb)
        )
        report.changed.append(row["id"])
    conn.commit()
    return report


def load_examples(conn: sa.Connection, path: Path, officer: str) -> list[int]:
    """Record the example requirements of ``path`` (a JSON list of requirement bodies) for
    ``officer``, skipping any whose project name is already recorded; return the new ids.

    Each is validated and stored like ``POST /api/requirements`` (one commit each); a bad one
    stops the load with the error naming it, after the ones before it.
    """
    try:
        examples = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InvalidInput(f"{path}: not a readable JSON list of requirements ({e})") from None
    if not isinstance(examples, list):
        raise InvalidInput(f"{path}: expected a JSON list of requirements")
    known = set(conn.execute(sa.select(_REQUIREMENT.c.project_name)).scalars())
    created = []
    for i, body in enumerate(examples):
        name = body.get("project_name") if isinstance(body, dict) else None
        if name in known:
            continue
        try:
            created.append(create_requirement(conn, body, officer)["id"])
        except InvalidInput as e:
            raise InvalidInput(f"{path} item {i} ({name}): {e.public_message}") from None
    return created
