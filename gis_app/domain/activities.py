"""Promotion activities (招商活动) and their monthly minimum, declared once.

Every unit of the office is held to a monthly minimum of activities (责任状: so many trips out
to investors a month, so many delegations received, promotion events). An officer logs each
activity: :data:`ACTIVITY` holds its fields — what the API accepts, the page's form and the
table's columns are derived from it. A leader sets the minimum per kind for a year, for every
officer or for one officer (:data:`MINIMUM`); the progress view counts each officer's
activities month by month against it.
"""

from __future__ import annotations

from dataclasses import replace

from gis_app.domain import vocab
from gis_app.domain.fields import Field

_KEPT = {"managed": True, "editable": False}


def _named(fields: dict[str, Field]) -> dict[str, Field]:
    return {name: replace(f, name=name) for name, f in fields.items()}


# fmt: off
ACTIVITY: dict[str, Field] = _named({
    "id": Field("int", zh="ID", en="ID", **_KEPT),
    "kind": Field("text", required=True, vocabulary=vocab.ACTIVITY_KIND, zh="活动类型",
                  en="Activity"),
    "held_on": Field("date", required=True, zh="日期", en="Date"),
    "officer": Field("text", zh="招商专员", en="Officer", length=100),
    "title": Field("text", required=True, zh="事由", en="Purpose", length=200),
    "place": Field("text", zh="地点", en="Place", length=200),
    "counterpart": Field("text", zh="对接企业/来访单位", en="Companies met", length=500),
    "project_code": Field("text", zh="关联项目编号", en="Project code", length=100,
                          stored=False),
    "notes": Field("text", zh="备注", en="Notes", length=2000),
    "created_by": Field("text", zh="登记人", en="Logged by", **_KEPT),
    "created_at": Field("datetime", zh="登记时间", en="Logged", **_KEPT),
    "district_code": Field("text", zh="所属行政区", en="District", **_KEPT),
})

#: the monthly minimum of one kind of activity in a year; officer '' is every officer's
MINIMUM: dict[str, Field] = _named({
    "year": Field("int", required=True, min=2000, max=2100, zh="年度", en="Year"),
    "kind": Field("text", required=True, vocabulary=vocab.ACTIVITY_KIND, zh="活动类型",
                  en="Activity"),
    "officer": Field("text", zh="招商专员（空：每人）", en="Officer (empty: everyone)",
                     length=100),
    "per_month": Field("int", required=True, min=0, max=1000, zh="每月不少于（次）",
                       en="At least, per month"),
    "district_code": Field("text", zh="所属行政区", en="District", **_KEPT),
})
# fmt: on

#: fields a client writes when logging an activity
WRITABLE: tuple[str, ...] = tuple(n for n, f in ACTIVITY.items() if not f.managed)
#: free-text fields (shown escaped everywhere; hostile-text tests plant payloads in each)
FREE_TEXT: tuple[str, ...] = tuple(
    n for n in WRITABLE if ACTIVITY[n].type == "text" and ACTIVITY[n].vocabulary is None
)
