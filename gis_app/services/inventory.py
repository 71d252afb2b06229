"""Inventory loading service (sample data and district deliveries)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from gis_app.io.inventory_loader import LoadReport, load_folder
from gis_app.settings import PROJECT_ROOT

SAMPLE_DIR = PROJECT_ROOT / "data" / "parcels"


def load_sample(
    engine: sa.Engine, folder: Path | None = None, user: str = "load-sample"
) -> LoadReport:
    """Load the sample inventory (or another folder laid out the same way), idempotently."""
    return load_folder(engine, folder or SAMPLE_DIR, user=user)
