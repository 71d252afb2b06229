"""The planners' import page in headless Chromium: download the template, import a 控规
Shapefile (GBK, EPSG:4550) with values for every row and read the final report; import again
while a QGIS-like edit session holds a row, watch the job's progress reach the write, cancel
it, and find nothing written. Each test runs against the one-pass path, the chunked bulk path,
and the bulk path reading the file in batches as it reads a province's layer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from e2e_helpers import LiveApp, start_app
from edits.test_planner_files import _fingerprint, _kg_shapefile
from test_admin_users import _ensure_user, _login

from gis_app.io.imports import readers
from gis_app.settings import EditSettings

PLANNER = "e2e-planner"
PLANNER_PASSWORD = "e2e-planner-password-1"

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(params=["one pass", "in chunks", "read in batches"])
def planner_app(make_db, request, monkeypatch) -> Iterator[LiveApp]:
    """The app with a lock timeout long enough to hold an import at its write; a file goes
    through the one-pass path, or (every file counting as large) the bulk path that checks and
    writes it in chunks, or that path with the file read in batches of two features as a
    province's layer is read in batches of ``READ_BATCH`` (so a code typed twice lies in two
    batches)."""
    reads: list[int] = []
    if request.param == "read in batches":
        read_batch = readers._read_batch

        def counted(*args, **kwargs):
            got = read_batch(*args, **kwargs)
            reads.append(got[-1])
            return got

        monkeypatch.setattr(readers, "READ_BATCH", 2)
        monkeypatch.setattr(readers, "_read_batch", counted)
    edit = EditSettings(bulk_import_min_features=1) if request.param != "one pass" else None
    app = start_app(make_db("sample"), lock_timeout_s=60, edit=edit)
    _ensure_user(app, PLANNER, PLANNER_PASSWORD, ["planner"])
    yield app
    app.stop()
    if request.param == "read in batches":
        # each file the test imported was read as two batches: two features, then one
        assert reads and reads == [2, 1] * (len(reads) // 2), reads


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


def test_import_page_reports_each_bad_row_in_the_pages_language(browser, planner_app, scratch_dir):
    """A 控规 Shapefile (GBK) with bad rows, imported from the Chinese page and then the English
    one: every refusal is worded in the page's language, beside its row, and nothing is
    written."""
    app = planner_app
    archive = _kg_shapefile(
        app.engine,
        scratch_dir / "kg",
        # a code typed twice, and a FAR the planning system left as text
        extra={"DKBH": ["KG-01", "KG-02", "KG-01"], "RJL": ["1.2-2.0", "约两倍", "≤2.5"]},
    )
    before = _fingerprint(app.engine)
    page, errors = _login(browser, app, PLANNER, PLANNER_PASSWORD, "/imports")
    shown: dict[str, dict[str, str]] = {}
    for lang in ("zh", "en"):
        page.goto(f"{app.base_url}/imports?lang={lang}")
        page.set_input_files("input[name=file]", str(archive))  # kind and availability not set
        page.click("#gis-import-form button[type=submit]")
        page.wait_for_selector("#gis-import-outcome", timeout=60_000)
        assert page.get_attribute("[data-count=rejected]", "data-value") == "3"
        cells = page.query_selector_all("#gis-import-rows tr[data-status=rejected] td:last-child")
        rows = page.query_selector_all("#gis-import-rows tr[data-status=rejected]")
        shown[lang] = {
            f"{r.query_selector('td').text_content()}": c.text_content()
            for r, c in zip(rows, cells, strict=True)
        }
    zh, en = shown["zh"], shown["en"]
    assert "编号“KG-01”在文件中重复（另见第 3 行）" in zh["1"], zh
    assert "编号“KG-01”在文件中重复（另见第 1 行）" in zh["3"], zh
    assert zh["2"].startswith("列“RJL”："), zh  # the column the planner sees
    assert "约两倍" in zh["2"]
    # English nowhere on the Chinese page's rows, Chinese wording nowhere on the English one's
    assert not any(w in " ".join(zh.values()) for w in ("duplicate", "Code", "Column", "needs"))
    assert "Code “KG-01” is in the file twice (also row 3)" in en["1"], en
    assert en["2"].startswith("Column RJL: "), en
    assert not any(w in " ".join(en.values()) for w in ("编号", "列“", "必须"))
    assert _fingerprint(app.engine) == before  # nothing written
    assert errors == [], errors
