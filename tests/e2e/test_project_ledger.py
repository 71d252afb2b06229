"""The project ledger in Chromium, as an officer works: record a project (its site becomes
signed), set a milestone, take another site, enter a month's figures (a negative one is refused
on the page and nothing is saved), filter the ledger, import the office's XLSX sheet (a bad one
is refused naming its rows), and open the indicator report."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from e2e_helpers import LiveApp, open_page, wait_idle
from projects.xlsx_sheets import office_sheet

from gis_app.domain import vocab
from gis_app.services.inventory import SAMPLE_DIR
from gis_app.services.projects import load_ledger

TODAY = dt.date.today()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - dt.timedelta(days=1)).replace(day=1)


@pytest.fixture
def ledger_app(live_app: LiveApp) -> LiveApp:
    """The live app with the illustrative ledger recorded for its officer."""
    with live_app.engine.connect() as c:
        load_ledger(c, SAMPLE_DIR / "projects.json", live_app.username, dt.date(2026, 12, 3))
    return live_app


def _unexpected(errors: list[str]) -> list[str]:
    """Console errors other than a refused form's own answer (422, or 409 for a duplicate)."""
    return [e for e in errors if "status of 422" not in e and "status of 409" not in e]


def _one(app: LiveApp, sql: str, **params: Any) -> sa.Row:
    with app.engine.connect() as c:
        return c.execute(sa.text(sql), params).one()


