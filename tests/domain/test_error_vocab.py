"""The error vocabulary: every code the API can send has a message in Chinese and in English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from api.errors import HTTP_CODES
from gis_app.domain import error_vocab, errors
from gis_app.domain.error_vocab import ERRORS, PYDANTIC_CODES, Problem

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def _codes_in_source() -> dict[str, list[str]]:
    """Every error code written in the code base, with where it is written.

    Codes appear as ``code="…"`` keywords (domain errors), the first argument of
    ``Problem(…)`` and of spec validators' ``_refused(…)``, and the second of ``FieldError``.
    """
    found: dict[str, list[str]] = {}
    for folder in ("gis_app", "api", "cli", "maps"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                args: list[ast.expr] = [k.value for k in node.keywords if k.arg == "code"]
                if name in ("Problem", "_refused") and node.args:
                    args.append(node.args[0])
                if name == "FieldError" and len(node.args) > 1:
                    args.append(node.args[1])
                for arg in args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.setdefault(arg.value, []).append(where)
    return found


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_every_code_has_both_languages_with_the_same_placeholders(code: str) -> None:
    term = ERRORS[code]
    assert term.code == code
    assert CJK.search(term.zh), f"{code}: the Chinese message has no Chinese: {term.zh!r}"
    assert term.en.strip() and not CJK.search(term.en.replace("“", "").replace("”", "")), (
        f"{code}: the English message is empty or not English: {term.en!r}"
    )
    assert term.placeholders("zh") == term.placeholders("en"), code
    assert term.placeholders("zh") <= {
        "field",
        "value",
        "min",
        "max",
        "max_length",
        "min_length",
        "count",
        "retry_after_s",
        "old",
        "new",
        "upper",
        "upper_value",
        "looks",  # what an uploaded file's content looks like (HTML, GIF …)
        "other",  # the other parameter of a pair
        "choices",  # the layers or files a person chooses among
        "row",  # the row of a file, with the "record" it is about and the row's "problem"
        "record",
        "problem",
        "officer",
        "month",
        "other_row",
        "range",  # a bound's field label without its ≥/≤: the range both bounds belong to
        "district",  # a district (a term: named in the message's language); "other" the second
        # rows of imported files and the geometry checks
        "column",  # the file's column as the person sees it, with the cell's "problem"
        "part",  # a part of a split
        "layer",  # what a row of the layer is (地块 / site …), a term
        "code",  # a vocabulary code and its "name" beside a label column
        "name",
        "kind",  # a constraint zone's kind (a term), its "area" of overlap
        "area",
        "where",  # where else in the file, a term ("（第 3 行）")
        "reason",  # GEOS's reason a polygon is invalid, or a term
        "crs",  # the declared coordinate system and a "hint" (a term) at the likely mistake
        "hint",
        "vertex",  # the first non-finite vertex
        "share",  # the share of an outline outside the jurisdiction, in %
        "first",  # first and "last" position of an open ring
        "last",
    }, code


def test_every_domain_error_class_has_a_declared_code() -> None:
    classes = [errors.GisAppError, *_subclasses(errors.GisAppError)]
    missing = {c.__name__: c.code for c in classes if c.code not in ERRORS}
    assert not missing


def test_every_code_written_in_the_code_base_is_declared() -> None:
    found = _codes_in_source()
    # the scan does find the codes (a scan that finds nothing proves nothing)
    assert {"reason_required", "delivered_needs_full_progress", "above_max", "range_inverted"} <= (
        set(found)
    )
    undeclared = {c: where for c, where in found.items() if c not in ERRORS}
    assert not undeclared


def test_framework_errors_map_to_declared_codes() -> None:
    assert set(PYDANTIC_CODES.values()) <= set(ERRORS)
    assert set(HTTP_CODES.values()) <= set(ERRORS)


def test_a_message_names_the_field_by_its_label_in_each_language() -> None:
    msg = error_vocab.message(
        Problem("above_max", "policy_progress_pct", {"value": 150, "max": 100.0})
    )
    assert msg["zh"] == "政策处理进度（%）不能大于 100（填写的是 150）。"
    assert msg["en"].startswith("Progress (%) cannot be above 100")


def test_reason_required_words_the_move_with_vocabulary_labels() -> None:
    from gis_app.domain import transitions

    with pytest.raises(errors.ReasonRequired) as info:
        transitions.check_changes(
            "site PT-1", {"policy_status": "approved"}, {"policy_status": "surveying"}, None
        )
    (problem,) = info.value.refusals
    assert problem.code == "reason_required" and problem.field == "policy_status"
    msg = error_vocab.message(problem)
    assert "已批准" in msg["zh"] and "调查摸底" in msg["zh"] and "备注" in msg["zh"]
    assert "Approved" in msg["en"] and "Surveying" in msg["en"]


# --- every refusal a person can reach has its own code ------------------------------------------

#: raise sites of a generic refusal (InvalidInput, Conflict … without a code) that no page,
#: form, file import or API request reaches, by ``path::function`` → why
GENERIC_ALLOWED: dict[str, str] = {
    "gis_app/db/backup.py::backup": "CLI only (gis-app db backup): an admin reads the detail",
    "gis_app/db/backup.py::restore": "CLI only (gis-app db restore)",
    "gis_app/db/pitr.py::base_backup": "CLI only (gis-app db backup --base)",
    "gis_app/db/pitr.py::restore_to": "CLI only (gis-app db restore-to)",
    "gis_app/db/replica.py::_private_primary": "CLI only (gis-app db replica up)",
    "gis_app/db/replica.py::replica_up": "CLI only (gis-app db replica up)",
    "gis_app/services/db_logins.py::create_db_login": "CLI only (gis-app db login)",
    "gis_app/services/requirements.py::load_examples": "CLI only: loads the sample file",
    "gis_app/services/projects.py::load_ledger": "CLI only: loads the sample ledger",
    "gis_app/services/activities.py::load_activities": "CLI only: loads the sample activities",
    "gis_app/services/tiles.py::export_selection": "CLI only (gis-app map export)",
}


#: the codes that say only what kind of refusal it is (their message cannot help a person)
GENERIC_CODES = frozenset({"error", "invalid_input", "conflict"})


def _generic_classes() -> set[str]:
    """The error classes whose own code is a generic one (InvalidInput, TransitionRefused,
    Conflict, GisAppError …)."""
    classes = [errors.GisAppError, *_subclasses(errors.GisAppError)]
    return {c.__name__ for c in classes if c.code in GENERIC_CODES}


def _own_calls(fn: ast.AST) -> list[ast.Call]:
    """The calls in a function's body, not in the functions defined inside it."""
    out: list[ast.Call] = []
    todo = list(ast.iter_child_nodes(fn))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            out.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return out


