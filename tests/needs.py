"""A test that needs a tool from the system (QGIS, PgBouncer …): skipped on a developer's
machine without it, failed in CI (``CI=true``), where ``scripts/bootstrap.sh --test`` must have
installed it — a skip there would hide a missing install step."""

from __future__ import annotations

import os

import pytest


def need(available: bool, why: str) -> None:
    """Go on when ``available``; otherwise skip the test, or fail it in CI."""
    if available:
        return
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"{why} (scripts/bootstrap.sh --test installs it)")
    pytest.skip(why)
