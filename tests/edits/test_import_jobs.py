"""Long imports are jobs (issue 23 item 7): 202 and a job URL, progress and the report from the
database, cancellation that leaves nothing written (even mid-statement), jobs visible to their
creator and admins only, jobs of a process that stopped failed by the next reader."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from edits.test_planner_files import _fingerprint, _kg_shapefile
from fastapi.testclient import TestClient

from api.app import create_app
from gis_app.settings import DatabaseSettings, EditSettings, Settings

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture
def app_settings(edit_url: str) -> Settings:
    """The app as deployed, with a lock timeout long enough to hold an import mid-write."""
    return Settings(
        db=DatabaseSettings(database_url=edit_url, lock_timeout_s=60),
        edit=EditSettings(import_job_min_bytes=10_000_000),
    )


@pytest.fixture
def planner(app_settings: Settings, edit_url: str, token_for) -> Iterator[TestClient]:
    token = token_for(edit_url, "planner")
    with TestClient(create_app(app_settings), headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def _post(client: TestClient, archive: Path, **data: str):
    with archive.open("rb") as f:
        return client.post(
            "/api/imports",
            files={"file": (archive.name, f, "application/zip")},
            data={"set": "kind=land\navailability=可招商", **data},
        )


def _wait(client: TestClient, url: str, until, timeout: float = 60.0) -> dict:
    end = time.monotonic() + timeout
    while True:
        job = client.get(url).json()
        if until(job) or time.monotonic() > end:
            return job
        time.sleep(0.1)


def _ended(job: dict) -> bool:
    return job["status"] in ("done", "failed", "cancelled")


def test_background_import_answers_202_and_reports_at_the_end(
    planner: TestClient, edit_engine, scratch_dir
) -> None:
    archive = _kg_shapefile(edit_engine, scratch_dir / "kg")
    r = _post(planner, archive, background="true")
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["Location"] == body["url"] == f"/api/imports/jobs/{body['job_id']}"
    job = _wait(planner, body["url"], _ended)
    assert job["status"] == "done", job
    assert job["report"]["committed"] and job["report"]["counts"]["insert"] == 3
    assert job["phase"] == "done" and job["done"] == job["total"] == 3
    assert job["options"]["values"] == {"kind": "land", "availability": "available"}
    assert job["file_name"] == "kg.zip" and job["finished_at"] is not None
    with edit_engine.connect() as c:
        n = c.execute(sa.text("SELECT count(*) FROM site WHERE code LIKE 'KG-0%'")).scalar()
    assert n == 3
    # the job's state is in the database: another app process (here a second app) reads it
    again = planner.post(f"{body['url']}/cancel")
    assert again.status_code == 409 and "already ended" in again.json()["detail"]


def test_large_upload_runs_as_a_job_and_a_rejected_row_writes_nothing(
    edit_url, edit_engine, scratch_dir, token_for
) -> None:
    archive = _kg_shapefile(
        edit_engine, scratch_dir / "kg", extra={"YDXZDH": ["100101"] * 2 + ["XX"]}
    )
    settings = Settings(
        db=DatabaseSettings(database_url=edit_url), edit=EditSettings(import_job_min_bytes=1)
    )
    headers = {"Authorization": f"Bearer {token_for(edit_url, 'planner')}"}
    before = _fingerprint(edit_engine)
    with TestClient(create_app(settings), headers=headers) as c:
        r = _post(c, archive)  # no background flag: the size decides
        assert r.status_code == 202, r.text
        job = _wait(c, r.json()["url"], _ended)
    assert job["status"] == "done" and not job["report"]["ok"]
    assert not job["report"]["committed"]
    rejected = [row for row in job["report"]["rows"] if row["status"] == "rejected"]
    assert [row["code"] for row in rejected] == ["KG-03"]
    assert _fingerprint(edit_engine) == before


def test_cancelled_job_leaves_nothing_written(planner: TestClient, edit_engine, scratch_dir):
    """The job is held mid-write by a row lock (as a QGIS edit session holds one), cancelled
    there: the blocked statement is interrupted and the whole import rolled back."""
    _cancel_while_held(planner, edit_engine, scratch_dir)


def test_cancelled_bulk_job_leaves_nothing_written(
    edit_url: str, edit_engine, scratch_dir, token_for
) -> None:
    """The same through the bulk path, whose chunks are written while the next are checked
    in another thread: the blocked chunk is interrupted, that thread ends, nothing stays."""
    settings = Settings(
        db=DatabaseSettings(database_url=edit_url, lock_timeout_s=60),
        edit=EditSettings(import_job_min_bytes=10_000_000, bulk_import_min_features=1),
    )
    headers = {"Authorization": f"Bearer {token_for(edit_url, 'planner')}"}
    with TestClient(create_app(settings), headers=headers) as c:
        _cancel_while_held(c, edit_engine, scratch_dir)
    assert not [t for t in threading.enumerate() if t.name == "gis_app_import_check"]


def _cancel_while_held(planner: TestClient, edit_engine: sa.Engine, scratch_dir: Path) -> None:
    archive = _kg_shapefile(edit_engine, scratch_dir / "kg")
    assert _post(planner, archive).status_code == 200  # small: runs in the request
    with edit_engine.begin() as c:
        c.execute(sa.text("UPDATE site SET name_zh = 'x' || name_zh WHERE code LIKE 'KG-0%'"))
    # the same file again now updates the three sites (names back) and adds none
    before = _fingerprint(edit_engine)
    locker = edit_engine.connect()
    try:
        locker.execute(sa.text("SELECT 1 FROM site WHERE code = 'KG-03' FOR UPDATE"))
        r = _post(planner, archive, background="true")
        assert r.status_code == 202
        url = r.json()["url"]
        job = _wait(planner, url, lambda j: j["phase"] == "writing" or _ended(j))
        assert job["status"] == "running" and job["phase"] == "writing", job
        cancel = planner.post(f"{url}/cancel")
        assert cancel.status_code == 202, cancel.text
        assert cancel.json()["cancel_requested"] is True
        job = _wait(planner, url, _ended, timeout=20)
    finally:
        locker.rollback()
        locker.close()
    assert job["status"] == "cancelled", job["error"]
    assert "nothing was written" in job["error"] and job["report"] is None
    assert _fingerprint(edit_engine) == before


def test_jobs_are_their_creators_and_admins(
    planner: TestClient, edit_url, edit_engine, scratch_dir, token_for, app_settings
) -> None:
    archive = _kg_shapefile(edit_engine, scratch_dir / "kg")
    url = _post(planner, archive, background="true", dry_run="true").json()["url"]
    job = _wait(planner, url, _ended)
    assert job["status"] == "done" and job["report"]["dry_run"]
    with edit_engine.begin() as c:
        from gis_app.services import accounts

        accounts.create_user(c, "planner-b", "test-password-1", ["planner"])
        _, other = accounts.create_token(c, "planner-b", "tests")
    with TestClient(create_app(app_settings), headers={"Authorization": f"Bearer {other}"}) as c:
        assert c.get(url).status_code == 404
        assert c.post(f"{url}/cancel").status_code == 404
    admin = {"Authorization": f"Bearer {token_for(edit_url, 'admin')}"}
    with TestClient(create_app(app_settings), headers=admin) as c:
        assert c.get(url).json()["status"] == "done"
    officer = {"Authorization": f"Bearer {token_for(edit_url, 'officer')}"}
    with TestClient(create_app(app_settings), headers=officer) as c:
        assert c.get(url).status_code == 403
    assert planner.get(f"/api/imports/jobs/{uuid.uuid4()}").status_code == 404


def test_job_of_a_stopped_process_is_failed_by_the_next_reader(planner, edit_engine) -> None:
    with edit_engine.begin() as c:
        job_id = c.execute(
            sa.text(
                "INSERT INTO import_job (created_by, file_name, file_bytes, options, status, "
                "phase, heartbeat_at) VALUES ('test-planner', 'big.zip', 10, '{}', 'running', "
                "'writing', now() - interval '10 minutes') RETURNING id"
            )
        ).scalar_one()
    job = planner.get(f"/api/imports/jobs/{job_id}").json()
    assert job["status"] == "failed" and "stopped" in job["error"]


def test_a_file_refused_as_a_whole_fails_the_job_with_the_reason(planner, scratch_dir) -> None:
    path = scratch_dir / "no_crs.csv"
    path.write_text("编号,图形WKT\nX-1,POLYGON((0 0,1 0,1 1,0 0))\n", encoding="utf-8")
    with path.open("rb") as f:
        r = planner.post(
            "/api/imports", files={"file": (path.name, f, "text/csv")}, data={"background": "true"}
        )
    job = _wait(planner, r.json()["url"], _ended)
    assert job["status"] == "failed" and "declares no CRS" in job["error"], job


def test_server_shutdown_rolls_the_running_import_back(
    app_settings, edit_url, edit_engine, scratch_dir, token_for
) -> None:
    archive = _kg_shapefile(edit_engine, scratch_dir / "kg")
    headers = {"Authorization": f"Bearer {token_for(edit_url, 'planner')}"}
    before = _fingerprint(edit_engine)
    locker = edit_engine.connect()
    try:
        # a new site whose code an edit session holds (its insert waits on the unique index)
        locker.execute(sa.text("UPDATE site SET code = 'KG-02' WHERE code = 'PT-BL-001'"))
        with TestClient(create_app(app_settings), headers=headers) as c:
            url = _post(c, archive, background="true").json()["url"]
            job = _wait(c, url, lambda j: j["phase"] == "writing" or _ended(j))
            assert job["status"] == "running", job
        # the app has shut down while the import waited
    finally:
        locker.rollback()
        locker.close()
    with edit_engine.connect() as c:
        status, by = c.execute(
            sa.text("SELECT status, cancelled_by FROM import_job WHERE id = :i"),
            {"i": url.rsplit("/", 1)[1]},
        ).one()
    assert (status, by) == ("cancelled", "(server shutdown)")
    assert _fingerprint(edit_engine) == before
