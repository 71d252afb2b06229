"""The project ledger, declared once: a project's fields, a month's figures, the indicators of
the office's half-year report, and the rules for months and milestones.

A signed requirement becomes a **project** (or one is recorded directly). Its fields are
:data:`PROJECT`; the fields of group ``finance`` are the project's financials, which only
officers, leaders and admins read (planners read the rest: the project's stage). A month's
figures (funds from outside the city, split into registered capital and fixed-asset
investment, foreign capital used, tax, output) are :data:`MONTH`; its Chinese labels and
aliases are the column headers of the spreadsheets the office keeps, so the XLSX import reads
them through :func:`gis_app.domain.fields.column_names`. The report's indicators are
:data:`INDICATORS`, each saying how it is computed from the ledger.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Any

from gis_app.domain import vocab
from gis_app.domain.fields import Field, FieldError
from gis_app.domain.vocab import Term

#: a project whose planned fixed-asset investment reaches this many 万元 (1亿元) is a big one
BIG_PROJECT_WAN = 10_000.0

_KEPT = {"managed": True, "editable": False}
_WAN = "万元 / 10k CNY"
_USD_WAN = "万美元 / 10k USD"


def _named(fields: dict[str, Field]) -> dict[str, Field]:
    return {name: replace(f, name=name) for name, f in fields.items()}


#: sections of the project page; ``finance`` holds the internal financials
PROJECT_GROUPS: tuple[Term, ...] = (
    Term("project", "项目", "Project"),
    Term("finance", "投资方与投资（内部）", "Investor and investment (internal)"),
)

# fmt: off
PROJECT: dict[str, Field] = _named({
    "id": Field("int", zh="ID", en="ID", **_KEPT),
    "code": Field("text", required=True, zh="项目编号", en="Project code", group="project",
                  aliases=("编号", "项目代码")),
    "name": Field("text", required=True, zh="项目名称", en="Project name", group="project"),
    "sector": Field("text", required=True, vocabulary=vocab.SECTOR, zh="产业类型",
                    en="Sector", group="project"),
    "industry": Field("text", zh="行业（GB/T 4754 代码）", en="Industry (GB/T 4754 code)",
                      group="project"),
    "platform": Field("text", zh="平台/园区", en="Platform", group="project"),
    "officer": Field("text", zh="招商专员", en="Officer", group="project"),
    "requirement_id": Field("int", min=1, zh="来源需求", en="From requirement", group="project"),
    "investor": Field("text", zh="投资方（内部）", en="Investor (internal)", group="finance"),
    "registered_capital_wan": Field("float", min=0.0, unit=_WAN, zh="注册资本",
                                    en="Registered capital", group="finance", digits=0),
    "planned_fixed_asset_wan": Field("float", min=0.0, unit=_WAN, zh="计划固定资产投资",
                                     en="Planned fixed-asset investment", group="finance",
                                     digits=0),
    "notes": Field("text", zh="备注（内部）", en="Notes (internal)", group="finance"),
    "created_by": Field("text", zh="创建人", en="Created by", **_KEPT),
    "version": Field("int", zh="版本", en="Version", **_KEPT),
    "created_at": Field("datetime", zh="创建时间", en="Created", **_KEPT),
    "updated_at": Field("datetime", zh="更新时间", en="Updated", **_KEPT),
    "district_code": Field("text", zh="所属行政区", en="District", **_KEPT),
})

#: one month of one project's figures; the labels are the spreadsheets' column headers
MONTH: dict[str, Field] = _named({
    "project_code": Field("text", required=True, stored=False, zh="项目编号",
                          en="Project code", aliases=("编号", "项目代码")),
    "project_name": Field("text", stored=False, zh="项目名称", en="Project name"),
    "month": Field("text", required=True, zh="月份", en="Month", aliases=("年月", "统计月份")),
    "funds_registered_wan": Field(
        "float", min=0.0, unit=_WAN, zh="到位市外资金（注册资本）",
        en="Funds from outside the city: registered capital", digits=0,
        aliases=("注册资本到位", "市外资金注册资本", "到位市外资金-注册资本")),
    "funds_fixed_asset_wan": Field(
        "float", min=0.0, unit=_WAN, zh="到位市外资金（固定资产投资）",
        en="Funds from outside the city: fixed-asset investment", digits=0,
        aliases=("固定资产投资到位", "市外资金固定资产投资", "到位市外资金-固定资产投资")),
    "foreign_capital_usd_wan": Field(
        "float", min=0.0, unit=_USD_WAN, zh="实际利用外资", en="Foreign capital used",
        digits=0, aliases=("利用外资", "实际使用外资")),
    "tax_wan": Field("float", min=0.0, unit=_WAN, zh="税收", en="Tax paid", digits=0,
                     aliases=("入库税收", "税收收入", "纳税")),
    "output_wan": Field("float", min=0.0, unit=_WAN, zh="产值", en="Output", digits=0,
                        aliases=("营业收入", "产值/营收")),
    "entered_by": Field("text", zh="填报人", en="Entered by", **_KEPT),
    "updated_at": Field("datetime", zh="更新时间", en="Updated", **_KEPT),
})
# fmt: on

#: the figures of a month (every one a non-negative amount)
FIGURES: tuple[str, ...] = tuple(
    n for n, f in MONTH.items() if f.type == "float" and f.stored and not f.managed
)
#: fields planners may read (a project's stage, not its financials)
STAGE_FIELDS: tuple[str, ...] = tuple(n for n, f in PROJECT.items() if f.group != "finance")
#: fields a client writes when recording or changing a project
WRITABLE: tuple[str, ...] = tuple(n for n, f in PROJECT.items() if not f.managed)


@dataclass(frozen=True)
class Indicator:
    """One figure of the report's first section and how the ledger yields it.

    ``columns``: month figures summed (funds, tax …); ``count`` names what is counted instead
    (``registered``: projects whose 注册 milestone was reached in the period).
    """

    key: str
    zh: str
    en: str
    unit: Term
    columns: tuple[str, ...] = ()
    count: str | None = None

    @property
    def term(self) -> Term:
        """The indicator's label as a vocabulary term."""
        return Term(self.key, self.zh, self.en)


