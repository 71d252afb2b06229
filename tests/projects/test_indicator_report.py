"""The indicator report against an independent computation from the sample ledger's file
(not the database): actuals, targets, completion, year-on-year, big projects and their share,
by sector and platform; every figure is the sum of the projects it lists; the XLSX and DOCX
carry the same figures."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import defaultdict

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from gis_app.services.inventory import SAMPLE_DIR

LEDGER = json.loads((SAMPLE_DIR / "projects.json").read_text(encoding="utf-8"))
FIGURE_OF = {
    "funds": ("funds_registered_wan", "funds_fixed_asset_wan"),
    "funds_registered": ("funds_registered_wan",),
    "funds_fixed_asset": ("funds_fixed_asset_wan",),
    "foreign_capital": ("foreign_capital_usd_wan",),
    "tax": ("tax_wan",),
    "output": ("output_wan",),
}


def expected(start: str, end: str) -> dict:
    """The report's figures computed straight from projects.json."""
    projects = {p["code"]: p for p in LEDGER["projects"]}

    def sums(s: str, e: str) -> dict[str, dict[str, float]]:
        per: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for m in LEDGER["months"]:
            if s <= m["month"] <= e:
                for key, cols in FIGURE_OF.items():
                    per[m["project_code"]][key] += sum(m.get(c) or 0 for c in cols)
        for code, p in projects.items():
            reg = p["milestones"].get("registered", {}).get("actual_date")
            if reg and s <= reg[:7] <= e:
                per[code]["new_enterprises"] += 1
        return per

    prev = f"{int(start[:4]) - 1}{start[4:]}", f"{int(end[:4]) - 1}{end[4:]}"
    now, before = sums(start, end), sums(*prev)
    targets = {
        t["indicator"]: t["value"]
        for t in LEDGER["targets"]
        if t["year"] == int(start[:4]) and t["scope"] == "district"
    }
    out = {}
    for key in (*FIGURE_OF, "new_enterprises"):
        actual = sum(v[key] for v in now.values())
        previous = sum(v[key] for v in before.values())
        target = targets.get(key)
        out[key] = {
            "actual": actual,
            "target": target,
            "completion_pct": 100 * actual / target if target else None,
            "yoy_pct": 100 * (actual - previous) / previous if previous else None,
            "codes": sorted(c for c, v in now.items() if v[key]),
        }
    big = [c for c in now if projects[c]["planned_fixed_asset_wan"] >= 10000]
    big_funds = sum(now[c]["funds"] for c in big)
    out["big"] = {
        "codes": sorted(c for c in big if c in now),
        "funds": big_funds,
        "share": 100 * big_funds / out["funds"]["actual"],
    }
    by_sector: dict[str, float] = defaultdict(float)
    by_platform: dict[str | None, float] = defaultdict(float)
    for code, v in now.items():
        by_sector[projects[code]["sector"]] += v["funds"]
        by_platform[projects[code]["platform"]] += v["funds"]
    out["by_sector"], out["by_platform"] = dict(by_sector), dict(by_platform)
    return out


@pytest.mark.parametrize(("start", "end"), [("2026-01", "2026-06"), ("2026-01", "2026-11")])
def test_report_matches_an_independent_computation(ledger_url, client_as, start, end) -> None:
    officer = client_as("officer", url=ledger_url)
    r = officer.get("/api/reports/indicators", params={"start": start, "end": end})
    assert r.status_code == 200, r.text
    got = r.json()
    want = expected(start, end)
    assert got["period"]["zh"] == f"2026年1—{int(end[5:])}月"
    for ind in got["indicators"]:
        w = want[ind["key"]]
        assert ind["actual"] == pytest.approx(w["actual"]), ind["key"]
        assert ind["target"] == w["target"]
        assert ind["completion_pct"] == pytest.approx(w["completion_pct"]), ind["key"]
        if w["yoy_pct"] is None:
            assert ind["yoy_pct"] is None
        else:
            assert ind["yoy_pct"] == pytest.approx(w["yoy_pct"]), ind["key"]
        # traceable: the listed projects are the contributing ones and sum to the figure
        assert sorted(t["code"] for t in ind["projects"]) == w["codes"], ind["key"]
        assert sum(t["value"] for t in ind["projects"]) == pytest.approx(ind["actual"])
    assert want["funds"]["actual"] > 0 and want["new_enterprises"]["actual"] >= 3
    big = got["big_projects"]
    assert sorted(b["code"] for b in big["projects"]) == want["big"]["codes"]
    assert big["count"] == len(want["big"]["codes"]) > 0
    assert big["funds"] == pytest.approx(want["big"]["funds"])
    assert big["share_pct"] == pytest.approx(want["big"]["share"])
    assert {s["key"]: s["funds"] for s in got["by_sector"]} == pytest.approx(want["by_sector"])
    platforms = {p["name"]: p["funds"] for p in got["by_platform"] if p["projects"]}
    assert platforms == pytest.approx(want["by_platform"])
    kf = next(p for p in got["by_platform"] if p["name"] == "普陀经济开发区")
    assert kf["target"] == 60000
    share = 100 * want["by_platform"]["普陀经济开发区"] / 60000
    assert kf["completion_pct"] == pytest.approx(share)


