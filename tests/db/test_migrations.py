"""Migrations upgrade to head and downgrade to base; models and migrations agree."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

from gis_app.db import migrate, provision
from gis_app.db.models import Base


def _tables(url: str) -> set[str]:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return set(sa.inspect(c).get_table_names())
    finally:
        eng.dispose()


def test_upgrade_head_downgrade_base_upgrade_again(make_db) -> None:
    url = make_db("none")
    provision.ensure_postgis(url)
    migrate.upgrade(url)
    assert {
        "site",
        "building",
        "constraint_zone",
        "infrastructure",
        "requirement",
        "recommendation",
        "share_link",
        "history",
    } <= _tables(url)
    migrate.downgrade(url)
    assert _tables(url) - {"spatial_ref_sys", "alembic_version"} == set()
    migrate.upgrade(url)
    eng = sa.create_engine(url)
    with eng.connect() as c:
        assert migrate.current_revision(c) == migrate.head_revision()
        assert c.execute(sa.text("SELECT count(*) FROM land_use_code")).scalar() > 100
    eng.dispose()


def test_models_match_migrations(engine: sa.Engine) -> None:
    with engine.connect() as c:
        ctx = MigrationContext.configure(
            c, opts={"include_object": alembic_helpers.include_object, "compare_type": True}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
