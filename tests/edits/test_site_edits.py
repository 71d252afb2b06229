"""Site edits through the service layer: versions, locks, reasons, blocking zones, geometry."""

from __future__ import annotations

import threading
import time

import pytest
import shapely
import sqlalchemy as sa
from shapely import wkb
from shapely.geometry import mapping

from gis_app.domain.error_vocab import message
from gis_app.domain.errors import (
    AvailabilityBlocked,
    EditConflict,
    GeometryRejected,
    InvalidInput,
    LockTimeout,
    PreconditionFailed,
    PreconditionRequired,
    ReasonRequired,
)
from gis_app.services import site_edits as se

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _geom(engine: sa.Engine, site_id: int):
    with engine.connect() as c:
        return wkb.loads(
            bytes(
                c.execute(
                    sa.text("SELECT ST_AsBinary(geom) FROM site WHERE id = :i"), {"i": site_id}
                ).scalar()
            )
        )


def _last_history(engine: sa.Engine, site_id: int) -> sa.Row:
    with engine.connect() as c:
        return c.execute(
            sa.text(
                "SELECT changes, changed_by, app_user, note, doc_ref FROM history "
                "WHERE table_name = 'site' AND row_id = :i ORDER BY id DESC LIMIT 1"
            ),
            {"i": site_id},
        ).one()


def test_status_update_bumps_version_and_records_who_why_and_document(
    edit_engine, site_ids, version
) -> None:
    sid = site_ids["PT-CB-001"]
    v = version(edit_engine, sid)
    with edit_engine.connect() as c:
        r = se.update_site(
            c,
            sid,
            {"policy_status": "agreements", "policy_progress_pct": 50, "verified_at": "2026-03-01"},
            expected_version=v,
            user="planner.wang",
            note="补偿协议签订过半",
            doc_ref="普政办〔2026〕12号",
            status_only=True,
        )
    assert r.changed and r.version == v + 1
    assert {c["field"] for c in r.changes} == {
        "policy_status",
        "policy_progress_pct",
        "verified_at",
        "verified_by",
    }
    h = _last_history(edit_engine, sid)
    assert h.changed_by == "planner.wang" and h.app_user == "planner.wang"
    assert h.note == "补偿协议签订过半" and h.doc_ref == "普政办〔2026〕12号"
    assert h.changes["policy_status"] == ["compensation_plan", "agreements"]
    assert h.changes["verified_by"][1] == "planner.wang"


