"""A site export streams: PostGIS writes the selection once, the exporter reads it back in
batches and writes each as it comes. With batches far smaller than the sample, every format
still holds every site, read back by GDAL (``ogrinfo`` of Debian's GDAL 3.6 and pyogrio) or as
people open CSV and XLSX, with Chinese values, line breaks, quotes and "NA" intact."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from gis_app.db.engine import make_engine
from gis_app.db.site_queries import SiteFilter
from gis_app.io import export
from tests.needs import need

#: text that a CSV reader mistakes easily: a line break, a quote, a comma, pandas' "NA"
AWKWARD = '第一行，含逗号,\n第二行 "引号" 与 NA'


@pytest.fixture
def batches(monkeypatch) -> list[int]:
    """Batches of 24 KB of spooled rows (a few sites each) from spool files of 60 KB; the rows
    of each batch read."""
    monkeypatch.setattr(export, "BATCH_BYTES", 24 * 1024)
    monkeypatch.setattr(export, "PART_BYTES", 60 * 1024)
    seen: list[int] = []
    read = export._Spool.batches

    def counted(self: export._Spool) -> Iterator:
        for batch in read(self):
            seen.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(export._Spool, "batches", counted)
    return seen


@pytest.fixture
def conn(sample_url: str) -> Iterator[sa.Connection]:
    """A connection to the shared sample whose changes roll back; one site's description holds
    :data:`AWKWARD`, another's is empty text (not NULL), a third's is "NA"."""
    engine = make_engine(sample_url)
    with engine.connect() as c:
        codes = c.execute(sa.text("SELECT code FROM site ORDER BY code LIMIT 3")).scalars().all()
        for code, text in zip(codes, (AWKWARD, "", "NA"), strict=True):
            c.execute(
                sa.text("UPDATE site SET description_zh = :t WHERE code = :c"),
                {"t": text, "c": code},
            )
        yield c
        c.rollback()
    engine.dispose()


def _stored(conn: sa.Connection) -> dict[str, tuple]:
    rows = conn.execute(
        sa.text(
            "SELECT code, name_zh, availability, description_zh FROM site "
            "WHERE retired_at IS NULL ORDER BY code"
        )
    )
    return {r.code: (r.name_zh, r.availability, r.description_zh) for r in rows}


def _text(value: object) -> object:
    """Empty text, NULL and NaN alike (a Shapefile holds no NULL text)."""
    return None if value is None or value == "" or value != value else value


def _check(got: dict[str, tuple], stored: dict[str, tuple], labels: dict[str, str]) -> None:
    """Every stored site once, with its Chinese name, status label and description."""
    assert list(got) == list(stored)  # all of them, in code order
    for code, (name, availability, description) in stored.items():
        g_name, g_label, g_description = got[code]
        assert g_name == name
        assert g_label == labels[availability]
        assert _text(g_description) == _text(description), code
    assert AWKWARD in [d for _, _, d in got.values()]


def _gdal_rows(path: str) -> dict[str, tuple]:
    frame = pyogrio.read_dataframe(path)
    short = {"availability_zh": "avail_zh", "description_zh": "desc_zh"}
    cols = [c if c in frame.columns else short[c] for c in ("availability_zh", "description_zh")]
    return {r["code"]: (r["name_zh"], r[cols[0]], r[cols[1]]) for r in frame.to_dict("records")}


#: the CSV/XLSX header of the description
DESCRIPTION = export.column_header("description_zh")
AVAILABILITY = {t.key: t.zh for t in export.LABELLED["availability"]}


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("gpkg", {}), ("shp", {"encoding": "GBK"}), ("geojson", {}), ("csv", {}), ("xlsx", {})],
)
def test_a_streamed_export_holds_every_site(
    conn: sa.Connection, batches: list[int], scratch_dir: Path, fmt: str, options: dict
) -> None:
    out, notes = export.export_sites(conn, SiteFilter(), fmt, scratch_dir, **options)
    stored = _stored(conn)
    # more rows than one batch: the spool was read in several (the Shapefile reads it twice)
    assert len(batches) >= 3 and max(batches) < len(stored) == sum(batches) / (
        2 if fmt == "shp" else 1
    )
    assert notes == []
    if fmt in ("gpkg", "geojson"):
        need(shutil.which("ogrinfo") is not None, "ogrinfo (gdal-bin) is not installed")
        info = subprocess.run(
            ["ogrinfo", "-ro", "-al", "-geom=NO", str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert f"Feature Count: {len(stored)}" in info.stdout or fmt == "geojson"
        assert info.stdout.count("OGRFeature(sites)") == len(stored)
        assert "Warning" not in info.stderr and "ERROR" not in info.stderr, info.stderr
        assert "可招商" in info.stdout
        got = _gdal_rows(str(out))
    elif fmt == "shp":
        with zipfile.ZipFile(out) as zf:
            assert zf.read("sites.cpg") == b"GBK"
            dbf = zf.read("sites.dbf")
        first = next(iter(stored.values()))[0]
        assert first.encode("gbk") in dbf and first.encode("utf-8") not in dbf
        got = _gdal_rows(f"/vsizip/{out}/sites.shp")
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
        heads = rows[0]
        assert rows[1][0].startswith(export.DOC_PREFIX)  # the documentation row
        at = [heads.index(h) for h in ("编号", "名称", "招商状态", DESCRIPTION)]
        got = {r[at[0]]: (r[at[1]], r[at[2]], r[at[3]]) for r in rows[2:]}
        assert len(rows) - 2 == len(stored)
    else:
        ws = load_workbook(out, read_only=True)["sites"]
        rows = list(ws.iter_rows(values_only=True))
        heads = list(rows[0])
        at = [heads.index(h) for h in ("编号", "名称", "招商状态", DESCRIPTION)]
        got = {r[at[0]]: (r[at[1]], r[at[2]], r[at[3]]) for r in rows[1:]}
        assert len(rows) - 1 == len(stored)
    _check(got, stored, AVAILABILITY)


def test_a_refusal_while_streaming_leaves_no_file(
    conn: sa.Connection, batches: list[int], scratch_dir: Path
) -> None:
    """Text GBK cannot hold, in the last batch: refused naming the site, nothing written."""
    last = conn.execute(sa.text("SELECT max(code) FROM site")).scalar_one()
    conn.execute(sa.text("UPDATE site SET name_zh = '地块😀' WHERE code = :c"), {"c": last})
    from gis_app.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match=f"{last} name_zh"):
        export.export_sites(conn, SiteFilter(), "shp", scratch_dir, encoding="GBK")
    assert len(batches) >= 3
    assert list(scratch_dir.iterdir()) == []


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "csv", "xlsx"])
def test_each_site_carries_its_district_name_beside_the_code(
    conn: sa.Connection, scratch_dir: Path, fmt: str
) -> None:
    """A city-wide export names each site's district (the code alone says little to people)."""
    stored = dict(
        conn.execute(
            sa.text(
                "SELECT s.code, d.name_zh FROM site s JOIN district d ON d.code = s.district_code"
                " WHERE s.retired_at IS NULL"
            )
        ).all()
    )
    assert len(set(stored.values())) >= 2  # the sample's two districts
    options = {"encoding": "GBK"} if fmt == "shp" else {}
    out, _ = export.export_sites(conn, SiteFilter(), fmt, scratch_dir, **options)
    if fmt in ("gpkg", "shp"):
        path = f"/vsizip/{out}/sites.shp" if fmt == "shp" else str(out)
        frame = pyogrio.read_dataframe(path, read_geometry=False)
        column = "dist_name" if fmt == "shp" else "district_name_zh"
        got = dict(zip(frame["code"], frame[column], strict=True))
    else:
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
            heads, body = rows[0], rows[2:]
        else:
            rows = list(load_workbook(out, read_only=True)["sites"].iter_rows(values_only=True))
            heads, body = list(rows[0]), rows[1:]
        name_at = heads.index("所属行政区名称")
        assert heads[name_at - 1] == "所属行政区"  # right after the code
        got = {r[heads.index("编号")]: r[name_at] for r in body}
    assert got == stored


def test_the_spool_is_cut_into_files_of_whole_rows(
    conn: sa.Connection, scratch_dir: Path, monkeypatch
) -> None:
    """Every row in a file of its own (the smallest part): a row with a line break in a value
    is still one row, so each file reads back as whole sites and all of them once."""
    monkeypatch.setattr(export, "PART_BYTES", 1)
    stored = _stored(conn)
    spool = export._Spool.copy(conn, SiteFilter(), export._columns("csv", 4490), scratch_dir / "r")
    assert len(spool.paths) == len(stored)
    codes = [code for b in spool.batches() for code in b.column("code").to_pylist()]
    assert codes == list(stored)
    descriptions = [d for b in spool.batches() for d in b.column("description_zh").to_pylist()]
    assert AWKWARD in descriptions
