"""Long imports as background jobs: accepted at once, run in a thread, followed and cancelled
through the database.

The API hands a large upload to :meth:`ImportJobRunner.submit`, which records a queued job
(``import_job``) and runs :func:`gis_app.services.imports.import_file` in a worker thread of
this process, on a connection of its own. The job's state lives in PostgreSQL, not in this
process: progress (phase, rows done of rows) is written on short autocommit connections as the
import goes, a heartbeat says the process still holds the job, and the report (or the error)
is stored at the end — so any app process can answer ``GET`` for the job and take a cancel.

The all-or-nothing guarantee is the import's own: one transaction, committed only for a clean
file that is not a dry run. A cancel sets ``cancel_requested`` and interrupts the statement
running in the import's server process (``pg_cancel_backend``); the import's next progress
report, at the latest the one just before it commits, sees the request and raises
:class:`JobCancelled`, and the transaction is rolled back. A process that dies mid-import takes
its transaction with it; its jobs stop beating and are failed by the next reader
(:func:`job_status`).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gis_app.db import import_job_queries, scope
from gis_app.db.scope import Scope
from gis_app.domain import vocab
from gis_app.domain.error_vocab import message
from gis_app.domain.errors import Conflict, GisAppError, NotFound
from gis_app.io.imports import ImportOptions, UploadLimits, report_json
from gis_app.services.imports import import_file

log = logging.getLogger(__name__)

#: seconds between two progress writes within one phase (a new phase is always written)
PROGRESS_EVERY_S = 0.3
#: seconds between heartbeats of the jobs a runner holds
HEARTBEAT_EVERY_S = 2.0


#: who cancels the jobs of a process that shuts down
SHUTDOWN = "(server shutdown)"


class JobCancelled(Exception):
    """The job was asked to stop (or the server is shutting down); nothing was written."""


@dataclass(frozen=True)
class JobRequest:
    """What a job runs: the file (in a folder the job owns and removes), options, user, and
    the districts the user reads and writes (the import runs with them, as their request)."""

    path: Path
    opts: ImportOptions
    user: str
    limits: UploadLimits
    scope: Scope | None = None


def options_record(opts: ImportOptions) -> dict[str, Any]:
    """The options of a job as stored with it (what the person asked for)."""
    out = asdict(opts)
    out.pop("declared_crs", None)
    return {k: v for k, v in out.items() if v not in (None, {}, [])}


class _Progress:
    """The import's progress callback: writes the job's progress and raises on a cancel."""

    def __init__(self, engine: sa.Engine, job_id: uuid.UUID, stopping: threading.Event) -> None:
        self._engine = engine
        self._job = job_id
        self._stopping = stopping
        self._phase: str | None = None
        self._at = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase == self._phase and now - self._at < PROGRESS_EVERY_S:
            return
        self._phase, self._at = phase, now
        with self._engine.begin() as c:
            asked = import_job_queries.progress(
                c, self._job, phase, done, total, last=phase in ("committing", "done")
            )
        # once committed ("done") there is nothing left to cancel
        if phase != "done" and (asked or self._stopping.is_set()):
            raise JobCancelled


class ImportJobRunner:
    """Runs import jobs in worker threads of this process (``workers`` at once; more queue)."""

    def __init__(self, engine: sa.Engine, *, workers: int = 1) -> None:
        self._engine = engine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gis_app_import")
        self._held: set[uuid.UUID] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name="gis_app_import_beat")
        self._beat.daemon = True
        self._beat.start()

    def submit(self, conn: sa.Connection, request: JobRequest, file_bytes: int) -> uuid.UUID:
        """Record a queued job (committed on ``conn``) and start it; its id. The job owns
        ``request.path``'s folder from now on and removes it when it ends."""
        job_id = import_job_queries.create(
            conn,
            user=request.user,
            file_name=request.path.name,
            file_bytes=file_bytes,
            options=options_record(request.opts),
        )
        conn.commit()
        with self._lock:
            self._held.add(job_id)
        self._pool.submit(self._run, job_id, request)
        return job_id

    def shutdown(self) -> None:
        """Stop: running imports are interrupted and roll back (their jobs end cancelled by
        the shutdown); queued ones fail unrun. Waits for the worker threads."""
        self._stopping.set()
        self._beat.join(timeout=HEARTBEAT_EVERY_S + 1)
        with self._lock:
            held = list(self._held)
        if held:
            with self._engine.begin() as c:
                for job_id in held:
                    import_job_queries.request_cancel(c, job_id, SHUTDOWN)
            with self._engine.begin() as c:
                import_job_queries.interrupt(c, held)
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            left, self._held = list(self._held), set()
        if left:
            with self._engine.begin() as c:
                for job_id in left:  # queued jobs that never ran
                    import_job_queries.finish(
                        c, job_id, "failed", error="the server shut down before the import ran"
                    )

    def _heartbeat(self) -> None:
        while not self._stopping.wait(HEARTBEAT_EVERY_S):
            with self._lock:
                held = list(self._held)
            if not held:
                continue
            try:
                with self._engine.begin() as c:
                    import_job_queries.heartbeat(c, held)
                with self._engine.begin() as c:  # a cancel that fell between two statements
                    import_job_queries.interrupt(c, held)
            except sa.exc.SQLAlchemyError:  # the database is away: readers will see it
                log.warning("import job heartbeat failed", exc_info=True)

    def _run(self, job_id: uuid.UUID, request: JobRequest) -> None:
        status, report, error = "failed", None, None
        problem: dict[str, Any] | None = None
        try:
            with self._engine.connect() as conn:
                scope.bind(conn, request.scope)
                # the import's transaction begins here: its server process is the one to signal
                pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
                with self._engine.begin() as c:
                    started = import_job_queries.start(c, job_id, pid)
                if not started or self._stopping.is_set():
                    raise JobCancelled
                result = import_file(
                    conn,
                    request.path,
                    request.opts,
                    user=request.user,
                    limits=request.limits,
                    progress=_Progress(self._engine, job_id, self._stopping),
                )
            status, report = "done", _report(result)
        except JobCancelled:
            status, error = "cancelled", "cancelled; nothing was written"
        except (GisAppError, sa.exc.OperationalError) as e:
            if _cancel_asked(self._engine, job_id):  # pg_cancel_backend interrupted a statement
                status, error = "cancelled", "cancelled; nothing was written"
            elif isinstance(e, GisAppError):  # the file as a whole: no CRS, unreadable, limits
                error = str(e)
                first = e.refusals[0]
                problem = {"code": first.code, "field": first.field, "message": message(first)}
            else:
                log.exception("import job %s failed", job_id)
                error = "the database failed during the import; nothing was written"
        except Exception:
            log.exception("import job %s failed", job_id)
            error = "internal error; nothing was written"
        finally:
            shutil.rmtree(request.path.parent, ignore_errors=True)
        try:
            with self._engine.begin() as c:
                import_job_queries.finish(
                    c, job_id, status, report=report, error=error, error_problem=problem
                )
        finally:
            with self._lock:
                self._held.discard(job_id)


