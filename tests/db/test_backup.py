"""Backup and restore (issue 25, item 5): ``gis-app db backup`` writes one file; ``gis-app db
restore`` brings it back on a fresh cluster, every table row for row, and a broken backup
leaves the database it was to replace as it was."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from gis_app.db import provision
from gis_app.settings import DatabaseSettings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def _fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Rows and an md5 of the ordered rows of every table of the public schema."""
    eng = sa.create_engine(url)
    out = {}
    try:
        with eng.connect() as c:
            tables = c.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'spatial_ref_sys' ORDER BY 1"
                )
            ).scalars()
            for t in tables:
                out[t] = tuple(
                    c.execute(
                        sa.text(
                            f"SELECT count(*), md5(COALESCE(string_agg(x::text, '|' "
                            f"ORDER BY x::text), '')) FROM \"{t}\" x"
                        )
                    ).one()
                )
    finally:
        eng.dispose()
    return out


@pytest.mark.slow
def test_a_backup_restores_on_a_fresh_cluster_row_for_row(make_db, scratch_dir: Path) -> None:
    source = make_db("sample")
    with sa.create_engine(source).begin() as c:  # some history and a requirement to carry over
        c.execute(sa.text("UPDATE site SET name_en = name_en || ' (checked)' WHERE id < 5"))
    before = _fingerprint(source)
    assert before["site"][0] > 0 and before["history"][0] > 0

    base = {k: v for k, v in os.environ.items() if not k.startswith("GIS_APP_")}
    dump = scratch_dir / "office backup.dump"
    made = _cli("db", "backup", "--file", str(dump), env=base | {"GIS_APP_DATABASE_URL": source})
    assert made.returncode == 0, made.stderr
    assert "backup written" in made.stdout and dump.stat().st_size > 10_000
    assert dump.stat().st_mode & 0o077 == 0  # readable by its owner only
    again = _cli("db", "backup", "--file", str(dump), env=base | {"GIS_APP_DATABASE_URL": source})
    assert again.returncode == 2 and "exists already" in again.stderr

    fresh = DatabaseSettings(
        pg_data_dir=scratch_dir / "pg", pg_port=_free_port(), database_url=None
    )
    cluster = provision.local_cluster(fresh)
    env = base | {
        "GIS_APP_PG_DATA_DIR": str(fresh.pg_data_dir),
        "GIS_APP_PG_PORT": str(fresh.pg_port),
    }
    try:
        provision.db_up(fresh, log=lambda m: None)
        target = cluster.url()
        refused = _cli("db", "restore", "--file", str(dump), env=env)
        assert refused.returncode == 2 and "--replace" in refused.stderr  # gis_app exists
        done = _cli("db", "restore", "--file", str(dump), "--replace", env=env)
        assert done.returncode == 0, done.stderr
        assert "replaced from the backup" in done.stdout
        assert _fingerprint(target) == before

        # a damaged copy of the backup: refused, and the database is untouched
        broken = scratch_dir / "broken.dump"
        data = bytearray(dump.read_bytes())
        middle = len(data) * 2 // 3
        data[middle : middle + 4096] = bytes(4096)  # compressed table data no longer inflates
        broken.write_bytes(bytes(data))
        failed = _cli("db", "restore", "--file", str(broken), "--replace", env=env)
        assert failed.returncode == 2, failed.stderr
        # refused when read, or when restored into the staging database: named either way
        assert f"{broken} failed" in failed.stderr, failed.stderr
        assert _fingerprint(target) == before
        eng = sa.create_engine(target)
        with eng.connect() as c:
            left = c.execute(
                sa.text("SELECT count(*) FROM pg_database WHERE datname LIKE '%restoring'")
            ).scalar_one()
        eng.dispose()
        assert left == 0
    finally:
        cluster.down(log=lambda m: None)


def _one(url: str, sql: str):
    eng = sa.create_engine(url)
    try:
        with eng.begin() as c:
            result = c.execute(sa.text(sql))
            return result.scalar() if result.returns_rows else None
    finally:
        eng.dispose()


@pytest.mark.slow
def test_the_cluster_restores_to_a_point_in_time(scratch_dir: Path) -> None:
    archive = scratch_dir / "wal archive"
    settings = DatabaseSettings(
        pg_data_dir=scratch_dir / "pg",
        pg_port=_free_port(),
        database_url=None,
        wal_archive_dir=archive,
    )
    cluster = provision.local_cluster(settings)
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIS_APP_")}
    env = base | {
        "GIS_APP_PG_DATA_DIR": str(settings.pg_data_dir),
        "GIS_APP_PG_PORT": str(settings.pg_port),
        "GIS_APP_WAL_ARCHIVE_DIR": str(archive),
    }
    restored = provision.LocalCluster(scratch_dir / "restored", _free_port())
    try:
        provision.db_up(settings, log=lambda m: None)
        url = cluster.url()
        _one(url, "CREATE TABLE ledger (what text, at timestamptz DEFAULT clock_timestamp())")
        _one(url, "INSERT INTO ledger (what) VALUES ('before the backup')")
        made = _cli("db", "backup", "--base", "--file", str(scratch_dir / "base"), env=env)
        assert made.returncode == 0, made.stderr
        _one(url, "INSERT INTO ledger (what) VALUES ('after the backup')")
        moment = _one(url, "SELECT clock_timestamp()")
        time.sleep(1.0)
        _one(url, "INSERT INTO ledger (what) VALUES ('a mistake')")
        # the segment holding all three rows is closed, then archived
        segment = _one(url, "SELECT pg_walfile_name(pg_switch_wal())")
        wait_until = time.monotonic() + 60
        while time.monotonic() < wait_until and not _one(
            url, f"SELECT COALESCE(last_archived_wal >= '{segment}', false) FROM pg_stat_archiver"
        ):
            time.sleep(0.2)
        done = _cli(
            "db",
            "restore",
            "--base",
            "--file",
            str(scratch_dir / "base"),
            "--until",
            moment.isoformat(),
            "--data-dir",
            str(restored.data_dir),
            "--restore-port",
            str(restored.port),
            env=env,
        )
        assert done.returncode == 0, done.stderr
        assert "restored the cluster as it was at" in done.stdout
        rows = _one(restored.url(), "SELECT string_agg(what, ', ' ORDER BY at) FROM ledger")
        assert rows == "before the backup, after the backup"
        # the rebuilt cluster is open for writing; the original went on untouched
        _one(restored.url(), "INSERT INTO ledger (what) VALUES ('repaired')")
        assert _one(url, "SELECT count(*) FROM ledger") == 3

        # without the archive setting, a base backup is refused with the reason
        no_archive = {k: v for k, v in env.items() if k != "GIS_APP_WAL_ARCHIVE_DIR"}
        refused = _cli("db", "backup", "--base", "--file", str(scratch_dir / "b2"), env=no_archive)
        assert refused.returncode == 2 and "GIS_APP_WAL_ARCHIVE_DIR" in refused.stderr
    finally:
        restored.down(log=lambda m: None)
        cluster.down(log=lambda m: None)
