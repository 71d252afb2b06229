"""Check and prepare an uploaded photo or document before it is stored (Pillow).

The type is decided by the content, never by the file's name: a JPEG or PNG must start with
its signature *and* decode as an image of that format; a PDF must start with ``%PDF-`` and end
with ``%%EOF``. Anything else — an HTML page or a script renamed ``.jpg``, a GIF, a truncated
file — is refused with a message naming the file and what its content looks like.

Photos are decoded and written anew: the EXIF block (camera, time, GPS position), XMP and text
chunks are not copied, the EXIF orientation is applied to the pixels first so the photo stays
upright, and a photo larger than the configured side is scaled down. A JPEG thumbnail is made
for pages and PDFs. PDFs are stored as sent (no thumbnail: no PDF renderer is required).
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from gis_app.domain.errors import InvalidInput, PayloadTooLarge
from gis_app.domain.vocab import Term
from gis_app.settings import FileSettings

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"%PDF-", PDF),
)
_PIL_FORMAT = {JPEG: "JPEG", PNG: "PNG"}
_NAME_MAX = 200


@dataclass(frozen=True)
class Prepared:
    """A checked file ready to store: what it is, its bytes and thumbnail, its digest."""

    kind: str  # "photo" or "document"
    media_type: str
    filename: str
    content: bytes
    thumbnail: bytes | None
    width: int | None
    height: int | None
    sha256: str


def clean_filename(name: str | None, media_type: str) -> str:
    """The file's own name without folders or control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if c.isprintable()).strip()
    if not base:
        base = "photo" if media_type != PDF else "document"
    return base[:_NAME_MAX]


def _looks_like(data: bytes) -> Term:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml")) or (
        b"<script" in head or b"<html" in head
    ):
        return Term("html", "HTML、SVG 或 XML 文本", "HTML, SVG or XML text")
    if head.startswith((b"gif8",)):
        return Term("gif", "GIF 图片", "a GIF image")
    if head.startswith(b"pk\x03\x04"):
        return Term("zip", "压缩包或 Office 文件", "a zip archive or an Office file")
    try:
        data[:512].decode("utf-8")
        return Term("text", "纯文本", "plain text")
    except UnicodeDecodeError:
        return Term("binary", "未知的二进制内容", "unknown binary data")


def sniff(data: bytes, filename: str) -> str:
    """The media type of ``data`` from its signature; :class:`InvalidInput` when none fits."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    looks = _looks_like(data)
    raise InvalidInput(
        f"{filename}: unsupported file type: the content is not JPEG, PNG or PDF "
        f"(it looks like {looks.en})",
        code="file_type_unsupported",
        field="file",
        params={"value": filename, "looks": looks},
    )


def _check_size(data: bytes, filename: str, media_type: str, limits: FileSettings) -> None:
    limit = limits.max_document_bytes if media_type == PDF else limits.max_photo_bytes
    if len(data) > limit:
        raise PayloadTooLarge(
            f"{filename}: too large ({len(data):,} bytes; the limit is {limit:,} bytes)",
            code="file_too_large",
            field="file",
            params={"value": filename, "max": f"{limit / 1e6:.1f}"},
        )


def _pdf(data: bytes, filename: str) -> Prepared:
    if b"%%EOF" not in data[-2048:]:
        raise InvalidInput(
            f"{filename}: the PDF is truncated (no %%EOF at its end)",
            code="pdf_truncated",
            field="file",
            params={"value": filename},
        )
    return Prepared(
        kind="document",
        media_type=PDF,
        filename=filename,
        content=data,
        thumbnail=None,
        width=None,
        height=None,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _open_image(data: bytes, filename: str, media_type: str, limits: FileSettings) -> Image.Image:
    bad = InvalidInput(
        f"{filename}: the image cannot be read (damaged, or not a real {_PIL_FORMAT[media_type]})",
        code="file_damaged",
        field="file",
        params={"value": filename},
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format != _PIL_FORMAT[media_type]:
                raise bad
            w, h = probe.size
            if w * h > limits.max_pixels:
                raise PayloadTooLarge(
                    f"{filename}: too many pixels ({w}×{h}; the limit is {limits.max_pixels:,})",
                    code="image_too_many_pixels",
                    field="file",
                    params={"value": filename, "max": f"{limits.max_pixels:,}"},
                )
            probe.verify()
            img = Image.open(io.BytesIO(data))
            img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise bad from None
    except Image.DecompressionBombWarning:
        raise bad from None
    return img


def _encode(img: Image.Image, media_type: str) -> bytes:
    out = io.BytesIO()
    if media_type == JPEG:
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        # no exif=, no xmp=, no comment=: only the pixels (and colour profile) are written
        img.save(out, "JPEG", quality=88, optimize=True, icc_profile=img.info.get("icc_profile"))
    else:
        img.save(out, "PNG", optimize=True, icc_profile=img.info.get("icc_profile"))
    return out.getvalue()


def _thumbnail(img: Image.Image, side: int) -> bytes:
    thumb = img.copy()
    thumb.thumbnail((side, side))
    if thumb.mode in ("RGBA", "LA", "P"):
        rgba = thumb.convert("RGBA")
        thumb = Image.new("RGB", rgba.size, "white")
        thumb.paste(rgba, mask=rgba.getchannel("A"))
    elif thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def _photo(data: bytes, filename: str, media_type: str, limits: FileSettings) -> Prepared:
    img = _open_image(data, filename, media_type, limits)
    icc = img.info.get("icc_profile")
    img = ImageOps.exif_transpose(img)  # turn the pixels upright before the EXIF goes
    if max(img.size) > limits.max_side_px:
        img.thumbnail((limits.max_side_px, limits.max_side_px), Image.Resampling.LANCZOS)
    clean = img.copy()  # a fresh image: no info, no exif from the decoder
    clean.info = {"icc_profile": icc} if icc else {}
    content = _encode(clean, media_type)
    return Prepared(
        kind="photo",
        media_type=media_type,
        filename=filename,
        content=content,
        thumbnail=_thumbnail(clean, limits.thumb_side_px),
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def prepare(data: bytes, name: str | None, limits: FileSettings) -> Prepared:
    """Check ``data`` (a file named ``name``) and make it ready to store.

    Raises :class:`InvalidInput` for a type other than JPEG, PNG or PDF (by content) or a
    damaged file, :class:`PayloadTooLarge` above the size or pixel limits.
    """
    filename = clean_filename(name, "")
    if not data:
        raise InvalidInput(
            f"{filename}: the file is empty",
            code="file_empty",
            field="file",
            params={"value": filename},
        )
    media_type = sniff(data, filename)
    filename = clean_filename(name, media_type)
    _check_size(data, filename, media_type, limits)
    if media_type == PDF:
        return _pdf(data, filename)
    return _photo(data, filename, media_type, limits)
