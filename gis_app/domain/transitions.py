"""Which status changes of a site make sense, which need a reason, and which are refused.

Planners move a parcel along several pipelines (政策处理, 控规, 用地指标, 供应阶段, 土地整理)
and change its availability. Moving forward is routine. Moving backwards happens (an approval
withdrawn, a contract cancelled) but must be explained, so it needs a reason — the note that
goes into the history with the change. A few resulting states contradict themselves (政策处理
已交地 at 60 %) and are refused outright.

The rules are pure functions of (old, new) values; the service applies them to the fields a
request changes. Edits made directly in the database (QGIS) are not held to these rules — only
to the constraints and triggers of the schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gis_app.domain import vocab
from gis_app.domain.error_vocab import Problem
from gis_app.domain.errors import ReasonRequired, TransitionRefused
from gis_app.domain.vocab import Term, Vocabulary

#: fields a planner changes through the status form / status endpoint
STATUS_FIELDS: tuple[str, ...] = (
    "policy_status",
    "policy_progress_pct",
    "planning_status",
    "far_min",
    "far_max",
    "coverage_min_pct",
    "green_max_pct",
    "height_limit_m",
    "in_ugb",
    "quota_status",
    "supply_stage",
    "readiness",
    "availability",
    "blocking_note",
    "verified_at",
    "source_doc",
)

_PIPELINES: dict[str, Vocabulary] = {
    "policy_status": vocab.POLICY_STATUS,
    "supply_stage": vocab.SUPPLY_STAGE,
    "readiness": vocab.READINESS,
}

# Moves that go against the pipeline order but are routine (no reason needed).
_ROUTINE_BACKWARD: dict[str, frozenset[tuple[str, str]]] = {
    "supply_stage": frozenset(
        {
            ("built", "inefficient"),  # a built site found under-used becomes 低效用地
            ("under_construction", "idle"),  # a stalled project: 供而未用 → 闲置
            ("under_construction", "supplied_unused"),
        }
    ),
}

# 控规: drafting → approved → amending → approved …; 'use_change_needed' may arise any time.
_PLANNING_NEEDS_REASON = frozenset(
    {
        ("approved", "none"),
        ("approved", "drafting"),
        ("amending", "none"),
        ("drafting", "none"),
        ("use_change_needed", "none"),
        ("use_change_needed", "approved"),  # a use change is settled by an amendment
    }
)

# 用地指标: pending → applied → in_annual_plan → approved; not_needed is beside the pipeline.
_QUOTA_ORDER = ("pending", "applied", "in_annual_plan", "approved")

# 招商状态: a signed site going back on the market means a contract fell through.
_AVAILABILITY_NEEDS_REASON = frozenset(
    {
        ("signed", "available"),
        ("signed", "negotiating"),
        ("signed", "reserved"),
    }
)


@dataclass(frozen=True)
class Change:
    """One field's change and whether it needed a reason."""

    field: str
    old: Any
    new: Any
    needs_reason: str | None = None  # why a reason is needed, if it is

    def describe(self) -> str:
        """``field: old → new`` with vocabulary labels where there are any."""
        return f"{self.field}: {_show(self.field, self.old)} → {_show(self.field, self.new)}"


_VOCAB_OF: dict[str, Vocabulary] = {
    "policy_status": vocab.POLICY_STATUS,
    "planning_status": vocab.PLANNING_STATUS,
    "quota_status": vocab.QUOTA_STATUS,
    "supply_stage": vocab.SUPPLY_STAGE,
    "readiness": vocab.READINESS,
    "availability": vocab.AVAILABILITY,
    "in_ugb": vocab.IN_UGB,
}


def _show(field: str, value: Any) -> str:
    v = _VOCAB_OF.get(field)
    if value is None:
        return "(empty)"
    if v is not None and value in v:
        return f"{value} ({v.term(value).zh})"
    return str(value)


def _term(field: str, value: Any) -> Term:
    """``value`` of ``field`` as a term: its vocabulary labels, or the value itself."""
    v = _VOCAB_OF.get(field)
    if v is not None and value in v:
        return v.term(value)
    shown = "—" if value is None else str(value)
    return Term(shown, shown, shown)


