"""The outcome of an import: per row (new, updated, unchanged or rejected, and why) and whole."""

from __future__ import annotations

import json
from collections.abc import ItemsView, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gis_app.domain.error_vocab import Problem, message


class RowValues(Mapping[str, Any]):
    """What a row writes, as its report keeps it: the values in a tuple, the field names in
    one tuple shared by the rows that give the same fields (:meth:`shared`). A dict per row
    held ~1.6 KB of a large import's memory for every new row until the report was done."""

    __slots__ = ("_keys", "_values")

    def __init__(self, keys: tuple[str, ...] = (), values: tuple[Any, ...] = ()) -> None:
        self._keys = keys
        self._values = values

    @classmethod
    def shared(
        cls, values: Mapping[str, Any], names: dict[tuple[str, ...], tuple[str, ...]]
    ) -> RowValues:
        """``values`` kept with the name tuple ``names`` already holds for the same fields."""
        keys = tuple(values)
        return cls(names.setdefault(keys, keys), tuple(values.values()))

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[self._keys.index(key)]
        except ValueError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def items(self) -> ItemsView[str, Any]:
        """The (name, value) pairs, in one pass (the mixin's asks for each by name)."""
        return dict(zip(self._keys, self._values, strict=True)).items()

    def __repr__(self) -> str:
        return repr(dict(self.items()))


#: rows a report lists (rejected rows first), and the rows whose written values a large
#: file's report keeps: a value per field of every new row of a 1M-row file held ~1.5 GB
REPORT_ROWS = 1000


@dataclass(slots=True)
class RowReport:
    """The outcome for one row of the file."""

    row: int
    code: str | None
    status: str = "rejected"  # insert, update, unchanged, rejected
    #: why the row is refused, coded (:mod:`gis_app.domain.error_vocab`): the report gives
    #: each one's English detail (``problems``) and its message in both languages
    refusals: list[Problem] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: things a person should look at that do not stop the import (a declared area off the
    #: plane area by more than 1 %)
    warnings: list[str] = field(default_factory=list)
    #: what the row writes: every value of a new row, the new values of changed fields
    values: Mapping[str, Any] = field(default_factory=RowValues)

    @property
    def problems(self) -> tuple[str, ...]:
        """The refusals' English details (a refusal that only adds to the one before it,
        such as the second change of one "give a reason", has none)."""
        return tuple(p.detail for p in self.refusals if p.detail)

    def refuse(self, problem: Problem) -> None:
        """Add a reason to refuse the row."""
        self.refusals.append(problem)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the row's outcome, its problems in English and their messages."""
        return {
            "row": self.row,
            "code": self.code,
            "status": self.status,
            "problems": list(self.problems),
            "messages": [message(p) for p in self.refusals],
            "changed": self.changed,
            "notes": self.notes,
            "warnings": self.warnings,
            "values": dict(self.values.items()),
        }


@dataclass
class ImportReport:
    """The whole import: what was read, how columns were mapped, and each row's outcome."""

    source: str
    layer: str
    crs: str | None = None
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[RowReport] = field(default_factory=list)
    #: file-level problems (no code column, no rows, a bad column mapping), coded
    refusals: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    committed: bool = False
    #: the rows (the first, in file order) whose written values the report keeps once a large
    #: file is written in chunks — those it lists; None: every row's (a full report)
    values_kept: int | None = REPORT_ROWS

    def counts(self) -> dict[str, int]:
        """Rows per outcome."""
        out = {"insert": 0, "update": 0, "unchanged": 0, "rejected": 0}
        for r in self.rows:
            out[r.status] += 1
        return out

    @property
    def problems(self) -> tuple[str, ...]:
        """The file-level refusals' English details."""
        return tuple(p.detail for p in self.refusals)

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return not self.refusals and not any(r.status == "rejected" for r in self.rows)

    def as_dict(self, max_rows: int = REPORT_ROWS) -> dict[str, Any]:
        """JSON-ready report; rejected rows first, at most ``max_rows`` rows listed (no more
        than :attr:`values_kept`)."""
        if self.values_kept is not None and max_rows > self.values_kept:
            raise ValueError(
                f"this report keeps the written values of {self.values_kept} rows, "
                f"not {max_rows}: import with full_report"
            )
        ordered = sorted(self.rows, key=lambda r: (r.status != "rejected", r.row))
        shown = ordered[:max_rows]
        return {
            "source": self.source,
            "layer": self.layer,
            "crs": self.crs,
            "encoding": self.encoding,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "ok": self.ok,
            "counts": self.counts(),
            "warnings": sum(1 for r in self.rows if r.warnings),
            "columns": self.columns,
            "ignored_columns": self.ignored_columns,
            "notes": self.notes,
            "problems": list(self.problems),
            "messages": [message(p) for p in self.refusals],
            "rows": [r.as_dict() for r in shown],
            "rows_omitted": len(ordered) - len(shown),
        }

    def summary(self) -> str:
        """A few lines for the CLI."""
        c = self.counts()
        head = "dry run" if self.dry_run else ("committed" if self.committed else "NOT loaded")
        lines = [
            f"{self.source}: {head} — {c['insert']} new, {c['update']} updated, "
            f"{c['unchanged']} unchanged, {c['rejected']} rejected"
        ]
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        if self.dry_run:
            for r in [r for r in self.rows if r.status in ("insert", "update")][:200]:
                shown = ", ".join(f"{k}={v}" for k, v in r.values.items())
                lines.append(f"  row {r.row} ({r.code or '-'}): {r.status} — {shown}")
        warned = [r for r in self.rows if r.warnings and r.status != "rejected"]
        for r in warned[:200]:
            lines.append(f"  row {r.row} ({r.code or '-'}): warning: " + "; ".join(r.warnings))
        rejected = [r for r in self.rows if r.status == "rejected"]
        for r in rejected[:200]:
            lines.append(f"  row {r.row} ({r.code or '-'}): " + "; ".join(r.problems))
        if len(rejected) > 200:
            lines.append(f"  … and {len(rejected) - 200} more rejected rows")
        return "\n".join(lines)


def report_json(report: ImportReport, max_rows: int = REPORT_ROWS) -> str:
    """The report as JSON text."""
    return json.dumps(report.as_dict(max_rows), ensure_ascii=False, default=str)
