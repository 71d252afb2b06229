"""Request hygiene: strict bodies, server-managed fields, size limits, security headers."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.app import create_app
from api.auth import iter_api_routes
from api.schemas import SERVER_MANAGED_FIELDS
from gis_app.settings import DatabaseSettings, SecuritySettings, Settings


def _body_models(app) -> list[tuple[str, type[BaseModel]]]:
    out = []
    for r in iter_api_routes(app):
        if r.body_field is not None:
            ann = r.body_field.field_info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                out.append((f"{sorted(r.methods)} {r.path}", ann))
    return out


def test_every_json_body_forbids_unknown_and_server_managed_fields(sample_url: str) -> None:
    app = create_app(Settings(db=DatabaseSettings(database_url=sample_url)))
    models = _body_models(app)
    assert models, "no JSON write endpoints found"
    problems = []
    for where, model in models:
        if model.model_config.get("extra") != "forbid":
            problems.append(f"{where}: {model.__name__} does not forbid unknown fields")
        bad = SERVER_MANAGED_FIELDS & set(model.model_fields)
        if bad:
            problems.append(f"{where}: {model.__name__} accepts server-managed {sorted(bad)}")
    assert not problems, "\n".join(problems)


def test_mass_assignment_attempts_are_422_and_change_nothing(client_as, make_db) -> None:
    url = make_db("empty")
    admin = client_as("admin", url=url)
    r = admin.post(
        "/api/users", json={"username": "eve", "roles": ["officer"], "password_hash": "x", "id": 1}
    )
    assert r.status_code == 422
    r = admin.post("/api/tokens", json={"name": "t", "token_hash": "abc", "user_id": 1})
    assert r.status_code == 422
    r = admin.patch("/api/users/test-admin", json={"roles": ["admin"], "username": "root"})
    assert r.status_code == 422
    eng = sa.create_engine(url)
    with eng.connect() as c:
        assert (
            c.execute(
                sa.text("SELECT count(*) FROM app_user WHERE username IN ('eve', 'root')")
            ).scalar_one()
            == 0
        )
        assert (
            c.execute(
                sa.text("SELECT count(*) FROM api_token WHERE token_hash = 'abc'")
            ).scalar_one()
            == 0
        )
    eng.dispose()


def test_body_size_limit(sample_url: str) -> None:
    settings = Settings(
        db=DatabaseSettings(database_url=sample_url), security=SecuritySettings(max_body_bytes=1000)
    )
    with TestClient(create_app(settings)) as c:
        r = c.post(
            "/login",
            content=b"x" * 5000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 413

        def chunks():
            for _ in range(10):
                yield b"y" * 500

        r = c.post(
            "/login",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 413


def test_page_size_is_capped(client_as, settings) -> None:
    r = client_as("officer").get("/api/sites", params={"limit": settings.app.max_page_size + 1})
    assert r.status_code == 422


def test_security_headers_on_pages(client, client_as) -> None:
    r = client.get("/login")
    csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    assert csp["script-src"].startswith("'self' 'nonce-") and csp["font-src"] == "'self' data:"
    for directive in ("default-src", "script-src", "style-src", "font-src", "connect-src"):
        assert "http" not in csp[directive], directive  # only the app's own origin
    # images may also come from the configured basemap tile hosts, and only from those
    from maps.basemaps import tile_hosts

    allowed = {"'self'", "data:", "blob:", *tile_hosts(client.app.state.settings.map)}
    assert set(csp["img-src"].split()) <= allowed
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    docs = client_as("officer").get("/docs")
    assert docs.status_code == 200
    nonce = docs.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in docs.text
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text


def test_assets_and_api_are_gzipped_pages_are_not(client, client_as) -> None:
    officer = client_as("officer")
    r = officer.get("/api/sites", params={"limit": 50}, headers={"accept-encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"
    page = client.get("/login", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in page.headers
