"""The project ledger over the API: a signed requirement becomes a project, its sites become
signed with history, milestones planned vs actual, monthly figures, and who may do what."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from xlsx_sheets import office_sheet

NEW = {
    "code": "XM-T-001",
    "name": "测试海工项目",
    "sector": "manufacturing",
    "industry": "3734",
    "platform": "普陀经济开发区",
    "registered_capital_wan": 5000,
    "planned_fixed_asset_wan": 12000,
    "investor": "某海工集团（内部）",
}
TODAY = dt.date.today()
THIS_MONTH = f"{TODAY:%Y-%m}"
NEXT_MONTH = f"{(TODAY.replace(day=28) + dt.timedelta(days=4)):%Y-%m}"


def _signed_requirement(officer, engine) -> int:
    r = officer.post(
        "/api/requirements",
        json={"project_name": "海工装备基地", "investor": "某海工集团", "need": "land",
              "industry": "3734"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    with engine.begin() as c:
        c.execute(sa.text("UPDATE requirement SET status = 'signed' WHERE id = :i"), {"i": rid})
    return rid


def test_signed_requirement_becomes_project_and_its_site_is_signed(
    ledger_url, ledger_engine, client_as
) -> None:
    officer = client_as("officer", url=ledger_url)
    rid = _signed_requirement(officer, ledger_engine)
    body = {
        "code": "XM-T-001",
        "sector": "制造业",  # a Chinese label reads as its key, as in every registry field
        "requirement_id": rid,
        "planned_fixed_asset_wan": 12000,
        "milestones": {
            "signed": {"actual_date": "2026-11-20"},
            "construction_start": {"planned_date": "2026-11-30"},
        },
        "site_codes": ["PT-BL-003"],
    }
    r = officer.post("/api/projects", json=body)
    assert r.status_code == 201, r.text
    p = r.json()
    # the requirement gave the name, investor, industry and officer
    assert (p["name"], p["investor"], p["industry"], p["officer"]) == (
        "海工装备基地", "某海工集团", "C3734", "test-officer"
    )  # fmt: skip
    assert p["sector"] == "manufacturing" and p["stage"] == "signed"
    assert p["site_codes"] == ["PT-BL-003"]
    stones = {m["kind"]: m for m in p["milestones"]}
    assert stones["signed"]["actual_date"] == "2026-11-20"
    if dt.date(2026, 11, 30) < TODAY:
        assert p["late"] == ["construction_start"] and stones["construction_start"]["late"]
    with ledger_engine.connect() as c:
        site = c.execute(
            sa.text("SELECT id, availability FROM site WHERE code = 'PT-BL-003'")
        ).one()
        assert site.availability == "signed"
        hist = c.execute(
            sa.text(
                "SELECT changes, app_user, note FROM history WHERE table_name = 'site' "
                "AND row_id = :i ORDER BY id DESC LIMIT 1"
            ),
            {"i": site.id},
        ).one()
    assert hist.changes["availability"] == ["available", "signed"]
    assert hist.app_user == "test-officer" and "XM-T-001" in hist.note

    # the same requirement cannot become a second project; an unsigned one none at all
    r = officer.post("/api/projects", json={**NEW, "code": "XM-T-002", "requirement_id": rid})
    assert r.status_code == 409, r.text
    r = officer.post("/api/requirements", json={"project_name": "x", "need": "land"})
    r = officer.post(
        "/api/projects", json={**NEW, "code": "XM-T-003", "requirement_id": r.json()["id"]}
    )
    assert r.status_code == 422 and "only a signed requirement" in r.json()["detail"]


def test_milestones_planned_vs_actual(ledger_url, client_as) -> None:
    officer = client_as("officer", url=ledger_url)
    pid = officer.post("/api/projects", json=NEW).json()["id"]
    r = officer.put(
        f"/api/projects/{pid}/milestones/construction_start",
        json={"planned_date": "2026-01-31", "actual_date": "2026-03-02"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "construction_start"
    assert r.json()["late"] == ["construction_start"]  # reached a month after its plan
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    r = officer.put(f"/api/projects/{pid}/milestones/completion", json={"actual_date": tomorrow})
    assert r.status_code == 422 and "in the future" in r.json()["detail"]
    assert "XM-T-001" in r.json()["detail"]


def test_month_figures_checked(ledger_url, ledger_engine, client_as) -> None:
    officer = client_as("officer", url=ledger_url)
    pid = officer.post("/api/projects", json=NEW).json()["id"]
    r = officer.put(
        f"/api/projects/{pid}/months/{THIS_MONTH}",
        json={"funds_registered_wan": 1200, "funds_fixed_asset_wan": 800.5, "tax_wan": 12},
    )
    assert r.status_code == 200, r.text
    assert r.json()["months"][0]["month"] == THIS_MONTH
    assert r.json()["months"][0]["funds_fixed_asset_wan"] == 800.5
    r = officer.put(f"/api/projects/{pid}/months/{NEXT_MONTH}", json={"tax_wan": 1})
    assert r.status_code == 422 and "in the future" in r.json()["detail"]
    r = officer.put(f"/api/projects/{pid}/months/{THIS_MONTH}", json={"tax_wan": -1})
    assert r.status_code == 422 and "tax_wan" in r.text
    r = officer.put(f"/api/projects/{pid}/months/{THIS_MONTH}", json={})
    assert r.status_code == 422 and "no figure given" in r.json()["detail"]
    with ledger_engine.connect() as c:
        tax = c.execute(
            sa.text("SELECT tax_wan FROM project_month WHERE project_id = :p"), {"p": pid}
        ).scalar_one()
    assert tax == 12


def test_access_officers_own_leaders_all_planners_stages(ledger_url, client_as) -> None:
    officer = client_as("officer", url=ledger_url)
    pid = officer.post("/api/projects", json=NEW).json()["id"]
    admin = client_as("admin", url=ledger_url)
    # another officer's project (the admin records it for them)
    r = admin.post("/api/projects", json={**NEW, "code": "XM-T-9", "officer": "someone-else"})
    assert r.status_code == 201, r.text
    other = r.json()["id"]
    assert (
        officer.put(f"/api/projects/{other}/months/{THIS_MONTH}", json={"tax_wan": 1}).status_code
        == 403
    )
    r = officer.patch(f"/api/projects/{other}", json={"name": "x"}, headers={"If-Match": '"1"'})
    assert r.status_code == 403 and "someone-else" in r.json()["detail"]
    r = officer.post("/api/projects", json={**NEW, "code": "XM-T-10", "officer": "someone-else"})
    assert r.status_code == 403
    # PATCH own: If-Match required, then applied
    r = officer.patch(f"/api/projects/{pid}", json={"name": "改名"})
    assert r.status_code == 428
    r = officer.patch(f"/api/projects/{pid}", json={"name": "改名"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["name"] == "改名"
    officer.put(f"/api/projects/{pid}/months/{THIS_MONTH}", json={"tax_wan": 7})

    leader = client_as("leader", url=ledger_url)
    got = leader.get(f"/api/projects/{pid}").json()
    assert got["investor"] == NEW["investor"] and got["months"][0]["tax_wan"] == 7
    assert not got["may_edit"]
    assert (
        leader.put(f"/api/projects/{pid}/months/{THIS_MONTH}", json={"tax_wan": 1}).status_code
        == 403
    )
    assert leader.get("/api/projects").headers["x-total-count"] == "14"

    planner = client_as("planner", url=ledger_url)
    got = planner.get(f"/api/projects/{pid}").json()
    assert got["stage"] is None and got["name"] == "改名" and got["milestones"]
    for secret in ("investor", "registered_capital_wan", "planned_fixed_asset_wan", "notes"):
        assert secret not in got
    assert "months" not in got
    listed = planner.get("/api/projects?limit=500").json()
    assert listed and all("investor" not in p for p in listed)
    assert "某海工集团" not in planner.get("/api/projects?limit=500").text
    assert (
        planner.put(f"/api/projects/{pid}/months/{THIS_MONTH}", json={"tax_wan": 1}).status_code
        == 403
    )


def test_import_all_or_nothing_names_bad_rows(ledger_url, ledger_engine, client_as) -> None:
    officer = client_as("officer", url=ledger_url)
    pid = officer.post("/api/projects", json=NEW).json()["id"]
    this = TODAY.replace(day=1)
    prev = (this - dt.timedelta(days=1)).replace(day=1)
    good = office_sheet(
        [
            (
                "XM-T-001",
                "测试海工项目",
                dt.datetime(prev.year, prev.month, 1),
                1000,
                500,
                None,
                20,
                None,
            ),
            ("XM-T-001", "测试海工项目", f"{this.year}年{this.month}月", 300, None, 12.5, 21, None),
        ]
    )
    r = officer.post(
        "/api/project-months/import",
        files={
            "file": (
                "2026年月报.xlsx",
                good,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == 2 and r.json()["projects"] == ["XM-T-001"]

    nxt = (this.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    bad = office_sheet(
        [
            ("XM-T-001", "测试海工项目", "2025-01", 100, None, None, None, None),  # fine alone
            ("XM-NOPE-1", "不存在的项目", "2025-02", 100, None, None, None, None),
            ("XM-T-001", "测试海工项目", "2025-03", -50, None, None, None, None),
            ("XM-T-001", "测试海工项目", f"{nxt:%Y-%m}", 10, None, None, None, None),
            ("XM-T-001", "测试海工项目", "2025年1月", 5, None, None, None, None),
            ("XM-T-001", "测试海工项目", f"{prev:%Y-%m}", 5, None, None, None, None),
        ]
    )
    r = officer.post("/api/project-months/import", files={"file": ("bad.xlsx", bad)})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    # Excel rows: title 1, header 2, data from 3
    assert "row 4 (XM-NOPE-1): unknown project" in detail
    assert "row 5 (XM-T-001): funds_registered_wan" in detail and "below the minimum" in detail
    assert "row 6 (XM-T-001)" in detail and "in the future" in detail
    assert "row 7 (XM-T-001): duplicated month 2025-01 of XM-T-001 (also row 3)" in detail
    assert f"row 8 (XM-T-001): {prev:%Y-%m} is already recorded" in detail
    assert "row 3" not in detail.replace("also row 3", "")
    # the file's summary first, then each row with its code, field and message in both languages
    body = r.json()
    assert (
        body["code"] == "load_error"
        and body["message"]["zh"] == "文件中有 5 处问题，未导入任何内容。"
    )
    rows = body["errors"][1:]
    assert [(e["code"], e["field"]) for e in rows] == [("row_problem", "project_code")] + [
        ("row_problem", f) for f in ("funds_registered_wan", "month", "month", "month")
    ]
    assert rows[0]["message"] == {
        "zh": "第 4 行（XM-NOPE-1）：项目编号“XM-NOPE-1”不存在。",
        "en": "Row 4 (XM-NOPE-1): There is no project “XM-NOPE-1”.",
    }
    assert (
        rows[3]["message"]["zh"]
        == "第 7 行（XM-T-001）：XM-T-001 的 2025-01 在文件中出现两次（另见第 3 行）。"
    )
    with ledger_engine.connect() as c:
        n = c.execute(
            sa.text("SELECT count(*) FROM project_month WHERE project_id = :p"), {"p": pid}
        ).scalar_one()
    assert n == 2  # nothing of the bad file was written

    # another officer's project in a sheet is refused too, naming the row
    r = officer.post(
        "/api/project-months/import",
        files={
            "file": (
                "x.xlsx",
                office_sheet([("XM-2025-001", "", "2025-01", 1, None, None, None, None)]),
            )
        },
    )
    assert r.status_code == 200  # XM-2025-001 is test-officer's (the sample ledger's officer)
    other = client_as("admin", url=ledger_url)
    other.post("/api/projects", json={**NEW, "code": "XM-T-9", "officer": "someone-else"})
    r = officer.post(
        "/api/project-months/import",
        files={
            "file": ("x.xlsx", office_sheet([("XM-T-9", "", "2025-01", 1, None, None, None, None)]))
        },
    )
    assert (
        r.status_code == 422
        and "row 3 (XM-T-9): project XM-T-9 is officer 'someone-else'" in r.json()["detail"]
    )
