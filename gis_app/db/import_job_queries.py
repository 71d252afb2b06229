"""The ``import_job`` table: background imports' progress, outcome and cancel requests.

Every function here runs its own short statement on the connection it is given; the job
runner (:mod:`gis_app.services.import_jobs`) hands them autocommit connections of their own, so
progress is visible to every app process while the import's transaction is still open.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from gis_app.db.models import ImportJob

_JOB = ImportJob.__table__
#: what a job reads as (every column but the server process id)
_SHOWN = [c for c in _JOB.c if c.name != "backend_pid"]
_OPEN = ("queued", "running")


def create(
    conn: sa.Connection, *, user: str, file_name: str, file_bytes: int, options: dict[str, Any]
) -> uuid.UUID:
    """A queued job; its id."""
    return conn.execute(
        sa.insert(_JOB)
        .values(
            created_by=user,
            file_name=file_name,
            file_bytes=file_bytes,
            options=options,
            phase="queued",
        )
        .returning(_JOB.c.id)
    ).scalar_one()


def get(conn: sa.Connection, job_id: uuid.UUID) -> dict[str, Any] | None:
    """One job (None when there is none)."""
    row = conn.execute(sa.select(*_SHOWN).where(_JOB.c.id == job_id)).mappings().first()
    return dict(row) if row is not None else None


def start(conn: sa.Connection, job_id: uuid.UUID, backend_pid: int) -> bool:
    """Mark a queued job running on ``backend_pid``; False when it was cancelled meanwhile."""
    return (
        conn.execute(
            sa.update(_JOB)
            .where(_JOB.c.id == job_id, _JOB.c.status == "queued", ~_JOB.c.cancel_requested)
            .values(
                status="running",
                backend_pid=backend_pid,
                started_at=sa.func.now(),
                heartbeat_at=sa.func.now(),
            )
            .returning(_JOB.c.id)
        ).first()
        is not None
    )


def progress(
    conn: sa.Connection, job_id: uuid.UUID, phase: str, done: int, total: int, *, last: bool
) -> bool:
    """Record a job's phase and rows done; True when a cancel was asked for. ``last`` (the
    import is about to commit) clears the server process, so a cancel can no longer signal it."""
    values: dict[str, Any] = {
        "phase": phase,
        "done": done,
        "total": total,
        "heartbeat_at": sa.func.now(),
    }
    if last:
        values["backend_pid"] = None
    return bool(
        conn.execute(
            sa.update(_JOB)
            .where(_JOB.c.id == job_id)
            .values(values)
            .returning(_JOB.c.cancel_requested)
        ).scalar()
    )


def heartbeat(conn: sa.Connection, job_ids: list[uuid.UUID]) -> None:
    """The process holding these jobs is alive."""
    conn.execute(
        sa.update(_JOB)
        .where(_JOB.c.id.in_(job_ids), _JOB.c.status.in_(_OPEN))
        .values(heartbeat_at=sa.func.now())
    )


def finish(
    conn: sa.Connection,
    job_id: uuid.UUID,
    status: str,
    *,
    report: dict[str, Any] | None = None,
    error: str | None = None,
    error_problem: dict[str, Any] | None = None,
) -> None:
    """Record how a job ended (``error_problem``: the refusal's code, field and message)."""
    conn.execute(
        sa.update(_JOB)
        .where(_JOB.c.id == job_id)
        .values(
            status=status,
            phase="done",
            report=report,
            error=error,
            error_problem=error_problem,
            backend_pid=None,
            finished_at=sa.func.now(),
        )
    )


def request_cancel(conn: sa.Connection, job_id: uuid.UUID, user: str) -> str | None:
    """Ask an open job to stop; the job's status (None when there is no such job). A finished
    job is left as it is. The request must be committed before :func:`interrupt`, so that the
    interrupted import finds it and knows it was cancelled rather than failed."""
    row = conn.execute(
        sa.update(_JOB)
        .where(_JOB.c.id == job_id, _JOB.c.status.in_(_OPEN))
        .values(cancel_requested=True, cancelled_by=user)
        .returning(_JOB.c.status)
    ).first()
    if row is None:
        return conn.execute(sa.select(_JOB.c.status).where(_JOB.c.id == job_id)).scalar()
    return row.status


def interrupt(conn: sa.Connection, job_ids: list[uuid.UUID]) -> None:
    """Interrupt the statement running in the import of each of these jobs whose cancel
    request is committed. The job's row is locked first: the import clears ``backend_pid``
    (under the same lock) before it commits, so a signal never reaches its server process once
    it has gone on to other work. A signal that finds the import between two statements is
    lost; the runner's heartbeat sends it again."""
    conn.execute(
        sa.text(
            "WITH j AS MATERIALIZED (SELECT backend_pid FROM import_job WHERE id = ANY(:ids) "
            "AND cancel_requested AND backend_pid IS NOT NULL FOR UPDATE) "
            "SELECT pg_cancel_backend(backend_pid) FROM j"
        ),
        {"ids": job_ids},
    )


def fail_stale(conn: sa.Connection, stale_s: float) -> int:
    """Fail open jobs whose process has not been heard of for ``stale_s`` seconds (it
    stopped: its transaction died with it, so nothing was written); how many."""
    return conn.execute(
        sa.update(_JOB)
        .where(
            _JOB.c.status.in_(_OPEN),
            _JOB.c.heartbeat_at < sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, stale_s),
        )
        .values(
            status="failed",
            phase="done",
            backend_pid=None,
            finished_at=sa.func.now(),
            error="the server process running the import stopped; nothing was written",
        )
    ).rowcount
