"""The admins' users page in headless Chromium: create a user and log in as them, disable one
and see their login refused, reset a password, set roles, revoke a token — each checked in the
database and by logging in as the user concerned."""

from __future__ import annotations

import sqlalchemy as sa
from e2e_helpers import PASSWORD, LiveApp

from gis_app.services import accounts

ADMIN = "e2e-admin"
ADMIN_PASSWORD = "e2e-admin-password-1"


def _ensure_user(app: LiveApp, name: str, password: str, roles: list[str]) -> None:
    with app.engine.begin() as c:
        exists = c.execute(
            sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": name}
        ).first()
        if not exists:
            accounts.create_user(c, name, password, roles)


def _login(browser, app: LiveApp, name: str, password: str, path: str = "/", width: int = 1300):
    """A new browser context logged in (or refused) as ``name``; returns (page, errors)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.goto(f"{app.base_url}/login?next={path}")
    page.fill("#username", name)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page, errors


def _admin_page(browser, app: LiveApp, width: int = 1300):
    _ensure_user(app, ADMIN, ADMIN_PASSWORD, ["admin"])
    page, errors = _login(browser, app, ADMIN, ADMIN_PASSWORD, "/admin/users", width)
    assert page.url.endswith("/admin/users"), page.url
    return page, errors


def _user(app: LiveApp, name: str) -> sa.Row | None:
    with app.engine.connect() as c:
        return c.execute(
            sa.text(
                "SELECT username, display_name, roles, disabled, password_changed_at "
                "FROM app_user WHERE username = :u"
            ),
            {"u": name},
        ).first()


def _logs_in(browser, app: LiveApp, name: str, password: str) -> bool:
    page, _ = _login(browser, app, name, password)
    ok = "/login" not in page.url
    page.context.close()
    return ok


def test_admin_creates_a_user_who_then_logs_in(browser, live_app) -> None:
    page, errors = _admin_page(browser, live_app)
    page.fill("#gis-user-create input[name=username]", "new.planner")
    page.fill("#gis-user-create input[name=display_name]", "新同事 <b>Li</b>")
    page.uncheck("#gis-user-create input[name=roles][value=officer]")
    page.check("#gis-user-create input[name=roles][value=planner]")
    page.click("#gis-user-create button[type=submit]")
    page.wait_for_selector("#gis-user-password")
    password = page.inner_text("#gis-user-password").strip()
    assert len(password) >= 10
    # the table is read again from the server: the new row is there, the name as text
    row = page.locator('#gis-users tr[data-username="new.planner"]')
    row.wait_for()
    assert "新同事 <b>Li</b>" in row.inner_text()
    assert row.locator("input.gis-role[value=planner]").is_checked()
    assert not row.locator("input.gis-role[value=officer]").is_checked()
    stored = _user(live_app, "new.planner")
    assert stored is not None and stored.roles == ["planner"] and not stored.disabled
    assert stored.display_name == "新同事 <b>Li</b>"
    # the password on screen is the one that works
    assert _logs_in(browser, live_app, "new.planner", password)
    # a name taken: the API's refusal shows, nothing is added
    page.fill("#gis-user-create input[name=username]", "new.planner")
    page.click("#gis-user-create button[type=submit]")
    page.wait_for_selector("#gis-user-message.gis-error")
    assert "“new.planner”已存在" in page.inner_text("#gis-user-message")  # the page is Chinese
    assert errors == [] or all("409" in e for e in errors), errors
    page.context.close()


def test_admin_disables_a_user_whose_login_is_then_refused(browser, live_app) -> None:
    _ensure_user(live_app, "leaving.officer", "leaving-password-1", ["officer"])
    assert _logs_in(browser, live_app, "leaving.officer", "leaving-password-1")
    page, _ = _admin_page(browser, live_app)
    page.once("dialog", lambda d: d.accept())
    row = page.locator('#gis-users tr[data-username="leaving.officer"]')
    row.locator("button.gis-user-toggle").click()
    page.wait_for_selector('#gis-users tr[data-username="leaving.officer"][data-disabled="true"]')
    assert _user(live_app, "leaving.officer").disabled is True
    assert "已停用" in page.locator('#gis-users tr[data-username="leaving.officer"]').inner_text()
    refused, _ = _login(browser, live_app, "leaving.officer", "leaving-password-1")
    assert "/login" in refused.url
    assert "已停用" in refused.content() or "disabled" in refused.content()
    refused.context.close()
    # enabled again: the same password works
    page.locator('#gis-users tr[data-username="leaving.officer"] button.gis-user-toggle').click()
    page.wait_for_selector('#gis-users tr[data-username="leaving.officer"][data-disabled="false"]')
    assert _user(live_app, "leaving.officer").disabled is False
    assert _logs_in(browser, live_app, "leaving.officer", "leaving-password-1")
    page.context.close()


def test_admin_resets_a_password(browser, live_app) -> None:
    _ensure_user(live_app, "forgetful", "forgetful-password-1", ["officer"])
    page, _ = _admin_page(browser, live_app)
    page.locator('#gis-users tr[data-username="forgetful"] button.gis-user-reset').click()
    page.wait_for_selector("#gis-user-password")
    new_password = page.inner_text("#gis-user-password").strip()
    assert new_password and new_password != "forgetful-password-1"
    assert _user(live_app, "forgetful").password_changed_at is not None
    assert not _logs_in(browser, live_app, "forgetful", "forgetful-password-1")
    assert _logs_in(browser, live_app, "forgetful", new_password)
    page.context.close()


def test_admin_sets_roles_but_not_away_their_own(browser, live_app) -> None:
    _ensure_user(live_app, "promoted", "promoted-password-1", ["officer"])
    page, _ = _admin_page(browser, live_app)
    # the page says "saved" only once it has swapped in the tables it fetches again: said
    # before, a row edited meanwhile was swapped under the hand that clicked its button next
    held = []
    page.route("**/admin/users?lang=*", lambda route: held.append(route))
    row = page.locator('#gis-users tr[data-username="promoted"]')
    row.locator("input.gis-role[value=planner]").check()
    row.locator("button.gis-user-roles").click()
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page did not fetch its tables again after the save"
    assert page.locator("#gis-user-message.gis-ok").count() == 0
    held[0].continue_()
    page.unroute("**/admin/users?lang=*")
    page.wait_for_selector("#gis-user-message.gis-ok")
    assert sorted(_user(live_app, "promoted").roles) == ["officer", "planner"]
    # the admin's own admin role stays: the API refuses, the page says so
    mine = page.locator(f'#gis-users tr[data-username="{ADMIN}"]')
    mine.locator("input.gis-role[value=admin]").uncheck()
    mine.locator("input.gis-role[value=officer]").check()
    mine.locator("button.gis-user-roles").click()
    page.wait_for_selector("#gis-user-message.gis-error")
    assert "不能取消自己的管理员角色" in page.inner_text("#gis-user-message")
    assert _user(live_app, ADMIN).roles == ["admin"]
    page.context.close()


def _district(app: LiveApp, name: str) -> str:
    with app.engine.connect() as c:
        return c.execute(
            sa.text("SELECT district_code FROM app_user WHERE username = :u"), {"u": name}
        ).scalar_one()


def test_admin_sets_home_districts_by_name(browser, live_app) -> None:
    putuo, dinghai, city = "330903", "330902", "330900"
    page, errors = _admin_page(browser, live_app)
    # a new user of the Dinghai office: the form's district select, by name
    create = page.locator("#gis-user-create select[name=district_code]")
    assert create.input_value() == putuo  # the first district, as the API would choose
    assert create.locator(f"option[value='{dinghai}']").inner_text() == "定海区（示意范围）"
    page.fill("#gis-user-create input[name=username]", "dh.officer")
    create.select_option(label="定海区（示意范围）")
    page.click("#gis-user-create button[type=submit]")
    row = page.locator('#gis-users tr[data-username="dh.officer"]')
    row.wait_for()
    assert _district(live_app, "dh.officer") == dinghai
    assert row.locator("select.gis-district-select").input_value() == dinghai
    # moved to the city: the row's select and its button
    row.locator("select.gis-district-select").select_option(label="舟山市")
    row.locator("button.gis-user-district").click()
    # the message of the creation is still there: wait for the one of this change
    page.wait_for_function(
        "() => document.getElementById('gis-user-message').textContent.includes('舟山市')"
    )
    assert "gis-ok" in page.get_attribute("#gis-user-message", "class")
    assert _district(live_app, "dh.officer") == city
    page.wait_for_function(
        """c => document.querySelector('#gis-users tr[data-username="dh.officer"]'
                + ' select.gis-district-select').value === c""",
        arg=city,
    )
    assert errors == []
    page.context.close()


def test_admin_sees_tokens_and_revokes_one(browser, live_app) -> None:
    _ensure_user(live_app, "etl.bot", "etl-bot-password-1", ["planner"])
    with live_app.engine.begin() as c:
        token_id, secret = accounts.create_token(c, "etl.bot", "nightly <import>", 30)
    page, errors = _admin_page(browser, live_app)
    row = page.locator(f'#gis-tokens tr[data-token-id="{token_id}"]')
    text = row.inner_text()
    assert "etl.bot" in text and "nightly <import>" in text and secret[:10] in text
    assert secret not in page.content()  # only the prefix is ever shown
    row.locator("button.gis-token-revoke").click()
    page.wait_for_selector(f'#gis-tokens tr[data-token-id="{token_id}"][data-revoked="true"]')
    with live_app.engine.connect() as c:
        revoked = c.execute(
            sa.text("SELECT revoked_at FROM api_token WHERE id = :i"), {"i": token_id}
        ).scalar_one()
    assert revoked is not None
    assert errors == []
    page.context.close()


def test_users_page_at_phone_width_and_in_english(browser, live_app) -> None:
    page, errors = _admin_page(browser, live_app, width=375)
    page.goto(f"{live_app.base_url}/admin/users?lang=en")
    assert page.locator("h1").inner_text() == "Users"
    assert page.locator("#gis-user-create button[type=submit]").inner_text() == "Create"
    # nothing but the tables' own scroll boxes is wider than the phone
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= 376, wide
    assert page.locator("#gis-user-create button[type=submit]").is_visible()
    assert errors == []
    page.context.close()


def test_officers_do_not_get_the_users_page(browser, live_app) -> None:
    page, _ = _login(browser, live_app, live_app.username, PASSWORD, "/map")
    r = page.request.get(f"{live_app.base_url}/admin/users")
    assert r.status == 403
    assert page.locator("a.gis-admin-link").count() == 0
    page.context.close()
