"""API tokens: shown once, stored hashed, revocable."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from gis_app.db.engine import make_engine
from gis_app.services import accounts
from gis_app.settings import DatabaseSettings, Settings


def _tables(conn: sa.Connection) -> list[str]:
    return list(
        conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
    )


def test_token_lifecycle_and_hash_only_storage(make_db) -> None:
    url = make_db("empty")
    eng = make_engine(url)
    with eng.begin() as c:
        accounts.create_user(c, "ivan", "long-password-1", ["officer"])
        _, bootstrap = accounts.create_token(c, "ivan", "bootstrap")
    app = create_app(Settings(db=DatabaseSettings(database_url=url)))
    with TestClient(app) as anon:
        auth = {"Authorization": f"Bearer {bootstrap}"}
        r = anon.post("/api/tokens", json={"name": "gis-sync"}, headers=auth)
        assert r.status_code == 201
        new = r.json()
        token = new["token"]
        me = anon.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["via"] == "token"
        listed = anon.get("/api/tokens", headers=auth).json()
        assert {t["name"] for t in listed} == {"bootstrap", "gis-sync"}
        assert all("token" not in t and "token_hash" not in t for t in listed)

        with eng.connect() as c:
            for table in _tables(c):
                hits = c.execute(
                    sa.text(f"SELECT count(*) FROM {table} t WHERE to_jsonb(t)::text LIKE :p"),
                    {"p": f"%{token[8:]}%"},
                ).scalar_one()
                assert hits == 0, f"plain token found in {table}"
            stored = c.execute(
                sa.text("SELECT token_hash FROM api_token WHERE id = :i"), {"i": new["id"]}
            ).scalar_one()
            assert stored == accounts.hash_token(token)

        assert anon.delete(f"/api/tokens/{new['id']}", headers=auth).status_code == 204
        r = anon.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and "revoked" in r.json()["detail"]
        assert (
            anon.get("/api/me", headers={"Authorization": "Bearer gat_made_up"}).status_code == 401
        )
    eng.dispose()


def test_officer_cannot_revoke_someone_elses_token(make_db) -> None:
    url = make_db("empty")
    eng = make_engine(url)
    with eng.begin() as c:
        accounts.create_user(c, "a1", "long-password-1", ["officer"])
        accounts.create_user(c, "b1", "long-password-1", ["officer"])
        _, ta = accounts.create_token(c, "a1", "a")
        tb_id, tb = accounts.create_token(c, "b1", "b")
    with TestClient(create_app(Settings(db=DatabaseSettings(database_url=url)))) as c:
        r = c.delete(f"/api/tokens/{tb_id}", headers={"Authorization": f"Bearer {ta}"})
        assert r.status_code == 404
        assert c.get("/api/me", headers={"Authorization": f"Bearer {tb}"}).status_code == 200
    eng.dispose()
