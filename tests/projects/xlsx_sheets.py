"""XLSX sheets of monthly figures made the way the office makes them in Excel: a title row,
Chinese headers with units, a 序号 column, month cells as Excel dates or typed text, and a
合计 row with SUM formulas at the bottom."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HEADERS = (
    "序号",
    "项目编号",
    "项目名称",
    "月份",
    "到位市外资金（注册资本）\n（万元）",
    "到位市外资金（固定资产投资）（万元）",
    "实际利用外资（万美元）",
    "税收（万元）",
    "产值（万元）",
    "备注",
)


def office_sheet(rows: list[tuple[Any, ...]], title: str = "2026年重点项目到位资金月报表") -> bytes:
    """An XLSX file: ``rows`` are (项目编号, 项目名称, 月份, 注册资本, 固投, 外资, 税收, 产值)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "月报"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(list(HEADERS))
    for cell in ws[2]:
        cell.alignment = Alignment(wrap_text=True)
    for n, row in enumerate(rows, start=1):
        ws.append([n, *row, None])
        month = ws.cell(row=ws.max_row, column=4)
        if isinstance(month.value, dt.date):
            month.number_format = 'yyyy"年"m"月"'
    last = ws.max_row
    ws.append([None, None, "合计", None, *(f"=SUM({c}3:{c}{last})" for c in "EFGHI"), None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
