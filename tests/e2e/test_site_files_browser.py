"""Photos and documents on the site sheet, in Chromium, as a planner and an investor would
(issue 21): a camera JPEG (EXIF with a GPS position) is uploaded and stored without EXIF, one
photo is published and the investor's page shows it while the other is refused through the
link, a script renamed .jpg is refused with a clear message, a file is deleted, and the
brochure contact is saved."""

from __future__ import annotations

import io
from typing import Any

import httpx
import sqlalchemy as sa
from e2e_helpers import PASSWORD, LiveApp
from files.photo_helpers import CAMERA, HTML_AS_JPG, jpeg_with_exif
from PIL import Image

from gis_app.services import accounts

PLANNER = "e2e-files-planner"


def _scalar(app: LiveApp, sql: str, **params: Any) -> Any:
    with app.engine.connect() as c:
        return c.execute(sa.text(sql), params).scalar()


def _link(app: LiveApp, site_id: int) -> str:
    """A recommendation of the site with an investor link, made through the officers' API."""
    with app.engine.begin() as c:
        token = accounts.create_token(c, app.username, "e2e")[1]
    h = {"Authorization": f"Bearer {token}"}
    r = httpx.post(
        f"{app.base_url}/api/recommendations",
        json={"sites": [{"site_id": site_id}], "title_zh": "厂房推荐"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    r = httpx.post(
        f"{app.base_url}/api/recommendations/{r.json()['id']}/links",
        json={"recipient_name": "李先生", "language": "zh"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    return r.json()["url"]


def _upload(page: Any, name: str, data: bytes) -> None:
    page.set_input_files(
        "#gis-files-file", {"name": name, "mimeType": "image/jpeg", "buffer": data}
    )
    page.click("#gis-files-upload")


def test_planner_uploads_publishes_and_the_investor_sees_only_public(
    live_app: LiveApp, browser: Any
) -> None:
    app = live_app
    with app.engine.begin() as c:
        accounts.create_user(c, PLANNER, PASSWORD, ["planner"])
    site_id = _scalar(app, "SELECT id FROM site WHERE code = 'PT-KF-009'")
    url = _link(app, site_id)

    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{app.base_url}/login?next=/sites/{site_id}")
    page.fill("#username", PLANNER)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_selector("#gis-files-form:not([hidden])")

    # two camera photos with EXIF and GPS: stored, cleaned, listed with thumbnails
    camera = jpeg_with_exif(1600, 1200)
    assert Image.open(io.BytesIO(camera)).getexif().get_ifd(0x8825)
    _upload(page, "厂房外景.jpg", camera)
    page.wait_for_selector(".gis-files-message.gis-files-ok")
    page.wait_for_selector("#gis-files-list li >> nth=0")
    _upload(page, "车间内部.jpg", jpeg_with_exif(1200, 900))
    page.wait_for_selector("#gis-files-list li >> nth=1")
    rows = {}
    with app.engine.connect() as c:
        for r in c.execute(
            sa.text("SELECT id, filename, public, content FROM attachment WHERE site_id = :s"),
            {"s": site_id},
        ):
            rows[r.filename] = r
    assert set(rows) == {"厂房外景.jpg", "车间内部.jpg"}
    for r in rows.values():
        stored = Image.open(io.BytesIO(bytes(r.content)))
        assert dict(stored.getexif()) == {} and CAMERA.encode() not in bytes(r.content)
        assert not r.public
    outside, inside = rows["厂房外景.jpg"].id, rows["车间内部.jpg"].id
    thumb = page.locator(f"li[data-file-id='{outside}'] img")
    assert thumb.evaluate("img => img.complete && img.naturalWidth") > 0

    # publish one
    page.click(f"li[data-file-id='{outside}'] button[data-action=publish]")
    page.wait_for_selector(f"li[data-file-id='{outside}'][data-public=true]")
    assert _scalar(app, "SELECT public FROM attachment WHERE id = :i", i=outside) is True

    # a script renamed .jpg is refused, with a message naming the file and the types allowed
    _upload(page, "evil.jpg", HTML_AS_JPG)
    page.wait_for_selector(".gis-files-message.gis-files-error")
    text = page.inner_text("#gis-files-message")
    assert "evil.jpg" in text and "JPEG、PNG 或 PDF" in text, text
    assert _scalar(app, "SELECT count(*) FROM attachment") == 2

    # the brochure contact
    page.fill("#gis-contact", "规划科 王工 0580-7654321")
    page.click("#gis-contact-save")
    page.wait_for_selector(".gis-files-message.gis-files-ok")
    assert (
        _scalar(app, "SELECT contact FROM app_user WHERE username = :u", u=PLANNER)
        == "规划科 王工 0580-7654321"
    )

    # the investor: the public photo on the page (loaded), the internal one refused
    investor = browser.new_context(viewport={"width": 420, "height": 900}).new_page()
    investor.goto(url)
    token = url.rsplit("/", 1)[1]
    shown = investor.locator(f"img[src='/r/{token}/files/{outside}?thumbnail=true']")
    shown.scroll_into_view_if_needed()
    investor.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=shown.element_handle()
    )
    assert investor.locator(f"img[src*='/files/{inside}']").count() == 0
    assert investor.request.get(f"{app.base_url}/r/{token}/files/{inside}").status == 404
    assert (
        investor.request.get(f"{app.base_url}/r/{token}/files/{inside}?thumbnail=true").status
        == 404
    )
    assert investor.request.get(f"{app.base_url}/api/attachments/{inside}").status == 401

    # delete the internal one
    page.click(f"li[data-file-id='{inside}'] button[data-action=delete]")
    page.wait_for_selector(f"li[data-file-id='{inside}']", state="detached")
    assert _scalar(app, "SELECT count(*) FROM attachment WHERE id = :i", i=inside) == 0
    assert errors == []