def _uncoded_raises() -> dict[str, list[int]]:
    """``path::function`` → lines of each generic refusal made without ``code=`` (or
    ``refusals=``, which carry a code each) in gis_app/ and api/."""
    generic = _generic_classes()
    found: dict[str, list[int]] = {}
    for folder in ("gis_app", "api"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in _own_calls(fn):
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    if name in generic and not {"code", "refusals"} & {
                        k.arg for k in node.keywords
                    }:
                        key = f"{path.relative_to(ROOT)}::{fn.name}"
                        found.setdefault(key, []).append(node.lineno)
    return found


def test_every_refusal_a_person_can_reach_has_a_specific_code() -> None:
    found = _uncoded_raises()
    # the scan sees the allowlisted sites (a scan that finds nothing proves nothing)
    assert "gis_app/db/pitr.py::restore_to" in found
    unlisted = {k: lines for k, lines in found.items() if k not in GENERIC_ALLOWED}
    assert not unlisted, (
        "refusals without a code of the error vocabulary (give code=, field=, params=, or "
        f"list the site in GENERIC_ALLOWED with the reason no person reaches it): {unlisted}"
    )
    stale = sorted(set(GENERIC_ALLOWED) - set(found))
    assert not stale, f"GENERIC_ALLOWED names sites that no longer raise a generic error: {stale}"


def test_every_coded_refusal_gives_the_params_its_message_needs() -> None:
    """An error class made with a literal ``code=`` and literal (or no) ``params=`` fills every
    placeholder of the code's messages (else a person reads "?")."""
    classes = {c.__name__ for c in [errors.GisAppError, *_subclasses(errors.GisAppError)]}
    checked, short = 0, {}
    for folder in ("gis_app", "api"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                if getattr(node.func, "id", getattr(node.func, "attr", "")) not in classes:
                    continue
                kw = {k.arg: k.value for k in node.keywords}
                code, params = kw.get("code"), kw.get("params")
                if not (isinstance(code, ast.Constant) and code.value in ERRORS):
                    continue
                if params is not None and not (
                    isinstance(params, ast.Dict) and all(k is not None for k in params.keys)
                ):
                    continue  # params computed at run time
                given = {k.value for k in (params.keys if params else []) if k is not None}
                # {field} and {range} are derived from the field's label
                given |= {"field", "range"} if "field" in kw else set()
                missing = ERRORS[code.value].placeholders("zh") - given
                checked += 1
                if missing:
                    short[f"{path.relative_to(ROOT)}:{node.lineno}"] = sorted(missing)
    assert checked > 100
    assert not short


def test_the_codes_of_parameters_and_files_name_them_in_each_language() -> None:
    from gis_app.services.paging import check_page

    with pytest.raises(errors.InvalidInput) as info:
        check_page(500, 0, 100)
    assert str(info.value) == "limit must be between 1 and 100, got 500"
    msg = error_vocab.message(info.value.refusals[0])
    assert msg["zh"] == "每页条数应在 1 到 100 之间（填写的是 500）。"
    assert msg["en"] == "Page size must be between 1 and 100 (you entered 500)."
    # a search parameter is named by the search form's label
    from gis_app.db.site_queries import SiteFilter

    with pytest.raises(errors.InvalidInput) as info:
        SiteFilter(area_mu_min=50, area_mu_max=20).validate()
    (problem,) = info.value.refusals
    assert problem.code == "range_inverted" and problem.field == "area_mu_min"
    # the range is named once, without the bounds' ≥/≤
    assert error_vocab.message(problem) == {
        "zh": "面积（亩）的下限（50）不能大于上限（20）。",
        "en": "Area (mu): the minimum (50) cannot be greater than the maximum (20).",
    }
