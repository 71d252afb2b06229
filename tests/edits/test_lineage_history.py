"""Split and merge with lineage; history with the right actor; as_of rebuilds past states."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from shapely import wkb
from shapely.geometry import LineString, mapping

from gis_app.domain.errors import (
    GeometryRejected,
    InvalidInput,
    NotFound,
    ReasonRequired,
    RetiredSite,
)
from gis_app.services import history as hist
from gis_app.services import site_edits as se


def _row(engine: sa.Engine, site_id: int) -> dict:
    with engine.connect() as c:
        return dict(
            c.execute(
                sa.text(
                    "SELECT s.*, ST_AsBinary(s.geom) AS wkb, to_jsonb(s) AS state FROM site s "
                    "WHERE id = :i"
                ),
                {"i": site_id},
            )
            .mappings()
            .one()
        )


def _cut_line(engine: sa.Engine, site_id: int) -> dict:
    g = wkb.loads(bytes(_row(engine, site_id)["wkb"]))
    x = g.centroid.x
    _, y0, _, y1 = g.bounds
    return mapping(LineString([(x, y0 - 0.001), (x, y1 + 0.001)]))


def _split(engine, site_id: int, version: int, **kw) -> se.EditResult:
    with engine.connect() as c:
        return se.split_site(
            c,
            site_id,
            expected_version=version,
            user="planner.li",
            line=_cut_line(engine, site_id),
            crs="EPSG:4490",
            **kw,
        )


def test_split_by_line_keeps_lineage_areas_and_retires_the_parent(
    edit_engine, site_ids, version
) -> None:
    sid = site_ids["PT-KF-001"]
    parent = _row(edit_engine, sid)
    r = _split(edit_engine, sid, parent["version"], note="分宗出让", doc_ref="普自然资〔2026〕8号")
    assert [c["code"] for c in r.children] == ["PT-KF-001-1", "PT-KF-001-2"]
    total = sum(c["area_m2"] for c in r.children)
    assert total == pytest.approx(parent["area_m2"], rel=1e-4)
    for c in r.children:
        child = _row(edit_engine, c["id"])
        assert child["parent_ids"] == [sid]
        assert child["availability"] == parent["availability"]
        assert child["planned_use"] == parent["planned_use"]
        assert child["declared_area_mu"] is None
    retired = _row(edit_engine, sid)
    assert retired["retired_at"] is not None and retired["availability"] == "unavailable"
    # search, map and exports show the children, not the retired parent (unless asked)
    import json

    from gis_app.db.site_queries import SiteFilter, site_features

    def codes(flt: SiteFilter) -> set[str]:
        with edit_engine.connect() as c:
            return {json.loads(f)["properties"]["code"] for f in site_features(c, flt, limit=10)}

    assert codes(SiteFilter(q="PT-KF-001")) == {"PT-KF-001-1", "PT-KF-001-2"}
    assert "PT-KF-001" in codes(SiteFilter(q="PT-KF-001", include_retired=True))
    # a retired parcel refuses edits, from the app and from QGIS
    with edit_engine.connect() as c, pytest.raises(RetiredSite, match="PT-KF-001"):
        se.update_site(
            c, sid, {"blocking_note": "x"}, expected_version=retired["version"], user="p"
        )
    with edit_engine.connect() as c, pytest.raises(sa.exc.DBAPIError) as e:
        c.execute(sa.text("UPDATE site SET name_zh = 'x' WHERE id = :i"), {"i": sid})
    assert e.value.orig.pgcode == "GA002"
    # history follows: the child's history holds the parent's entries and the split note
    with edit_engine.connect() as c:
        h = hist.site_history(c, r.children[0]["id"])
        children = hist.site_history(c, sid)["children"]
    assert h["parents"] == [{"id": sid, "code": "PT-KF-001"}]
    notes = [e["note"] for e in h["entries"]]
    assert any(n and n.startswith("split of PT-KF-001 into") and "分宗出让" in n for n in notes)
    assert any(e["site_code"] == "PT-KF-001" for e in h["entries"])
    assert children[0]["code"] == "PT-KF-001-1"


def test_split_needs_a_home_for_each_building(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-DG-003"]
    v = version(edit_engine, sid)
    with pytest.raises(InvalidInput, match="has buildings"):
        _split(edit_engine, sid, v)
    with edit_engine.connect() as c:
        codes = list(
            c.execute(
                sa.text("SELECT code FROM building WHERE site_id = :i ORDER BY code"), {"i": sid}
            ).scalars()
        )
    mapping_ = {code: (1 if i == 0 else "PT-DG-003-B") for i, code in enumerate(codes)}
    r = _split(
        edit_engine,
        sid,
        v,
        buildings=mapping_,
        children=[{"code": "PT-DG-003-A"}, {"code": "PT-DG-003-B", "availability": "reserved"}],
    )
    a, b = r.children
    with edit_engine.connect() as c:
        on = dict(
            c.execute(
                sa.text("SELECT code, site_id FROM building WHERE code = ANY(:c)"), {"c": codes}
            ).all()
        )
    assert on[codes[0]] == a["id"] and all(on[k] == b["id"] for k in codes[1:])
    assert b["availability"] == "reserved"


def test_split_parts_must_tile_the_parent(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-KF-002"]
    g = wkb.loads(bytes(_row(edit_engine, sid)["wkb"]))
    x0, y0, x1, y1 = g.bounds
    xm = (x0 + x1) / 2
    import shapely

    west = shapely.box(x0 - 0.001, y0 - 0.001, xm, y1 + 0.001).intersection(g)
    east = shapely.box(xm, y0 - 0.001, x1 + 0.001, y1 + 0.001).intersection(g)
    v = version(edit_engine, sid)
    with edit_engine.connect() as c:
        with pytest.raises(GeometryRejected, match="uncovered"):
            se.split_site(
                c,
                sid,
                expected_version=v,
                user="p",
                parts=[mapping(west), mapping(west)],
                crs="EPSG:4490",
            )
        with pytest.raises(GeometryRejected, match="overlap"):
            se.split_site(
                c,
                sid,
                expected_version=v,
                user="p",
                parts=[mapping(g), mapping(east)],
                crs="EPSG:4490",
            )
        r = se.split_site(
            c,
            sid,
            expected_version=v,
            user="p",
            parts=[mapping(west), mapping(east)],
            crs="EPSG:4490",
        )
    assert sum(ch["area_m2"] for ch in r.children) == pytest.approx(r.area_before_m2, rel=1e-4)


def test_merge_adjacent_parcels_adds_areas_and_keeps_lineage(edit_engine, site_ids) -> None:
    sid = site_ids["PT-KF-008"]
    parent = _row(edit_engine, sid)
    a, b = _split(edit_engine, sid, parent["version"]).children
    with edit_engine.connect() as c:
        r = se.merge_sites(
            c,
            [a["id"], b["id"]],
            expected_versions={a["id"]: a["version"], b["id"]: b["version"]},
            user="planner.li",
            values={"code": "PT-KF-008-M", "name_zh": "合并地块"},
        )
    merged = _row(edit_engine, r.id)
    assert merged["parent_ids"] == [a["id"], b["id"]]
    assert merged["area_m2"] == pytest.approx(parent["area_m2"], rel=1e-4)
    assert all(_row(edit_engine, i)["retired_at"] is not None for i in (a["id"], b["id"]))
    with edit_engine.connect() as c:
        h = hist.site_history(c, r.id)
    assert {p["code"] for p in h["parents"]} == {"PT-KF-008", "PT-KF-008-1", "PT-KF-008-2"}


def test_merge_of_distant_parcels_needs_a_reason(edit_engine, site_ids, version) -> None:
    ids = [site_ids["PT-LH-001"], site_ids["PT-ZM-001"]]
    versions = {i: version(edit_engine, i) for i in ids}
    with edit_engine.connect() as c:
        with pytest.raises(ReasonRequired, match="not adjacent"):
            se.merge_sites(c, ids, expected_versions=versions, user="p")
        r = se.merge_sites(c, ids, expected_versions=versions, user="p", note="打包招商")
    assert "separate groups" in r.notes[0]
    assert r.area_m2 == pytest.approx(r.area_before_m2, rel=1e-6)


def _now(engine: sa.Engine) -> dt.datetime:
    with engine.connect() as c:
        return c.execute(sa.text("SELECT clock_timestamp()")).scalar()


def test_history_records_app_and_qgis_edits_and_as_of_rebuilds_each_state(
    edit_engine, site_ids, version
) -> None:
    sid = site_ids["PT-CB-002"]
    n = 3
    before = _now(edit_engine)
    states = [(_now(edit_engine), _row(edit_engine, sid)["state"])]
    for i in range(n):
        v = version(edit_engine, sid)
        with edit_engine.connect() as c:
            se.update_site(
                c,
                sid,
                {"policy_progress_pct": 66 + i, "blocking_note": f"app {i}"},
                expected_version=v,
                user="planner.zhou",
                note=f"step {i}",
            )
        states.append((_now(edit_engine), _row(edit_engine, sid)["state"]))
        with edit_engine.begin() as qgis:
            qgis.execute(sa.text("SET LOCAL application_name = 'QGIS'"))
            qgis.execute(
                sa.text(
                    "UPDATE site SET geom = ST_Multi(ST_Translate(geom, 0.00001, 0)), "
                    "internal_note = :n WHERE id = :i"
                ),
                {"i": sid, "n": f"qgis {i}"},
            )
        states.append((_now(edit_engine), _row(edit_engine, sid)["state"]))
    with edit_engine.connect() as c:
        h = hist.site_history(c, sid)
        recent = [e for e in h["entries"] if e["changed_at"] > before]
        assert len(recent) == 2 * n
        app = [e for e in recent if e["app_user"] == "planner.zhou"]
        qgis = [e for e in recent if e["application_name"] == "QGIS"]
        assert len(app) == n and len(qgis) == n
        assert all(e["changed_by"].endswith("via QGIS") and e["app_user"] is None for e in qgis)
        assert all(e["changes"]["geom"]["changed"] for e in qgis)
        for moment, state in states:
            rebuilt = hist.site_state_as_of(c, sid, hist.AsOf("timestamp", moment))
            expected = {k: v for k, v in state.items() if k != "updated_at"}
            assert {k: v for k, v in rebuilt.items() if k != "updated_at"} == expected
        # the GeoJSON form carries the past geometry and the as_of marker
        first = hist.site_feature_as_of(c, sid, hist.AsOf("timestamp", states[0][0]))
        assert '"as_of"' in first and '"blocking_note"' in first


def test_as_of_before_a_site_existed(edit_engine, site_ids) -> None:
    sid = site_ids["PT-KF-009"]
    with edit_engine.connect() as c:
        with pytest.raises(NotFound, match="did not exist"):
            hist.site_state_as_of(c, sid, hist.parse_as_of("2001-01-01"))
        with pytest.raises(NotFound):
            hist.site_state_as_of(c, 99_999_999, hist.parse_as_of("2001-01-01"))
    with pytest.raises(InvalidInput):
        hist.parse_as_of("yesterday")
    with pytest.raises(InvalidInput, match="time zone"):
        hist.parse_as_of("2026-01-01T10:00:00")


def test_merge_moves_the_buildings_to_the_new_site(edit_engine, site_ids, version) -> None:
    ids = [site_ids["PT-DG-003"], site_ids["PT-DG-004"]]
    with edit_engine.connect() as c:
        before = c.execute(
            sa.text("SELECT count(*) FROM building WHERE site_id = ANY(:i)"), {"i": ids}
        ).scalar_one()
        r = se.merge_sites(
            c,
            ids,
            expected_versions={i: version(edit_engine, i) for i in ids},
            user="p",
            note="同一业主整体招商",
        )
        moved = c.execute(
            sa.text("SELECT count(*) FROM building WHERE site_id = :i"), {"i": r.id}
        ).scalar_one()
    assert before == moved > 0