_U_WAN = Term("wan", "万元", "10k CNY")
_U_USD = Term("usd_wan", "万美元", "10k USD")
_U_FIRMS = Term("firms", "家", "firms")

INDICATORS: tuple[Indicator, ...] = (
    Indicator("funds", "实际到位市外资金", "Funds from outside the city arrived", _U_WAN,
              columns=("funds_registered_wan", "funds_fixed_asset_wan")),
    Indicator("funds_registered", "其中：注册资本到位", "of which registered capital", _U_WAN,
              columns=("funds_registered_wan",)),
    Indicator("funds_fixed_asset", "其中：固定资产投资到位", "of which fixed-asset investment",
              _U_WAN, columns=("funds_fixed_asset_wan",)),
    Indicator("foreign_capital", "实际利用外资", "Foreign capital used", _U_USD,
              columns=("foreign_capital_usd_wan",)),
    Indicator("tax", "新引进企业税收", "Tax paid by new enterprises", _U_WAN,
              columns=("tax_wan",)),
    Indicator("output", "产值", "Output", _U_WAN, columns=("output_wan",)),
    Indicator("new_enterprises", "新注册企业", "New enterprises registered", _U_FIRMS,
              count="registered"),
)  # fmt: skip
INDICATOR = vocab.Vocabulary("indicator", "指标", "Indicator", [i.term for i in INDICATORS])
INDICATOR_BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}

#: targets are set for the district, a platform or an officer (责任状)
TARGET_SCOPE = vocab.Vocabulary(
    "target_scope",
    "目标对象",
    "Target for",
    [
        Term("district", "全区", "District"),
        Term("platform", "平台", "Platform"),
        Term("officer", "招商专员", "Officer"),
    ],
)

#: the milestones whose lateness is flagged (开工 late, 达效 late)
WATCHED_MILESTONES: tuple[str, ...] = ("construction_start", "full_output")

_MONTH = re.compile(r"(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?(?:\s*[-/.]?\s*\d{1,2}\s*日?)?")


def parse_month(value: Any) -> dt.date:
    """The first day of the month ``value`` names: ``2026-03``, ``2026/3``, ``2026年3月``,
    ``202603``, a date or a spreadsheet date cell. Raises :class:`FieldError` otherwise."""
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    if isinstance(value, dt.date):
        return value.replace(day=1)
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date().replace(day=1)
    text = str(value).strip() if value is not None else ""
    m = _MONTH.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})", text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 1900 < year < 2200:
            return dt.date(year, month, 1)
    raise FieldError(
        f"expected a month (2026-03, 2026年3月 or a date), got {value!r}",
        "not_a_month",
        value=text[:40],
    )


def month_key(month: dt.date) -> str:
    """``2026-03`` for the month starting at ``month``."""
    return f"{month.year:04d}-{month.month:02d}"


def check_month_not_future(month: dt.date, today: dt.date) -> None:
    """Refuse a month after ``today``'s month: figures are actuals, not plans."""
    if month > today.replace(day=1):
        raise FieldError(
            f"{month_key(month)} is in the future (today is {today.isoformat()})",
            "date_in_future",
            value=month_key(month),
        )


#: what the figures of a month are called in a refusal
_FIGURES_TERM = Term("figures", "月度指标（至少一项）", "The month's figures (at least one)")


def coerce_figures(values: dict[str, Any]) -> dict[str, float | None]:
    """The figures of a month, each checked (a number ≥ 0 or empty); the first bad one raises
    :class:`FieldError` naming it. At least one figure must be given."""
    out: dict[str, float | None] = {}
    for name in FIGURES:
        f = MONTH[name]
        try:
            out[name] = f.coerce(values.get(name))
        except FieldError as e:
            raise FieldError(f"{name} ({f.zh}): {e}", e.code, **e.params, field=f.term) from None
    if all(v is None for v in out.values()):
        raise FieldError(
            "no figure given (" + ", ".join(MONTH[n].zh or n for n in FIGURES) + ")",
            "required",
            field=_FIGURES_TERM,
        )
    return out


def stage_of(milestones: dict[str, dict[str, Any]]) -> str | None:
    """The last milestone reached (with an actual date), in milestone order; None before 签约."""
    reached = [k for k in vocab.MILESTONE.keys if (milestones.get(k) or {}).get("actual_date")]
    return reached[-1] if reached else None


def late_milestones(milestones: dict[str, dict[str, Any]], today: dt.date) -> list[str]:
    """Watched milestones whose planned date has passed (or that were reached after it)."""
    late = []
    for key in WATCHED_MILESTONES:
        m = milestones.get(key) or {}
        planned, actual = _as_date(m.get("planned_date")), _as_date(m.get("actual_date"))
        if planned is None:
            continue
        if (actual is None and planned < today) or (actual is not None and actual > planned):
            late.append(key)
    return late


def _as_date(v: Any) -> dt.date | None:
    if v is None or v == "":
        return None
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])


def pct(part: float | None, whole: float | None) -> float | None:
    """``part`` as a percentage of ``whole`` (None when ``whole`` is missing or zero)."""
    if part is None or not whole:
        return None
    return 100.0 * part / whole


def yoy_pct(current: float | None, previous: float | None) -> float | None:
    """Year-on-year change in percent (None without a previous figure)."""
    if current is None or not previous:
        return None
    return 100.0 * (current - previous) / previous
