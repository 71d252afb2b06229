"""Loading the sample inventory: idempotent, areas right, and bad input refused whole."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from pyproj import Transformer
from shapely import wkb

from gis_app.db.engine import make_engine
from gis_app.domain.errors import LoadError
from gis_app.domain.vocab import M2_PER_MU
from gis_app.io.inventory_loader import LoadReport
from gis_app.services.inventory import load_sample

TABLES = (
    "jurisdiction",
    "site",
    "building",
    "constraint_zone",
    "infrastructure",
    "site_distance",
    "site_constraint_overlap",
)


def _load(eng: sa.Engine, folder: Path) -> LoadReport:
    """Load through the service, on a connection of the caller's."""
    with eng.connect() as c:
        return load_sample(c, folder)


def _counts(eng: sa.Engine) -> dict[str, int]:
    with eng.connect() as c:
        return {t: c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _fingerprint(eng: sa.Engine) -> list:
    with eng.connect() as c:
        return c.execute(
            sa.text("SELECT code, version, md5(ST_AsBinary(geom)) FROM site ORDER BY code")
        ).all()


@pytest.fixture
def empty_engine(make_db):
    eng = make_engine(make_db("empty"))
    yield eng
    eng.dispose()


def test_sample_meets_the_brief(engine: sa.Engine) -> None:
    with engine.connect() as c:
        n_sites = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
        blocks = set(c.execute(sa.text("SELECT DISTINCT block FROM site")).scalars())
        kinds = set(c.execute(sa.text("SELECT DISTINCT kind FROM constraint_zone")).scalars())
    assert n_sites >= 60
    assert len(blocks) >= 10
    for name in (
        "塘头佛茶园地块",
        "山坡地区块",
        "城北开山地块",
        "白莲区块",
        "展茅",
        "东港",
        "六横",
        "桃花岛",
        "葫芦岛",
        "大小双山",
    ):
        assert any(name in (b or "") for b in blocks), name
    assert {"ecological_redline", "basic_farmland", "ugb"} <= kinds


def test_load_twice_gives_identical_rows(empty_engine: sa.Engine, sample_dir: Path) -> None:
    first = _load(empty_engine, sample_dir)
    counts, fp = _counts(empty_engine), _fingerprint(empty_engine)
    assert counts["site"] == first.inserted["sites"] >= 60
    second = _load(empty_engine, sample_dir)
    assert second.inserted["sites"] == 0 and second.updated["sites"] == counts["site"]
    assert _counts(empty_engine) == counts
    assert _fingerprint(empty_engine) == fp  # versions unchanged: nothing really changed


def test_areas_agree_with_independent_gauss_krueger_computation(engine: sa.Engine) -> None:
    to_gk = Transformer.from_crs(4490, 4550, always_xy=True).transform
    with engine.connect() as c:
        rows = c.execute(
            sa.text("SELECT code, ST_AsBinary(geom) g, area_m2, area_mu, area_ha FROM site")
        ).all()
    assert rows
    for r in rows:
        gk_area = shapely.transform(wkb.loads(bytes(r.g)), lambda xy: _stack(to_gk(*xy.T))).area
        assert abs(r.area_m2 - gk_area) / gk_area < 0.001, r.code
        assert r.area_mu == pytest.approx(r.area_m2 / 666.67, rel=1e-4)
        assert r.area_mu == pytest.approx(r.area_m2 / M2_PER_MU, rel=1e-12)
        assert r.area_ha == pytest.approx(r.area_m2 / 10000, rel=1e-12)


def _stack(xy: tuple) -> np.ndarray:
    import numpy as np

    return np.column_stack(xy)


def _mutate(src: Path, dst: Path, layer: str, fn) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)
    path = dst / layer
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _second_site_code(data: dict) -> str:
    return data["features"][1]["properties"]["code"]


BOWTIE = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[122.30, 29.95], [122.31, 29.96], [122.31, 29.95], [122.30, 29.96], [122.30, 29.95]]]
    ],
}
FAR_AWAY = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[121.00, 31.00], [121.01, 31.00], [121.01, 31.01], [121.00, 31.01], [121.00, 31.00]]]
    ],
}


def _set_geom(geom):
    def fn(d: dict) -> None:
        d["features"][1]["geometry"] = geom

    return fn


def _set_prop(name: str, value):
    def fn(d: dict) -> None:
        d["features"][1]["properties"][name] = value

    return fn


def _duplicate_code(d: dict) -> None:
    d["features"][1]["properties"]["code"] = d["features"][0]["properties"]["code"]


def _drop_crs(d: dict) -> None:
    d.pop("crs", None)