def test_report_files_carry_the_same_figures(ledger_url, client_as) -> None:
    leader = client_as("leader", url=ledger_url)
    params = {"start": "2026-01", "end": "2026-06"}
    report = leader.get("/api/reports/indicators", params=params).json()
    r = leader.get("/api/reports/indicators", params={**params, "format": "xlsx"})
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    wb = load_workbook(io.BytesIO(r.content))
    rows = list(wb["指标"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == [i["label"]["zh"] for i in report["indicators"]]
    for row, ind in zip(rows, report["indicators"], strict=True):
        assert row[2] == pytest.approx(ind["actual"]) and row[3] == ind["target"]
    detail: dict[str, float] = defaultdict(float)
    for name, _code, _pname, value in wb["明细"].iter_rows(min_row=2, values_only=True):
        detail[name] += value
    for ind in report["indicators"]:
        assert detail[ind["label"]["zh"]] == pytest.approx(ind["actual"])

    r = leader.get("/api/reports/indicators", params={**params, "format": "docx"})
    assert r.status_code == 200 and "wordprocessingml" in r.headers["content-type"]
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    funds = report["indicators"][0]
    assert "招商引资主要指标完成情况（2026年1—6月）" in text
    assert f"1—6月，全区实际到位市外资金{funds['actual'] / 10000:,.2f}亿元" in text
    assert f"完成年度目标的{funds['completion_pct']:.1f}%" in text
    first = doc.tables[0]
    assert first.rows[1].cells[0].text == "实际到位市外资金"
    assert first.rows[1].cells[2].text == f"{funds['actual']:,.1f}"


def test_report_access_and_period_checks(ledger_url, client_as) -> None:
    assert client_as("planner", url=ledger_url).get("/api/reports/indicators").status_code == 403
    officer = client_as("officer", url=ledger_url)
    r = officer.get("/api/reports/indicators", params={"start": "2026-06", "end": "2026-01"})
    assert r.status_code == 422 and "after" in r.json()["detail"]
    r = officer.get("/api/reports/indicators", params={"start": "2025-06", "end": "2026-01"})
    assert r.status_code == 422 and "two years" in r.json()["detail"]
    assert officer.get("/api/reports/indicators").json()["period"]["start"] == (
        f"{dt.date.today().year}-01"
    )


def test_targets_progress_by_month_and_who_sets_them(ledger_url, client_as) -> None:
    leader = client_as("leader", url=ledger_url)
    r = leader.put(
        "/api/targets/2026/officer/funds", json={"scope_key": "test-officer", "value": 90000}
    )
    assert r.status_code == 200, r.text
    got = leader.get("/api/targets", params={"year": 2026, "through": "2026-06"}).json()
    by = {(t["scope"], t["scope_key"], t["indicator"]): t for t in got}
    # independent: cumulative funds per month from projects.json
    platform = {p["code"]: p["platform"] for p in LEDGER["projects"]}
    monthly: dict[str, float] = defaultdict(float)
    kf: dict[str, float] = defaultdict(float)
    for m in LEDGER["months"]:
        if "2026-01" <= m["month"] <= "2026-06":
            v = sum(m.get(c) or 0 for c in FIGURE_OF["funds"])
            monthly[m["month"]] += v
            if platform[m["project_code"]] == "普陀经济开发区":
                kf[m["month"]] += v
    district = by[("district", "", "funds")]
    running = 0.0
    for month in district["months"]:
        running += monthly[month["month"]]
        assert month["actual"] == pytest.approx(running), month
    assert [m["month"] for m in district["months"]] == [f"2026-{i:02d}" for i in range(1, 7)]
    assert district["completion_pct"] == pytest.approx(100 * running / 150000)
    assert by[("platform", "普陀经济开发区", "funds")]["actual"] == pytest.approx(sum(kf.values()))
    # every sample project is test-officer's: the officer's progress is the district's
    assert by[("officer", "test-officer", "funds")]["actual"] == pytest.approx(running)
    regs = by[("district", "", "new_enterprises")]
    assert regs["actual"] == sum(
        1
        for p in LEDGER["projects"]
        if "2026-01"
        <= (p["milestones"].get("registered", {}).get("actual_date") or "")[:7]
        <= "2026-06"
    )

    officer = client_as("officer", url=ledger_url)
    assert officer.put("/api/targets/2026/district/funds", json={"value": 1}).status_code == 403
    assert client_as("planner", url=ledger_url).get("/api/targets").status_code == 403
    r = leader.put("/api/targets/2026/platform/funds", json={"value": 5})
    assert r.status_code == 422 and "scope_key" in r.json()["detail"]


def test_stuck_projects_agree_with_an_independent_reading(ledger_url, ledger_engine, client_as):
    """The dashboard's sites whose projects are behind: recomputed here from the milestones."""
    today = dt.date.today()
    with ledger_engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT s.code AS site, p.code AS project, m.kind, m.planned_date, m.actual_date"
                "  FROM project_site ps JOIN project p ON p.id = ps.project_id"
                "  JOIN site s ON s.id = ps.site_id"
                "  JOIN project_milestone m ON m.project_id = p.id"
                " WHERE m.kind IN ('construction_start', 'full_output')"
                "   AND m.planned_date IS NOT NULL AND s.retired_at IS NULL"
            )
        ).all()
    expected: dict[tuple[str, str], int] = {}
    for r in rows:
        end = r.actual_date or today
        if (r.actual_date is None and r.planned_date < today) or (
            r.actual_date is not None and r.actual_date > r.planned_date
        ):
            key = (r.site, r.project)
            expected[key] = max(expected.get(key, 0), (end - r.planned_date).days)
    assert expected, "the illustrative ledger has projects behind their milestones"
    got = client_as("planner", ledger_url).get("/api/stats/stuck-projects").json()
    assert {(r["code"], r["project_code"]): r["days_late"] for r in got["rows"]} == expected
    days = [r["days_late"] for r in got["rows"]]
    assert days == sorted(days, reverse=True)
    assert got["totals"]["stuck_sites"] == len(expected)
    assert all(r["late_zh"] and r["stage_en"] for r in got["rows"])
    csv = client_as("planner", ledger_url).get("/api/stats/stuck-projects?format=csv")
    assert csv.status_code == 200 and "滞后天数" in csv.text
