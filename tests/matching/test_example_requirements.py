"""The sample's example requirements (recorded by `gis-app setup`): valid, idempotent, and each
finds sites in the sample."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from gis_app.db.engine import make_engine
from gis_app.domain.errors import InvalidInput
from gis_app.services import matching, requirements
from gis_app.services.inventory import SAMPLE_DIR

EXAMPLES = SAMPLE_DIR / "requirements.json"


def test_examples_load_once_and_each_finds_sites(make_db) -> None:
    eng = make_engine(make_db("sample"))
    try:
        with eng.connect() as c:
            ids = requirements.load_examples(c, EXAMPLES, officer="admin")
            assert len(ids) == len(json.loads(EXAMPLES.read_text(encoding="utf-8"))) == 2
            assert requirements.load_examples(c, EXAMPLES, officer="admin") == []
            viewer = requirements.Viewer("admin", admin=True)
            for rid in ids:
                rec = requirements.get_requirement(c, rid, viewer)
                assert rec["officer"] == "admin" and rec["status"] == "new"
                result = matching.match_requirement(c, rid, viewer)
                assert result.total_matches + result.total_near_misses > 0, rec["project_name"]
                kept = c.execute(
                    sa.text("SELECT count(*) FROM requirement_match WHERE requirement_id = :i"),
                    {"i": rid},
                ).scalar()
                assert kept == result.total_matches
    finally:
        eng.dispose()


def test_a_bad_example_file_is_named_and_stops_the_load(make_db, tmp_path) -> None:
    bad = tmp_path / "requirements.json"
    bad.write_text(
        json.dumps([{"project_name": "好", "need": "plant"}, {"project_name": "坏", "need": "x"}]),
        encoding="utf-8",
    )
    eng = make_engine(make_db("sample"))
    try:
        with eng.connect() as c:
            with pytest.raises(InvalidInput, match=r"item 1 \(坏\).*need"):
                requirements.load_examples(c, bad, officer="admin")
            names = c.execute(sa.text("SELECT project_name FROM requirement")).scalars().all()
            assert names == ["好"]
            bad.write_text("{", encoding="utf-8")
            with pytest.raises(InvalidInput, match="not a readable JSON list"):
                requirements.load_examples(c, bad, officer="admin")
    finally:
        eng.dispose()
