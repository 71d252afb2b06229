"""The planners' import page in headless Chromium: download the template, import a 控规
Shapefile (GBK, EPSG:4550) with values for every row and read the final report; import again
while a QGIS-like edit session holds a row, watch the job's progress reach the write, cancel
it, and find nothing written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from e2e_helpers import LiveApp, start_app
from edits.test_planner_files import _fingerprint, _kg_shapefile
from test_admin_users import _ensure_user, _login

PLANNER = "e2e-planner"
PLANNER_PASSWORD = "e2e-planner-password-1"

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture
def planner_app(make_db) -> Iterator[LiveApp]:
    """The app with a lock timeout long enough to hold an import at its write."""
    app = start_app(make_db("sample"), lock_timeout_s=60)
    _ensure_user(app, PLANNER, PLANNER_PASSWORD, ["planner"])
    yield app
    app.stop()


def test_import_page_shows_progress_report_and_cancels(browser, planner_app, scratch_dir):
    app = planner_app
    page, errors = _login(browser, app, PLANNER, PLANNER_PASSWORD, "/imports")
    assert page.url.endswith("/imports"), page.url
    # the template is a link of the page and downloads as a workbook
    href = page.get_attribute("#gis-import-template", "href")
    got = page.request.get(f"{app.base_url}{href}")
    assert got.status == 200 and got.body()[:2] == b"PK"
    archive = _kg_shapefile(app.engine, scratch_dir / "kg")

    # 1. a first import, as a planner fills the form: values for every row, then the report
    page.set_input_files("input[name=file]", str(archive))
    page.fill("textarea[name=set]", "kind=land\navailability=可招商")
    page.fill("input[name=note]", "控规批复 2026-11")
    page.click("#gis-import-form button[type=submit]")
    page.wait_for_selector("#gis-import-outcome", timeout=60_000)
    assert page.text_content("#gis-import-outcome") == "已全部写入"
    assert page.get_attribute("#gis-import-progress", "data-status") == "done"
    assert page.get_attribute("[data-count=insert]", "data-value") == "3"
    rows = page.query_selector_all("#gis-import-rows tr[data-status=insert]")
    assert sorted(r.get_attribute("data-code") for r in rows) == ["KG-01", "KG-02", "KG-03"]
    with app.engine.connect() as c:
        got = c.execute(
            sa.text("SELECT count(*) FROM site WHERE code LIKE 'KG-0%' AND availability = :a"),
            {"a": "available"},
        ).scalar()
    assert got == 3

    # 2. the same file while a row is held by an edit session: the job waits at the write
    with app.engine.begin() as c:
        c.execute(sa.text("UPDATE site SET name_zh = 'x' || name_zh WHERE code LIKE 'KG-0%'"))
    before = _fingerprint(app.engine)
    locker = app.engine.connect()
    try:
        locker.execute(sa.text("SELECT 1 FROM site WHERE code = 'KG-02' FOR UPDATE"))
        page.set_input_files("input[name=file]", str(archive))
        page.click("#gis-import-form button[type=submit]")
        page.wait_for_selector("#gis-import-progress[data-phase=writing]", timeout=60_000)
        assert page.text_content("#gis-import-status") == "进行中"
        assert page.text_content("#gis-import-phase") == "写入"
        assert page.text_content("#gis-import-count").strip().endswith("/ 3")
        assert page.is_visible("#gis-import-cancel")
        page.click("#gis-import-cancel")
        page.wait_for_selector("#gis-import-progress[data-status=cancelled]", timeout=30_000)
    finally:
        locker.rollback()
        locker.close()
    assert "已取消，未写入任何记录" in page.text_content("#gis-import-message")
    assert page.is_hidden("#gis-import-cancel")
    assert _fingerprint(app.engine) == before
    with app.engine.connect() as c:
        status = c.execute(
            sa.text("SELECT status FROM import_job ORDER BY created_at DESC LIMIT 1")
        ).scalar()
    assert status == "cancelled"
    assert errors == [], errors
