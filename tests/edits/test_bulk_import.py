"""The bulk import path (issue 24, item 1): a file above the bulk threshold is staged with COPY
and its sites' history and derived tables are computed per statement — and the database ends
exactly as the per-row path leaves it.

The same GBK shapefile with Chinese headers (new parcels, moved and renamed sample sites) is
imported into two fresh copies of the sample, each with open requirements, a saved search and
三调 parcels so that every derived table has work: once row by row, once in bulk. Every table
the import writes to or derives must then hold the same rows (ids and row order of append-only
logs aside, timestamps aside).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry

from gis_app.db.engine import make_engine
from gis_app.db.site_queries import SiteFilter
from gis_app.domain import vocab
from gis_app.io.imports import ImportOptions, UploadLimits, checks, report_json
from gis_app.services import requirements as requirement_service
from gis_app.services import saved_searches
from gis_app.services.imports import import_file

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

N_NEW = 240
#: a change to the sender's rows (given the blocking zones' union)
Edit = Callable[[list[dict[str, Any]], BaseGeometry], list[dict[str, Any]]]
#: every table the import of sites writes or derives: (table, columns that are not content)
#: (timestamps, e.g. created_at, since, are never content: they are left out of every table)
DERIVED = {
    "site": (),
    "history": ("id",),
    "site_current_use": (),
    "site_distance": (),
    "site_constraint_overlap": (),
    "match_unit": ("id",),
    "requirement_match": ("id",),
    "alert": ("id",),
    "saved_search_match": ("id",),
}
ROW_BY_ROW = UploadLimits(bulk_min_features=10**9)
#: the bulk path in chunks of 100 rows: the file's 270 rows are checked and written in three
BULK = UploadLimits(bulk_min_features=1, bulk_chunk_rows=100)


def _prepare(url: str) -> None:
    """Open requirements, a saved search and 三调 parcels: matches, alerts, current-use shares."""
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            requirement_service.create_requirement(
                c, {"project_name": "一类工业项目", "need": "land", "land_use_codes": ["M1"]}, "li"
            )
            requirement_service.create_requirement(
                c, {"project_name": "任意用地", "need": "land", "land_mu_min": 0.1}, "wang"
            )
            saved_searches.save(c, "li", "工业用地", [("kind", "land")], SiteFilter(kind=["land"]))
        with eng.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO current_use_parcel (code, use_code, geom) "
                    "SELECT 'CU-' || id, CASE WHEN id % 2 = 0 THEN '0101' ELSE '0601' END, geom "
                    "FROM constraint_zone WHERE kind IN ('ugb', 'public_welfare_forest')"
                )
            )
    finally:
        eng.dispose()


def _sender_file(url: str, folder: Path, edit: Edit | None = None) -> Path:
    """A GBK shapefile with Chinese headers, as a planning bureau sends it: N_NEW new parcels
    on a grid (away from blocking zones; every third one available for M1 industry), 20 sample
    sites shrunk a little (outline moved) and 10 available ones renamed; ``edit`` changes the
    rows (given the blocking zones' union) before they are written."""
    eng = make_engine(url)
    with eng.connect() as c:
        outline = shapely.from_wkb(
            bytes(
                # the first district's: a parcel across a district boundary would be refused
                c.execute(
                    sa.text(
                        "SELECT ST_AsBinary(geom) FROM district"
                        " WHERE code = gis_app_home_district()"
                    )
                ).scalar()
            )
        )
        blocking = shapely.from_wkb(
            bytes(
                c.execute(
                    sa.text(
                        "SELECT ST_AsBinary(ST_Union(geom)) FROM constraint_zone "
                        "WHERE kind IN ('ecological_redline', 'basic_farmland')"
                    )
                ).scalar()
            )
        )
        moved = c.execute(
            sa.text(
                "SELECT code, name_zh, kind, availability, legacy_use, ST_AsBinary(geom) g "
                "FROM site WHERE availability <> 'available' ORDER BY code LIMIT 20"
            )
        ).all()
        renamed = c.execute(
            sa.text(
                "SELECT code, name_zh, kind, availability, legacy_use, ST_AsBinary(geom) g "
                "FROM site WHERE availability = 'available' ORDER BY code LIMIT 10"
            )
        ).all()
    eng.dispose()
    island = max(shapely.get_parts(outline), key=lambda p: p.area).buffer(-0.001)
    away = blocking.buffer(0.0005)
    x0, y0, x1, y1 = island.bounds
    step, side = 0.0012, 0.0008
    xs, ys = np.meshgrid(np.arange(x0, x1, step), np.arange(y0, y1, step))
    boxes = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + side, ys.ravel() + side)
    boxes = boxes[shapely.covers(island, boxes) & ~shapely.intersects(away, boxes)][:N_NEW]
    assert len(boxes) == N_NEW
    rows = [
        {
            "地块编号": f"PT-BULK-{i:04d}",
            # text that COPY must escape (a tab, a backslash, "\N", a line break) now and then
            "地块名称": f"批量导入地块{i}号" + ("\t\\N 旧编号 C:\\图\n" if i % 7 == 0 else ""),
            "资源类型": "土地",
            "招商状态": "可招商" if i % 3 == 0 else "暂不可用",
            "用地性质": "M1" if i % 2 == 0 else "M2",
            "容积率": "1.0-2.0",
            "geometry": box,
        }
        for i, box in enumerate(boxes)
    ]
    for r, what, scale in [*((r, "调整", 0.97) for r in moved), *((r, "更名", 1) for r in renamed)]:
        rows.append(
            {
                "地块编号": r.code,
                "地块名称": f"{r.name_zh}（{what}）",
                "资源类型": vocab.SITE_KIND.term(r.kind).zh,
                "招商状态": vocab.AVAILABILITY.term(r.availability).zh,
                "用地性质": r.legacy_use,
                "容积率": None,
                "geometry": shapely.affinity.scale(
                    shapely.from_wkb(bytes(r.g)), scale, scale, origin="centroid"
                ),
            }
        )
    if edit is not None:
        rows = edit(rows, blocking)
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4490")
    out = folder / "地块"
    out.mkdir(exist_ok=True)
    gdf.to_file(out / "parcels.shp", encoding="GBK", engine="pyogrio")
    (out / "parcels.cpg").unlink(missing_ok=True)  # as ArcGIS 9 / many bureaus: no .cpg
    return out / "parcels.shp"


