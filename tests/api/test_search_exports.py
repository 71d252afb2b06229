"""Taking a search away: ``GET /api/exports/sites`` with the filters of ``GET /api/sites`` as
XLSX (Chinese headers, links to the site sheets), CSV, GeoPackage and a PDF list with a map."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.needs import need

QUERY = "availability=available&kind=land&max_km_port=5"


def _ids(client, query: str) -> set[int]:
    fc = client.get(f"/api/sites?limit=1000&{query}").json()
    return {f["id"] for f in fc["features"]}


def test_xlsx_has_chinese_headers_and_links_to_each_sheet(client_as):
    c = client_as("officer")
    want = _ids(c, QUERY)
    assert 0 < len(want) < 73
    r = c.get(f"/api/exports/sites?format=xlsx&{QUERY}")
    assert r.status_code == 200, r.text
    ws = load_workbook(io.BytesIO(r.content))["sites"]
    heads = [c.value for c in ws[1]]
    assert "编号" in heads and "名称" in heads and "招商状态" in heads
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == len(want)
    code_col = heads.index("编号")
    id_col = heads.index("ID")
    got = set()
    for row in rows:
        sid = int(row[id_col].value)
        got.add(sid)
        link = row[code_col].hyperlink
        assert link is not None and link.target.endswith(f"/sites/{sid}")
        assert link.target.startswith("http://testserver/")
    assert got == want


def test_pdf_lists_every_site_with_a_map(client_as):
    c = client_as("officer")
    want = c.get(f"/api/sites?limit=1000&format=json&{QUERY}").json()
    r = c.get(f"/api/exports/sites?format=pdf&{QUERY}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(r.content))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "招商资源清单" in text and "max_km_port=5" in text
    for site in want:
        assert site["code"] in text
    links = [
        a.get_object()["/A"]["/URI"]
        for p in pdf.pages
        for a in p.get("/Annots", [])
        if a.get_object().get("/A", {}).get("/URI")
    ]
    assert len(links) == len(want)
    assert all("/sites/" in u for u in links)


def test_csv_and_geopackage_hold_the_same_sites(client_as, scratch_dir: Path):
    need(shutil.which("ogrinfo") is not None, "ogrinfo (gdal-bin) is not installed")
    c = client_as("officer")
    want = _ids(c, QUERY)
    csv = c.get(f"/api/exports/sites?format=csv&{QUERY}")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("ID,编号") and len(lines) == 2 + len(want)
    gpkg = c.get(f"/api/exports/sites?format=gpkg&{QUERY}")
    path = scratch_dir / "sites.gpkg"
    path.write_bytes(gpkg.content)
    out = subprocess.run(
        ["ogrinfo", "-so", "-al", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert f"Feature Count: {len(want)}" in out


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("format=pdf&max_km_port=-1", "max_km_port"),
        ("format=docx", "format"),
        ("format=xlsx&kind=castle", "castle"),
        ("format=pdf&near=122.3,29.9", "near and radius_km"),
    ],
)
def test_bad_export_parameters_are_named(client_as, query: str, message: str):
    r = client_as("officer").get(f"/api/exports/sites?{query}")
    assert r.status_code == 422
    assert message in r.json()["detail"]


def test_pdf_refuses_a_selection_too_long_to_read(client_as, monkeypatch):
    from gis_app.io import export

    monkeypatch.setattr(export, "PDF_MAX_SITES", 5)
    r = client_as("officer").get("/api/exports/sites?format=pdf")
    assert r.status_code == 422
    assert "more than the export limit of 5" in r.json()["detail"]
