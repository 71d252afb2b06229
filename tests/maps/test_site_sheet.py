"""The site sheet service: labelled attributes, overlaps, distances and history."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from gis_app.db.engine import set_app_user
from gis_app.domain.errors import NotFound
from gis_app.services import site_sheet
from gis_app.services.site_sheet import format_value


def _id(conn, code: str) -> int:
    return conn.execute(sa.text("SELECT id FROM site WHERE code = :c"), {"c": code}).scalar_one()


def test_sheet_has_labelled_values_overlaps_distances_and_history(conn):
    sid = _id(conn, "PT-CB-002")
    set_app_user(conn, "planner-li", "status review")
    conn.execute(
        sa.text(
            "UPDATE site SET availability = 'negotiating', readiness = 'cleared' WHERE id = :i"
        ),
        {"i": sid},
    )
    sheet = site_sheet.site_sheet(conn, sid, today=dt.date(2026, 11, 28))
    values = {v.key: v for _, vs in sheet.sections for v in vs}
    assert (
        values["availability"].zh == "洽谈中" and values["availability"].en == "Under negotiation"
    )
    assert values["planned_use"].zh.startswith("1101 ")
    assert values["area_mu"].raw == pytest.approx(sheet.record["area_m2"] * 15 / 10000)
    assert {v.key for v in sheet.internal} >= {"owner_contact", "negotiation_note"}
    assert any(o["zone_kind"] == "public_welfare_forest" for o in sheet.overlaps)
    assert sheet.distances and sheet.distances == sorted(
        sheet.distances, key=lambda d: d["distance_m"]
    )
    latest = sheet.history[0]
    assert latest.action == "update" and latest.changed_by == "planner-li"
    assert latest.note == "status review"
    changes = {label.key: (a.zh, b.zh) for label, a, b in latest.changes}
    assert changes["availability"][1] == "洽谈中"
    assert changes["readiness"][1] == "净地"
    assert "version" not in changes and "updated_at" not in changes


def test_stale_record_is_flagged(conn):
    sid = _id(conn, "PT-CB-002")
    conn.execute(sa.text("UPDATE site SET verified_at = '2020-01-01' WHERE id = :i"), {"i": sid})
    assert site_sheet.site_sheet(conn, sid, today=dt.date(2026, 11, 28)).stale


def test_unknown_site(conn):
    with pytest.raises(NotFound):
        site_sheet.site_sheet(conn, 99_999_999)


def test_format_value():
    assert format_value("vocab:readiness", "raw") == ("毛地", "Raw land")
    assert format_value("vocabs:utility", ["road", "power"]) == ("通路、通电", "Road, Power")
    assert format_value("num2", 1234.5) == ("1,234.50", "1,234.50")
    assert format_value("bool", True) == ("是", "Yes")
    assert format_value("text", None) == ("—", "—")
    assert format_value("lu:2023", "100101")[0].startswith("100101 ")