def test_officer_records_a_project_and_enters_a_month(ledger_app: LiveApp, browser) -> None:
    w = open_page(browser, ledger_app, "/projects")
    page = w.page
    page.wait_for_selector("#gis-new-project")
    f = "#gis-new-project"
    page.fill(f"{f} input[name=code]", "XM-E2E-01")
    page.fill(f"{f} input[name=name]", "浏览器测试项目")
    page.select_option(f"{f} select[name=sector]", "maritime_services")
    page.fill(f"{f} input[name=industry]", "5532")
    page.fill(f"{f} input[name=platform]", "六横临港产业园")
    page.fill(f"{f} input[name=investor]", "测试投资方")
    page.fill(f"{f} input[name=registered_capital_wan]", "3000")
    page.fill(f"{f} input[name=planned_fixed_asset_wan]", "12000")
    page.fill(f"{f} input[name=signed_on]", LAST_MONTH.isoformat())
    page.fill(f"{f} input[name=site_codes]", "PT-BL-003")
    page.fill(f"{f} textarea[name=notes]", "内部备注")
    with page.expect_navigation():
        page.click(f"{f} button[type=submit]")
    assert re.search(r"/projects/\d+", page.url), page.url
    assert "XM-E2E-01" in page.inner_text("#gis-project-title")
    assert page.inner_text("#gis-stage") == "签约"
    row = _one(
        ledger_app,
        "SELECT id, sector, industry, officer, investor, planned_fixed_asset_wan FROM project"
        " WHERE code = 'XM-E2E-01'",
    )
    assert (row.sector, row.industry, row.officer, row.investor) == (
        "maritime_services", "G5532", ledger_app.username, "测试投资方"
    )  # fmt: skip
    assert row.planned_fixed_asset_wan == 12000
    site = _one(ledger_app, "SELECT availability FROM site WHERE code = 'PT-BL-003'")
    assert site.availability == "signed"
    assert page.locator("#gis-project-sites tr[data-site-code=PT-BL-003]").count() == 1

    # a milestone: 开工 planned last month, not reached → late
    page.select_option("#gis-milestone-form select[name=kind]", "construction_start")
    page.fill("#gis-milestone-form input[name=planned_date]", LAST_MONTH.isoformat())
    with page.expect_navigation():
        page.click("#gis-milestone-form button[type=submit]")
    cells = page.locator("#gis-milestones tr[data-kind=construction_start] td")
    assert cells.nth(1).inner_text() == LAST_MONTH.isoformat()
    if LAST_MONTH < TODAY:
        assert page.locator(".gis-late-flag").count() >= 1
    ms = _one(
        ledger_app,
        "SELECT planned_date FROM project_milestone WHERE project_id = :p"
        " AND kind = 'construction_start'",
        p=row.id,
    )
    assert ms.planned_date == LAST_MONTH

    # another site taken
    page.fill("#gis-site-form input[name=site_code]", "PT-BL-002")
    with page.expect_navigation():
        page.click("#gis-site-form button[type=submit]")
    assert page.locator("#gis-project-sites tr[data-site-code=PT-BL-002]").count() == 1
    assert _one(ledger_app, "SELECT availability FROM site WHERE code = 'PT-BL-002'")[0] == "signed"

    # the site's sheet names the project that took it, with its stage
    project_url = page.url
    site_id = _one(ledger_app, "SELECT id FROM site WHERE code = 'PT-BL-003'")[0]
    page.goto(f"{ledger_app.base_url}/sites/{site_id}")
    on_site = page.locator("#gis-site-projects tr[data-code=XM-E2E-01]")
    assert "浏览器测试项目" in on_site.inner_text()
    assert on_site.locator(".gis-stage").inner_text() == "签约"
    page.goto(project_url)

    # a month's figures
    m = "#gis-month-form"
    page.fill(f"{m} input[name=month]", f"{LAST_MONTH:%Y-%m}")
    page.fill(f"{m} input[name=funds_registered_wan]", "1500")
    page.fill(f"{m} input[name=funds_fixed_asset_wan]", "820.5")
    page.fill(f"{m} input[name=tax_wan]", "35")
    with page.expect_navigation():
        page.click(f"{m} button[type=submit]")
    assert page.locator("#gis-saved").count() == 1
    month_row = page.locator(f"#gis-months tr[data-month='{LAST_MONTH:%Y-%m}']")
    assert "820.5" in month_row.inner_text() and "1,500" in month_row.inner_text()
    got = _one(
        ledger_app,
        "SELECT funds_registered_wan, funds_fixed_asset_wan, tax_wan, output_wan, entered_by"
        " FROM project_month WHERE project_id = :p",
        p=row.id,
    )
    assert tuple(got) == (1500, 820.5, 35, None, ledger_app.username)

    # a negative figure is refused on the page, the typed values stay, nothing is saved
    page.fill(f"{m} input[name=month]", f"{THIS_MONTH:%Y-%m}")
    page.fill(f"{m} input[name=tax_wan]", "-5")
    with page.expect_navigation():
        page.click(f"{m} button[type=submit]")
    # in the page's language, beside the figure it is about
    assert page.locator("#gis-form-error").count() == 1
    assert page.inner_text(f"{m} #gis-error-tax_wan") == "税收不能小于 0（填写的是 -5）。"
    assert page.get_attribute(f"{m} input[name=tax_wan]", "aria-invalid") == "true"
    assert page.input_value(f"{m} input[name=tax_wan]") == "-5"
    n = _one(ledger_app, "SELECT count(*) FROM project_month WHERE project_id = :p", p=row.id)
    assert n[0] == 1

    # the report for January to last month: the new project's funds are in it, traceable
    page.click("header a[href^='/reports/indicators']")
    page.wait_for_selector("#gis-report-period")
    page.fill("#gis-report-period input[name=start]", f"{LAST_MONTH.year}-01")
    page.fill("#gis-report-period input[name=end]", f"{LAST_MONTH:%Y-%m}")
    with page.expect_navigation():
        page.click("#gis-report-period button[type=submit]")
    funds = page.locator("#gis-indicators tr[data-indicator=funds]")
    shown = float(funds.locator(".gis-actual").get_attribute("data-value"))
    in_db = _one(
        ledger_app,
        "SELECT sum(coalesce(funds_registered_wan, 0) + coalesce(funds_fixed_asset_wan, 0))"
        " FROM project_month WHERE month BETWEEN :s AND :e",
        s=LAST_MONTH.replace(month=1),
        e=LAST_MONTH,
    )[0]
    assert shown == pytest.approx(in_db) and shown > 2320.5
    funds.locator("summary").click()
    mine = funds.locator(".gis-traced li[data-code=XM-E2E-01]")
    assert float(mine.get_attribute("data-value")) == 2320.5
    assert page.locator("#gis-report-prose").inner_text().startswith(f"1—{LAST_MONTH.month}月")
    assert page.locator("svg.gis-bar").count() >= 3  # the charts
    xlsx = page.get_attribute("#gis-report-xlsx", "href")
    assert page.request.get(f"{ledger_app.base_url}{xlsx}").ok

    # the ledger lists it; the sector filter narrows the list
    page.goto(f"{ledger_app.base_url}/projects")
    page.select_option("#gis-project-filters select[name=sector]", "maritime_services")
    with page.expect_navigation():
        page.click("#gis-project-filters button[type=submit]")
    codes = page.locator("#gis-projects tr[data-code]").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )
    assert sorted(codes) == ["XM-2025-008", "XM-E2E-01"]
    assert page.inner_text("#gis-project-total") == "2"
    assert _unexpected(w.errors) == []
    page.context.close()


