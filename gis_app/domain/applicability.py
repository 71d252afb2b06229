"""When a match criterion applies: a condition on the requirement alone, declared once and
read two ways — as SQL over the requirement's columns (``cond(q)``, what the statements and the
database functions evaluate) and in Python over the same values (``cond.holds(values)``), so
that a match statement can be built with only the criteria that apply to its requirement.

A condition is a tree of a few forms: always, a value is stated, the need is one of some, a
value differs from a constant, a number is positive, a list holds anything, and / or of those.
In SQL a comparison with NULL is NULL; every use reads a condition as
``COALESCE(cond, false)`` (or in a ``CASE WHEN``), and no form negates another, so taking NULL
as false at the leaves gives the same answer in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol


class _Reads(Protocol):
    """What a condition reads from a source: its requirement's columns as SQL (``q.r.need``)."""

    r: Any


def _lit(value: str) -> str:
    if "'" in value or "\\" in value:
        raise ValueError(f"not a code constant: {value!r}")
    return f"'{value}'"


def _col(q: _Reads, name: str) -> str:
    return str(getattr(q.r, name))


class Cond:
    """A condition on the requirement: ``cond(q)`` is its SQL on ``q.r``; ``cond.holds(values)``
    its value on the requirement's values (named as ``q.r``'s columns)."""

    def __call__(self, q: _Reads) -> str:
        """The condition as SQL on ``q``'s requirement columns (``q.r``)."""
        return self._sql(q)

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Whether the condition holds for these requirement values (NULL is not)."""
        return self._holds(values)

    def _sql(self, q: _Reads) -> str:
        raise NotImplementedError

    def _holds(self, values: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def __and__(self, other: Cond) -> Cond:
        return All((self, other))

    def __or__(self, other: Cond) -> Cond:
        return AnyOf((self, other))


@dataclass(frozen=True)
class Always(Cond):
    """Applies to every requirement."""

    def _sql(self, q: _Reads) -> str:
        return "true"

    def _holds(self, values: Mapping[str, Any]) -> bool:
        return True


@dataclass(frozen=True)
class Stated(Cond):
    """The requirement states ``column`` (it is not NULL)."""

    column: str

    def _sql(self, q: _Reads) -> str:
        return f"{_col(q, self.column)} IS NOT NULL"

    def _holds(self, values: Mapping[str, Any]) -> bool:
        return values[self.column] is not None


@dataclass(frozen=True)
class NeedIn(Cond):
    """The requirement's need is one of ``needs``."""

    needs: tuple[str, ...]

    def _sql(self, q: _Reads) -> str:
        if len(self.needs) == 1:
            return f"{_col(q, 'need')} = {_lit(self.needs[0])}"
        return f"{_col(q, 'need')} IN ({', '.join(_lit(n) for n in self.needs)})"

    def _holds(self, values: Mapping[str, Any]) -> bool:
        return values["need"] in self.needs


@dataclass(frozen=True)
class Differs(Cond):
    """``column`` is stated and is not ``value``."""

    column: str
    value: str

    def _sql(self, q: _Reads) -> str:
        return f"{_col(q, self.column)} <> {_lit(self.value)}"

    def _holds(self, values: Mapping[str, Any]) -> bool:
        v = values[self.column]
        return v is not None and v != self.value


@dataclass(frozen=True)
class Positive(Cond):
    """``column`` is stated and above zero."""

    column: str

    def _sql(self, q: _Reads) -> str:
        return f"COALESCE({_col(q, self.column)}, 0) > 0"

    def _holds(self, values: Mapping[str, Any]) -> bool:
        v = values[self.column]
        return v is not None and v > 0


@dataclass(frozen=True)
class Listed(Cond):
    """The lists ``columns`` hold at least one item between them (none of them NULL: SQL's
    ``cardinality`` of NULL is NULL)."""

    columns: tuple[str, ...]

    def _sql(self, q: _Reads) -> str:
        return " + ".join(f"cardinality({_col(q, c)})" for c in self.columns) + " > 0"

    def _holds(self, values: Mapping[str, Any]) -> bool:
        lists = [values[c] for c in self.columns]
        return all(v is not None for v in lists) and sum(len(v) for v in lists) > 0


@dataclass(frozen=True)
class _Junction(Cond):
    """Its ``parts`` joined by :attr:`OP` in SQL, by :attr:`FOLD` in Python."""

    parts: tuple[Cond, ...]
    OP: ClassVar[str]
    FOLD: ClassVar[Callable[[Iterable[bool]], bool]]

    def _sql(self, q: _Reads) -> str:
        return f" {self.OP} ".join(
            f"({p(q)})" if isinstance(p, _Junction) else p(q) for p in self.parts
        )

    def _holds(self, values: Mapping[str, Any]) -> bool:
        return type(self).FOLD(p.holds(values) for p in self.parts)


class All(_Junction):
    """Every one of ``parts`` holds."""

    OP = "AND"
    FOLD = all


class AnyOf(_Junction):
    """At least one of ``parts`` holds."""

    OP = "OR"
    FOLD = any


ALWAYS = Always()


def any_stated(*columns: str) -> Cond:
    """At least one of ``columns`` is stated."""
    return AnyOf(tuple(Stated(c) for c in columns)) if len(columns) > 1 else Stated(columns[0])
