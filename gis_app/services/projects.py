"""The project ledger: record a project (from a signed requirement or directly), its
milestones, the sites and buildings it took, and its monthly figures — by hand or from the
office's XLSX sheets (all or nothing). One transaction per write; every write says who made it
(the project's and the sites' history triggers record it).

Who may do what: officers edit their own projects (admins any); officers, leaders and admins
read every project with its financials; planners read projects' stages only (the fields outside
the ``finance`` group, milestones and sites — no financials, no monthly figures).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gis_app.db import project_queries as q
from gis_app.db.district_queries import district_terms, districts_below, home_of, user_district
from gis_app.db.edit_queries import translate_db_errors
from gis_app.db.engine import set_app_user
from gis_app.domain import fields, projects, vocab
from gis_app.domain import industry as industries
from gis_app.domain.error_vocab import Problem, at_row
from gis_app.domain.errors import (
    Forbidden,
    InvalidInput,
    LoadError,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RetiredSite,
    UnknownVocabularyValue,
)
from gis_app.domain.fields import FieldError
from gis_app.domain.vocab import Term
from gis_app.io.project_months import read_month_sheet
from gis_app.services.paging import check_page
from gis_app.services.requirements import Viewer, get_requirement

MAX_PAGE = 500
#: requirement states from which a project may be recorded
SIGNED_STATES = ("signed", "landed")
#: keys of a new project's body beyond its fields
_EXTRA = frozenset({"milestones", "site_codes"})
_STORED = tuple(n for n, f in projects.PROJECT.items() if f.stored)
_STAGE_STORED = tuple(n for n in projects.STAGE_FIELDS if projects.PROJECT[n].stored)
_DATE = fields.Field("date")


@dataclass(frozen=True)
class ProjectViewer:
    """Who reads or writes the ledger: their user name and roles."""

    username: str
    roles: frozenset[str]

    @property
    def admin(self) -> bool:
        """Admins read and edit every project."""
        return "admin" in self.roles

    @property
    def reads_finance(self) -> bool:
        """Officers, leaders and admins read financials; planners do not."""
        return bool(self.roles & {"officer", "leader", "admin"})

    @property
    def sets_targets(self) -> bool:
        """Leaders and admins set the annual targets and the activities' monthly minimum."""
        return bool(self.roles & {"leader", "admin"})

    def may_edit(self, officer: str | None) -> bool:
        """Whether this viewer may change a project of ``officer``."""
        return self.admin or ("officer" in self.roles and officer == self.username)


def _check_edit(viewer: ProjectViewer, project: dict[str, Any]) -> None:
    if not viewer.may_edit(project["officer"]):
        raise Forbidden(
            f"project {project['code']} is officer {project['officer']!r}'s: "
            f"only its officer or an admin may change it"
        )


def _lock(conn: sa.Connection, project_id: int, viewer: ProjectViewer) -> dict[str, Any]:
    with translate_db_errors(f"project {project_id}"):
        row = q.lock_project(conn, project_id)
    if row is None:
        raise NotFound(f"project {project_id} not found")
    _check_edit(viewer, row)
    return row


def _iso(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for k, v in record.items()
    }


def _labelled(record: dict[str, Any]) -> dict[str, Any]:
    out = _iso(record)
    out["sector_label"] = _both(vocab.SECTOR, out.get("sector"))
    out["stage_label"] = _both(vocab.MILESTONE, out.get("stage"))
    out["late"] = list(out.get("late") or [])
    out["late_labels"] = [_both(vocab.MILESTONE, k) for k in out["late"]]
    out["site_codes"] = list(out.get("site_codes") or [])
    return out


def _both(v: vocab.Vocabulary, key: str | None) -> dict[str, str] | None:
    return None if key is None else {"zh": v.label(key), "en": v.label(key, "en")}


def _columns(viewer: ProjectViewer) -> tuple[str, ...]:
    return _STORED if viewer.reads_finance else _STAGE_STORED


# --- reading -----------------------------------------------------------------------------------


