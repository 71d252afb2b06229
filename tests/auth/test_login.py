"""Login for pages: password checks, disabled users, expiry, CSRF and rate limits."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from gis_app.db.engine import make_engine
from gis_app.services import accounts
from gis_app.settings import DatabaseSettings, SecuritySettings, Settings

PASSWORD = "correct-horse-1"


@pytest.fixture
def db(make_db):
    url = make_db("empty")
    eng = make_engine(url)
    with eng.begin() as c:
        accounts.create_user(c, "olga", PASSWORD, ["officer"])
        accounts.create_user(c, "dora", PASSWORD, ["planner"])
        accounts.set_disabled(c, "dora")
    yield url, eng
    eng.dispose()


def _client(url: str, base_url: str = "http://testserver", **sec) -> TestClient:
    settings = Settings(db=DatabaseSettings(database_url=url), security=SecuritySettings(**sec))
    return TestClient(create_app(settings), base_url=base_url, follow_redirects=False)


def _login(c: TestClient, username: str, password: str, next_: str = "/"):
    page = c.get("/login", params={"next": next_})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_},
    )


def test_login_sets_hardened_cookie_and_reaches_api(db) -> None:
    url, _ = db
    with _client(url, base_url="https://testserver") as c:
        assert c.get("/api/me").status_code == 401
        r = _login(c, "olga", PASSWORD, next_="/api/me")
        assert r.status_code == 303 and r.headers["location"] == "/api/me"
        cookie = next(
            h for h in r.headers.get_list("set-cookie") if h.startswith("gis_app_session=")
        )
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
        me = c.get("/api/me").json()
        assert me["username"] == "olga" and me["roles"] == ["officer"] and me["csrf_token"]


def test_cookie_not_secure_over_plain_http_and_open_redirect_refused(db) -> None:
    url, _ = db
    with _client(url) as c:
        r = _login(c, "olga", PASSWORD, next_="//evil.example/x")
        assert r.headers["location"] == "/"
        cookie = next(
            h for h in r.headers.get_list("set-cookie") if h.startswith("gis_app_session=")
        )
        assert "Secure" not in cookie


@pytest.mark.parametrize(
    "username,password",
    [("olga", "wrong-password"), ("nobody", PASSWORD), ("dora", PASSWORD)],
    ids=["wrong password", "unknown user", "disabled user"],
)
def test_failed_login_is_refused_with_one_message(db, username: str, password: str) -> None:
    url, _ = db
    with _client(url) as c:
        r = _login(c, username, password)
        assert r.status_code == 401
        assert "用户名或密码错误" in r.text and "gis_app_session=" not in r.headers.get(
            "set-cookie", ""
        )
        assert c.get("/api/me").status_code == 401


def test_disabling_a_user_ends_their_session(db) -> None:
    url, eng = db
    with _client(url) as c:
        _login(c, "olga", PASSWORD)
        assert c.get("/api/me").status_code == 200
        with eng.begin() as conn:
            accounts.set_disabled(conn, "olga")
        assert c.get("/api/me").status_code == 401


def test_expired_and_idle_sessions_are_refused(db) -> None:
    url, eng = db
    with _client(url) as c:
        _login(c, "olga", PASSWORD)
        assert c.get("/api/me").status_code == 200
        with eng.begin() as conn:
            conn.execute(sa.text("UPDATE web_session SET expires_at = now() - interval '1 s'"))
        assert c.get("/api/me").status_code == 401
        page = c.get("/api/me", headers={"accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    with _client(url) as c:
        _login(c, "olga", PASSWORD)
        with eng.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE web_session SET last_seen_at = now() - interval '1 day' "
                    "WHERE ended_at IS NULL AND expires_at > now()"
                )
            )
        assert c.get("/api/me").status_code == 401


def test_form_post_without_csrf_token_is_refused(db) -> None:
    url, _ = db
    with _client(url) as c:
        _login(c, "olga", PASSWORD)
        r = c.post("/logout")
        assert r.status_code == 403 and "CSRF" in r.json()["detail"]
        r = c.post("/logout", data={"csrf_token": "forged"})
        assert r.status_code == 403
        assert c.get("/api/me").status_code == 200  # still logged in
        token = c.get("/api/me").json()["csrf_token"]
        r = c.post("/logout", data={"csrf_token": token})
        assert r.status_code == 303
        assert c.get("/api/me").status_code == 401


def test_login_form_needs_its_own_csrf_cookie(db) -> None:
    url, _ = db
    with _client(url) as c:
        r = c.post("/login", data={"username": "olga", "password": PASSWORD, "csrf_token": "x"})
        assert r.status_code == 403
        assert c.get("/api/me").status_code == 401


def test_login_rate_limited_per_account(db) -> None:
    url, _ = db
    with _client(url, login_max_failures_per_account=3) as c:
        for _ in range(3):
            assert _login(c, "olga", "bad-password").status_code == 401
        r = _login(c, "olga", PASSWORD)  # even the right password waits now
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert c.get("/api/me").status_code == 401


def test_login_rate_limited_per_client(db) -> None:
    url, _ = db
    with _client(url, login_max_failures_per_client=4) as c:
        for i in range(4):
            assert _login(c, f"user{i}", "bad-password").status_code == 401
        assert _login(c, "olga", PASSWORD).status_code == 429


def test_production_mode_refuses_missing_or_default_secret(sample_url: str) -> None:
    from gis_app.domain.errors import ConfigurationError

    db = DatabaseSettings(database_url=sample_url)
    for key in (None, "changeme", "short"):
        with pytest.raises(ConfigurationError, match="GIS_APP_SECRET_KEY"):
            create_app(Settings(db=db, security=SecuritySettings(production=True, secret_key=key)))
    create_app(
        Settings(
            db=db, security=SecuritySettings(production=True, secret_key="k" * 20 + "Xy9" * 10)
        )
    )
