"""Status rules: forward is routine, backwards needs a reason, contradictions are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from gis_app.domain.errors import ReasonRequired, TransitionRefused
from gis_app.domain.transitions import check_changes

SITE = {
    "policy_status": "agreements",
    "policy_progress_pct": 60,
    "planning_status": "approved",
    "quota_status": "applied",
    "supply_stage": "land_bank",
    "readiness": "partly_cleared",
    "availability": "signed",
    "far_min": 1.0,
    "far_max": 2.0,
}


def test_forward_moves_need_no_reason() -> None:
    changes = check_changes(
        "site X",
        SITE,
        {"policy_status": "approval_pending", "policy_progress_pct": 70, "readiness": "cleared"},
        None,
    )
    assert {c.field for c in changes} == {"policy_status", "policy_progress_pct", "readiness"}
    assert not any(c.needs_reason for c in changes)


def test_unchanged_values_are_not_changes() -> None:
    assert check_changes("site X", SITE, {"policy_status": "agreements"}, None) == []


@pytest.mark.parametrize(
    ("field", "new", "why"),
    [
        ("availability", "available", "contract"),
        ("policy_progress_pct", 40, "progress goes backwards"),
        ("policy_status", "notice", "policy_status goes backwards"),
        ("planning_status", "none", "regulatory plan"),
        ("quota_status", "pending", "goes backwards"),
        ("readiness", "raw", "readiness goes backwards"),
        ("supply_stage", "reserved_planning", "supply_stage goes backwards"),
    ],
)
def test_backward_moves_need_a_reason(field: str, new: object, why: str) -> None:
    with pytest.raises(ReasonRequired) as e:
        check_changes("site PT-1", SITE, {field: new}, None)
    assert "PT-1" in str(e.value) and field in str(e.value) and why in str(e.value)
    with pytest.raises(ReasonRequired):
        check_changes("site PT-1", SITE, {field: new}, "   ")
    (c,) = check_changes("site PT-1", SITE, {field: new}, "合同解除，见普自然资〔2026〕3号")
    assert c.needs_reason


def test_every_missing_reason_is_listed_at_once() -> None:
    with pytest.raises(ReasonRequired) as e:
        check_changes("site X", SITE, {"availability": "available", "readiness": "raw"}, None)
    assert "availability" in str(e.value) and "readiness" in str(e.value)


def test_routine_backward_moves() -> None:
    built = {**SITE, "supply_stage": "built", "availability": "available"}
    (c,) = check_changes("site X", built, {"supply_stage": "inefficient"}, None)
    assert c.needs_reason is None
    assert check_changes("site X", built, {"availability": "negotiating"}, None)


def test_contradictory_states_are_refused_even_with_a_reason() -> None:
    with pytest.raises(TransitionRefused, match="100"):
        check_changes("site X", SITE, {"policy_status": "delivered"}, "because")
    (a, b) = check_changes(
        "site X", SITE, {"policy_status": "delivered", "policy_progress_pct": 100}, None
    )
    assert {a.field, b.field} == {"policy_status", "policy_progress_pct"}
    with pytest.raises(TransitionRefused, match="far_min"):
        check_changes("site X", SITE, {"far_min": 3.0}, "x")
    with pytest.raises(TransitionRefused, match="future"):
        check_changes(
            "site X", SITE, {"verified_at": dt.date(2030, 1, 2)}, None, today=dt.date(2026, 1, 1)
        )
