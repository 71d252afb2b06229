"""Inventory loading (the sample data, or a district's delivery) as one unit of work."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from gis_app.io.inventory_loader import JURISDICTION, LoadReport, load_folder
from gis_app.settings import PROJECT_ROOT

SAMPLE_DIR = PROJECT_ROOT / "data" / "parcels"


def load_sample(
    conn: sa.Connection, folder: Path | None = None, user: str = "load-sample"
) -> LoadReport:
    """Check and load the sample inventory (or another folder laid out the same way) on the
    caller's connection and commit; idempotent. On any problem it rolls back: nothing is
    written."""
    try:
        report = load_folder(conn, folder or SAMPLE_DIR, user=user)
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return report


def load_districts(
    conn: sa.Connection, folder: Path | None = None, user: str = "load-districts"
) -> LoadReport:
    """Check and load only the districts (``jurisdiction.geojson``) of the sample or of
    ``folder`` and commit; idempotent. Users, requirements and sites need a district: this is
    what a deployment configures first."""
    try:
        report = load_folder(conn, folder or SAMPLE_DIR, user=user, layers=(JURISDICTION,))
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return report