def _content(url: str) -> dict[str, list[str]]:
    """Every derived table's rows as sorted JSON text, without ids and timestamps."""
    eng = make_engine(url)
    out: dict[str, list[str]] = {}
    with eng.connect() as c:
        for table, skip in DERIVED.items():
            stamps = c.execute(
                sa.text(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                    "AND table_schema = current_schema() AND data_type LIKE 'timestamp%'"
                ),
                {"t": table},
            ).scalars()
            drop = "".join(f" - '{col}'" for col in (*skip, *stamps))
            # an insert's history holds the row's created_at: a timestamp, not content
            fix = (
                "jsonb_set(j, '{changes}', (j -> 'changes') - 'created_at' - 'updated_at')"
                if table == "history"
                else "j"
            )
            out[table] = list(
                c.execute(
                    sa.text(
                        f"SELECT ({fix})::text FROM (SELECT to_jsonb(t){drop} AS j FROM {table} t"
                        # the import writes the history of sites (requirements' hold clocks)
                        + (" WHERE table_name = 'site'" if table == "history" else "")
                        + ") x ORDER BY 1"
                    )
                ).scalars()
            )
    eng.dispose()
    return out


def _phases(ticks: list[tuple[str, int, int]]) -> list[str]:
    """The phases in the order shown, each once."""
    return [p for k, (p, _, _) in enumerate(ticks) if k == 0 or ticks[k - 1][0] != p]


