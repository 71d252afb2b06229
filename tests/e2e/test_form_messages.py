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