def list_projects(
    conn: sa.Connection,
    viewer: ProjectViewer,
    today: dt.date,
    *,
    officer: str | None = None,
    sector: str | None = None,
    platform: str | None = None,
    q_text: str | None = None,
    district: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Projects the viewer may read (planners: stages only), newest first, and the total;
    ``district``: of that district (a city: of its districts) only. Each names its district
    (``district_label``)."""
    check_page(limit, offset, MAX_PAGE)
    if sector:
        vocab.SECTOR.term(sector)
    names = district_terms(conn)
    total, rows = q.list_projects(
        conn,
        _columns(viewer),
        today,
        officer=officer,
        sector=sector,
        platform=platform,
        q=q_text,
        districts=districts_below(conn, district) if district else None,
        limit=limit,
        offset=offset,
    )
    out = [_labelled(r) for r in rows]
    for r in out:
        term = names.get(r.get("district_code") or "")
        r["district_label"] = {"zh": term.zh, "en": term.en} if term else None
    return total, out


def get_project(
    conn: sa.Connection, project_id: int, viewer: ProjectViewer, today: dt.date
) -> dict[str, Any]:
    """One project with its milestones (every kind, in order), sites and buildings; with its
    monthly figures for viewers who read financials. :class:`NotFound` if unknown."""
    row = q.get_project(conn, project_id, _columns(viewer), today)
    if row is None:
        raise NotFound(f"project {project_id} not found")
    out = _labelled(row)
    stones = q.milestones(conn, project_id)
    out["milestones"] = [
        {
            "kind": t.key,
            "label": {"zh": t.zh, "en": t.en},
            "planned_date": _iso_date(stones.get(t.key, {}).get("planned_date")),
            "actual_date": _iso_date(stones.get(t.key, {}).get("actual_date")),
            "late": t.key in out["late"],
        }
        for t in vocab.MILESTONE
    ]
    out["sites"] = [_iso(s) for s in q.project_sites(conn, project_id)]
    out["buildings"] = [_iso(b) for b in q.project_buildings(conn, project_id)]
    if viewer.reads_finance:
        out["months"] = [
            {**_iso(m), "month": projects.month_key(m["month"])} for m in q.months(conn, project_id)
        ]
    out["may_edit"] = viewer.may_edit(row.get("officer"))
    return out


def _iso_date(v: dt.date | None) -> str | None:
    return None if v is None else v.isoformat()


def projects_of_site(conn: sa.Connection, site_id: int, today: dt.date) -> list[dict[str, Any]]:
    """The projects that took a site (code, name, stage, late milestones; no financials)."""
    return [_labelled(r) for r in q.projects_of_site(conn, site_id, today)]


# --- writing -----------------------------------------------------------------------------------


def _coerce(name: str, value: Any, what: str) -> Any:
    f = projects.PROJECT[name]
    try:
        out = f.coerce(value)
        # GB/T 4754 codes as requirements store them (section letter first: C3734)
        return industries.normalise(out) if name == "industry" and out else out
    except FieldError as e:
        raise InvalidInput(
            f"{what}: {name} ({f.zh}): {e}", code=e.code, field=name, params=e.params
        ) from None
    except UnknownVocabularyValue:
        raise InvalidInput(
            f"{what}: industry: unknown GB/T 4754-2017 code {value!r} (e.g. C3734, C26 or 26)",
            code="unknown_industry",
            field="industry",
            params={"value": str(value)[:40]},
        ) from None


def _refuse_unknown(data: dict[str, Any], allowed: frozenset[str] | set[str], what: str) -> None:
    managed = sorted(k for k in data if k in projects.PROJECT and projects.PROJECT[k].managed)
    if managed:
        raise InvalidInput(
            f"{what}: {', '.join(managed)} are kept by the server; leave them out",
            code="server_managed",
            field=managed[0],
        )
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"{what}: unknown field(s) {', '.join(unknown)}",
            code="unknown_field",
            params={"field": ", ".join(unknown)[:200]},
        )


def _from_requirement(
    conn: sa.Connection, requirement_id: int, viewer: ProjectViewer
) -> dict[str, Any]:
    """Defaults a signed requirement gives its project."""
    try:
        req = get_requirement(conn, requirement_id, Viewer(viewer.username, admin=viewer.admin))
    except NotFound:
        # a reference in the body, not the record the request names: the body is wrong
        raise InvalidInput(
            f"requirement_id: no requirement {requirement_id}",
            code="not_a_requirement_id",
            field="requirement_id",
            params={"value": requirement_id},
        ) from None
    if req["status"] not in SIGNED_STATES:
        raise InvalidInput(
            f"requirement {requirement_id} is {req['status']} "
            f"({vocab.REQUIREMENT_STATUS.label(req['status'])}): only a signed requirement "
            "becomes a project",
            code="requirement_not_signed",
            field="requirement_id",
            params={
                "value": requirement_id,
                "old": vocab.REQUIREMENT_STATUS.term(req["status"]),
            },
        )
    return {
        "name": req["project_name"],
        "investor": req.get("investor"),
        "industry": req.get("industry"),
        "officer": req.get("officer"),
        "district_code": req.get("district_code"),
    }


def _first_site_district(conn: sa.Connection, data: dict[str, Any]) -> str | None:
    """The district of the first site a new project's body names (None: none or unknown)."""
    codes = data.get("site_codes")
    if isinstance(codes, list) and codes:
        site = q.find_site(conn, str(codes[0]).strip())
        return site["district_code"] if site else None
    return None


def _project_district(
    conn: sa.Connection, values: dict[str, Any], data: dict[str, Any], username: str
) -> Any:
    """A new project's district: its requirement's, else its first site's, else its
    officer's (an SQL expression when it comes from the officer's account)."""
    return (
        values.get("district_code")
        or _first_site_district(conn, data)
        or user_district(values.get("officer") or username)
    )


def create_project(
    conn: sa.Connection, data: dict[str, Any], viewer: ProjectViewer, today: dt.date
) -> dict[str, Any]:
    """Record a project, with optional ``milestones`` ({kind: {planned_date, actual_date}})
    and ``site_codes`` (sites it took, which become ``signed``); commit.

    With ``requirement_id`` the signed requirement gives the name, investor, industry and
    officer where the body does not. The officer defaults to the caller; only admins record a
    project for another officer.
    """
    code = str(data.get("code") or "").strip()
    what = f"project {code or '(new)'}"
    _refuse_unknown(data, set(projects.WRITABLE) | _EXTRA, what)
    values: dict[str, Any] = {}
    rid = data.get("requirement_id")
    if rid not in (None, ""):
        rid = _coerce("requirement_id", rid, what)
        values |= {k: v for k, v in _from_requirement(conn, rid, viewer).items() if v}
    district = values.pop("district_code", None)
    for name in projects.WRITABLE:
        if name in data and data[name] not in (None, "", []):
            values[name] = data[name]
        values[name] = _coerce(name, values.get(name), what)
    values["officer"] = values.get("officer") or viewer.username
    if values["officer"] != viewer.username and not viewer.admin:
        raise Forbidden(f"{what}: only an admin records a project for another officer")
    values["created_by"] = viewer.username
    values["district_code"] = _project_district(
        conn, {"district_code": district, **values}, data, viewer.username
    )
    set_app_user(conn, viewer.username, f"record project {values['code']}")
    with translate_db_errors(what, values):
        project_id = q.insert_project(conn, values)
        _apply_extras(conn, project_id, values["code"], data, today)
    conn.commit()
    return get_project(conn, project_id, viewer, today)


def _apply_extras(
    conn: sa.Connection, project_id: int, code: str, data: dict[str, Any], today: dt.date
) -> None:
    stones = data.get("milestones") or {}
    if not isinstance(stones, dict):
        raise InvalidInput(
            f"project {code}: milestones must be an object {{kind: dates}}",
            code="not_an_object",
            field="milestones",
        )
    for kind, dates in stones.items():
        if not isinstance(dates, dict):
            raise InvalidInput(
                f"project {code}: milestone {kind} must be an object of dates",
                code="not_an_object",
                field="milestones",
            )
        _refuse_unknown(dates, {"planned_date", "actual_date"}, f"project {code}, {kind}")
        _write_milestone(conn, project_id, code, kind, dates, today)
    site_codes = data.get("site_codes") or []
    if not isinstance(site_codes, list):
        raise InvalidInput(
            f"project {code}: site_codes must be a list of site codes",
            code="not_a_list",
            field="site_codes",
        )
    for site_code in site_codes:
        _take_site(conn, project_id, code, str(site_code))


def update_project(
    conn: sa.Connection,
    project_id: int,
    patch: dict[str, Any],
    viewer: ProjectViewer,
    expected_version: int | None,
    today: dt.date,
) -> dict[str, Any]:
    """Change some fields of a project the viewer may edit, if it is still the version read
    (:class:`PreconditionRequired` without one, :class:`PreconditionFailed` when stale)."""
    what = f"project {project_id}"
    _refuse_unknown(patch, set(projects.WRITABLE), what)
    if expected_version is None:
        raise PreconditionRequired(f"{what}: send If-Match with the ETag of the version you read")
    row = _lock(conn, project_id, viewer)
    if row["version"] != expected_version:
        raise PreconditionFailed(
            f"{what} was changed by someone else (version {row['version']}, you read "
            f"{expected_version}); nothing was saved — reload it",
            current_version=row["version"],
        )
    values = {n: _coerce(n, v, f"project {row['code']}") for n, v in patch.items()}
    for name in ("code", "name", "sector"):
        if name in values and values[name] is None:
            raise InvalidInput(
                f"project {row['code']}: {name} cannot be emptied",
                code="cannot_be_emptied",
                field=name,
            )
    if "officer" in values and values["officer"] != row["officer"] and not viewer.admin:
        raise Forbidden(f"project {row['code']}: only an admin hands a project to another officer")
    set_app_user(conn, viewer.username, f"change project {row['code']}")
    with translate_db_errors(f"project {row['code']}"):
        q.update_project(conn, project_id, values)
    conn.commit()
    return get_project(conn, project_id, viewer, today)


def _write_milestone(
    conn: sa.Connection,
    project_id: int,
    code: str,
    kind: str,
    dates: dict[str, Any],
    today: dt.date,
) -> None:
    if kind not in vocab.MILESTONE:
        raise InvalidInput(
            f"project {code}: unknown milestone {kind!r} (allowed: "
            + ", ".join(f"{t.key} {t.zh}" for t in vocab.MILESTONE)
            + ")",
            code="unknown_value",
            field="milestone",
            params={"value": str(kind)[:40]},
        )
    parsed: dict[str, dt.date | None] = {}
    for name in ("planned_date", "actual_date"):
        try:
            parsed[name] = _DATE.coerce(dates.get(name))
        except FieldError as e:
            raise InvalidInput(
                f"project {code}, {kind} {name}: {e}", code=e.code, field=name, params=e.params
            ) from None
    actual = parsed["actual_date"]
    if actual is not None and actual > today:
        raise InvalidInput(
            f"project {code}, {kind}: the actual date {actual} is in the future; "
            "give it as the planned date",
            code="date_in_future",
            field="actual_date",
            params={"value": actual.isoformat()},
        )
    q.set_milestone(conn, project_id, kind, parsed["planned_date"], actual)


def set_milestone(
    conn: sa.Connection,
    project_id: int,
    kind: str,
    dates: dict[str, Any],
    viewer: ProjectViewer,
    today: dt.date,
) -> dict[str, Any]:
    """Record a milestone's planned and actual dates (both empty: remove it); commit."""
    row = _lock(conn, project_id, viewer)
    _refuse_unknown(dates, {"planned_date", "actual_date"}, f"project {row['code']}, {kind}")
    set_app_user(conn, viewer.username, f"milestone {kind} of project {row['code']}")
    with translate_db_errors(f"project {row['code']}"):
        _write_milestone(conn, project_id, row["code"], kind, dates, today)
    conn.commit()
    return get_project(conn, project_id, viewer, today)


def _take_site(
    conn: sa.Connection, project_id: int, code: str, site_code: str, field: str = "site_codes"
) -> None:
    site = q.find_site(conn, site_code.strip())
    if site is None:
        raise InvalidInput(
            f"project {code}: no site with code {site_code!r}",
            code="site_not_found",
            field=field,
            params={"value": site_code[:40]},
        )
    if site["retired"]:
        raise RetiredSite(
            f"project {code}: site {site['code']} was split or merged; take its successors"
        )
    own = q.project_district(conn, project_id)
    if site["district_code"] not in districts_below(conn, own):
        names = district_terms(conn)
        there, here = names.get(site["district_code"]), names.get(own)
        raise InvalidInput(
            f"project {code}: site {site['code']} lies in "
            f"{there.zh if there else site['district_code']}, outside the project's district "
            f"{here.zh if here else own}",
            code="site_other_district",
            field=field,
            params={
                "value": site["code"],
                "other": there or site["district_code"],
                "district": here or own,
            },
        )
    q.take_site(conn, project_id, site["id"])


def take_site(
    conn: sa.Connection,
    project_id: int,
    site_code: str,
    viewer: ProjectViewer,
    today: dt.date,
) -> dict[str, Any]:
    """Record that the project took a site: the site becomes ``signed`` (its history says by
    which project and who recorded it); commit."""
    row = _lock(conn, project_id, viewer)
    set_app_user(conn, viewer.username, f"taken by project {row['code']}")
    with translate_db_errors(f"project {row['code']}, site {site_code}"):
        _take_site(conn, project_id, row["code"], site_code, "site_code")
    conn.commit()
    return get_project(conn, project_id, viewer, today)


def take_building(
    conn: sa.Connection,
    project_id: int,
    building_id: int,
    viewer: ProjectViewer,
    today: dt.date,
) -> dict[str, Any]:
    """Record that the project took a building (and so the building's site); commit."""
    row = _lock(conn, project_id, viewer)
    building = q.find_building(conn, building_id)
    if building is None:
        raise InvalidInput(
            f"project {row['code']}: no building {building_id}",
            code="building_not_found",
            field="building_id",
            params={"value": building_id},
        )
    set_app_user(conn, viewer.username, f"taken by project {row['code']}")
    with translate_db_errors(f"project {row['code']}, building {building_id}"):
        q.take_building(conn, project_id, building_id)
        q.take_site(conn, project_id, building["site_id"])
    conn.commit()
    return get_project(conn, project_id, viewer, today)


def _month_values(
    code: str, month_value: Any, figures: dict[str, Any], today: dt.date
) -> tuple[dt.date, dict[str, float | None]]:
    """The month and figures of one entry, checked; :class:`FieldError` names the problem."""
    month = projects.parse_month(month_value)
    projects.check_month_not_future(month, today)
    return month, projects.coerce_figures(figures)


def _figure_field(e: FieldError) -> str | None:
    """The form field a month's :class:`FieldError` is about: the month, or the figure."""
    if e.code in ("not_a_month", "date_in_future"):
        return "month"
    named = e.params.get("field")
    return named.key if isinstance(named, Term) and named.key in projects.MONTH else None


def put_month(
    conn: sa.Connection,
    project_id: int,
    month_value: Any,
    figures: dict[str, Any],
    viewer: ProjectViewer,
    today: dt.date,
) -> dict[str, Any]:
    """Record (or correct) one month of a project's figures; commit."""
    row = _lock(conn, project_id, viewer)
    _refuse_unknown(figures, set(projects.FIGURES), f"project {row['code']}, {month_value}")
    try:
        month, values = _month_values(row["code"], month_value, figures, today)
    except FieldError as e:
        raise InvalidInput(
            f"project {row['code']}, month {month_value}: {e}",
            code=e.code,
            field=_figure_field(e),
            params=e.params,
        ) from None
    set_app_user(conn, viewer.username, f"figures of project {row['code']}")
    with translate_db_errors(f"project {row['code']}, {projects.month_key(month)}"):
        q.put_month(conn, project_id, month, values, viewer.username)
    conn.commit()
    return get_project(conn, project_id, viewer, today)


def import_months(
    conn: sa.Connection, data: bytes, filename: str, viewer: ProjectViewer, today: dt.date
) -> dict[str, Any]:
    """Import monthly figures from an XLSX sheet, all or nothing.

    Every row is checked before anything is written; a file with any bad row is refused with
    :class:`LoadError` naming each bad row (Excel row number, project code) and its problem:
    unknown project, a project of another officer, a bad or future month, a negative or
    non-numeric figure, a month given twice in the file, or a month already recorded.
    """
    rows = read_month_sheet(data, filename)
    if not rows:
        raise InvalidInput(
            f"{filename}: no data rows under the header",
            code="file_no_rows",
            field="file",
            params={"value": filename},
        )
    known = q.project_ids_by_code(
        conn, (str(r.values.get("project_code") or "").strip() for r in rows)
    )
    problems: list[Problem] = []
    accepted: list[tuple[int, dict[str, Any]]] = []
    seen: dict[tuple[str, dt.date], int] = {}

    def refuse(number: int, code: str, problem: Problem) -> None:
        problems.append(at_row(number, code or None, problem))

    for row in rows:
        code = str(row.values.get("project_code") or "").strip()
        project = known.get(code)
        if not code:
            refuse(
                row.number,
                code,
                Problem(
                    "project_code_empty", "project_code", {}, "项目编号 / project code is empty"
                ),
            )
            continue
        if project is None:
            refuse(
                row.number,
                code,
                Problem(
                    "project_unknown",
                    "project_code",
                    {"value": code},
                    f"unknown project {code!r} / 项目编号不存在",
                ),
            )
            continue
        if not viewer.may_edit(project["officer"]):
            refuse(
                row.number,
                code,
                Problem(
                    "project_not_yours",
                    "project_code",
                    {"value": code, "officer": project["officer"]},
                    f"project {code} is officer {project['officer']!r}'s; you may enter "
                    "figures only for your own projects",
                ),
            )
            continue
        try:
            month, figures = _month_values(code, row.values.get("month"), row.values, today)
        except FieldError as e:
            refuse(row.number, code, Problem(e.code, _figure_field(e), e.params, str(e)))
            continue
        key = (code, month)
        if key in seen:
            refuse(
                row.number,
                code,
                Problem(
                    "month_repeated",
                    "month",
                    {"value": code, "month": projects.month_key(month), "other_row": seen[key]},
                    f"duplicated month {projects.month_key(month)} of {code} "
                    f"(also row {seen[key]}) / 月份重复",
                ),
            )
            continue
        seen[key] = row.number
        accepted.append((row.number, {"project_id": project["id"], "month": month, **figures}))
    recorded = q.existing_months(conn, ((r["project_id"], r["month"]) for _, r in accepted))
    by_id = {p["id"]: c for c, p in known.items()}
    for number, r in accepted:
        if (r["project_id"], r["month"]) in recorded:
            code, month = by_id[r["project_id"]], projects.month_key(r["month"])
            refuse(
                number,
                code,
                Problem(
                    "month_recorded",
                    "month",
                    {"value": code, "month": month},
                    f"{month} is already recorded; correct it on the project's page / 该月已填报",
                ),
            )
    if problems:
        raise LoadError(filename, rows=sorted(problems, key=lambda p: p.params["row"]))
    set_app_user(conn, viewer.username, f"import {filename}")
    with translate_db_errors(filename):
        q.insert_months(conn, [{**r, "entered_by": viewer.username} for _, r in accepted])
    conn.commit()
    return {
        "filename": filename,
        "rows": len(accepted),
        "projects": sorted({by_id[r["project_id"]] for _, r in accepted}),
        "months": sorted({projects.month_key(r["month"]) for _, r in accepted}),
    }


def load_ledger(conn: sa.Connection, path: Path, officer: str, today: dt.date) -> list[str]:
    """Record the projects, monthly figures and targets of a ledger file (``projects.json`` of
    the sample: illustrative) for ``officer``, in one transaction; projects whose code exists
    are left as they are. Returns the codes recorded."""
    try:
        ledger = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise InvalidInput(f"{path.name}: cannot read the ledger ({e})") from None
    existing = q.project_ids_by_code(conn, (p["code"] for p in ledger.get("projects", [])))
    set_app_user(conn, officer, f"load {path.name}")
    recorded: list[str] = []
    ids: dict[str, int] = {}
    with translate_db_errors(path.name):
        for item in ledger.get("projects", []):
            if item["code"] in existing:
                continue
            what = f"{path.name}: project {item['code']}"
            _refuse_unknown(item, set(projects.WRITABLE) | _EXTRA, what)
            values = {n: _coerce(n, item.get(n), what) for n in projects.WRITABLE}
            values |= {"officer": values["officer"] or officer, "created_by": officer}
            values["district_code"] = _project_district(conn, values, item, officer)
            ids[item["code"]] = q.insert_project(conn, values)
            _apply_extras(conn, ids[item["code"]], item["code"], item, today)
            recorded.append(item["code"])
        rows = []
        for row in ledger.get("months", []):
            if row["project_code"] not in ids:
                continue
            try:
                month, figures = _month_values(row["project_code"], row["month"], row, today)
            except FieldError as e:
                what = f"{path.name}: {row['project_code']} {row['month']}"
                raise InvalidInput(f"{what}: {e}") from None
            rows.append(
                {"project_id": ids[row["project_code"]], "month": month, "entered_by": officer}
                | figures
            )
        q.insert_months(conn, rows)
        if recorded:
            home = home_of(conn, officer)
            for t in ledger.get("targets", []):
                keys = (t["year"], t["scope"], t["scope_key"], t["indicator"])
                q.put_target(conn, t.get("district_code") or home, *keys, t["value"])
    conn.commit()
    return recorded
