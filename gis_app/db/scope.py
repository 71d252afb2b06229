"""The districts a request may read and write, handed to the database in every transaction.

The row-level policies (revision 0034 on) compare each row's ``district_code`` with
``gis_app_read_scope()`` / ``gis_app_write_scope()``. For the app's runtime login those are
the transaction-local settings ``gis_app.districts`` and ``gis_app.write_districts``, which
this module sets: the app binds a :class:`Scope` to a request's connection once it knows the
caller (:func:`bind`), and the engine hook of :func:`install` sends the settings in front of
the first statement of every transaction on that connection, in the same trip to the server.
Transaction-local, they hold behind a transaction-mode pooler too, and end with the
transaction; the scope is forgotten when the connection goes back to the pool, so the next
request starts with none: a connection nobody bound reads nothing the policies guard.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

READ_SETTING = "gis_app.districts"
WRITE_SETTING = "gis_app.write_districts"

#: connection-info keys: the settings statement of the bound scope; whether this transaction
#: has had it
_BOUND = "gis_app_scope"
_SENT = "gis_app_scope_sent"
_SCOPE = "gis_app_scope_object"
#: what a district code may hold (it is sent as a literal)
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class Scope:
    """District codes (expanded to the districts below a city) a caller reads and writes."""

    read: tuple[str, ...]
    write: tuple[str, ...]

    @classmethod
    def of(cls, read: Iterable[str] | None, write: Iterable[str] | None = None) -> Scope:
        """A scope of ``read`` codes and ``write`` codes (default: none), sorted."""
        return cls(tuple(sorted(set(read or ()))), tuple(sorted(set(write or ()))))

    def statement(self) -> str:
        """The ``SELECT set_config(...)`` that hands this scope to the transaction."""
        for code in (*self.read, *self.write):
            if not _CODE.match(code):
                raise ValueError(f"not a district code: {code!r}")
        return (
            f"SELECT set_config('{READ_SETTING}', '{','.join(self.read)}', true),"
            f" set_config('{WRITE_SETTING}', '{','.join(self.write)}', true)"
        )


def is_code(code: str) -> bool:
    """Whether ``code`` has the shape of a district code (safe to send as a literal)."""
    return bool(_CODE.match(code))


#: no district: what a caller who is nobody in particular reads (the policies let nothing by)
NO_SCOPE = Scope((), ())


def bind(conn: sa.Connection, scope: Scope | None) -> None:
    """From the next statement on, every transaction of ``conn`` (until it goes back to the
    pool) reads and writes as ``scope``; None: as nobody."""
    if scope is None:
        conn.info.pop(_BOUND, None)
        conn.info.pop(_SCOPE, None)
    else:
        conn.info[_BOUND] = scope.statement() + "; "
        conn.info[_SCOPE] = scope
    conn.info[_SENT] = False


def bound(conn: sa.Connection) -> Scope | None:
    """The scope bound to ``conn``; None when none is (the owner's CLI, a loader)."""
    return conn.info.get(_SCOPE)


def send(conn: sa.Connection) -> None:
    """Set the bound scope in the current transaction now, if not yet done: before the driver's
    cursor is used directly (``COPY``), which the engine hook does not see."""
    if conn.info.get(_BOUND) is None:
        return
    if not conn.in_transaction():
        conn.begin()  # the transaction the driver's cursor will run in
    if conn.info.get(_SENT) is False:
        conn.exec_driver_sql("SELECT 1")  # the hook puts what the transaction needs in front


def install(engine: sa.Engine, every_transaction: str = "") -> None:
    """Send, in front of the first statement of each transaction of ``engine`` and in the same
    trip, ``every_transaction`` (statements each transaction needs, e.g. ``SET LOCAL`` of the
    session settings behind a transaction pooler) and the bound scope; forget the scope when a
    connection goes back to the pool. ``every_transaction`` holds no ``%`` (psycopg2
    %-formats a statement that has parameters)."""

    @sa.event.listens_for(engine, "begin")
    def _begun(conn: sa.Connection) -> None:
        conn.info[_SENT] = False

    @sa.event.listens_for(engine, "before_cursor_execute", retval=True)
    def _first_statement(
        conn: sa.Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> tuple[str, Any]:
        if conn.info.get(_SENT) is False:
            conn.info[_SENT] = True
            prefix = every_transaction + conn.info.get(_BOUND, "")
            if prefix:
                return prefix + statement, parameters
        return statement, parameters

    @sa.event.listens_for(engine, "checkin")
    def _returned(dbapi_conn: Any, record: Any) -> None:
        for key in (_BOUND, _SENT, _SCOPE):
            record.info.pop(key, None)
