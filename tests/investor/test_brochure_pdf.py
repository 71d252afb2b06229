"""Site brochures and the investor PDF: Chinese text searchable, the map really drawn (the first
page rendered to pixels), public photos in, internal ones out, the officer's contact."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from files.photo_helpers import jpeg_with_exif
from investor_helpers import Env, Rec
from PIL import Image
from pypdf import PdfReader

from gis_app.io.pdf_map import SITE

MM = 72 / 25.4
SCALE = 2  # render at 144 dpi
SITE_RGB = (SITE.red * 255, SITE.green * 255, SITE.blue * 255)


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _first_page(pdf: bytes) -> Image.Image:
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[0].render(scale=SCALE).to_pil().convert("RGB")
    finally:
        doc.close()


def _region(img: Image.Image, x0_mm: float, top_mm: float, x1_mm: float, bottom_mm: float):
    f = MM * SCALE
    return img.crop((int(x0_mm * f), int(top_mm * f), int(x1_mm * f), int(bottom_mm * f)))


def _share(img: Image.Image, test) -> float:
    px = list(img.get_flattened_data())
    return sum(1 for p in px if test(p)) / len(px)


def _near(rgb: tuple, target: tuple, tol: float = 60) -> bool:
    return sum(abs(a - b) for a, b in zip(rgb, target, strict=True)) < tol


def _map_drawn(img: Image.Image, top_mm: float, bottom_mm: float) -> None:
    area = _region(img, 16, top_mm, 194, bottom_mm)
    assert _share(area, lambda p: p != (255, 255, 255)) > 0.9  # sea/land fill, not blank
    # the site in its orange (blended with the land under it) and other colours around it
    assert _share(area, lambda p: _near(p, (236, 151, 104), 90) or _near(p, SITE_RGB)) > 0.0003
    assert len(set(area.get_flattened_data())) > 20


@pytest.fixture
def planner(env: Env, client_as):
    return client_as("planner", url=env.url)


def _photos(planner, site_id: int) -> tuple[int, int]:
    ids = []
    for public, width in (("true", 1600), ("false", 1200)):  # two different photos
        r = planner.post(
            f"/api/sites/{site_id}/attachments",
            files={"file": (f"{public}.jpg", jpeg_with_exif(width, 900), "image/jpeg")},
            data={"public": public},
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids[0], ids[1]


def test_investor_brochure_has_map_photo_text_and_contact(env: Env, rec: Rec, planner) -> None:
    site_id = rec.site_ids[0]
    _photos(planner, site_id)
    r = env.officer.put("/api/me/contact", json={"contact": "招商科 0580-1234567"})
    assert r.status_code == 200 and r.json() == {"contact": "招商科 0580-1234567"}
    anon = env.make_anon()
    token = rec.token("zh")
    site = anon.get(f"/r/{token}.json").json()["sites"][0]
    r = anon.get(f"/r/{token}/sites/{site['code']}/brochure.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == 1
    text = _text(r.content)
    for words in (site["name_zh"], site["code"], "亩", "m²", "联系人", "招商科 0580-1234567"):
        assert words in text, words
    assert "内部资料" not in text
    # one photo: the public one (the thumbnail), not the internal one
    assert len(reader.pages[0].images) == 1
    img = _first_page(r.content)
    _map_drawn(img, top_mm=30, bottom_mm=110)
    # a site not in the link: the link's one 404
    assert anon.get(f"/r/{token}/sites/PT-LH-005/brochure.pdf").status_code == 404


def test_recommendation_pdf_has_maps_photos_and_unbroken_headers(
    env: Env, rec: Rec, planner
) -> None:
    _photos(planner, rec.site_ids[0])
    anon = env.make_anon()
    en = anon.get(f"/r/{rec.token('en')}.pdf")
    assert en.status_code == 200
    text = _text(en.content)
    assert env.scalar("SELECT count(*) FROM building WHERE site_id = ANY(:s)", s=rec.site_ids)
    assert "Clear height" in text and "heig\nht" not in text
    zh = anon.get(f"/r/{rec.token('zh')}.pdf")
    text = _text(zh.content)
    assert "海洋装备项目选址推荐" in text
    reader = PdfReader(io.BytesIO(zh.content))
    assert sum(len(p.images) for p in reader.pages) == 1  # the public photo only
    # the first site's map sits under its table on page 1: sea, land, the site in orange
    img = _first_page(zh.content)
    assert _share(img, lambda p: _near(p, (0xDB, 0xE8, 0xF2), 12)) > 0.01
    assert _share(img, lambda p: _near(p, (0xF4, 0xF1, 0xEA), 12)) > 0.02
    assert _share(img, lambda p: _near(p, (236, 151, 104), 90) or _near(p, SITE_RGB)) > 0.0001


def test_officer_brochure_internal_and_public_copies(env: Env, planner, client_as) -> None:
    site_id = env.site_id("PT-KF-009")
    _photos(planner, site_id)
    env.execute("UPDATE site SET internal_note = '内部备注XYZ' WHERE id = :i", i=site_id)
    officer = client_as("officer", url=env.url)
    internal = officer.get(f"/sites/{site_id}/brochure.pdf")
    assert internal.status_code == 200
    text = _text(internal.content)
    assert "内部资料" in text and "内部备注XYZ" in text
    assert len(PdfReader(io.BytesIO(internal.content)).pages[0].images) == 2
    public = officer.get(f"/sites/{site_id}/brochure.pdf?audience=public&lang=en")
    text = _text(public.content)
    assert "内部备注XYZ" not in text and "Internal" not in text
    assert "PT-KF-009" in text and "mu" in text
    assert len(PdfReader(io.BytesIO(public.content)).pages[0].images) == 1
    _map_drawn(_first_page(public.content), top_mm=30, bottom_mm=110)
    # the print page and its map
    page = officer.get(f"/sites/{site_id}/brochure?audience=public")
    assert page.status_code == 200 and "@page" in page.text and "PT-KF-009" in page.text
    svg = officer.get(f"/sites/{site_id}/brochure/map.svg")
    assert svg.status_code == 200 and svg.text.lstrip().startswith("<?xml")
    assert "<path" in svg.text
