"""Files as planners' cameras and scanners make them: a JPEG with EXIF (camera, time, GPS
position), a PNG, a one-page PDF, and a script renamed to .jpg."""

from __future__ import annotations

import io
from fractions import Fraction

from PIL import Image, ImageDraw

#: the GPS position written into the test photo (Zhoushan), as EXIF rationals
GPS_LAT = (Fraction(29), Fraction(59), Fraction(1234, 100))
GPS_LON = (Fraction(122), Fraction(12), Fraction(3456, 100))
CAMERA = "GisAppTestCam"


def jpeg_with_exif(width: int = 1600, height: int = 1200, orientation: int = 1) -> bytes:
    """A camera-like JPEG: a drawn scene, EXIF with make/model, time, orientation and GPS."""
    img = Image.new("RGB", (width, height), (90, 140, 200))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, height * 0.6, width, height), fill=(120, 160, 90))
    draw.rectangle((width * 0.3, height * 0.35, width * 0.7, height * 0.65), fill=(200, 200, 190))
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0132] = "2026:11:30 10:15:00"  # DateTime
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LAT
    gps[3] = "E"
    gps[4] = GPS_LON
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def png_image(width: int = 800, height: int = 600) -> bytes:
    """A PNG with transparency and a text chunk."""
    from PIL import PngImagePlugin

    img = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    ImageDraw.Draw(img).ellipse((50, 50, width - 50, height - 50), fill=(220, 80, 40, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "surveyor")
    out = io.BytesIO()
    img.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def pdf_document() -> bytes:
    """A one-page PDF such as a scanned 控规 extract (made with ReportLab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    c = Canvas(out, pagesize=A4)
    c.drawString(72, 720, "Regulatory plan extract PT-KF-009")
    c.showPage()
    c.save()
    return out.getvalue()


#: what an attacker renames to .jpg: an HTML page with a script
HTML_AS_JPG = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