def _import(
    url: str,
    path: Path,
    limits: UploadLimits,
    ticks: list[tuple[str, int, int]],
    *,
    full_report: bool = True,
):
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            return import_file(
                c,
                path,
                ImportOptions(
                    note="2026年控规调整", doc_ref="舟政发〔2026〕12号", full_report=full_report
                ),
                user="planner-zhang",
                limits=limits,
                progress=lambda phase, done, total: ticks.append((phase, done, total)),
            )
    finally:
        eng.dispose()


def test_bulk_and_row_by_row_imports_leave_equal_databases(make_db, scratch_dir: Path) -> None:
    row_url, bulk_url = make_db("sample"), make_db("sample")
    for url in (row_url, bulk_url):
        _prepare(url)
    path = _sender_file(row_url, scratch_dir)
    before = _content(row_url)
    assert before == _content(bulk_url)

    row_ticks: list[tuple[str, int, int]] = []
    bulk_ticks: list[tuple[str, int, int]] = []
    by_row = _import(row_url, path, ROW_BY_ROW, row_ticks)
    in_bulk = _import(bulk_url, path, BULK, bulk_ticks)

    assert by_row.committed and in_bulk.committed, in_bulk.summary()
    assert (
        by_row.counts()
        == in_bulk.counts()
        == {
            "insert": N_NEW,
            "update": 30,
            "unchanged": 0,
            "rejected": 0,
        }
    )
    assert by_row.as_dict(10_000) == in_bulk.as_dict(10_000)  # the same per-row report
    # the progress: one pass checks, stages, compares, then writes; the chunks are written
    # while the next are checked (the rows written so far)
    assert _phases(row_ticks) == [
        "reading",
        "checking",
        "staging",
        "comparing",
        "writing",
        "committing",
        "done",
    ]
    assert _phases(bulk_ticks) == ["reading", "checking", "writing", "committing", "done"]
    assert [d for p, d, _ in bulk_ticks if p == "writing"] == [0, 100, 100, 200, 200, N_NEW + 30]
    after_row, after_bulk = _content(row_url), _content(bulk_url)
    for table in DERIVED:
        assert after_row[table] == after_bulk[table], table
    # and the import had work for every one of them
    for table in DERIVED:
        assert len(after_bulk[table]) > len(before[table]), table
    eng = make_engine(bulk_url)
    with eng.connect() as c:
        hist = c.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE action = 'insert'), "
                "count(*) FILTER (WHERE action = 'update'), "
                "bool_and(note = '2026年控规调整' AND doc_ref = '舟政发〔2026〕12号') "
                "FROM history WHERE table_name = 'site' AND changed_by = 'planner-zhang'"
            )
        ).one()
        escaped = c.execute(
            sa.text("SELECT count(*) FROM site WHERE name_zh LIKE :n"),
            {"n": "%号\t\\\\N 旧编号 C:\\\\图"},
        ).scalar_one()
        reasons = c.execute(
            sa.text("SELECT count(*) FROM alert WHERE reason LIKE '%新增地块 / new site'")
        ).scalar_one()
    eng.dispose()
    assert tuple(hist) == (N_NEW, 30, True)
    assert reasons > 0
    assert escaped == len(range(0, N_NEW, 7))  # tabs and backslashes kept, "\N" not a NULL


