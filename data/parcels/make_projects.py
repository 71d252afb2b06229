"""Write ``projects.json``: an ILLUSTRATIVE project ledger for the sample district.

A dozen invented projects signed over 2025–2026 (names, investors, amounts and dates are made
up, plausible for a coastal district's investment-promotion office; none is a real project),
with their milestones, the sample sites they took (sites already ``signed`` in the sample),
their monthly figures until November 2026, the district's and platforms' annual targets, and
the sample officer's promotion activities of 2026 against the monthly minimum (责任状).
Deterministic: run it again and the same file comes out.

    python data/parcels/make_projects.py
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAST_MONTH = dt.date(2026, 11, 1)

# code, name, sector, industry, platform, investor, registered capital, planned fixed-asset
# investment (万元), sites, milestones {kind: (planned, actual)}
PROJECTS = [
    ("XM-2025-001", "海洋电子装备制造项目（示例）", "manufacturing", "3922", "普陀经济开发区",
     "示例海洋电子有限公司", 10000, 32000, ["PT-KF-005"],
     {"signed": (None, "2025-02-15"), "registered": ("2025-03-31", "2025-03-20"),
      "land": ("2025-05-31", "2025-05-10"), "construction_start": ("2025-08-01", "2025-08-20"),
      "completion": ("2026-09-30", "2026-10-15"), "production_start": ("2026-12-31", None),
      "full_output": ("2028-06-30", None)}),
    ("XM-2025-002", "船舶配套产业园项目（示例）", "manufacturing", "3734", "六横临港产业园",
     "示例船舶配套集团", 20000, 58000, ["PT-LH-004"],
     {"signed": (None, "2025-03-28"), "registered": ("2025-05-31", "2025-05-12"),
      "land": ("2025-07-31", "2025-07-25"), "construction_start": ("2025-10-31", "2025-10-18"),
      "completion": ("2027-03-31", None)}),
    ("XM-2025-003", "海岛度假酒店项目（示例）", "tourism", "6110", "朱家尖旅游度假区",
     "示例文旅投资有限公司", 8000, 45000, ["PT-ZJJ-002"],
     {"signed": (None, "2025-04-18"), "registered": ("2025-06-30", "2025-06-05"),
      "land": ("2025-09-30", "2025-11-20"), "construction_start": ("2026-03-31", None)}),
    ("XM-2025-004", "滨海康养中心项目（示例）", "health", "8514", None,
     "示例健康产业有限公司", 3000, 12000, ["PT-GS-001"],
     {"signed": (None, "2025-05-20"), "registered": ("2025-07-31", "2025-07-02"),
      "land": ("2025-10-31", "2025-10-10"), "construction_start": ("2026-02-28", "2026-02-26")}),
    ("XM-2025-005", "海洋文创街区项目（示例）", "culture", "8710", "普陀经济开发区",
     "示例文化传媒有限公司", 1000, 4500, [],
     {"signed": (None, "2025-06-12"), "registered": ("2025-07-31", "2025-08-15"),
      "land": ("2025-09-30", "2025-09-01"), "production_start": ("2025-12-31", "2025-12-20")}),
    ("XM-2025-006", "水产品交易中心项目（示例）", "trade", "5124", "普陀经济开发区",
     "示例水产贸易有限公司", 5000, 15000, ["PT-DG-008"],
     {"signed": (None, "2025-07-08"), "registered": ("2025-08-31", "2025-08-20"),
      "land": ("2025-11-30", "2025-11-15"), "construction_start": ("2026-03-31", "2026-04-28")}),
    ("XM-2025-007", "航运金融服务中心项目（示例）", "finance", "6930", "普陀经济开发区",
     "示例航运金融控股", 10000, 0, [],
     {"signed": (None, "2025-09-10"), "registered": ("2025-10-31", "2025-10-09")}),
    ("XM-2025-008", "船舶供应与海事服务项目（示例）", "maritime_services", "5532",
     "六横临港产业园", "示例海事服务有限公司", 2000, 6000, [],
     {"signed": (None, "2025-11-05"), "registered": ("2025-12-31", "2026-01-12"),
      "land": ("2026-03-31", "2026-03-30")}),
    ("XM-2026-001", "高性能新材料项目（示例）", "manufacturing", "2651", None,
     "示例新材料科技股份公司", 15000, 26000, ["PT-ZM-003"],
     {"signed": (None, "2026-01-16"), "registered": ("2026-03-31", "2026-02-27"),
      "land": ("2026-05-31", "2026-06-18"), "construction_start": ("2026-09-30", None)}),
    ("XM-2026-002", "远洋渔业精深加工项目（示例）", "manufacturing", "1362", "六横临港产业园",
     "示例远洋渔业有限公司", 6000, 9000, [],
     {"signed": (None, "2026-03-06"), "registered": ("2026-04-30", "2026-04-22")}),
    ("XM-2026-003", "海岛民宿集群项目（示例）", "tourism", "6130", "朱家尖旅游度假区",
     "示例民宿运营有限公司", 800, 3500, [],
     {"signed": (None, "2026-04-24"), "registered": ("2026-06-30", "2026-06-10")}),
    ("XM-2026-004", "跨境电商产业园项目（示例）", "trade", "5292", "普陀经济开发区",
     "示例跨境电商有限公司", 3000, 11000, [],
     {"signed": (None, "2026-06-19"), "registered": ("2026-08-31", "2026-08-03"),
      "construction_start": ("2026-10-31", None)}),
]  # fmt: skip

TARGETS = {
    2025: {"funds": 120000, "foreign_capital": 3000, "tax": 3000, "output": 30000,
           "new_enterprises": 8},
    2026: {"funds": 150000, "foreign_capital": 4000, "tax": 6000, "output": 80000,
           "new_enterprises": 10},
}  # fmt: skip
PLATFORM_TARGETS = {
    2026: {"普陀经济开发区": 60000, "六横临港产业园": 50000, "朱家尖旅游度假区": 30000},
}


def _months(start: dt.date) -> list[dt.date]:
    out, m = [], start.replace(day=1)
    while m <= LAST_MONTH:
        out.append(m)
        m = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def _figures(rng: random.Random, p: tuple) -> list[dict]:
    code, _, sector, _, _, _, capital, fixed, _, stones = p
    registered = dt.date.fromisoformat(stones["registered"][1] or stones["signed"][1])
    producing = stones.get("production_start", (None, None))[1]
    months = _months(registered)
    rows = []
    capital_left, fixed_left = capital * 0.8, fixed * 0.6
    foreign = sector in ("manufacturing", "finance") and code.endswith(("1", "7"))
    for i, m in enumerate(months):
        reg = round(min(capital_left, capital * rng.choice((0.1, 0.15, 0.2, 0.3))), 1)
        capital_left -= reg
        fix = round(min(fixed_left, fixed * rng.uniform(0.02, 0.08)), 1) if i >= 2 else 0.0
        fixed_left -= fix
        row = {"project_code": code, "month": f"{m:%Y-%m}"}
        if reg > 0:
            row["funds_registered_wan"] = reg
        if fix > 0:
            row["funds_fixed_asset_wan"] = fix
        if foreign and reg > 0:
            row["foreign_capital_usd_wan"] = round(reg / 7.1 * 0.4, 1)
        if i >= 3:
            row["tax_wan"] = round(rng.uniform(5, 40) * (3 if producing else 1), 1)
        if producing and m >= dt.date.fromisoformat(producing).replace(day=1):
            row["output_wan"] = round(rng.uniform(200, 900), 1)
        if len(row) > 2:
            rows.append(row)
    return rows


# where officers go, whom they receive and what they present (invented, plausible)
TRIPS = [
    ("赴上海拜访海工装备企业", "上海", "示例海工装备集团"),
    ("赴宁波对接船舶配套项目", "宁波", "示例船舶配套集团"),
    ("赴杭州走访数字经济企业", "杭州", "示例数字科技有限公司"),
    ("赴深圳对接海洋电子企业", "深圳", "示例海洋电子有限公司"),
    ("赴苏州拜访新材料企业", "苏州", "示例新材料科技股份公司"),
    ("赴新加坡对接航运服务机构", "新加坡", "示例航运服务公司"),
]
VISITS = [
    ("接待海岛文旅投资考察团", "普陀区投资促进中心", "示例文旅投资有限公司"),
    ("接待远洋渔业企业选址考察", "六横临港产业园", "示例远洋渔业有限公司"),
    ("接待康养产业投资方", "朱家尖旅游度假区", "示例健康产业有限公司"),
]
EVENTS = [
    ("普陀区海洋经济招商推介会", "上海", "长三角海洋产业企业"),
    ("临港产业园专题推介", "宁波", "船舶与海工配套企业"),
]
#: the monthly minimum of 2026 (every officer): trips out and delegations received
MINIMUMS = {"trip_out": 2, "delegation": 1}
# the projects an activity was about (by the trip's counterpart)
ABOUT = {
    "示例船舶配套集团": "XM-2025-002",
    "示例新材料科技股份公司": "XM-2026-001",
    "示例远洋渔业有限公司": "XM-2026-002",
    "示例海洋电子有限公司": "XM-2025-001",
}


def _activities(rng: random.Random) -> list[dict]:
    """Trips out, delegations and events of January–November 2026; February (Spring
    Festival) and August fall short of the minimum, as real months do."""
    rows = []
    for month in range(1, LAST_MONTH.month + 1):
        short = month in (2, 8)
        counts = {
            "trip_out": 1 if short else rng.choice((2, 2, 3, 4)),
            "delegation": 0 if short else rng.choice((1, 1, 2)),
            "promotion_event": 1 if month in (4, 9) else 0,
        }
        for kind, n in counts.items():
            pool = {"trip_out": TRIPS, "delegation": VISITS, "promotion_event": EVENTS}[kind]
            for title, place, counterpart in rng.sample(pool, n):
                day = rng.randint(3, 27)
                row = {
                    "kind": kind,
                    "held_on": f"2026-{month:02d}-{day:02d}",
                    "title": title,
                    "place": place,
                    "counterpart": counterpart,
                }
                if counterpart in ABOUT:
                    row["project_code"] = ABOUT[counterpart]
                rows.append(row)
    return sorted(rows, key=lambda r: (r["held_on"], r["kind"]))


def build() -> dict:
    """The ledger as written to ``projects.json``."""
    rng = random.Random(27)
    projects, months = [], []
    for p in PROJECTS:
        code, name, sector, industry, platform, investor, capital, fixed, sites, stones = p
        projects.append(
            {
                "code": code,
                "name": name,
                "sector": sector,
                "industry": industry,
                "platform": platform,
                "investor": investor,
                "registered_capital_wan": capital,
                "planned_fixed_asset_wan": fixed,
                "site_codes": sites,
                "milestones": {
                    k: {"planned_date": a, "actual_date": b} for k, (a, b) in stones.items()
                },
            }
        )
        months += _figures(rng, p)
    targets = [
        {"year": y, "scope": "district", "scope_key": "", "indicator": k, "value": v}
        for y, t in TARGETS.items()
        for k, v in t.items()
    ] + [
        {"year": y, "scope": "platform", "scope_key": name, "indicator": "funds", "value": v}
        for y, t in PLATFORM_TARGETS.items()
        for name, v in t.items()
    ]
    return {
        "illustrative": (
            "示例数据（虚构，仅供演示） / ILLUSTRATIVE data: invented projects and figures"
        ),
        "projects": projects,
        "months": months,
        "targets": targets,
        "activities": _activities(rng),
        "activity_minimums": [
            {"year": 2026, "kind": k, "per_month": n} for k, n in MINIMUMS.items()
        ],
    }


if __name__ == "__main__":
    text = json.dumps(build(), ensure_ascii=False, indent=1) + "\n"
    (HERE / "projects.json").write_text(text, encoding="utf-8")
