"""Server-side prepared statements for long statements that run often (the match query).

Parsing and analysing the ~40 KB match statement, and sending it, took 7–8 ms of every match.
Prepared once per database session it is parsed once; each execution is still planned with its
own values (``plan_cache_mode = force_custom_plan`` for the transaction): the match query needs
the requirement's values as constants so that the planner folds away what it does not state
and turns the rest into index conditions, which a generic plan cannot do. A statement that
gains nothing from the values (the explanations of the thirty rows a match lists) asks for the
generic plan instead: planned once per session, not once per execution.

Whether the session holds the statement is asked of ``pg_prepared_statements`` each time (one
short query), so a connection whose statements were discarded (``DISCARD ALL``, a pooler) just
prepares again. Prepared statements are not transactional: a rollback keeps them.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

# SQLAlchemy's named binds (``:name``), not ``::type`` casts
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


@functools.lru_cache(maxsize=64)
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


def execute(
    conn: sa.Connection,
    query: str,
    params: Mapping[str, Any],
    types: Mapping[str, str],
    *,
    generic: bool = False,
) -> Sequence[sa.RowMapping]:
    """Run ``query`` (SQLAlchemy ``:name`` binds) as a prepared statement; return its rows.

    ``types``: the SQL type of every bind (PostgreSQL would otherwise guess them from their
    first use). Plans are custom, per execution (``generic``: the one generic plan), for the
    rest of the transaction.
    """
    name, text, names = _prepared_form(query)
    missing = [n for n in names if n not in params or n not in types]
    if missing:
        raise ValueError(f"prepared statement {name}: no value or type for {missing}")
    held = conn.exec_driver_sql(
        "SELECT set_config('plan_cache_mode', %(mode)s, true),"
        " EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = %(name)s)",
        {"name": name, "mode": "force_generic_plan" if generic else "force_custom_plan"},
    ).one()[1]
    if not held:
        # on the driver's cursor without arguments: no %-interpolation of the text
        with conn.connection.cursor() as cur:
            cur.execute(f"PREPARE {name} ({', '.join(types[n] for n in names)}) AS {text}")
    args = ", ".join(f"%({n})s" for n in names)
    return conn.exec_driver_sql(f"EXECUTE {name}({args})", dict(params)).mappings().all()
