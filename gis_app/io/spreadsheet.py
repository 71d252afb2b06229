"""Cells of CSV and XLSX files the app writes: text that would run as a formula is kept text.

A spreadsheet program evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in
some, a tab or carriage return before one) as a formula: a stored site name such as
``=HYPERLINK("http://evil","x")`` would become a live link or worse in the office that opens
an export (CSV/formula injection). :func:`safe_cell` puts a ``'`` before such text, which
spreadsheet programs read as "this is text"; numbers stay numbers. Every CSV/XLSX writer of
the app (site exports, dashboard downloads) passes its cells through it, and the importer takes
the quote off again with :func:`unquote_cell`, so an export imported back changes nothing.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")

#: how text starts when a spreadsheet program would evaluate it
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: put before such text so that it stays text
QUOTE = "'"
#: what may follow the quote in a file read back: XLSX is XML, which reads a CR as LF
_QUOTED_START = (*FORMULA_START, "\n")


def safe_cell(value: T) -> T | str:
    """``value`` as a cell that no spreadsheet evaluates: text starting like a formula gets a
    leading ``'``; anything else (numbers, dates, ``None``, other text) is returned as it is.

    Text that already looks quoted (``'=…``) gets one more quote, so that
    :func:`unquote_cell` gives back exactly what was stored.
    """
    if isinstance(value, str) and (value.startswith(FORMULA_START) or _quoted(value)):
        return QUOTE + value
    return value


def unquote_cell(value: T) -> T | str:
    """The text :func:`safe_cell` was given: a ``'`` before formula-like text is taken off."""
    if isinstance(value, str) and _quoted(value):
        return value[len(QUOTE) :]
    return value


def _quoted(text: str) -> bool:
    """Whether ``text`` is quotes and then formula-like text (as :func:`safe_cell` writes)."""
    return text.startswith(QUOTE) and text.lstrip(QUOTE).startswith(_QUOTED_START)


def _char_class(chars: tuple[str, ...]) -> str:
    return "[" + "".join(f"\\x{ord(c):02x}" for c in chars) + "]"


#: the text :func:`safe_cell` quotes, as a regular expression (RE2 and Python ``re``), for
#: writers that neutralise whole columns at once (the streamed site export)
FORMULA_PATTERN: str = (
    f"^(?:{_char_class(FORMULA_START)}|\\x{ord(QUOTE):02x}+{_char_class(_QUOTED_START)})"
)