def test_import_form_all_or_nothing(ledger_app: LiveApp, browser, tmp_path) -> None:
    w = open_page(browser, ledger_app, "/projects")
    page = w.page
    good = tmp_path / "2026年11月重点项目月报.xlsx"
    good.write_bytes(
        office_sheet(
            [
                (
                    "XM-2026-004",
                    "跨境电商产业园项目（示例）",
                    dt.datetime(2024, 5, 1),
                    100,
                    50,
                    None,
                    3,
                    None,
                ),
                ("XM-2026-003", "海岛民宿集群项目（示例）", "2024年6月", 80, None, None, None, 12),
            ]
        )
    )
    page.set_input_files("#gis-import-months input[type=file]", str(good))
    with page.expect_navigation():
        page.click("#gis-import-months button[type=submit]")
    assert "2 行" in page.inner_text("#gis-imported")
    n = _one(ledger_app, "SELECT count(*) FROM project_month WHERE month < '2025-01-01'")
    assert n[0] == 2

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        office_sheet(
            [
                ("XM-2026-004", "", "2024-07", 100, None, None, None, None),
                ("XM-NONE", "", "2024-07", 100, None, None, None, None),
                ("XM-2026-004", "", "2024-08", -1, None, None, None, None),
            ]
        )
    )
    page.set_input_files("#gis-import-months input[type=file]", str(bad))
    with page.expect_navigation():
        page.click("#gis-import-months button[type=submit]")
    problems = page.locator("#gis-import-problems li").all_inner_texts()
    assert len(problems) == 2, problems
    assert problems[0] == "第 4 行（XM-NONE）：项目编号“XM-NONE”不存在。"
    assert problems[1].startswith("第 5 行（XM-2026-004）：到位市外资金（注册资本）")
    assert "不能小于 0" in problems[1] and "below" not in problems[1]
    n = _one(ledger_app, "SELECT count(*) FROM project_month WHERE month < '2025-01-01'")
    assert n[0] == 2  # nothing of the bad file
    assert _unexpected(w.errors) == []
    page.context.close()


def test_dashboard_lists_sites_whose_projects_are_behind(ledger_app: LiveApp, browser) -> None:
    with ledger_app.engine.connect() as c:
        stuck = (
            c.execute(
                sa.text(
                    "SELECT DISTINCT p.code FROM project p"
                    " JOIN project_site ps ON ps.project_id = p.id"
                    " JOIN project_milestone m ON m.project_id = p.id"
                    " WHERE m.kind IN ('construction_start', 'full_output')"
                    " AND ((m.actual_date IS NULL AND m.planned_date < current_date)"
                    "      OR m.actual_date > m.planned_date)"
                )
            )
            .scalars()
            .all()
        )
    assert stuck
    w = open_page(browser, ledger_app, "/dashboard")
    page = w.page
    page.wait_for_selector("body[data-dashboard-state=ready]")
    text = page.inner_text("#table-stuck")
    assert all(code in text for code in stuck), text[:300]
    assert "滞后天数" in text and ("开工" in text or "达产/达效" in text)
    assert page.locator("#empty-stuck").is_hidden()
    page.goto(f"{ledger_app.base_url}/dashboard?lang=en")
    page.wait_for_selector("body[data-dashboard-state=ready]")
    assert "Days behind" in page.inner_text("#table-stuck")
    assert _unexpected(w.errors) == []


def test_ledger_forms_refuse_in_the_page_language_beside_the_field(
    ledger_app: LiveApp, browser
) -> None:
    """On the English pages: a code already recorded, a site that does not exist and an actual
    date in the future are each refused in English beside their field; nothing is written."""
    with ledger_app.engine.connect() as c:
        before = c.execute(sa.text("SELECT count(*) FROM project")).scalar_one()
        code, pid = c.execute(sa.text("SELECT code, id FROM project ORDER BY id LIMIT 1")).one()
    w = open_page(browser, ledger_app, "/projects?lang=en")
    page = w.page
    f = "#gis-new-project"
    page.fill(f"{f} input[name=code]", code)
    page.fill(f"{f} input[name=name]", "Duplicate code")
    page.fill(f"{f} input[name=industry]", "5532")
    with page.expect_navigation():
        page.click(f"{f} button[type=submit]")
    beside = page.inner_text(f"{f} #gis-error-code")
    assert code in beside and "already exists" in beside, beside
    assert page.get_attribute(f"{f} input[name=code]", "aria-invalid") == "true"
    assert page.input_value(f"{f} input[name=name]") == "Duplicate code"
    assert "Not saved" in page.inner_text("#gis-form-error")

    page.goto(f"{ledger_app.base_url}/projects/{pid}?lang=en")
    s = "#gis-site-form"
    page.fill(f"{s} input[name=site_code]", "NO-SUCH-SITE")
    with page.expect_navigation():
        page.click(f"{s} button[type=submit]")
    assert page.inner_text(f"{s} #gis-error-site_code") == "Site NO-SUCH-SITE not found."

    m = "#gis-milestone-form"
    page.select_option(f"{m} select[name=kind]", "construction_start")
    page.fill(f"{m} input[name=actual_date]", (TODAY + dt.timedelta(days=30)).isoformat())
    with page.expect_navigation():
        page.click(f"{m} button[type=submit]")
    beside = page.inner_text(f"{m} #gis-error-actual_date")
    assert "future" in beside and not re.search(r"[\u4e00-\u9fff]", beside), beside
    with ledger_app.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM project")).scalar_one() == before
        n = c.execute(
            sa.text(
                "SELECT count(*) FROM project_milestone WHERE project_id = :p"
                " AND kind = 'construction_start' AND actual_date > current_date"
            ),
            {"p": pid},
        ).scalar_one()
    assert n == 0
    assert _unexpected(w.errors) == []
    page.context.close()


