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
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
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


def _header_row(ws: Worksheet, headers: list[str]) -> None:
    ws.append(headers)
    for c in ws[1]:
        c.font, c.fill = _HEAD, _HEAD_FILL
    ws.freeze_panes = "A2"
    for i, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, 2 * len(h) + 2))


def _doc_sheet(wb: Workbook, columns: list[str], headers: list[str]) -> None:
    ws = wb.create_sheet(DOC_SHEET)
    _header_row(ws, [zh for _, zh in _DOC_COLUMNS])
    for c, head in zip(columns, headers, strict=True):
        doc = column_doc(c) | {"header": head}
        ws.append([doc.get(k, "") for k, _ in _DOC_COLUMNS])
    for col, width in zip("ABCDE", (24, 24, 60, 14, 80), strict=True):
        ws.column_dimensions[col].width = width


def _formats(ws: Worksheet, columns: list[str], rows: int) -> None:
    """Date columns as dates, text columns as text (an Excel user's 0902 stays 0902)."""
    for i, c in enumerate(columns, start=1):
        f = fields.SITE.get(c)
        if f is None or f.type in ("float", "int", "bool"):
            continue
        fmt = "yyyy-mm-dd" if f.type == "date" else ("@" if f.type != "datetime" else None)
        if fmt is None:
            continue
        for (cell,) in ws.iter_rows(min_row=2, max_row=max(rows + 1, 2), min_col=i, max_col=i):
            cell.number_format = fmt


#: columns whose cells link to the site's sheet when the export is given its address
LINKED_COLUMNS: tuple[str, ...] = ("code", "name_zh")
_LINK = Font(color="0563C1", underline="single")


def write_workbook(
    frame: pd.DataFrame, out: Path, headers: str = "zh", *, sheet_url: str | None = None
) -> None:
    """Write an export ``frame`` (columns named by field keys) to ``out`` with its headers in
    ``headers`` style and the documentation sheet.

    With ``sheet_url`` (``https://…/sites/{id}``) each site's code and name link to its sheet
    in the app (a hyperlink on the cell: the value stays what the importer reads back).
    """
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    columns = list(frame.columns)
    heads = [column_header(c, headers) for c in columns]
    _header_row(ws, heads)
    linked = [columns.index(c) for c in LINKED_COLUMNS if c in columns]
    ids = columns.index("id") if sheet_url and "id" in columns else None
    for n, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        ws.append([_cell(v) for v in row])
        if ids is not None and row[ids] is not None:
            url = sheet_url.replace("{id}", str(int(row[ids])))  # type: ignore[union-attr]
            for i in linked:
                cell = ws.cell(n, i + 1)  # the row just appended (max_row scans every cell)
                cell.hyperlink, cell.font = url, _LINK
    _formats(ws, columns, len(frame))
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
