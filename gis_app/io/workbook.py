"""XLSX workbooks for people who work in Excel or WPS: the site export and the import template.

Both have the data on the first sheet (what the importer reads) and a sheet 说明 documenting
each column: its header, field key, meaning, unit and the values allowed. Dates are date cells
(``yyyy-mm-dd``), text columns are formatted as text so that a code typed as ``0902`` keeps its
zero. The template (:func:`write_template`) has one column per field that an import can set,
headed by the registry's Chinese label, and dropdown lists (data validation) of the allowed
values — the Chinese labels of each vocabulary, which the importer reads as well as the keys —
kept on a hidden sheet, so that officers filling it in cannot mistype a status.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from gis_app.db.models import SRID
from gis_app.domain import fields, landuse
from gis_app.io.export import column_doc, column_header, wkt_column
from gis_app.io.fields import SITE_FIELDS

#: the names of the data, documentation and (hidden) allowed-values sheets
DATA_SHEET, DOC_SHEET, VALUES_SHEET = "sites", "说明", "取值"
_DOC_COLUMNS = (
    ("header", "列名"),
    ("key", "字段"),
    ("meaning", "说明"),
    ("unit", "单位"),
    ("allowed", "可选值"),
)
_HEAD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
#: fields of a site an import template offers: what an import sets (not ``verified_by``,
#: which records who verified, nor what the database keeps)
TEMPLATE_FIELDS: tuple[str, ...] = tuple(n for n, f in SITE_FIELDS.items() if f.editable)


def _cell(value: Any) -> Any:
    """A value as openpyxl writes it: dates stay dates, NaN/NaT are empty."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        # Excel has no time zones: keep the exact instant as ISO text
        return value.isoformat() if value.tzinfo is not None else value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _header_row(ws: Worksheet | WriteOnlyWorksheet, headers: list[str]) -> None:
    """The bold, shaded first row, frozen; columns as wide as their headers (in a
    write-only sheet this must come before any other row)."""
    for i, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, 2 * len(h) + 2))
    ws.freeze_panes = "A2"
    cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font, cell.fill = _HEAD, _HEAD_FILL
        cells.append(cell)
    ws.append(cells)


def _doc_sheet(wb: Workbook, columns: list[str], headers: list[str]) -> None:
    ws = wb.create_sheet(DOC_SHEET)
    for col, width in zip("ABCDE", (24, 24, 60, 14, 80), strict=True):
        ws.column_dimensions[col].width = width
    _header_row(ws, [zh for _, zh in _DOC_COLUMNS])
    for c, head in zip(columns, headers, strict=True):
        doc = column_doc(c) | {"header": head}
        ws.append([doc.get(k, "") for k, _ in _DOC_COLUMNS])


def _number_format(column: str) -> str | None:
    """Date columns as dates, text columns as text (an Excel user's 0902 stays 0902)."""
    f = fields.SITE.get(column)
    if f is None or f.type in ("float", "int", "bool", "datetime"):
        return None
    return "yyyy-mm-dd" if f.type == "date" else "@"


def _formats(ws: Worksheet, columns: list[str], rows: int) -> None:
    """:func:`_number_format` on the first ``rows`` rows under the headers."""
    for i, c in enumerate(columns, start=1):
        fmt = _number_format(c)
        if fmt is None:
            continue
        for (cell,) in ws.iter_rows(min_row=2, max_row=max(rows + 1, 2), min_col=i, max_col=i):
            cell.number_format = fmt


#: columns whose cells link to the site's sheet when the export is given its address
LINKED_COLUMNS: tuple[str, ...] = ("code", "name_zh")
_LINK = Font(color="0563C1", underline="single")