def test_map_popup_shows_the_project_that_took_the_site(ledger_app: LiveApp, browser) -> None:
    """Clicking a site a project took: the popup names the project, its stage and what is
    behind, as the ledger computes them (recomputed here from the milestones)."""
    with ledger_app.engine.connect() as c:
        site_code, project_id, project_code = c.execute(
            sa.text(
                "SELECT s.code, p.id, p.code FROM project_site ps JOIN site s ON s.id = ps.site_id"
                " JOIN project p ON p.id = ps.project_id"
                " WHERE EXISTS (SELECT 1 FROM project_milestone m WHERE m.project_id = p.id"
                "   AND m.kind IN ('construction_start', 'full_output')"
                "   AND m.actual_date IS NULL AND m.planned_date < current_date)"
                " ORDER BY p.id LIMIT 1"
            )
        ).one()
        milestones = c.execute(
            sa.text(
                "SELECT kind, planned_date, actual_date FROM project_milestone"
                " WHERE project_id = :p"
            ),
            {"p": project_id},
        ).all()
    order = list(vocab.MILESTONE.keys)
    reached = [m.kind for m in milestones if m.actual_date]
    stage = max(reached, key=order.index)
    late = sorted(
        (
            m.kind
            for m in milestones
            if m.kind in ("construction_start", "full_output")
            and m.planned_date
            and (
                (m.actual_date is None and m.planned_date < TODAY)
                or (m.actual_date and m.actual_date > m.planned_date)
            )
        ),
        key=order.index,
    )
    assert late
    w = open_page(browser, ledger_app, f"/map?q={site_code}")
    page = w.page
    wait_idle(page)
    sid = page.get_attribute("#gis-list li[data-site-id]", "data-site-id")
    page.click(f'#gis-list li[data-site-id="{sid}"]')
    shown = page.locator(f'.gis-popup[data-site-id="{sid}"] .gis-popup-project')
    shown.wait_for()
    assert shown.get_attribute("data-code") == project_code
    assert shown.locator(".gis-stage").inner_text() == vocab.MILESTONE.label(stage, "zh")
    flags = shown.locator(".gis-late-flag").all_inner_texts()
    assert flags == [f"滞后: {vocab.MILESTONE.label(k, 'zh')}" for k in late]
    # the language button words the open popup in English
    page.click("#gis-lang")
    english = f"Behind: {vocab.MILESTONE.label(late[0], 'en')}"
    page.wait_for_function(
        "t => [...document.querySelectorAll('.gis-popup .gis-late-flag')]"
        ".some(e => e.textContent === t)",
        arg=english,
    )
    assert _unexpected(w.errors) == []
    page.context.close()


def test_ledger_and_report_fit_a_phone(ledger_app: LiveApp, browser) -> None:
    """On a phone the ledger's and the report's wide tables scroll sideways inside their own
    box: the page itself never scrolls sideways and no heading is wrapped a character a line."""
    phone = {"width": 390, "height": 844}
    w = open_page(browser, ledger_app, "/projects", viewport=phone)
    page = w.page
    page.wait_for_selector("#gis-projects tbody tr")
    for path, table in (("/projects", "#gis-projects"), ("/reports/indicators", "#gis-indicators")):
        page.goto(f"{ledger_app.base_url}{path}")
        page.wait_for_selector(f"{table} th")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        line = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize) * 1.45")
        for th in page.locator(f"{table} th").all():
            box = th.bounding_box()
            assert box is not None and box["height"] < 2 * line + 8, (path, th.inner_text())
        assert page.locator(table).evaluate("t => t.scrollWidth > t.clientWidth"), path
    assert _unexpected(w.errors) == []
