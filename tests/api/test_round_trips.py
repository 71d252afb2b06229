"""What one request costs the database: the statements and transactions it sends.

Under 50 officers at once every round trip is paid by both the app and PostgreSQL on the same
2 cores, so an authenticated read must be: the credentials lookup, the read (in the same
transaction) and the rollback that ends it in the endpoint's own worker thread. No ping of a
connection in steady use, no commit of a lookup that wrote nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import iter_api_routes
from api.deps import DbRoute
from gis_app.settings import DatabaseSettings, Settings


def _recorder(app) -> list[str]:
    log: list[str] = []
    eng = app.state.engine

    def statement(conn, cursor, text, params, context, many):
        log.append(" ".join(text.split())[:60])

    sa.event.listen(eng, "before_cursor_execute", statement)
    sa.event.listen(eng, "commit", lambda conn: log.append("COMMIT"))
    sa.event.listen(eng, "rollback", lambda conn: log.append("ROLLBACK"))
    sa.event.listen(eng.pool, "checkin", lambda *a: log.append("CHECKIN"))
    return log


def test_an_authenticated_read_is_lookup_read_rollback(sample_url: str, token_for) -> None:
    token = token_for(sample_url, "officer")
    app = create_app(Settings(db=DatabaseSettings(database_url=sample_url)))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        site_id = c.get("/api/sites", params={"limit": 1, "format": "json"}).json()[0]["id"]
        c.get(f"/api/sites/{site_id}")  # the token's use is recorded (and committed) once
        log = _recorder(app)
        r = c.get(f"/api/sites/{site_id}")
        assert r.status_code == 200
    statements = [s for s in log if s not in ("COMMIT", "ROLLBACK", "CHECKIN")]
    assert len(statements) == 2, log
    assert "api_token" in statements[0]  # the credentials, on the request's own connection
    assert "SELECT 1" not in " ".join(log)  # a connection in steady use is not pinged
    # the lookup wrote nothing, so nothing is committed; the read's transaction is ended
    # before the connection goes back
    assert log[-2:] == ["ROLLBACK", "CHECKIN"], log
    assert "COMMIT" not in log, log


def test_the_token_use_is_committed_at_once(make_db, token_for) -> None:
    """The once-a-minute record of a token's use is committed by the lookup itself, so a read
    that follows (and rolls back) does not undo it, nor hold the token's row."""
    url = make_db()
    token = token_for(url, "officer")
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.execute(sa.text("UPDATE api_token SET last_used_at = NULL"))
    app = create_app(Settings(db=DatabaseSettings(database_url=url)))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        assert c.get("/api/sites", params={"limit": 1}).status_code == 200
    with eng.connect() as c:
        used = c.execute(sa.text("SELECT count(*) FROM api_token WHERE last_used_at IS NOT NULL"))
        assert used.scalar() == 1
    eng.dispose()


def test_every_route_ends_its_transaction_in_its_thread(client) -> None:
    """Every route is a DbRoute (a router made without ``route_class=DbRoute`` would give its
    connections back with one more trip to a worker thread per request)."""
    routes = list(iter_api_routes(client.app))
    assert routes
    assert [r.path for r in routes if not isinstance(r, DbRoute)] == []
