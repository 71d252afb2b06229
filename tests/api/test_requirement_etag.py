"""Requirements carry the same ETag / If-Match contract as sites (issue 18, defect 4).

Officers editing one requirement at the same time used to overwrite each other silently (the
change form sends every field, so the last save won and earlier acknowledged changes were
lost). Now every write names the version read: 428 without it, 412 when it is stale, and of
concurrent writes based on one version exactly one is saved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
import sqlalchemy as sa
from e2e.e2e_helpers import LiveApp, start_app

from gis_app.services import accounts

BODY = {
    "project_name": "并发修改测试",
    "need": "land",
    "land_mu_min": 20,
    "land_mu_max": 120,
    "accept_availability": ["available"],
}
WRITERS = 18


@pytest.fixture
def served(make_db: Callable[..., str]) -> Iterator[tuple[LiveApp, str]]:
    """The app on 127.0.0.1 (a real server: requests really run at the same time) and an
    officer's API token."""
    app = start_app(make_db("sample"))
    with app.engine.begin() as c:
        _, token = accounts.create_token(c, app.username, "etag tests")
    yield app, token
    app.stop()


def _client(app: LiveApp, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=app.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def _row(app: LiveApp, rid: int) -> sa.Row:
    with app.engine.connect() as c:
        return c.execute(
            sa.text("SELECT version, status, notes, land_mu_max FROM requirement WHERE id = :i"),
            {"i": rid},
        ).one()


def _updates(app: LiveApp, rid: int) -> int:
    with app.engine.connect() as c:
        return c.execute(
            sa.text(
                "SELECT count(*) FROM history WHERE table_name = 'requirement' "
                "AND row_id = :i AND action = 'update'"
            ),
            {"i": rid},
        ).scalar_one()


def test_get_gives_the_etag_and_writes_require_it(served: tuple[LiveApp, str]) -> None:
    app, token = served
    with _client(app, token) as api:
        rid = api.post("/api/requirements", json=BODY).json()["id"]
        got = api.get(f"/api/requirements/{rid}")
        assert got.headers["etag"] == '"1"'
        url = f"/api/requirements/{rid}"

        r = api.patch(url, json={"notes": "没有版本"})
        assert r.status_code == 428 and "If-Match" in r.json()["detail"]
        r = api.post(f"{url}/status", json={"status": "matching"})
        assert r.status_code == 428 and "If-Match" in r.json()["detail"]
        r = api.patch(url, json={"notes": "x"}, headers={"If-Match": "*"})
        assert r.status_code == 428
        r = api.patch(url, json={"notes": "x"}, headers={"If-Match": "yesterday"})
        assert r.status_code == 422 and "If-Match" in r.json()["detail"]
        assert _row(app, rid).version == 1 and _updates(app, rid) == 0

        r = api.patch(url, json={"notes": "第一"}, headers={"If-Match": '"1"'})
        assert r.status_code == 200 and r.headers["etag"] == '"2"' and r.json()["version"] == 2
        # a second write based on the version first read: refused, with the current version
        r = api.patch(url, json={"land_mu_max": 99}, headers={"If-Match": '"1"'})
        assert r.status_code == 412
        detail = r.json()["detail"]
        assert f"requirement {rid}" in detail and "changed" in detail and "reload" in detail
        assert "version 1" in detail and "now 2" in detail
        r = api.post(f"{url}/status", json={"status": "matching"}, headers={"If-Match": 'W/"1"'})
        assert r.status_code == 412
        assert tuple(_row(app, rid)) == (2, "new", "第一", 120)

        r = api.post(f"{url}/status", json={"status": "matching"}, headers={"If-Match": '"2"'})
        assert r.status_code == 200 and r.headers["etag"] == '"3"'
        # a hidden or missing requirement is 404 with a version too (428 says nothing of it)
        r = api.patch("/api/requirements/999999", json={"notes": "x"}, headers={"If-Match": '"1"'})
        assert r.status_code == 404


def test_concurrent_patches_with_one_etag_exactly_one_wins(served: tuple[LiveApp, str]) -> None:
    """18 officers save a change based on the same version at the same moment: one is saved,
    17 are told (412) and nothing they were told was saved is lost."""
    app, token = served
    with _client(app, token) as api:
        rid = api.post("/api/requirements", json=BODY).json()["id"]
        etag = api.get(f"/api/requirements/{rid}").headers["etag"]
    start = threading.Barrier(WRITERS)
    results: dict[int, httpx.Response] = {}

    def write(i: int) -> None:
        with _client(app, token) as api:
            body = {"notes": f"修改 {i}", "land_mu_max": 200 + i}  # as the form: every field
            start.wait()
            results[i] = api.patch(
                f"/api/requirements/{rid}", json=body, headers={"If-Match": etag}
            )

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200] + [412] * (WRITERS - 1), codes
    (winner,) = [i for i, r in results.items() if r.status_code == 200]
    row = _row(app, rid)
    # the acknowledged change is the one stored; the refused ones left no trace
    assert (row.version, row.notes, row.land_mu_max) == (2, f"修改 {winner}", 200 + winner)
    assert results[winner].headers["etag"] == '"2"'
    assert _updates(app, rid) == 1
    for i, r in results.items():
        if i != winner:
            assert "changed by someone else" in r.json()["detail"]


def test_concurrent_writers_that_reload_on_412_lose_nothing(served: tuple[LiveApp, str]) -> None:
    """Clients that follow the contract (re-read, re-apply on 412) all get their change in."""
    app, token = served
    with _client(app, token) as api:
        rid = api.post("/api/requirements", json=BODY).json()["id"]
    start = threading.Barrier(WRITERS)
    acknowledged: list[str] = []
    lock = threading.Lock()

    def write(i: int) -> None:
        tag = f"T{i:02d}"
        with _client(app, token) as api:
            start.wait()
            for _ in range(10 * WRITERS):
                got = api.get(f"/api/requirements/{rid}")
                notes = got.json()["notes"] or ""
                r = api.patch(
                    f"/api/requirements/{rid}",
                    json={"notes": f"{notes} {tag}".strip()},
                    headers={"If-Match": got.headers["etag"]},
                )
                if r.status_code == 200:
                    with lock:
                        acknowledged.append(tag)
                    return
                assert r.status_code == 412, r.text

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(acknowledged) == WRITERS
    row = _row(app, rid)
    assert sorted(row.notes.split()) == sorted(acknowledged)
    assert row.version == 1 + WRITERS