CASES = [
    ("invalid geometry", _set_geom(BOWTIE), "invalid geometry: Self-intersection"),
    ("empty geometry", _set_geom({"type": "MultiPolygon", "coordinates": []}), "empty"),
    ("null geometry", _set_geom(None), "has no geometry"),
    ("outside jurisdiction", _set_geom(FAR_AWAY), "outside the jurisdiction"),
    (
        "unknown availability",
        _set_prop("availability", "for_sale"),
        "unknown availability value 'for_sale'",
    ),
    ("unknown land use", _set_prop("planned_use", "999999"), "unknown land-use code '999999'"),
    ("wrong type", _set_prop("policy_progress_pct", 140), "above the maximum"),
    ("duplicate code", _duplicate_code, "duplicate code"),
    ("unknown field", _set_prop("owner_phone", "123"), "unknown field 'owner_phone'"),
]


@pytest.mark.parametrize("case,mutation,message", CASES, ids=[c[0] for c in CASES])
def test_bad_site_input_is_refused_and_nothing_written(
    case: str, mutation, message: str, empty_engine: sa.Engine, sample_dir: Path, scratch_dir: Path
) -> None:
    data = json.loads((sample_dir / "sites.geojson").read_text(encoding="utf-8"))
    bad_code = (
        data["features"][0]["properties"]["code"]
        if case == "duplicate code"
        else _second_site_code(data)
    )
    _mutate(sample_dir, scratch_dir, "sites.geojson", mutation)
    before = _counts(empty_engine)
    with pytest.raises(LoadError) as err:
        _load(empty_engine, scratch_dir)
    text = str(err.value)
    assert message in text
    assert "sites feature #2" in text and bad_code in text
    # an empty deployment holds its districts (users need them) and nothing else
    assert _counts(empty_engine) == before == dict.fromkeys(TABLES, 0) | {"jurisdiction": 2}


def test_bad_input_leaves_loaded_database_unchanged(
    make_db, sample_dir: Path, scratch_dir: Path
) -> None:
    eng = make_engine(make_db("sample"))
    try:
        counts, fp = _counts(eng), _fingerprint(eng)

        def fn(d: dict) -> None:
            d["features"][0]["properties"]["name_zh"] = "改名"  # a valid change …
            d["features"][5]["properties"]["kind"] = "castle"  # … and a bad one

        _mutate(sample_dir, scratch_dir, "sites.geojson", fn)
        with pytest.raises(LoadError, match="unknown site_kind value 'castle'"):
            _load(eng, scratch_dir)
        assert _counts(eng) == counts and _fingerprint(eng) == fp
    finally:
        eng.dispose()


def test_building_referencing_unknown_site_is_refused(
    empty_engine: sa.Engine, sample_dir: Path, scratch_dir: Path
) -> None:
    def fn(rows: list) -> None:
        rows[0]["site_code"] = "PT-NOPE-999"

    _mutate(sample_dir, scratch_dir, "buildings.json", fn)
    with pytest.raises(LoadError, match="site_code 'PT-NOPE-999' is not a known site"):
        _load(empty_engine, scratch_dir)
    assert _counts(empty_engine)["site"] == 0


def _sites_as(sample_dir: Path, dst: Path, fmt: str, crs) -> None:
    import geopandas as gpd

    shutil.copytree(sample_dir, dst, dirs_exist_ok=True)
    (dst / "sites.geojson").unlink()
    gdf = gpd.read_file(sample_dir / "sites.geojson")
    gdf = gdf.to_crs(crs) if crs else gdf.set_crs(None, allow_override=True)
    for col in ("utilities", "photo_urls"):  # list fields travel as comma-separated text
        gdf[col] = gdf[col].map(lambda v: ",".join(v) if v is not None else None)
    if fmt == "shp":  # shapefile field names are limited to 10 characters
        gdf = gdf[["code", "name_zh", "kind", "availability", "geometry"]]
    gdf.to_file(dst / f"sites.{fmt}")


def test_file_without_crs_is_refused(
    empty_engine: sa.Engine, sample_dir: Path, scratch_dir: Path
) -> None:
    _sites_as(sample_dir, scratch_dir, "shp", None)
    with pytest.raises(LoadError, match=r"sites\.shp declares no CRS"):
        _load(empty_engine, scratch_dir)
    assert _counts(empty_engine)["site"] == 0


def test_projected_crs_is_transformed_to_storage_crs(
    empty_engine: sa.Engine, engine: sa.Engine, sample_dir: Path, scratch_dir: Path
) -> None:
    _sites_as(sample_dir, scratch_dir, "gpkg", 4550)  # CGCS2000 3-degree Gauss-Krueger, 123E
    report = _load(empty_engine, scratch_dir)
    assert report.inserted["sites"] >= 60
    sql = sa.text("SELECT code, area_m2 FROM site ORDER BY code")
    with empty_engine.connect() as a, engine.connect() as b:
        got, want = a.execute(sql).all(), b.execute(sql).all()
    assert [r.code for r in got] == [r.code for r in want]
    for g, w in zip(got, want, strict=True):
        assert g.area_m2 == pytest.approx(w.area_m2, rel=1e-6)
