"""A bulk import's history image of a new row (revision 0043): built column by column from the
catalog, it is the row trigger's difference of ``{}`` and the row, to the byte."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gis_app.db.engine import make_engine


@pytest.fixture
def db(make_db) -> Iterator[sa.Engine]:
    eng = make_engine(make_db("sample"))
    yield eng
    eng.dispose()


def _differing(c: sa.Connection, table: str) -> int:
    image = c.execute(sa.text("SELECT gis_app_insert_image(CAST(:t AS regclass))"), {"t": table})
    expr = image.scalar_one()
    return c.execute(
        sa.text(
            f"SELECT count(*) FROM {table} n"
            f" WHERE ({expr}) IS DISTINCT FROM gis_app_history_diff('{{}}'::jsonb, to_jsonb(n))"
        )
    ).scalar_one()


def test_the_image_is_the_row_triggers_difference(db: sa.Engine) -> None:
    with db.begin() as c:
        assert c.execute(sa.text("SELECT count(*) FROM site")).scalar_one() > 50
        assert _differing(c, "site") == 0
        # a column added later (with values, some null) is in the image as in the diff
        c.execute(sa.text("ALTER TABLE site ADD COLUMN test_extra text"))
        c.execute(sa.text("UPDATE site SET test_extra = code WHERE id % 2 = 0"))
        assert _differing(c, "site") == 0
        expr = c.execute(sa.text("SELECT gis_app_insert_image('site')")).scalar_one()
        assert "'test_extra'" in expr and "'version'" not in expr and "'updated_at'" not in expr
        c.rollback()


def test_history_is_compressed_with_lz4(db: sa.Engine) -> None:
    with db.connect() as c:
        got = c.execute(
            sa.text(
                "SELECT attcompression FROM pg_attribute"
                " WHERE attrelid = 'history'::regclass AND attname = 'changes'"
            )
        ).scalar_one()
    assert got == "l"
