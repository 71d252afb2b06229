"""The benchmark inventories obey the product's rules (issue 24, item 6): every site inside
the jurisdiction, no available site on a blocking zone, and an exported bench inventory
imports again, completely, into a fresh database through ``gis-app import``."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench package
from bench.api_bench import build_database, drop_database, make_template, widen_jurisdiction

N = 10_000


@pytest.mark.slow
def test_a_10k_bench_inventory_obeys_the_rules_and_imports_again(
    server_url: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    template, bench, fresh = (f"gis_app_test_bench_{k}_{run}" for k in ("tpl", "inv", "new"))
    make_template(server_url, template)
    try:
        url, _ = build_database(server_url, template, bench, N, log=lambda m: None)
        engine = sa.create_engine(url)
        with engine.connect() as c:
            sites = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
            outside = c.execute(
                sa.text(
                    "SELECT count(*) FROM site s WHERE NOT EXISTS (SELECT 1 FROM jurisdiction j"
                    " WHERE ST_CoveredBy(s.geom, j.geom))"
                )
            ).scalar_one()
            blocked = c.execute(
                sa.text(
                    "SELECT count(*) FROM site s WHERE s.code LIKE 'BN-%' "
                    "AND s.availability = 'available' "
                    "AND EXISTS (SELECT 1 FROM gis_app_blocking_overlap(s.geom))"
                )
            ).scalar_one()
        engine.dispose()
        assert sites == N + 77 and outside == 0 and blocked == 0

        env = {k: v for k, v in os.environ.items() if not k.startswith("GIS_APP_")}
        out = tmp_path / "export"
        made = subprocess.run(
            [sys.executable, "-m", "cli", "export", "--format", "gpkg", "--out", str(out)],
            env=env | {"GIS_APP_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert made.returncode == 0, made.stderr
        (gpkg,) = out.glob("*.gpkg")

        # a fresh database with the sample and the bench's jurisdiction takes the file whole
        url2, _ = build_database(server_url, template, fresh, 0, log=lambda m: None)
        engine2 = sa.create_engine(url2)
        with engine2.begin() as c:
            widen_jurisdiction(c)
        done = subprocess.run(
            [sys.executable, "-m", "cli", "import", str(gpkg), "--user", "bench-check"],
            env=env | {"GIS_APP_DATABASE_URL": url2},
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert f"{N} new" in done.stdout and "0 rejected" in done.stdout, done.stdout
        with engine2.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM site")).scalar_one() == N + 77
        engine2.dispose()
    finally:
        for name in (bench, fresh, template):
            drop_database(server_url, name)
