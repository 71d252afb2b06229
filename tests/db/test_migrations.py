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


def test_0008_fills_match_units_and_mends_free_text_industries(make_db) -> None:
    url = make_db("none")
    provision.ensure_postgis(url)
    migrate.upgrade(url, "0007")
    eng = sa.create_engine(url)
    try:
        with eng.begin() as c:
            ids = [
                c.execute(
                    sa.text(
                        "INSERT INTO requirement (project_name, need, industry, land_use_codes)"
                        " VALUES (:p, 'land', :i, :u) RETURNING id"
                    ),
                    {"p": p, "i": i, "u": u},
                ).scalar_one()
                for p, i, u in (
                    ("代码", "c26", []),
                    ("代码且已写用地", "26", ["M1"]),
                    ("文字", "化工", []),
                )
            ]
        migrate.upgrade(url, "0008")
        with eng.connect() as c:
            rows = {
                r.id: r
                for r in c.execute(
                    sa.text(
                        "SELECT id, industry, land_use_2023_codes, land_use_gb_codes, notes"
                        " FROM requirement"
                    )
                )
            }
    finally:
        eng.dispose()
    coded, stated, text = (rows[i] for i in ids)
    assert coded.industry == "C26" and {"100102", "100103"} <= set(coded.land_use_2023_codes)
    assert {"M2", "M3"} <= set(coded.land_use_gb_codes)
    # stated land uses win over the industry: the sets the service stored stay as they were
    assert stated.industry == "C26" and stated.land_use_2023_codes == []
    assert text.industry is None and "化工" in text.notes


def test_0009_expands_requirements_written_without_their_land_use_sets(make_db) -> None:
    url = make_db("none")
    provision.ensure_postgis(url)
    migrate.upgrade(url, "0008")
    eng = sa.create_engine(url)
    insert = (
        "INSERT INTO requirement (project_name, need, industry, land_use_codes,"
        " land_use_2023_codes, land_use_gb_codes) VALUES (:p, 'land', :i, :u, :a, :b) RETURNING id"
    )
    rows_in = (
        ("psql 写的代码", None, ["m2"], [], []),
        ("psql 写的行业", "C26", [], [], []),
        ("服务保存的", None, ["M2"], ["100102"], ["M2"]),
        ("不是代码", None, ["XX9"], [], []),
    )
    try:
        with eng.begin() as c:
            ids = [
                c.execute(sa.text(insert), dict(zip("piuab", r, strict=True))).scalar_one()
                for r in rows_in
            ]
        migrate.upgrade(url)
        with eng.connect() as c:
            got = {
                r.id: r
                for r in c.execute(
                    sa.text(
                        "SELECT id, land_use_codes, land_use_2023_codes, land_use_gb_codes"
                        " FROM requirement"
                    )
                )
            }
    finally:
        eng.dispose()
    codes, industry, kept, wrong = (got[i] for i in ids)
    assert codes.land_use_codes == ["M2"]  # normalised as the service would
    assert codes.land_use_2023_codes == ["100102"] and codes.land_use_gb_codes == ["M2"]
    assert {"100102", "100103"} <= set(industry.land_use_2023_codes)
    assert (kept.land_use_2023_codes, kept.land_use_gb_codes) == (["100102"], ["M2"])
    assert wrong.land_use_codes == ["XX9"] and wrong.land_use_2023_codes == []
