"""Uploaded files are checked by content, cleaned of EXIF, scaled and thumbnailed."""

from __future__ import annotations

import io

import pytest
from photo_helpers import CAMERA, HTML_AS_JPG, jpeg_with_exif, pdf_document, png_image
from PIL import Image

from gis_app.domain.error_vocab import message
from gis_app.domain.errors import InvalidInput, PayloadTooLarge
from gis_app.io.attachments import prepare
from gis_app.settings import FileSettings


def test_jpeg_exif_and_gps_are_removed_and_a_thumbnail_made() -> None:
    data = jpeg_with_exif()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the GPS is really there
    assert CAMERA.encode() in data
    p = prepare(data, "现场照片.jpg", FileSettings())
    assert (p.kind, p.media_type, p.filename) == ("photo", "image/jpeg", "现场照片.jpg")
    stored = Image.open(io.BytesIO(p.content))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert CAMERA.encode() not in p.content and b"Exif" not in p.content
    assert (p.width, p.height) == (1600, 1200)
    thumb = Image.open(io.BytesIO(p.thumbnail))
    assert max(thumb.size) == 480 and thumb.format == "JPEG"


def test_orientation_is_applied_before_the_exif_goes() -> None:
    # orientation 6: the camera was turned; the stored photo must be upright (portrait)
    p = prepare(jpeg_with_exif(1600, 1200, orientation=6), "turned.jpg", FileSettings())
    assert (p.width, p.height) == (1200, 1600)


def test_large_photo_is_scaled_down() -> None:
    p = prepare(jpeg_with_exif(4000, 3000), "big.jpg", FileSettings(max_side_px=2000))
    assert (p.width, p.height) == (2000, 1500)


def test_png_keeps_its_type_and_loses_its_text_chunks() -> None:
    p = prepare(png_image(), "plan.jpg", FileSettings())  # the name says JPEG, the content PNG
    assert p.media_type == "image/png"
    assert b"surveyor" not in p.content
    assert Image.open(io.BytesIO(p.thumbnail)).mode == "RGB"


def test_pdf_is_stored_as_sent() -> None:
    data = pdf_document()
    p = prepare(data, "控规摘录.pdf", FileSettings())
    assert (p.kind, p.media_type, p.content, p.thumbnail) == (
        "document",
        "application/pdf",
        data,
        None,
    )


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (HTML_AS_JPG, "HTML"),
        (b"GIF89a" + b"\0" * 100, "GIF"),
        (b"just some text", "text"),
    ],
)
def test_other_content_is_refused_whatever_its_name(data: bytes, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        prepare(data, "photo.jpg", FileSettings())
    assert "photo.jpg" in str(err.value) and words in str(err.value)
    assert err.value.code == "file_type_unsupported"
    (problem,) = err.value.refusals
    zh = message(problem)["zh"]
    assert "“photo.jpg”不是 JPEG、PNG 或 PDF 文件" in zh and "{" not in zh


def test_truncated_or_fake_files_are_refused() -> None:
    jpeg = jpeg_with_exif()
    with pytest.raises(InvalidInput, match="cannot be read"):
        prepare(jpeg[:2000], "cut.jpg", FileSettings())
    with pytest.raises(InvalidInput, match="cannot be read"):
        prepare(b"\xff\xd8\xff" + HTML_AS_JPG, "fake.jpg", FileSettings())
    with pytest.raises(InvalidInput, match="truncated"):
        prepare(pdf_document()[:-200], "cut.pdf", FileSettings())
    with pytest.raises(InvalidInput, match="empty"):
        prepare(b"", "empty.jpg", FileSettings())


def test_size_and_pixel_limits() -> None:
    with pytest.raises(PayloadTooLarge, match="too large") as err:
        prepare(jpeg_with_exif(), "x.jpg", FileSettings(max_photo_bytes=1000))
    assert "上限 0.0 MB" in message(err.value.refusals[0])["zh"]
    with pytest.raises(PayloadTooLarge, match="pixels"):
        prepare(jpeg_with_exif(), "x.jpg", FileSettings(max_pixels=100_000))