def write_workbook(
    columns: list[str],
    rows: Iterable[Sequence[Any]],
    out: Path,
    headers: str = "zh",
    *,
    sheet_url: str | None = None,
) -> None:
    """Write export ``rows`` (values of ``columns``, named by field keys) to ``out`` with
    their headers in ``headers`` style and the documentation sheet.

    The workbook is written as the rows come (openpyxl's write-only mode): memory does not
    grow with the rows. With ``sheet_url`` (``https://…/sites/{id}``) each site's code and
    name link to its sheet in the app (a hyperlink on the cell: the value stays what the
    importer reads back).
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    heads = [column_header(c, headers) for c in columns]
    _header_row(ws, heads)
    formats = [_number_format(c) for c in columns]
    linked = frozenset(columns.index(c) for c in LINKED_COLUMNS if c in columns)
    ids = columns.index("id") if sheet_url and "id" in columns else None
    for row in rows:
        url = None
        if ids is not None and row[ids] is not None:
            url = sheet_url.replace("{id}", str(int(row[ids])))  # type: ignore[union-attr]
        cells: list[Any] = []
        for i, value in enumerate(row):
            value = _cell(value)
            link = url if i in linked else None
            if formats[i] is None and link is None:
                cells.append(value)
                continue
            cell = WriteOnlyCell(ws, value=value)
            if formats[i] is not None:
                cell.number_format = formats[i]
            if link is not None:
                cell.hyperlink, cell.font = link, _LINK
            cells.append(cell)
        ws.append(cells)
    _doc_sheet(wb, columns, heads)
    wb.save(out)


def _choices(name: str) -> list[str] | None:
    """The dropdown values of a template column (Chinese labels), or None for free input."""
    f = fields.SITE[name]
    if f.vocabulary is not None and f.type != "text_list":
        return [t.zh for t in f.vocabulary]
    if f.landuse_system is not None:
        return [f"{c.code} {c.zh}" for c in landuse._table(f.landuse_system).values()]
    if f.type == "bool":
        return ["是", "否"]
    return None


def write_template(out: Path, rows: int = 500) -> None:
    """An empty XLSX for new or changed sites: one column per importable field (Chinese
    headers), a WKT outline column whose header names its CRS (图形WKT（EPSG:4490）),
    dropdowns of the allowed values on ``rows`` rows, number and date checks, and the
    documentation sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    wkt = wkt_column(SRID)
    columns = [*TEMPLATE_FIELDS, wkt]
    heads = [column_header(wkt) if c == wkt else fields.SITE[c].zh or c for c in columns]
    _header_row(ws, heads)
    values = wb.create_sheet(VALUES_SHEET)
    values.sheet_state = "hidden"
    last = rows + 1
    used = 0
    for i, name in enumerate(columns, start=1):
        letter = get_column_letter(i)
        area = f"{letter}2:{letter}{last}"
        if name == wkt:
            continue
        f = fields.SITE[name]
        choices = _choices(name)
        dv: DataValidation | None = None
        if choices:
            used += 1
            vl = get_column_letter(used)
            values.cell(1, used, f.zh or name)
            for j, v in enumerate(choices, start=2):
                values.cell(j, used, v)
            ref = f"{quote_sheetname(VALUES_SHEET)}!${vl}$2:${vl}${len(choices) + 1}"
            dv = DataValidation(type="list", formula1=ref, allow_blank=True)
            dv.error = f"请从下拉列表选择{f.zh}"
        elif f.type in ("float", "int"):
            lo = -1e15 if f.min is None else f.min
            hi = 1e15 if f.max is None else f.max
            kind = "whole" if f.type == "int" else "decimal"
            dv = DataValidation(
                type=kind,
                operator="between",
                formula1=f"{lo:g}",
                formula2=f"{hi:g}",
                allow_blank=True,
            )
            dv.error = f"{f.zh}：请填{lo:g}–{hi:g}之间的数字" if f.min is not None else None
        elif f.type == "date":
            dv = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
            dv.error = f"{f.zh}：请填日期，如 2026-08-21"
        if dv is not None:
            dv.errorTitle, dv.showErrorMessage = "输入有误", True
            dv.promptTitle, dv.prompt = (f.zh or name)[:32], (f.en or name)[:255]
            dv.showInputMessage = True
            ws.add_data_validation(dv)
            dv.add(area)
    _formats(ws, columns, rows)
    _doc_sheet(wb, columns, heads)
    wb.save(out)
