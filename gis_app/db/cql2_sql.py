"""CQL2 filters (as CQL2-JSON, the parsed form of CQL2 text) to SQL with bound values.

Only properties the caller may read are accepted, each mapped to its column by the caller;
every literal becomes a bind parameter, so no text of the filter reaches the SQL. Supported:
``and``, ``or``, ``not``, the comparisons ``= <> < <= > >=``, ``like``, ``between``, ``in``
and ``isNull`` on properties and literals (strings, numbers, booleans, ``DATE``,
``TIMESTAMP``) — Basic CQL2 plus the advanced comparison operators. Spatial, temporal, array
and arithmetic operators are refused with their name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from gis_app.domain.errors import InvalidInput

_COMPARE = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
#: deepest nesting accepted (a bound against filters built to exhaust the server)
MAX_DEPTH = 32
#: most literals in one filter
MAX_VALUES = 1000


def _bad(detail: str, code: str, **params: Any) -> InvalidInput:
    """The refusal of a filter (``detail`` in English) with its code of the error vocabulary."""
    return InvalidInput(f"filter: {detail}", code=code, field="filter", params=params)


class _Compiler:
    def __init__(self, columns: Mapping[str, str], prefix: str) -> None:
        self.columns = columns
        self.prefix = prefix
        self.params: dict[str, Any] = {}

    def _bind(self, value: Any) -> str:
        if len(self.params) >= MAX_VALUES:
            raise _bad(f"more than {MAX_VALUES} values", code="filter_too_complex", max=MAX_VALUES)
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def operand(self, node: Any) -> str:
        if isinstance(node, dict) and "property" in node:
            name = node["property"]
            if name not in self.columns:
                allowed = ", ".join(sorted(self.columns))
                raise _bad(
                    f"unknown or unreadable property {str(name)[:60]!r}; queryables: {allowed}",
                    code="filter_unknown_property",
                    value=str(name)[:60],
                )
            return self.columns[name]
        if isinstance(node, dict) and "date" in node:
            return f"CAST({self._bind(_date(node['date']))} AS date)"
        if isinstance(node, dict) and "timestamp" in node:
            return f"CAST({self._bind(_timestamp(node['timestamp']))} AS timestamptz)"
        if isinstance(node, dict) and "op" in node:
            raise _bad(f"operator {str(node['op'])[:30]!r} cannot be a value", code="bad_filter")
        if isinstance(node, bool | int | float | str) or node is None:
            if isinstance(node, str) and "\x00" in node:
                raise _bad("text must not contain NUL characters", code="text_nul")
            return "NULL" if node is None else self._bind(node)
        raise _bad(
            f"unsupported value {str(node)[:60]!r}", code="filter_bad_value", value=str(node)[:60]
        )

    def predicate(self, node: Any, depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            raise _bad(f"nested deeper than {MAX_DEPTH}", code="filter_too_complex", max=MAX_DEPTH)
        if isinstance(node, bool):
            return "true" if node else "false"
        if not isinstance(node, dict) or "op" not in node:
            raise _bad(f"expected a condition, got {str(node)[:60]!r}", code="bad_filter")
        op = str(node["op"]).lower()
        args = node.get("args") or []
        if op in ("and", "or"):
            parts = [self.predicate(a, depth + 1) for a in args]
            return "(" + f" {op.upper()} ".join(parts) + ")"
        if op == "not":
            return f"(NOT {self.predicate(args[0], depth + 1)})"
        if op in _COMPARE:
            left, right = (self.operand(a) for a in _arity(op, args, 2))
            return f"({left} {_COMPARE[op]} {right})"
        if op == "like":
            left, right = (self.operand(a) for a in _arity(op, args, 2))
            return f"({left}::text LIKE {right})"
        if op == "between":
            value, low, high = (self.operand(a) for a in _arity(op, args, 3))
            return f"({value} BETWEEN {low} AND {high})"
        if op == "in":
            value, items = _arity(op, args, 2)
            if not isinstance(items, list) or not items:
                raise _bad("IN needs a list of values", code="bad_filter")
            listed = ", ".join(self.operand(i) for i in items)
            return f"({self.operand(value)} IN ({listed}))"
        if op == "isnull":
            (value,) = _arity(op, args, 1)
            return f"({self.operand(value)} IS NULL)"
        raise _bad(
            f"operator {op[:30]!r} is not supported (supported: and, or, not, =, <>, "
            "<, <=, >, >=, like, between, in, is null)",
            code="bad_filter",
        )


def _arity(op: str, args: list, n: int) -> list:
    if len(args) != n:
        raise _bad(f"{op} takes {n} arguments, got {len(args)}", code="bad_filter")
    return args


def _date(text: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise _bad(
            f"{str(text)[:40]!r} is not a date (YYYY-MM-DD)",
            code="filter_bad_value",
            value=str(text)[:40],
        ) from None


def _timestamp(text: Any) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise _bad(
            f"{str(text)[:40]!r} is not a timestamp (RFC 3339)",
            code="filter_bad_value",
            value=str(text)[:40],
        ) from None


def to_sql(
    expr: Any, columns: Mapping[str, str], prefix: str = "cql_"
) -> tuple[str, dict[str, Any]]:
    """SQL of the CQL2-JSON ``expr`` and its bind values; ``columns`` maps each property the
    filter may name to its SQL column (e.g. ``{"area_mu": "s.area_mu"}``)."""
    compiler = _Compiler(columns, prefix)
    return compiler.predicate(expr), compiler.params
