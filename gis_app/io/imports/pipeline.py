"""A large file written while the rest of it is still being checked.

A bulk import spends most of its time in the database (the sites' rules, history, distances,
match units) while the checks of values and geometries are Python. Checked one after the
other, the database waits for all the checks and Python for all the writing. Here a thread
checks the file in chunks (:meth:`~gis_app.io.imports.checks.Opened.check_rows`), keeping at
most two ahead, while the caller's thread stages, compares and writes each checked chunk with
:func:`~gis_app.io.imports.apply.apply_rows` — all in the caller's one transaction, which only
the caller's thread touches.

Writing a chunk before the next is checked is only right when the file turns out clean: the
chunks must then write exactly what one pass over the whole file would. So the moment a row
is refused, or the chunks stop being independent, the transaction is rolled back and
:func:`write_in_chunks` returns False; the caller then checks the whole file in one pass for
its report, as for a small file (nothing written). Chunks stop being independent when

* a code appears in two chunks (as given, or once a spreadsheet's lost leading zeros are put
  back): one pass refuses both rows, or would compare the second with the first's write;
* a chunk gives a field no earlier chunk gave: one pass would have staged that field for the
  earlier rows too (blank), which can change what they write.

A clean file gets, row for row, the same report and the same rows, history and derived tables
as from one pass (``tests/edits/test_bulk_import.py``); a process killed at any point leaves
the database as it was (one transaction).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry

from gis_app.domain.districts import DistrictOutline
from gis_app.domain.vocab import Term
from gis_app.io.imports.apply import apply_rows
from gis_app.io.imports.checks import Opened, Prepared, field_names, refuse_duplicates
from gis_app.io.imports.options import Progress, quiet
from gis_app.io.imports.report import ImportReport, RowReport, RowValues

#: checked chunks waiting to be written, at most
AHEAD = 2
#: seconds between two looks at the stop flag while the queue is full
_POLL_S = 0.1

_Chunk = tuple[int, int, list[dict[str, Any]], list[BaseGeometry | None]]


def write_in_chunks(
    conn: sa.Connection,
    opened: Opened,
    outline: BaseGeometry | None,
    *,
    user: str,
    tick: Progress,
    districts: Sequence[DistrictOutline] = (),
    district_names: dict[str, Term] | None = None,
    writable: frozenset[str] | None = None,
) -> bool:
    """Check and write ``opened`` chunk by chunk (``limits.bulk_chunk_rows`` rows) in the
    caller's transaction, which stays open. True: every row was fine and is written, the
    report's rows say what each did. False: a row was refused or the chunks cannot be
    written apart; the transaction has been rolled back, the caller checks the file in one
    pass for its report."""
    n = len(opened.src.rows)
    size = opened.limits.bulk_chunk_rows
    chunks: queue.Queue[_Chunk | BaseException | None] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()
    checker = threading.Thread(
        target=_check_ahead,
        args=(opened, size, (outline, districts, district_names, writable), chunks, stop),
        name="gis_app_import_check",
        daemon=True,
    )
    tick("checking", 0, n)
    checker.start()
    try:
        written = _write_checked(conn, opened, chunks, user, tick)
    finally:
        stop.set()
        checker.join()
    if not written:
        conn.rollback()
    return written


def _write_checked(
    conn: sa.Connection,
    opened: Opened,
    chunks: queue.Queue[_Chunk | BaseException | None],
    user: str,
    tick: Progress,
) -> bool:
    """Write the checked chunks as they come; False at the first that cannot be written."""
    report, layer, n = opened.report, opened.layer, len(opened.src.rows)
    seen: dict[str, Any] = {}
    written_codes: set[Any] = set()
    cols: list[str] | None = None
    while (item := chunks.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        start, stop, values, geoms = item
        rows = report.rows[start:stop]
        if refuse_duplicates(rows, values, seen) or any(r.refusals for r in rows):
            return False
        given = field_names(layer, values)
        if cols is None:
            cols = given
        elif not set(given) <= set(cols):
            return False
        # the chunk's own progress is not shown: the file's is (``writing``, rows done)
        tick("writing", start, n)
        part = ImportReport(report.source, report.layer)
        part.rows = rows
        apply_rows(
            conn,
            Prepared(part, values, geoms, cols, opened.src.points),
            opened.opts,
            user,
            quiet,
            bulk=True,
        )
        if not part.ok:
            return False
        codes = {v.get("code") for v in values}
        if codes & written_codes:
            return False
        written_codes |= codes
        _forget_values(rows, start, report.values_kept)
        tick("writing", stop, n)
    return True


_NO_VALUES = RowValues()


def _forget_values(rows: list[RowReport], start: int, kept: int | None) -> None:
    """Let go of what the written ``rows`` (the file's from ``start``) wrote, beyond the first
    ``kept`` rows of the file: a clean file's report lists its first rows only."""
    if kept is not None:
        for r in rows[max(0, kept - start) :]:
            r.values = _NO_VALUES


def _check_ahead(
    opened: Opened,
    size: int,
    context: tuple[Any, ...],
    chunks: queue.Queue[_Chunk | BaseException | None],
    stop: threading.Event,
) -> None:
    """The checking thread: chunk after chunk into ``chunks``, then None (or the error)."""
    n = len(opened.src.rows)
    try:
        for start in range(0, n, size):
            end = min(start + size, n)
            values, geoms = opened.check_rows(start, end, *context)
            if not _put(chunks, (start, end, values, geoms), stop):
                return
        _put(chunks, None, stop)
    except BaseException as e:  # handed to the writing thread, which raises it
        _put(chunks, e, stop)


def _put(chunks: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put ``item`` once there is room; False if the writer stopped meanwhile."""
    while not stop.is_set():
        try:
            chunks.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False
