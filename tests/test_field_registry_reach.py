"""A site attribute declared once reaches every place that shows, searches, exports or reads
sites: ``rail_siding`` (铁路专用线) was added with a migration, a model line and a registry line
only, and these tests find it in the API and its filter, the site sheet, the investor page and
PDF sheet, the exports and the imports (under its own name, its Shapefile name and its aliases).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from investor.investor_helpers import Env, make_recommendation

from api.app import create_app
from cli import main as cli
from gis_app.db.site_queries import SiteFilter
from gis_app.domain import fields
from gis_app.domain import public_schema as P
from gis_app.io.export import export_sites
from gis_app.io.imports import ImportOptions
from gis_app.services.imports import import_file
from gis_app.settings import DatabaseSettings, Settings

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

WITH = ("PT-BL-001", "PT-KF-009")  # sidings recorded: yes
WITHOUT = ("PT-ZM-002",)  # recorded: no; every other site: not recorded


@pytest.fixture
def url(make_db) -> str:
    """A sample copy where two sites have a rail siding and one has none."""
    url = make_db("sample")
    engine = sa.create_engine(url)
    with engine.begin() as c:
        for codes, value in ((WITH, True), (WITHOUT, False)):
            c.execute(
                sa.text("UPDATE site SET rail_siding = :v WHERE code = ANY(:codes)"),
                {"v": value, "codes": list(codes)},
            )
    engine.dispose()
    return url


def _codes(features: list[dict]) -> set[str]:
    return {f["properties"]["code"] for f in features}


def test_the_registry_declares_it_public_filterable_and_exported() -> None:
    f = fields.SITE["rail_siding"]
    assert (f.type, f.zh, f.en, f.shp) == ("bool", "铁路专用线", "Rail siding", "rail_sid")
    assert f.public and f.exported and f.filterable and f.editable


def test_api_lists_it_and_filters_by_it(url: str, client_as) -> None:
    officer = client_as("officer", url=url)
    r = officer.get("/api/sites", params={"rail_siding": "true", "limit": 500})
    assert r.status_code == 200, r.text
    features = r.json()["features"]
    assert _codes(features) == set(WITH)
    assert all(f["properties"]["rail_siding"] is True for f in features)
    r = officer.get("/api/sites", params={"rail_siding": "false", "kind": "land"})
    assert _codes(r.json()["features"]) == set(WITHOUT)
    everything = officer.get("/api/sites", params={"limit": 500}).json()
    assert {f["properties"]["rail_siding"] for f in everything["features"]} == {True, False, None}
    assert officer.get("/api/sites", params={"rail_siding": "maybe"}).status_code == 422
    spec = officer.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/sites"]["get"]["parameters"]}
    assert "铁路专用线" in params["rail_siding"]["description"]


def test_cli_search_filters_by_it(url: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GIS_APP_DATABASE_URL", url)
    assert cli.main(["search", "--rail-siding", "yes", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)["sites"]
    assert {r["code"] for r in records} == set(WITH)
    with pytest.raises(SystemExit) as refused:  # argparse: usage and the reason on stderr
        cli.main(["search", "--rail-siding", "perhaps"])
    assert refused.value.code == 2 and "expected true/false" in capsys.readouterr().err


def test_site_sheet_shows_it_with_its_label(url: str, client_as) -> None:
    officer = client_as("officer", url=url)
    engine = sa.create_engine(url)
    with engine.connect() as c:
        sid = c.execute(sa.text("SELECT id FROM site WHERE code = :c"), {"c": WITH[0]}).scalar()
    engine.dispose()
    page = officer.get(f"/sites/{sid}").text
    assert "铁路专用线" in page
    assert "Rail siding" in officer.get(f"/sites/{sid}?lang=en").text


def test_investor_page_json_and_pdf_sheet_show_it(url: str, client_as) -> None:
    engine = sa.create_engine(url)
    env = Env(url, engine, client_as("officer", url=url), make_anon=lambda: None)
    rec = make_recommendation(env, ("PT-BL-001", "PT-ZM-002", "PT-KF-001"))
    settings = Settings(db=DatabaseSettings(database_url=url))
    with TestClient(create_app(settings)) as anon:
        page = anon.get(f"/r/{rec.token('zh')}").text
        english = anon.get(f"/r/{rec.token('en')}").text
        sites = {s["code"]: s for s in anon.get(f"/r/{rec.token('zh')}.json").json()["sites"]}
        pdf = anon.get(f"/r/{rec.token('zh')}.pdf")
    engine.dispose()
    assert "<dt>铁路专用线</dt><dd>有</dd>" in page
    assert "<dt>铁路专用线</dt><dd>无</dd>" in page
    assert page.count("<dt>铁路专用线</dt>") == 2  # not recorded: no line
    assert "<dt>Rail siding</dt><dd>yes</dd>" in english
    assert sites["PT-BL-001"]["rail_siding"] is True
    assert sites["PT-ZM-002"]["rail_siding"] is False
    assert sites["PT-KF-001"]["rail_siding"] is None
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    rows = dict(P.sheet_rows(P.PublicSite.model_validate(sites["PT-BL-001"]), "zh"))
    assert rows["铁路专用线"] == "有"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "shp", "geojson", "gpkg"])
def test_exports_carry_it_and_read_back_unchanged(url: str, scratch_dir: Path, fmt: str) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        out, _ = export_sites(c, SiteFilter(), fmt, scratch_dir)
    column = "rail_sid" if fmt == "shp" else "rail_siding"
    if fmt == "csv":  # Chinese headers (the registry's labels) and a documentation row
        rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))[1:]
        values = {r["编号"]: r["铁路专用线"] for r in rows}
    elif fmt == "xlsx":
        values = dict(pd.read_excel(out)[["编号", "铁路专用线"]].itertuples(index=False))
    else:
        values = dict(gpd.read_file(out)[["code", column]].itertuples(index=False))
    assert all(str(values[c]).lower() in ("true", "1", "1.0") for c in WITH)
    assert str(values[WITHOUT[0]]).lower() in ("false", "0", "0.0")
    with engine.connect() as c:
        report = import_file(c, out, ImportOptions(), user="planner")
    assert report.ok, report.summary()
    counts = report.counts()
    assert counts["insert"] == counts["update"] == 0, report.summary()
    engine.dispose()


@pytest.mark.parametrize("header", ["rail_siding", "铁路专用线", "TLZYX", "rail_sid"])
def test_imports_read_it_by_name_alias_and_shapefile_name(
    url: str, scratch_dir: Path, header: str
) -> None:
    path = scratch_dir / "sidings.csv"
    path.write_text(f"地块编号,{header}\nPT-ZM-002,是\nPT-BL-001,否\n", encoding="utf-8")
    engine = sa.create_engine(url)
    with engine.connect() as c:
        report = import_file(c, path, ImportOptions(crs="EPSG:4490"), user="planner")
        assert report.committed, report.summary()
        assert [r.changed for r in report.rows] == [["rail_siding"], ["rail_siding"]]
        values = dict(
            c.execute(
                sa.text(
                    "SELECT code, rail_siding FROM site WHERE code IN ('PT-ZM-002', 'PT-BL-001')"
                )
            ).all()
        )
    engine.dispose()
    assert values["PT-ZM-002"] is True and values["PT-BL-001"] is False