def _needs_reason(field: str, old: Any, new: Any) -> str | None:
    """Why changing ``field`` from ``old`` to ``new`` needs a reason; None if routine."""
    if old is None or new is None or old == new:
        return None
    if field in _PIPELINES:
        v = _PIPELINES[field]
        if v.rank(new) < v.rank(old) and (old, new) not in _ROUTINE_BACKWARD.get(field, ()):
            return f"{v.name} goes backwards"
        return None
    if field == "policy_progress_pct" and new < old:
        return "policy progress goes backwards"
    if field == "planning_status" and (old, new) in _PLANNING_NEEDS_REASON:
        return "the regulatory plan status goes backwards"
    if field == "quota_status":
        if old == "approved":
            return "a granted land quota is withdrawn"
        if old in _QUOTA_ORDER and new in _QUOTA_ORDER:
            if _QUOTA_ORDER.index(new) < _QUOTA_ORDER.index(old):
                return "the quota application goes backwards"
        elif new == "not_needed" and old != "pending":
            return "a quota in progress is declared not needed"
        return None
    if field == "availability" and (old, new) in _AVAILABILITY_NEEDS_REASON:
        return "a signed site goes back on the market (was the contract cancelled?)"
    return None


def _check_state(where: str, state: Mapping[str, Any], today: dt.date) -> None:
    """Refuse states that contradict themselves (whatever the path to them)."""
    status, pct = state.get("policy_status"), state.get("policy_progress_pct")
    if status == "delivered" and pct is not None and pct != 100:
        raise TransitionRefused(
            f"{where}: policy_status 'delivered' (已交地) means policy_progress_pct 100, "
            f"not {pct}; set both",
            code="delivered_needs_full_progress",
            field="policy_progress_pct",
            params={"value": pct},
        )
    if status == "not_started" and pct not in (None, 0):
        raise TransitionRefused(
            f"{where}: policy_status 'not_started' (未启动) cannot have progress {pct} %",
            code="not_started_with_progress",
            field="policy_progress_pct",
            params={"value": pct},
        )
    lo, hi = state.get("far_min"), state.get("far_max")
    if lo is not None and hi is not None and lo > hi:
        raise TransitionRefused(
            f"{where}: far_min {lo} exceeds far_max {hi}",
            code="far_min_above_max",
            field="far_min",
            params={"value": lo, "max": hi},
        )
    verified = state.get("verified_at")
    if isinstance(verified, dt.date) and verified > today:
        raise TransitionRefused(
            f"{where}: verified_at {verified} is in the future",
            code="date_in_future",
            field="verified_at",
            params={"value": verified.isoformat()},
        )


def check_changes(
    where: str,
    current: Mapping[str, Any],
    requested: Mapping[str, Any],
    reason: str | None,
    today: dt.date | None = None,
) -> list[Change]:
    """Check the requested field values against the current ones; return the real changes.

    ``where`` names the site in messages. Raises :class:`ReasonRequired` (listing every change
    that needs one) when a backward or unusual move comes without a ``reason``, and
    :class:`TransitionRefused` when the resulting state contradicts itself.
    """
    changes = [
        Change(f, current.get(f), v, _needs_reason(f, current.get(f), v))
        for f, v in requested.items()
        if current.get(f) != v
    ]
    state = {**current, **requested}
    _check_state(where, state, today or dt.date.today())
    if not (reason and reason.strip()):
        missing = [c for c in changes if c.needs_reason]
        if missing:
            what = "; ".join(f"{c.describe()} ({c.needs_reason})" for c in missing)
            raise ReasonRequired(
                f"{where}: give a reason (note) for: {what}",
                field="note",
                refusals=[
                    Problem(
                        "reason_required",
                        c.field,
                        {"old": _term(c.field, c.old), "new": _term(c.field, c.new)},
                        f"{c.describe()} ({c.needs_reason})",
                    )
                    for c in missing
                ],
            )
    return changes
