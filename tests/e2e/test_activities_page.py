"""The promotion activities page in Chromium, as officers and their leader work: log a trip
out (the progress grid counts it), have a bad project code refused next to its field in the
page's language with nothing saved, remove an activity, and set the monthly minimum (past
months below it are flagged)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from e2e_helpers import LiveApp, open_page

TODAY = dt.date.today()
FIRST = TODAY.replace(day=1)


def _activities(app: LiveApp) -> list[sa.Row]:
    with app.engine.connect() as c:
        return c.execute(
            sa.text(
                "SELECT kind, held_on, officer, title, place FROM promotion_activity ORDER BY id"
            )
        ).all()


def _log(page, kind: str, title: str, **fields: str) -> None:
    f = "#gis-log-activity"
    page.select_option(f"{f} select[name=kind]", kind)
    page.fill(f"{f} input[name=held_on]", FIRST.isoformat())
    page.fill(f"{f} input[name=title]", title)
    for name, value in fields.items():
        page.fill(f"{f} [name={name}]", value)
    with page.expect_navigation():
        page.click(f"{f} button[type=submit]")


def test_officer_logs_removes_and_leader_sets_the_minimum(live_app: LiveApp, browser) -> None:
    with live_app.engine.begin() as c:  # the officer also leads (sets the minimum)
        c.execute(
            sa.text("UPDATE app_user SET roles = '{officer,leader}' WHERE username = :u"),
            {"u": live_app.username},
        )
    w = open_page(browser, live_app, "/activities")
    page = w.page
    page.wait_for_selector("#gis-log-activity")

    _log(page, "trip_out", "赴宁波拜访海工企业", place="宁波", counterpart="某海工集团")
    assert page.inner_text("#gis-saved") == "已保存"
    assert [tuple(r) for r in _activities(live_app)] == [
        ("trip_out", FIRST, live_app.username, "赴宁波拜访海工企业", "宁波")
    ]
    row = page.locator(
        f"#gis-activity-progress tr[data-officer='{live_app.username}'][data-kind=trip_out]"
    )
    assert row.locator(f"td[data-month='{FIRST:%Y-%m}']").get_attribute("data-count") == "1"
    assert "赴宁波拜访海工企业" in page.inner_text("#gis-activity-list")

    # a project code that does not exist: refused next to its field, in Chinese; nothing saved
    _log(page, "delegation", "接待上海客商", project_code="XM-不存在")
    assert "关联项目编号" in page.inner_text("#gis-error-project_code")
    assert page.input_value("#gis-log-activity input[name=title]") == "接待上海客商"
    assert len(_activities(live_app)) == 1

    # the same on the English page: the message is English
    page.goto(f"{live_app.base_url}/activities?lang=en")
    _log(page, "delegation", "Shanghai visitors", project_code="XM-NONE")
    assert page.inner_text("#gis-error-project_code").startswith("Project code")
    assert len(_activities(live_app)) == 1

    # the leader's form: two trips out a month for everyone
    page.goto(f"{live_app.base_url}/activities")
    page.select_option("#gis-set-minimum select[name=kind]", "trip_out")
    page.fill("#gis-set-minimum input[name=per_month]", "2")
    with page.expect_navigation():
        page.click("#gis-set-minimum button[type=submit]")
    assert page.locator("#gis-minimums li[data-kind=trip_out][data-officer='']").count() == 1
    with live_app.engine.connect() as c:
        assert (
            c.execute(
                sa.text("SELECT per_month FROM activity_minimum WHERE kind = 'trip_out'")
            ).scalar_one()
            == 2
        )
    row = page.locator(
        f"#gis-activity-progress tr[data-officer='{live_app.username}'][data-kind=trip_out]"
    )
    assert row.locator(".gis-minimum").inner_text() == "2"
    short = row.locator("td.gis-short")
    assert short.count() == TODAY.month - 1  # every month before this one ended below it

    # remove the trip: gone from the list, the grid and the database
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.click("#gis-activity-list form.gis-remove-activity button")
    assert _activities(live_app) == []
    assert "赴宁波拜访海工企业" not in page.inner_text("#gis-activity-list")

    # another year: nothing logged then
    page.fill("#gis-activity-year input[name=year]", str(TODAY.year - 1))
    with page.expect_navigation():
        page.click("#gis-activity-year button[type=submit]")
    assert page.get_attribute("#gis-activities", "data-year") == str(TODAY.year - 1)
    assert "本年度尚无记录" in page.inner_text("#gis-activity-list")
    assert [e for e in w.errors if "status of 422" not in e] == []


def test_leader_sets_a_target_on_the_report(live_app: LiveApp, browser) -> None:
    with live_app.engine.begin() as c:
        c.execute(
            sa.text("UPDATE app_user SET roles = '{officer,leader}' WHERE username = :u"),
            {"u": live_app.username},
        )
    w = open_page(browser, live_app, "/reports/indicators")
    page = w.page
    f = "#gis-set-target"
    page.wait_for_selector(f)
    # a platform's target without the platform's name: refused, nothing saved
    page.select_option(f"{f} select[name=scope]", "platform")
    page.select_option(f"{f} select[name=indicator]", "funds")
    page.fill(f"{f} input[name=value]", "50000")
    with page.expect_navigation():
        page.click(f"{f} button[type=submit]")
    assert page.locator("#gis-target-error").count() == 1
    assert page.inner_text(f"{f} #gis-error-scope_key") == "请填写平台或招商专员（全区目标不填）。"
    assert page.get_attribute(f"{f} input[name=scope_key]", "aria-invalid") == "true"
    with live_app.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM indicator_target")).scalar_one() == 0
    # the district's funds target for this year
    page.select_option(f"{f} select[name=scope]", "district")
    page.select_option(f"{f} select[name=indicator]", "funds")
    page.fill(f"{f} input[name=scope_key]", "")
    page.fill(f"{f} input[name=value]", "80000")
    with page.expect_navigation():
        page.click(f"{f} button[type=submit]")
    assert page.inner_text("#gis-target-saved") == "已保存"
    row = page.locator("#gis-targets tr[data-scope=district][data-indicator=funds]")
    assert "80,000" in row.inner_text()
    with live_app.engine.connect() as c:
        got = c.execute(sa.text("SELECT year, scope, scope_key, value FROM indicator_target")).one()
    assert tuple(got) == (int(page.input_value(f"{f} input[name=year]")), "district", "", 80000)
    assert [e for e in w.errors if "status of 422" not in e] == []
