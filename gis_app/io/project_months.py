"""Read the monthly-figures spreadsheets the office keeps (XLSX, Chinese headers).

The office's sheets often open with a title row (``2026年1—6月重点项目到位资金统计表``) above
the header, head amounts with their unit (``到位市外资金（注册资本）（万元）``), number the rows
(序号) and end with a total (合计). The header row is the first of the first rows that names the
project code, the month and at least one figure of :data:`gis_app.domain.projects.MONTH`;
headers are matched after removing blanks, line breaks and a trailing unit in brackets, through
the labels and aliases of the registry. Columns the registry does not know are left aside; a
合计/总计 row is skipped. Values are returned as they are in the cells (checking them is the
service's job), with the Excel row number of each row so that refusals can name it.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook

from gis_app.domain import fields, projects
from gis_app.domain.errors import InvalidInput
from gis_app.io.spreadsheet import unquote_cell

#: how many rows above the header a sheet may have (titles, notes)
HEADER_SEARCH_ROWS = 10
#: the most data rows one file may hold
MAX_ROWS = 20_000
_NAMED = ("project_code", "project_name")
_TOTAL_ROW = frozenset({"合计", "总计", "小计", "total"})
_UNIT = re.compile(
    r"[（(]\s*(?:万元|万美元|元|亿元|万|usd|美元|10k\s*cny|10k\s*usd)\s*[)）]$", re.IGNORECASE
)


@dataclass(frozen=True)
class SheetRow:
    """One data row: its Excel row number and its values by field name."""

    number: int
    values: dict[str, Any]


def _norm(header: Any) -> str:
    text = re.sub(r"\s+", "", str(header or "")).lower()
    text = text.replace("(", "（").replace(")", "）")
    while True:
        cut = _UNIT.sub("", text.replace("（", "(").replace("）", ")"))
        cut = cut.replace("(", "（").replace(")", "）")
        if cut == text:
            return text
        text = cut


def _headers() -> dict[str, str]:
    """Normalised header → field name, from the registry."""
    read = fields.checked(projects.MONTH)
    return {_norm(h): name for h, (name, _label) in fields.column_names(read).items()}


def read_month_sheet(data: bytes, filename: str) -> list[SheetRow]:
    """The data rows of the first sheet of an XLSX file of monthly figures.

    Raises :class:`InvalidInput` naming the file when it is not an XLSX workbook, has no
    recognisable header row or too many rows.
    """
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise InvalidInput(
            f"{filename}: not an XLSX workbook ({e})",
            code="file_unreadable",
            field="file",
            params={"value": filename},
        ) from None
    try:
        ws = wb.worksheets[0]
        known = _headers()
        rows = ws.iter_rows(values_only=True)
        columns: dict[int, str] | None = None
        header_number = 0
        for number, row in enumerate(rows, start=1):
            found = {i: known[_norm(v)] for i, v in enumerate(row) if _norm(v) in known}
            names = set(found.values())
            if {"project_code", "month"} <= names and names & set(projects.FIGURES):
                columns, header_number = found, number
                break
            if number >= HEADER_SEARCH_ROWS:
                break
        if columns is None:
            raise InvalidInput(
                f"{filename}: no header row with 项目编号, 月份 and a figure "
                f"({', '.join(projects.MONTH[n].zh or n for n in projects.FIGURES)}) "
                f"in the first {HEADER_SEARCH_ROWS} rows of sheet {ws.title!r}",
                code="month_sheet_no_header",
                field="file",
                params={"value": filename, "max": HEADER_SEARCH_ROWS},
            )
        out: list[SheetRow] = []
        for number, row in enumerate(rows, start=header_number + 1):
            values = {
                name: unquote_cell(row[i]) if i < len(row) else None for i, name in columns.items()
            }
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
                continue
            names = {str(values.get(k) or "").strip().lower() for k in _NAMED}
            if names & _TOTAL_ROW:
                continue
            out.append(SheetRow(number, values))
            if len(out) > MAX_ROWS:
                raise InvalidInput(
                    f"{filename}: more than {MAX_ROWS} rows; split the file",
                    code="file_too_many_rows",
                    field="file",
                    params={"value": filename, "max": MAX_ROWS},
                )
        return out
    finally:
        wb.close()
