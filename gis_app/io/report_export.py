"""The indicator report as files: an XLSX workbook (the figures, then the projects each sums)
and a DOCX in the layout of the office's half-year report (its first section, 主要指标完成情况:
prose, then the tables). Both are written from the dict of
:func:`gis_app.services.project_report.indicator_report`; no figure is computed here.
"""

from __future__ import annotations

import io
import re
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from gis_app.io.spreadsheet import safe_cell

_HEAD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="DDEBF7")
_PCT = "0.0"
_AMOUNT = "#,##0.0"


def _num(v: float | None, digits: int = 1) -> str:
    return "—" if v is None else f"{v:,.{digits}f}"


def _yi(wan: float) -> str:
    """万元 as 亿元 text, as the report writes large sums."""
    return f"{wan / 10000:,.2f}"


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[Any]]) -> None:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for c in ws[1]:
        c.font, c.fill = _HEAD, _FILL
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for i, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, 2 * len(h) + 4))
    for r in ws.iter_rows(min_row=2):
        for cell in r:
            if isinstance(cell.value, float):
                cell.number_format = _AMOUNT


def report_xlsx(report: dict[str, Any]) -> bytes:
    """The report as an XLSX workbook: 指标, 亿元以上项目, 按产业, 按平台, 明细 (every project's
    part of every figure, so that each total can be summed again in Excel)."""
    wb = Workbook()
    wb.remove(wb.active)
    p, prev = report["period"], report["previous_period"]
    _sheet(
        wb,
        "指标",
        ["指标", "单位", f"{p['zh']}实际", "年度目标", "完成率（%）", f"{prev['zh']}", "同比（%）",
         "项目数"],
        [
            [i["label"]["zh"], i["unit"]["zh"], i["actual"], i["target"], i["completion_pct"],
             i["previous"], i["yoy_pct"], len(i["projects"])]
            for i in report["indicators"]
        ],
    )  # fmt: skip
    big = report["big_projects"]
    _sheet(
        wb,
        "亿元以上项目",
        ["项目编号", "项目名称", "计划固定资产投资（万元）", "到位市外资金（万元）",
         "占全部到位资金（%）"],
        [
            [b["code"], b["name"], b["planned_fixed_asset_wan"], b["funds"],
             _share(b["funds"], report)]
            for b in big["projects"]
        ]
        + [["合计", f"{big['count']}个", None, big["funds"], big["share_pct"]]],
    )  # fmt: skip
    _sheet(
        wb,
        "按产业",
        ["产业类型", "到位市外资金（万元）", "税收（万元）", "实际利用外资（万美元）", "项目"],
        [
            [s["label"]["zh"], s["funds"], s["tax"], s["foreign_capital"], "、".join(s["projects"])]
            for s in report["by_sector"]
        ],
    )
    _sheet(
        wb,
        "按平台",
        ["平台", "到位市外资金（万元）", "年度目标（万元）", "完成率（%）", "项目"],
        [
            [s["label"]["zh"], s["funds"], s["target"], s["completion_pct"],
             "、".join(s["projects"])]
            for s in report["by_platform"]
        ],
    )  # fmt: skip
    _sheet(
        wb,
        "明细",
        ["指标", "项目编号", "项目名称", "数值"],
        [
            [i["label"]["zh"], t["code"], t["name"], t["value"]]
            for i in report["indicators"]
            for t in i["projects"]
        ],
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _share(funds: float, report: dict[str, Any]) -> float | None:
    total = report["indicators"][0]["actual"]
    return None if not total else 100.0 * funds / total


def _by_key(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["key"]: i for i in report["indicators"]}


def _against(i: dict[str, Any]) -> str:
    parts = []
    if i["completion_pct"] is not None:
        parts.append(f"完成年度目标的{i['completion_pct']:.1f}%")
    if i["yoy_pct"] is not None:
        word = "增长" if i["yoy_pct"] >= 0 else "下降"
        parts.append(f"同比{word}{abs(i['yoy_pct']):.1f}%")
    return "，".join(parts)


def report_prose(report: dict[str, Any]) -> list[str]:
    """The paragraphs of the report's first section, in its wording."""
    k = _by_key(report)
    p = report["period"]["zh"].split("年", 1)[1]
    funds, reg, fixed = k["funds"], k["funds_registered"], k["funds_fixed_asset"]
    lines = [
        f"{p}，全区实际到位市外资金{_yi(funds['actual'])}亿元"
        + (f"，{_against(funds)}" if _against(funds) else "")
        + f"；其中注册资本到位{_yi(reg['actual'])}亿元，"
        + f"固定资产投资到位{_yi(fixed['actual'])}亿元。",
    ]
    fc = k["foreign_capital"]
    lines.append(
        f"实际利用外资{_num(fc['actual'])}万美元" + (f"，{_against(fc)}" if _against(fc) else "")
        + "。"
    )  # fmt: skip
    tax = k["tax"]
    lines.append(
        f"新引进企业实现税收{_num(tax['actual'])}万元"
        + (f"，{_against(tax)}" if _against(tax) else "")
        + "。"
    )
    ne = k["new_enterprises"]
    lines.append(
        f"新注册企业{int(ne['actual'])}家" + (f"，{_against(ne)}" if _against(ne) else "") + "。"
    )
    big = report["big_projects"]
    share = f"，占全部到位资金的{big['share_pct']:.1f}%" if big["share_pct"] is not None else ""
    lines.append(
        f"计划总投资亿元以上项目{big['count']}个，到位市外资金{_yi(big['funds'])}亿元{share}。"
    )
    return lines


def report_docx(report: dict[str, Any], title: str) -> bytes:
    """The report's first section as a Word document: heading, prose, then the tables."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    style.font.size = Pt(12)
    head = doc.add_heading(_xml_text(title), level=1)
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_heading("一、主要指标完成情况", level=2)
    for line in report_prose(report):
        doc.add_paragraph(_xml_text(line))
    p = report["period"]["zh"]
    _table(
        doc,
        ["指标", "单位", f"{p}", "年度目标", "完成率", "同比"],
        [
            [i["label"]["zh"], i["unit"]["zh"], _num(i["actual"]), _num(i["target"]),
             _pct(i["completion_pct"]), _pct(i["yoy_pct"])]
            for i in report["indicators"]
        ],
    )  # fmt: skip
    doc.add_heading("二、亿元以上项目", level=2)
    _table(
        doc,
        ["项目编号", "项目名称", "计划固投（万元）", "到位资金（万元）"],
        [
            [b["code"], b["name"], _num(b["planned_fixed_asset_wan"], 0), _num(b["funds"])]
            for b in report["big_projects"]["projects"]
        ],
    )
    doc.add_heading("三、分产业、分平台情况", level=2)
    _table(
        doc,
        ["产业类型", "到位市外资金（万元）", "税收（万元）", "项目数"],
        [
            [s["label"]["zh"], _num(s["funds"]), _num(s["tax"]), str(len(s["projects"]))]
            for s in report["by_sector"]
        ],
    )
    doc.add_paragraph()
    _table(
        doc,
        ["平台", "到位市外资金（万元）", "年度目标（万元）", "完成率"],
        [
            [s["label"]["zh"], _num(s["funds"]), _num(s["target"]), _pct(s["completion_pct"])]
            for s in report["by_platform"]
        ],
    )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


#: characters XML 1.0 cannot hold (python-docx refuses them): shown as U+FFFD
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}%"


def _table(doc: Any, headers: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = _xml_text(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = _xml_text(str(text))