def _report(report: Any) -> dict[str, Any]:
    import json

    return json.loads(report_json(report))


def _cancel_asked(engine: sa.Engine, job_id: uuid.UUID) -> bool:
    with engine.connect() as c:
        job = import_job_queries.get(c, job_id)
    return bool(job and job["cancel_requested"])


def _visible(job: dict[str, Any] | None, user: str, admin: bool) -> dict[str, Any]:
    if job is None or (job["created_by"] != user and not admin):
        raise NotFound("no such import job")
    return job


def job_status(
    conn: sa.Connection, job_id: uuid.UUID, *, user: str, admin: bool, stale_s: float
) -> dict[str, Any]:
    """A job as its creator (or an admin) sees it; jobs whose process stopped are failed."""
    if import_job_queries.fail_stale(conn, stale_s):
        conn.commit()
    return _visible(import_job_queries.get(conn, job_id), user, admin)


def cancel_job(conn: sa.Connection, job_id: uuid.UUID, *, user: str, admin: bool) -> str:
    """Ask a job to stop (its import rolls back); its status. :class:`Conflict` when it has
    already ended (a finished import stays written)."""
    job = _visible(import_job_queries.get(conn, job_id), user, admin)
    status = import_job_queries.request_cancel(conn, job_id, user)
    conn.commit()
    if status in ("queued", "running"):
        import_job_queries.interrupt(conn, [job_id])
        conn.commit()
    else:
        raise Conflict(
            f"import job {job_id} has already ended ({job['status']})",
            code="job_already_ended",
            params={"value": vocab.IMPORT_JOB_STATUS.term(job["status"])},
        )
    return status
