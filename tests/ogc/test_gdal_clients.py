"""Real clients against the served app (issue 22, part 3): GDAL's OAPIF driver reads every
collection completely, page by page, in EPSG:4490 and EPSG:4550 with a bearer token in
``GDAL_HTTP_HEADERS``; ``ogrinfo MVT:`` reads a tile described by the TileJSON; headless QGIS
opens the PostGIS layer.

``ogrinfo``/``ogr2ogr`` come from Debian's ``gdal-bin`` (installed by ``scripts/bootstrap.sh
--test``): missing tools fail these tests, they never skip.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from needs import need
from sqlalchemy.engine import make_url

from gis_app.services import ogc as ogc_service

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench's load driver
from bench.load_driver import ServedApp

pytestmark = pytest.mark.slow

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
_BUILDING_JOIN = "JOIN site s ON s.id = t.site_id WHERE s.retired_at IS NULL"
# GDAL 3.6 (Debian 12) predates the driver's CRS option: the crs goes in the connection URL,
# whose query GDAL repeats on every page; it reads coordinates as the server writes them.
CRS_CASES = {"4490": f"{EPSG}4490", "4550": f"{EPSG}4550"}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: run `bash scripts/bootstrap.sh --test` (gdal-bin)")
    return path


@pytest.fixture
def served(make_db, token_for) -> Iterator[tuple[ServedApp, str, str]]:
    """The app served in a subprocess on a copy of the sample, and a planner's token."""
    url = make_db("sample")
    token = token_for(url, "planner")
    with ServedApp(url) as app:
        yield app, token, url


def _gdal_env(token: str) -> dict[str, str]:
    return os.environ | {
        "GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}",
        "CPL_DEBUG": "ON",
        "GDAL_HTTP_TIMEOUT": "60",
    }


def _expected(url: str, collection: str, srid: int) -> tuple[dict[int, list[float]], int]:
    """Feature ids with the first vertex in ``srid`` (north first), from PostGIS."""
    table = ogc_service.COLLECTIONS[collection].table
    geom, where, ident = {
        "site": ("t.geom", "WHERE t.retired_at IS NULL", "t.id"),
        "building": (
            "s.geom",
            "JOIN site s ON s.id = t.site_id WHERE s.retired_at IS NULL",
            "t.id",
        ),
    }.get(table, ("t.geom", "", "t.id"))
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            rows = c.execute(
                sa.text(
                    f"SELECT fid, ST_Y(p), ST_X(p) FROM (SELECT {ident} AS fid, ST_Transform(("
                    f"SELECT (d).geom FROM (SELECT ST_DumpPoints({geom}) d) x"
                    f" ORDER BY (d).path LIMIT 1), :srid) p FROM {table} t {where}) q"
                ),
                {"srid": srid},
            ).all()
    finally:
        eng.dispose()
    return {int(r[0]): [float(r[1]), float(r[2])] for r in rows}, len(rows)


def _first_vertex(geometry: dict) -> list[float]:
    coords = geometry["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords[:2]


@pytest.mark.parametrize("srid", list(CRS_CASES))
def test_gdal_oapif_reads_every_collection_in_pages(served, srid: str) -> None:
    ogr2ogr = _tool("ogr2ogr")
    app, token, url = served
    for collection in ogc_service.COLLECTIONS:
        expected, n = _expected(url, collection, int(srid))
        assert n > 0, collection
        page = max(1, math.ceil(n / 3))  # at least two pages wherever there are two features
        conn = f"OAPIF:{app.base_url}/ogc/collections/{collection}?crs={CRS_CASES[srid]}"
        proc = subprocess.run(
            [
                ogr2ogr,
                "-f",
                "GeoJSON",
                "-preserve_fid",
                "/vsistdout/",
                conn,
                "-oo",
                f"PAGE_SIZE={page}",
            ],
            capture_output=True,
            text=True,
            env=_gdal_env(token),
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        fetched = [
            line
            for line in proc.stderr.splitlines()
            if "Fetch(" in line and f"/collections/{collection}/items" in line
        ]
        pages = {line for line in fetched}  # GDAL asks for the first page twice
        if n >= 2:
            assert len(pages) >= 2, (collection, fetched)
        got = json.loads(proc.stdout)["features"]
        ids = [f["id"] for f in got]
        assert sorted(ids) == sorted(expected), collection
        tol = 1e-6 if srid == "4490" else 0.01
        for f in got[:5]:
            fid = f["id"]
            assert _first_vertex(f["geometry"]) == pytest.approx(expected[fid], abs=tol), (
                collection,
                fid,
            )


def test_gdal_reads_internal_fields_only_where_the_role_may(served) -> None:
    ogrinfo = _tool("ogrinfo")
    app, token, _ = served

    def fields_of(collection: str) -> str:
        proc = subprocess.run(
            [ogrinfo, "-ro", "-so", f"OAPIF:{app.base_url}/ogc", collection],
            capture_output=True,
            text=True,
            env=_gdal_env(token),
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    assert "internal_note:" in fields_of("sites")
    public = fields_of("sites_public")
    assert "internal_note:" not in public and "owner_contact:" not in public
    assert "area_mu:" in public


def test_ogrinfo_reads_a_tile_via_tilejson(served) -> None:
    ogrinfo = _tool("ogrinfo")
    app, token, url = served
    tilejson_url = f"{app.base_url}/tiles/sites"
    auth = {"Authorization": f"Bearer {token}"}
    tj = httpx.get(tilejson_url, headers=auth).json()
    eng = sa.create_engine(url)
    with eng.connect() as c:
        lon, lat = c.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM site"
                " WHERE retired_at IS NULL ORDER BY id LIMIT 1) q"
            )
        ).one()
    eng.dispose()
    z = 14
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    tile = tj["tiles"][0].replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    proc = subprocess.run(
        [
            ogrinfo,
            "-ro",
            "-al",
            f"MVT:/vsicurl/{tile}",
            "-oo",
            f"METADATA_FILE=/vsicurl/{tilejson_url}",
        ],
        capture_output=True,
        text=True,
        env=_gdal_env(token),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Layer name: sites" in proc.stdout
    count = int(proc.stdout.split("Feature Count: ")[1].split()[0])
    assert count >= 1
    # the layer's fields come from the TileJSON's vector_layers (n_available is only in
    # cluster tiles, and this one has outlines)
    assert "n_available: Real" in proc.stdout or "n_available: Integer" in proc.stdout
    assert "form (String) = polygon" in proc.stdout


def test_qgis_opens_the_postgis_layer(served) -> None:
    """Headless QGIS (Debian ``qgis``/``python3-qgis``) counts the sites of the PostGIS layer
    and tries the OGC API through its GDAL-based provider (see the README for what QGIS 3.22
    does with a bearer token)."""
    python = "/usr/bin/python3"
    check = subprocess.run([python, "-c", "import qgis.core"], capture_output=True, text=True)
    need(check.returncode == 0, f"python3-qgis is not installed: {check.stderr.strip()[-300:]}")
    app, token, url = served
    u = make_url(url)
    conninfo = (
        f"host={u.host} port={u.port} dbname={u.database} user={u.username} password={u.password}"
    )
    runtime = Path("/tmp/runtime-qgis-tests")
    runtime.mkdir(mode=0o700, exist_ok=True)
    proc = subprocess.run(
        [python, str(Path(__file__).with_name("qgis_probe.py")), app.base_url, token, conninfo],
        capture_output=True,
        text=True,
        env=os.environ | {"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    _, n = _expected(url, "sites", 4490)
    assert result["postgres_valid"] and result["postgres"] == n