def test_no_version_no_write_and_stale_version_412(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-CB-001"]
    v = version(edit_engine, sid)
    with edit_engine.connect() as c:
        with pytest.raises(PreconditionRequired):
            se.update_site(c, sid, {"blocking_note": "x"}, expected_version=None, user="p")
        with pytest.raises(PreconditionFailed) as e:
            se.update_site(c, sid, {"blocking_note": "x"}, expected_version=v - 1, user="p")
    assert e.value.current_version == v
    assert version(edit_engine, sid) == v


def test_plain_sql_edit_between_read_and_write_gives_412(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-KF-001"]
    v = version(edit_engine, sid)
    with edit_engine.begin() as qgis:
        qgis.execute(sa.text("SET LOCAL application_name = 'QGIS'"))
        qgis.execute(sa.text("UPDATE site SET blocking_note = 'QGIS' WHERE id = :i"), {"i": sid})
    with edit_engine.connect() as c, pytest.raises(PreconditionFailed, match="QGIS"):
        se.update_site(c, sid, {"readiness": "cleared"}, expected_version=v, user="p")


def test_two_edits_with_the_same_version_exactly_one_wins(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-KF-002"]
    v = version(edit_engine, sid)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def edit(note: str) -> None:
        with edit_engine.connect() as c:
            barrier.wait()
            try:
                se.update_site(c, sid, {"blocking_note": note}, expected_version=v, user=note)
                outcomes.append("ok")
            except PreconditionFailed:
                outcomes.append("412")

    threads = [threading.Thread(target=edit, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["412", "ok"]
    assert version(edit_engine, sid) == v + 1


def test_a_long_qgis_transaction_makes_the_edit_fail_fast(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-KF-007"]
    v = version(edit_engine, sid)
    with edit_engine.connect() as qgis:
        qgis.execute(sa.text("UPDATE site SET blocking_note = 'held' WHERE id = :i"), {"i": sid})
        t0 = time.monotonic()
        with edit_engine.connect() as c, pytest.raises(LockTimeout, match="locked"):
            se.update_site(c, sid, {"readiness": "raw"}, expected_version=v, user="p", note="n")
        assert time.monotonic() - t0 < 5
        qgis.rollback()
    assert version(edit_engine, sid) == v


def test_reason_rules_apply_and_nothing_is_written_when_refused(
    edit_engine, site_ids, version
) -> None:
    sid = site_ids["PT-ZM-003"]  # signed
    v = version(edit_engine, sid)
    with edit_engine.connect() as c:
        with pytest.raises(ReasonRequired, match="signed"):
            se.update_site(c, sid, {"availability": "available"}, expected_version=v, user="p")
        assert version(edit_engine, sid) == v
        r = se.update_site(
            c,
            sid,
            {"availability": "available"},
            expected_version=v,
            user="p",
            note="投资方解约",
        )
    assert r.changes[0]["needed_reason"]


def test_unknown_or_read_only_fields_are_named(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-KF-001"]
    v = version(edit_engine, sid)
    with edit_engine.connect() as c:
        with pytest.raises(InvalidInput) as e:
            se.update_site(
                c,
                sid,
                {"area_m2": 5, "availability": "sold", "colour": "red"},
                expected_version=v,
                user="p",
            )
        msg = str(e.value)
        assert "PT-KF-001" in msg and "area_m2 is read-only" in msg
        assert "unknown availability value 'sold'" in msg and "colour" in msg
        with pytest.raises(InvalidInput, match="cannot be edited here"):
            se.update_site(c, sid, {"name_zh": "x"}, expected_version=v, user="p", status_only=True)


def test_a_code_taken_by_another_site_is_named_in_both_languages(
    edit_engine, site_ids, version
) -> None:
    sid = site_ids["PT-KF-001"]
    taken = next(code for code in site_ids if code != "PT-KF-001")
    v = version(edit_engine, sid)
    with edit_engine.connect() as c, pytest.raises(EditConflict) as e:
        se.update_site(c, sid, {"code": taken}, expected_version=v, user="p")
    assert "already exists" in str(e.value)
    (problem,) = e.value.refusals
    assert (problem.code, problem.field, problem.params) == ("duplicate", "code", {"value": taken})
    msg = message(problem)
    assert msg["zh"].endswith(f"“{taken}”已存在。") and msg["en"].endswith("already exists.")
    assert version(edit_engine, sid) == v  # nothing was written


def test_overlap_with_redline_blocks_available_in_the_database(
    edit_engine, site_ids, version
) -> None:
    sid = site_ids["PT-TT-002"]  # overlaps 生态保护红线, unavailable
    v = version(edit_engine, sid)
    with edit_engine.connect() as c, pytest.raises(AvailabilityBlocked) as e:
        se.update_site(c, sid, {"availability": "available"}, expected_version=v, user="p")
    assert "PT-TT-002" in str(e.value) and "ecological_redline" in str(e.value)
    assert "CZ-EPR" in str(e.value)
    # QGIS edits obey too
    with edit_engine.connect() as qgis, pytest.raises(sa.exc.DBAPIError) as e2:
        qgis.execute(
            sa.text("UPDATE site SET availability = 'available' WHERE id = :i"), {"i": sid}
        )
    assert e2.value.orig.pgcode == "GA001" and "PT-TT-002" in str(e2.value.orig)


def test_geometry_replace_checks_and_reports_overlaps(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-KF-001"]
    g = _geom(edit_engine, sid)
    moved = shapely.affinity.translate(g, 0.0002, 0.0001)
    v = version(edit_engine, sid)
    with edit_engine.connect() as c:
        r = se.replace_site_geometry(
            c, sid, mapping(moved), crs="EPSG:4490", expected_version=v, user="p", note="实测"
        )
    assert r.changed and r.version == v + 1 and r.area_m2 == pytest.approx(r.area_before_m2, 0.01)
    assert _geom(edit_engine, sid).equals_exact(moved, 1e-9)
    h = _last_history(edit_engine, sid)
    assert "geom" in h.changes and "area_m2" in h.changes and h.note == "实测"


def test_the_kept_jurisdiction_follows_a_district_edit(
    edit_engine, site_ids, version, monkeypatch
) -> None:
    """The inside outline and the district outlines an edit checks against are kept between
    edits (merging and buffering a long boundary took ~120 ms an edit) and made again when a
    district row changes, here by plain SQL as QGIS or psql would."""
    sid = site_ids["PT-KF-001"]
    made, loaded = [], []
    real = se.edit_queries.jurisdiction_outline
    monkeypatch.setattr(
        se.edit_queries, "jurisdiction_outline", lambda c: made.append(1) or real(c)
    )
    real_outlines = se.district_queries.district_outlines
    monkeypatch.setattr(
        se.district_queries, "district_outlines", lambda c: loaded.append(1) or real_outlines(c)
    )

    def move(dx: float) -> se.EditResult:
        moved = shapely.affinity.translate(_geom(edit_engine, sid), dx, 0.0)
        with edit_engine.connect() as c:
            return se.replace_site_geometry(
                c, sid, mapping(moved), crs="EPSG:4490", expected_version=version(edit_engine, sid),
                user="p", note="实测",
            )  # fmt: skip

    assert move(0.0001).changed and move(-0.0001).changed
    assert len(made) == len(loaded) == 1  # the second edit used the kept outlines
    # Putuo loses the ground just east of the site: the same move is now outside
    with edit_engine.begin() as c:
        c.execute(
            sa.text(
                "UPDATE district SET geom = ST_Multi(ST_Difference(district.geom, ST_MakeEnvelope("
                "ST_XMax(s.geom) + 0.00001, ST_YMin(s.geom) - 0.01, ST_XMax(s.geom) + 0.01,"
                " ST_YMax(s.geom) + 0.01, 4490))) FROM site s"
                " WHERE s.id = :i AND district.code = s.district_code"
            ),
            {"i": sid},
        )
    with pytest.raises(GeometryRejected, match="outside the jurisdiction"):
        move(0.0002)
    assert len(made) == 2


def test_bowtie_refused_then_repaired_on_request(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-KF-001"]
    g = _geom(edit_engine, sid)
    x0, y0, x1, y1 = g.bounds
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]],
    }
    v = version(edit_engine, sid)
    with edit_engine.connect() as c:
        with pytest.raises(GeometryRejected, match="Self-intersection"):
            se.replace_site_geometry(c, sid, bowtie, crs="EPSG:4490", expected_version=v, user="p")
        r = se.replace_site_geometry(
            c, sid, bowtie, crs="EPSG:4490", expected_version=v, user="p", repair=True
        )
    assert r.repair["parts_after"] == 2 and r.version == v + 1


def test_geometry_onto_a_redline_is_refused_while_available(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-KF-001"]  # available
    with edit_engine.connect() as c:
        zone = wkb.loads(
            bytes(
                c.execute(
                    sa.text(
                        "SELECT ST_AsBinary(ST_Multi(ST_Buffer(ST_PointOnSurface(geom), 0.0005))) "
                        "FROM constraint_zone WHERE kind = 'ecological_redline' ORDER BY code "
                        "LIMIT 1"
                    )
                ).scalar()
            )
        )
        v = version(edit_engine, sid)
        with pytest.raises(AvailabilityBlocked, match="PT-KF-001"):
            se.replace_site_geometry(
                c, sid, mapping(zone), crs="EPSG:4490", expected_version=v, user="p"
            )
    assert version(edit_engine, sid) == v


def test_dry_run_reports_overlaps_without_saving(edit_engine, site_ids, version) -> None:
    sid = site_ids["PT-TT-001"]  # unavailable, so a redline overlap is allowed
    with edit_engine.connect() as c:
        zone = wkb.loads(
            bytes(
                c.execute(
                    sa.text(
                        "SELECT ST_AsBinary(ST_Multi(ST_Buffer(ST_PointOnSurface(geom), 0.0005))) "
                        "FROM constraint_zone WHERE kind = 'ecological_redline' ORDER BY code "
                        "LIMIT 1"
                    )
                ).scalar()
            )
        )
        v = version(edit_engine, sid)
        r = se.replace_site_geometry(
            c, sid, mapping(zone), crs="EPSG:4490", expected_version=v, user="p", dry_run=True
        )
    assert r.dry_run and any(o["blocking"] for o in r.overlaps)
    assert version(edit_engine, sid) == v
