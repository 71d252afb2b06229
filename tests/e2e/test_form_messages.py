"""Refusals in the page's language, next to the field they name (issue 21, item 1): the
requirement form as an officer fills it in, in Chinese and in English.

The status form of the site sheet is covered in tests/edits/test_status_form_browser.py.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from e2e_helpers import LiveApp, open_page

WORDS = {
    # land_mu_min > land_mu_max; an industry code that does not exist
    "zh": {"land_mu_min": ("用地面积", "不能大于", "50", "20"), "industry": ("ZZ99", "行业代码")},
    "en": {"land_mu_min": ("Land area", "cannot be greater", "50", "20"), "industry": ("ZZ99",)},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_requirement_form_names_each_refused_field_in_the_page_language(
    live_app: LiveApp, browser: Any, lang: str
) -> None:
    with live_app.engine.connect() as c:
        before = c.execute(sa.text("SELECT count(*) FROM requirement")).scalar()
    w = open_page(browser, live_app, f"/requirements?lang={lang}")
    page = w.page
    f = "#gis-req-form"
    page.fill(f"{f} input[name=project_name]", "报错测试项目")
    page.select_option(f"{f} select[name=need]", "land")
    page.fill(f"{f} input[name=industry]", "ZZ99")
    page.fill(f"{f} input[name=land_mu_min]", "50")
    page.fill(f"{f} input[name=land_mu_max]", "20")
    # the industry is refused first (the range is checked once every field is readable), then,
    # with the industry corrected, the range
    for field, fix in (("industry", ("industry", "")), ("land_mu_min", None)):
        page.click("#gis-req-save")
        label = page.locator(f"{f} label:has([name={field}])")
        label.locator(".gis-field-error").wait_for()
        message = label.locator(".gis-field-error").inner_text()
        for word in WORDS[lang][field]:
            assert word in message, (field, message)
        assert label.locator(f"[name={field}]").get_attribute("aria-invalid") == "true"
        if lang == "zh":
            assert "cannot" not in message and "unknown" not in message
        # the refused field has the focus; the message box above the button only says so
        assert page.evaluate("document.activeElement.name") == field
        box = page.inner_text("#gis-req-message")
        assert ("未保存" in box) if lang == "zh" else ("Not saved" in box)
        assert field not in box and "requirement:" not in box
        assert page.locator(f"{f} .gis-field-error").count() == 1
        if fix:
            page.fill(f"{f} input[name={fix[0]}]", fix[1])
    with live_app.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM requirement")).scalar() == before
    # the officer corrects the fields: the messages go and the requirement is stored
    page.fill(f"{f} input[name=land_mu_max]", "80")
    with page.expect_navigation():
        page.click("#gis-req-save")
    with live_app.engine.connect() as c:
        row = c.execute(
            sa.text(
                "SELECT land_mu_min, land_mu_max FROM requirement "
                "WHERE project_name = '报错测试项目'"
            )
        ).one()
    assert tuple(row) == (50, 80)
    # the failed requests are the two refused saves (422)
    assert len(w.errors) == 2 and all("422" in e for e in w.errors), w.errors


# --- refusals that had only the generic message before (issue 21, item 1) ------------------

#: what each page language says next to the field (and what it must not say)
_REQUIRED_NAME = {"zh": ("请填写项目名称。", "required"), "en": ("Project name is required.", "请")}


#: a requirement the sample's plants fit (the recommend form lists and ticks them)
_PLANT = {
    "project_name": "报错测试厂房",
    "need": "plant",
    "tenure": "lease",
    "gfa_m2_min": 1000,
    "accept_availability": ["available", "negotiating"],
}


def _field_message(page: Any, form: str, field: str) -> str:
    """The message shown right after the input ``field`` of ``form`` (waits for it)."""
    el = page.locator(f"{form} [name={field}] + .gis-field-error")
    el.wait_for()
    assert page.get_attribute(f"{form} [name={field}]", "aria-invalid") == "true"
    return el.inner_text()


def test_requirement_form_without_a_project_name_is_told_next_to_the_name(
    live_app: LiveApp, browser: Any
) -> None:
    with live_app.engine.connect() as c:
        before = c.execute(sa.text("SELECT count(*) FROM requirement")).scalar()
    for lang in ("zh", "en"):
        w = open_page(browser, live_app, f"/requirements?lang={lang}")
        page = w.page
        f = "#gis-req-form"
        page.fill(f"{f} input[name=project_name]", "   ")  # blank: the page sends no name
        page.select_option(f"{f} select[name=need]", "land")
        page.fill(f"{f} input[name=land_mu_min]", "20")
        page.click("#gis-req-save")
        message = _field_message(page, f, "project_name")
        said, unsaid = _REQUIRED_NAME[lang]
        assert message == said and unsaid not in message, message
        assert page.evaluate("document.activeElement.name") == "project_name"
        assert ("未保存" if lang == "zh" else "Not saved") in page.inner_text("#gis-req-message")
        w.page.context.close()
    with live_app.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM requirement")).scalar() == before


def test_recommend_form_link_expiry_beyond_the_limit_is_told_next_to_the_days(
    live_app: LiveApp, browser: Any
) -> None:
    from gis_app.services import requirements as req_service

    with live_app.engine.connect() as c:
        rid = req_service.create_requirement(c, _PLANT, live_app.username)["id"]
    words = {
        "zh": "有效天数应在 1 到 365 之间（填写的是 400）。",
        "en": "Valid for (days) must be between 1 and 365 (you entered 400).",
    }
    for lang in ("zh", "en"):
        w = open_page(browser, live_app, f"/requirements/{rid}?lang={lang}")
        page = w.page
        f = "#gis-recommend-form"
        assert page.locator(".gis-pick:checked").count() > 0, "the sample has plants that fit"
        page.fill(f"{f} input[name=recipient_name]", "赵总")
        page.fill(f"{f} input[name=expires_days]", "400")  # the form allows it, the office not
        page.click("#gis-recommend-save")
        assert _field_message(page, f, "expires_days") == words[lang]
        assert page.locator("#gis-link-box").is_hidden()
        w.page.context.close()
    with live_app.engine.connect() as c:
        # no link was made (the recommendation waits for a corrected link: one per page)
        assert (
            c.execute(
                sa.text(
                    "SELECT count(*) FROM share_link l JOIN recommendation r "
                    "ON r.id = l.recommendation_id WHERE r.requirement_id = :i"
                ),
                {"i": rid},
            ).scalar()
            == 0
        )


_PLANNER = "msg-planner"


def _planner_page(browser: Any, app: LiveApp, path: str) -> Any:
    """A new browser context logged in as the planner (made on first use) at ``path``."""
    from e2e_helpers import PASSWORD
    from test_admin_users import _ensure_user, _login

    _ensure_user(app, _PLANNER, PASSWORD, ["planner"])
    return _login(browser, app, _PLANNER, PASSWORD, path)[0]


def test_site_status_form_words_a_refused_progress_in_the_page_language(
    live_app: LiveApp, browser: Any
) -> None:
    with live_app.engine.begin() as c:
        sid, version = c.execute(
            sa.text("SELECT id, version FROM site WHERE code = 'PT-KF-001'")
        ).one()
    words = {
        "zh": "政策处理进度（%）不能大于 100（填写的是 150）。",
        "en": "Progress (%) cannot be above 100 (you entered 150).",
    }
    for lang in ("zh", "en"):
        page = _planner_page(browser, live_app, f"/sites/{sid}?lang={lang}")
        f = "#gis-status-form"
        page.wait_for_selector(f"#gis-status-edit:not([hidden]) {f} [name=policy_progress_pct]")
        page.fill(f"{f} [name=policy_progress_pct]", "150")
        page.click("#gis-status-save")
        message = _field_message(page, f, "policy_progress_pct")
        assert message == words[lang], message
        page.context.close()
    with live_app.engine.connect() as c:
        assert (
            c.execute(sa.text("SELECT version FROM site WHERE id = :i"), {"i": sid}).scalar()
            == version
        )


_IMPORT = "#gis-import-form"


def _import(browser: Any, app: LiveApp, lang: str, path: Any, crs: str = "") -> Any:
    """The planner submits ``path`` on the import page in ``lang`` (with ``crs`` if given)."""
    page = _planner_page(browser, app, f"/imports?lang={lang}")
    page.set_input_files(f"{_IMPORT} input[name=file]", str(path))
    page.fill(f"{_IMPORT} input[name=crs]", crs)
    page.click(f"{_IMPORT} button[type=submit]")
    return page


def test_import_form_names_an_unknown_crs_next_to_it_in_the_page_language(
    live_app: LiveApp, browser: Any, tmp_path: Any
) -> None:
    # a planner's CSV as Excel saves it in China: GBK, Chinese headers
    sheet = tmp_path / "新地块.csv"
    sheet.write_bytes("编号,名称,经度,纬度\r\nPT-MSG-1,报错测试地块,122.3,29.9\r\n".encode("gbk"))
    words = {
        "zh": "坐标系“EPSG:9999”无法识别或不支持；请填写 EPSG 代码，如 EPSG:4490（CGCS2000）、"
        "EPSG:4326（WGS84）或 EPSG:4550。",
        "en": "The coordinate system “EPSG:9999” is unknown or not supported; give an EPSG "
        "code such as EPSG:4490 (CGCS2000), EPSG:4326 (WGS84) or EPSG:4550.",
    }
    for lang in ("zh", "en"):
        page = _import(browser, live_app, lang, sheet, crs="EPSG:9999")
        assert _field_message(page, _IMPORT, "crs") == words[lang]
        box = page.inner_text("#gis-import-message")
        assert ("未保存" if lang == "zh" else "Not saved") in box and "EPSG:9999" not in box
        page.context.close()
    with live_app.engine.connect() as c:
        assert not c.execute(sa.text("SELECT 1 FROM site WHERE code = 'PT-MSG-1'")).first()
        assert c.execute(sa.text("SELECT count(*) FROM import_job")).scalar() == 0


def test_import_that_fails_in_its_job_is_worded_in_the_page_language(
    live_app: LiveApp, browser: Any, tmp_path: Any
) -> None:
    import zipfile

    # a zip without a data file (the planner zipped the wrong folder)
    archive = tmp_path / "控规图层.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("说明.txt", "控规批复文件另行提供".encode("gbk"))
    words = {
        "zh": "压缩包“控规图层.zip”中没有 .shp、.gpkg、.geojson、.csv 或 .xlsx 文件。",
        "en": "The zip “控规图层.zip” holds no .shp, .gpkg, .geojson, .csv or .xlsx file.",
    }
    for lang in ("zh", "en"):
        page = _import(browser, live_app, lang, archive)
        page.wait_for_selector("#gis-import-progress[data-status=failed]", timeout=60_000)
        assert _field_message(page, _IMPORT, "file") == words[lang]
        box = page.inner_text("#gis-import-message")
        assert words[lang] in box and ("inside the zip" not in box)
        page.context.close()
    with live_app.engine.connect() as c:
        jobs = c.execute(sa.text("SELECT status, error, error_problem FROM import_job")).all()
    assert [j.status for j in jobs] == ["failed", "failed"]
    # the English detail stays for logs and API clients; the problem words it for people
    assert all("no .shp, .gpkg" in j.error for j in jobs)
    assert {j.error_problem["code"] for j in jobs} == {"zip_no_data_file"}