def test_a_large_files_report_keeps_what_the_rows_it_lists_wrote(
    make_db, scratch_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written in chunks, a file's report keeps the values of the rows it lists (the first
    ``REPORT_ROWS``; 50 here) and lets go of the others' as each chunk is written: the listed
    rows are those of the full report, the rest carry no values, a longer list is refused."""
    monkeypatch.setattr(checks, "REPORT_ROWS", 50)
    full_url, url = make_db("sample"), make_db("sample")
    path = _sender_file(full_url, scratch_dir)
    full = _import(full_url, path, BULK, [])
    short = _import(url, path, BULK, [], full_report=False)
    assert full.committed and short.committed, short.summary()
    assert full.values_kept is None and short.values_kept == 50
    assert short.as_dict(50) == full.as_dict(50)
    assert all(r.values for r in short.rows[:50])  # every listed row wrote values
    assert not any(r.values for r in short.rows[50:])
    assert [r.values for r in full.rows[50:]] != [{}] * (len(full.rows) - 50)
    assert short.counts() == full.counts()
    assert report_json(short, max_rows=50) == report_json(full, max_rows=50)
    with pytest.raises(ValueError, match="keeps the written values of 50 rows"):
        short.as_dict(51)
    assert _content(url) == _content(full_url)


def test_direct_sql_edits_keep_their_row_triggers(make_db) -> None:
    """QGIS and psql never set the bulk switch: one UPDATE of many sites still writes one
    history row per site, with the version bumped and the derived rows kept — and a writer
    that does set it gets the very same rows from the statement triggers."""
    urls = make_db("sample"), make_db("sample")
    for url, bulk in zip(urls, (False, True), strict=True):
        eng = make_engine(url)
        with eng.begin() as c:
            if bulk:
                c.execute(sa.text("SELECT set_config('gis_app.bulk_apply', 'on', true)"))
            c.execute(sa.text("SET LOCAL application_name = 'QGIS'"))
            c.execute(
                sa.text(
                    "UPDATE site SET name_zh = name_zh || '（QGIS）', "
                    "geom = ST_Multi(ST_Scale(geom, ST_MakePoint(0.99, 0.99), "
                    "ST_Centroid(geom))) WHERE availability <> 'available'"
                )
            )
        with eng.connect() as c:
            n = c.execute(
                sa.text(
                    "SELECT count(*) FROM history WHERE table_name = 'site' "
                    "AND application_name = 'QGIS' AND changes ? 'geom' AND changes ? 'name_zh'"
                )
            ).scalar_one()
            edited = c.execute(
                sa.text("SELECT count(*) FROM site WHERE availability <> 'available'")
            ).scalar_one()
        eng.dispose()
        assert n == edited > 0
    assert _content(urls[0]) == _content(urls[1])


# --- the bulk path writes a large file in chunks while the next are checked
# (gis_app.io.imports.pipeline): a file it cannot write chunk by chunk gets exactly the
# report of one pass over the whole file, and nothing is written.


def _late_bad_value(rows: list[dict[str, Any]], _: BaseGeometry) -> list[dict[str, Any]]:
    """A row of the last chunk with an availability no vocabulary knows."""
    rows[260]["招商状态"] = "也许可以"
    return rows


def _late_blocked(rows: list[dict[str, Any]], blocking: BaseGeometry) -> list[dict[str, Any]]:
    """A new available parcel of the last chunk drawn on a blocking zone."""
    p = blocking.representative_point()
    rows[231] |= {"招商状态": "可招商", "geometry": shapely.box(p.x, p.y, p.x + 2e-4, p.y + 2e-4)}
    return rows


def _late_duplicate(rows: list[dict[str, Any]], _: BaseGeometry) -> list[dict[str, Any]]:
    """A row of the last chunk with the code of a row of the first."""
    rows[250]["地块编号"] = rows[5]["地块编号"]
    return rows


def _zeros_across_chunks(rows: list[dict[str, Any]], _: BaseGeometry) -> list[dict[str, Any]]:
    """The renamed site ``00123`` (the last chunk) also in the first chunk as ``123``, the
    way a spreadsheet drops leading zeros: the one pass refuses it (the code collides)."""
    first = next(r for r in rows if r["地块编号"] == "00123")
    rows[3] = dict(first, 地块编号="123")
    return rows


LATE_REFUSALS = {
    "a value refused in the last chunk": (_late_bad_value, "column_problem"),
    "a blocking zone under a parcel of the last chunk": (_late_blocked, "blocked_by_zone"),
    "a code of the first chunk again in the last": (_late_duplicate, "duplicate_code"),
    "a code's lost zeros put back onto a code of a later chunk": (
        _zeros_across_chunks,
        "code_zeros_collide",
    ),
}


def _zero_padded_site(url: str) -> None:
    """One available sample site coded ``00123`` (codes typed as digits in a spreadsheet)."""
    eng = make_engine(url)
    with eng.begin() as c:
        c.execute(
            sa.text(
                "UPDATE site SET code = '00123' WHERE code = (SELECT min(code) FROM site "
                "WHERE availability = 'available')"
            )
        )
    eng.dispose()


def test_a_refusal_after_chunks_were_written_rolls_back_and_reports_as_one_pass(
    make_db, scratch_dir: Path
) -> None:
    row_url, bulk_url = make_db("sample"), make_db("sample")
    for url in (row_url, bulk_url):
        _prepare(url)
        _zero_padded_site(url)
    before = _content(bulk_url)
    for name, (edit, code) in LATE_REFUSALS.items():
        folder = scratch_dir / code
        folder.mkdir()
        path = _sender_file(row_url, folder, edit)
        one_pass: list[tuple[str, int, int]] = []
        chunked: list[tuple[str, int, int]] = []
        by_row = _import(row_url, path, ROW_BY_ROW, one_pass)
        in_bulk = _import(bulk_url, path, BULK, chunked)
        assert not in_bulk.committed and not in_bulk.ok, name
        refused = {p.code for r in in_bulk.rows for p in r.refusals}
        assert code in refused, (name, refused)
        # the same per-row report as one pass over the file gives
        assert in_bulk.as_dict(10_000) == by_row.as_dict(10_000), name
        # chunks had been written before the refusal (the fallback reports, nothing is left)
        written = [d for p, d, _ in chunked if p == "writing"]
        assert 100 in written, (name, written)
        assert _content(bulk_url) == before, name
        assert _content(row_url) == before, name


def _kind_given_late(rows: list[dict[str, Any]], _: BaseGeometry) -> list[dict[str, Any]]:
    """The 30 updates first, their kind left blank (a blank required cell keeps the stored
    value), then the new parcels with theirs: the first chunks give no ``kind`` field."""
    updates = [dict(r, 资源类型=None) for r in rows[N_NEW:]]
    return updates + rows[:N_NEW]


def test_a_field_first_given_by_a_later_chunk_is_written_as_in_one_pass(
    make_db, scratch_dir: Path
) -> None:
    row_url, bulk_url = make_db("sample"), make_db("sample")
    path = _sender_file(row_url, scratch_dir, _kind_given_late)
    chunked: list[tuple[str, int, int]] = []
    by_row = _import(row_url, path, ROW_BY_ROW, [])
    in_bulk = _import(
        bulk_url, path, UploadLimits(bulk_min_features=1, bulk_chunk_rows=10), chunked
    )
    assert by_row.committed and in_bulk.committed, in_bulk.summary()
    assert in_bulk.as_dict(10_000) == by_row.as_dict(10_000)
    # the chunks without the field were written, then rolled back; one pass wrote the file
    assert [d for p, d, _ in chunked if p == "writing"][:6] == [0, 10, 10, 20, 20, 30]
    assert _phases(chunked) == [
        "reading",
        "checking",
        "writing",  # the chunks
        "checking",
        "staging",
        "comparing",
        "writing",
        "committing",
        "done",  # one pass
    ]
    assert _content(row_url) == _content(bulk_url)


class _Cancelled(Exception):
    pass


def test_a_cancel_while_chunks_are_written_stops_the_checking_thread(
    make_db, scratch_dir: Path
) -> None:
    url = make_db("sample")
    path = _sender_file(url, scratch_dir)
    before = _content(url)

    def cancel_at_first_chunk(phase: str, done: int, total: int) -> None:
        if phase == "writing":
            raise _Cancelled

    eng = make_engine(url)
    try:
        with eng.connect() as c, pytest.raises(_Cancelled):
            import_file(
                c,
                path,
                ImportOptions(note="取消"),
                user="planner-zhang",
                limits=BULK,
                progress=cancel_at_first_chunk,
            )
    finally:
        eng.dispose()
    assert not [t for t in threading.enumerate() if t.name == "gis_app_import_check"]
    assert _content(url) == before
