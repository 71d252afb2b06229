"""Server-side prepared statements for long statements that run often (the match query).

Parsing and analysing the ~40 KB match statement, and sending it, took 7–8 ms of every match.
Prepared once per database session it is parsed once. Each execution is planned with its own
values (``plan = "custom"``) or runs the statement's one generic plan, made once per session
(``"generic"``), or as the transaction's ``plan_cache_mode`` says (``None``; the match decides
by the size of the inventory, :mod:`gis_app.matching.engine`). The plan mode is set in the
same trip to the server as the ``EXECUTE``.

Which statements a session holds is remembered per connection when the app talks to
PostgreSQL directly (:func:`remember_per_session`, installed by
:func:`gis_app.db.engine.make_engine`): no query is needed before an ``EXECUTE``. A failed
statement makes the connection read ``pg_prepared_statements`` again before its next use, so a
session whose statements were discarded (``DEALLOCATE``) fails once and then prepares again.
A direct session keeps at most :data:`MAX_HELD` statements: the least recently used is
deallocated in the trip that prepares a new one (a match has a statement per set of criteria
that apply). Behind a pooler the server sessions keep every statement they prepared.
Behind a transaction-mode pooler, where each transaction may run on another server session,
``pg_prepared_statements`` is asked every time (in the same trip as the plan mode). Prepared
statements are not transactional: a rollback keeps them.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import sqlalchemy as sa

# SQLAlchemy's named binds (``:name``), not ``::type`` casts
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


@functools.lru_cache(maxsize=256)
def _prepared_form(query: str) -> tuple[str, str, tuple[str, ...]]:
    """(statement name, text with ``$n`` parameters, bind names in parameter order)."""
    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    text = _BIND.sub(number, query)
    name = "gis_app_" + hashlib.sha1(query.encode()).hexdigest()[:24]
    return name, text, tuple(names)


#: the connection-info key of the set of statements a direct session holds (None: not known)
_HELD = "gis_app_prepared"
_MODES = {"custom": "force_custom_plan", "generic": "force_generic_plan"}
#: most statements one direct session keeps prepared, the least recently used deallocated to
#: make room: a match prepares one ranking and one explanation statement per set of criteria
#: that apply to its requirement (the six of the four benchmark requests held 4.8 MB)
MAX_HELD = 24


def remember_per_session(engine: sa.Engine) -> None:
    """Remember on each new connection of ``engine`` which statements its session holds (only
    for a direct connection to PostgreSQL: a pooler may change the session under it)."""

    @sa.event.listens_for(engine, "connect")
    def _fresh(dbapi_connection: Any, record: Any) -> None:
        record.info[_HELD] = {}


def _held(conn: sa.Connection, info: dict[Any, Any]) -> dict[str, None] | None:
    """The names the connection's session holds, least recently used first; None behind a
    pooler (ask each time)."""
    if _HELD not in info:
        return None
    held = info[_HELD]
    if held is None:
        names = conn.exec_driver_sql(
            "SELECT name FROM pg_prepared_statements"
            " WHERE starts_with(name, 'gis_app_') ORDER BY prepare_time"
        ).scalars()
        held = info[_HELD] = dict.fromkeys(names)
    return held


def _making_room(held: dict[str, None]) -> str:
    """``DEALLOCATE`` statements for the least recently used names beyond room for one more
    (forgotten in ``held``)."""
    evicted = list(held)[: max(0, len(held) + 1 - MAX_HELD)]
    for name in evicted:
        del held[name]
    return "".join(f"DEALLOCATE {name}; " for name in evicted)


def execute(
    conn: sa.Connection,
    query: str,
    params: Mapping[str, Any],
    types: Mapping[str, str],
    *,
    plan: Literal["custom", "generic"] | None = "custom",
    before: str = "",
) -> Sequence[sa.RowMapping]:
    """Run ``query`` (SQLAlchemy ``:name`` binds) as a prepared statement; return its rows.

    ``types``: the SQL type of every bind (PostgreSQL would otherwise guess them from their
    first use). ``plan``: a plan per execution with its values, the statement's generic plan,
    or None for the transaction's ``plan_cache_mode``; set for the rest of the transaction.
    ``before``: statements without binds or ``%`` to run first in the same trip (settings).
    """
    name, text, names = _prepared_form(query)
    missing = [n for n in names if n not in params or n not in types]
    if missing:
        raise ValueError(f"prepared statement {name}: no value or type for {missing}")
    first = before + (f"SET LOCAL plan_cache_mode = {_MODES[plan]}; " if plan else "")
    info = conn.connection.info
    held = _held(conn, info)
    if held is None:
        known = conn.exec_driver_sql(
            first + "SELECT EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = %(name)s)",
            {"name": name},
        ).scalar_one()
        first = ""
    else:
        known = name in held
        if known:  # the most recently used last
            del held[name]
            held[name] = None
    try:
        if not known:
            if held is not None:
                first += _making_room(held)
            # sent without arguments: no %-interpolation of the text; through SQLAlchemy, so
            # that a lost server raises its DBAPIError (a standby's read is run again on the
            # primary, an outage answers 503) and the engine's per-transaction hooks see it
            conn.exec_driver_sql(
                f"{first}PREPARE {name} ({', '.join(types[n] for n in names)}) AS {text}",
                execution_options={"no_parameters": True},
            )
            first = ""
            if held is not None:
                held[name] = None
        args = ", ".join(f"%({n})s" for n in names)
        return conn.exec_driver_sql(f"{first}EXECUTE {name}({args})", dict(params)).mappings().all()
    except sa.exc.DBAPIError:
        if held is not None:
            info[_HELD] = None  # ask the session again before the next use
        raise
