"""`gis-app requirements reexpand` brings stored land-use sets back to the current expansion."""

from __future__ import annotations

import sqlalchemy as sa

from cli import main as cli
from gis_app.db.engine import make_engine
from gis_app.matching.spec import parse_spec
from gis_app.services import requirements as requirement_service


def test_reexpand_repairs_stale_sets_and_names_invalid_rows(make_db, monkeypatch, capsys) -> None:
    url = make_db("sample")
    monkeypatch.setenv("GIS_APP_DATABASE_URL", url)
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            coded = requirement_service.create_requirement(
                c, {"project_name": "一类工业", "need": "land", "land_use_codes": ["M1"]}, "a"
            )["id"]
            by_industry = requirement_service.create_requirement(
                c, {"project_name": "化工项目", "need": "land", "industry": "C26"}, "a"
            )["id"]
            fresh = requirement_service.create_requirement(
                c, {"project_name": "二类工业", "need": "land", "land_use_codes": ["M2"]}, "a"
            )["id"]
        with eng.begin() as c:  # sets expanded by an older mapping (still consistent)
            c.execute(
                sa.text(
                    "UPDATE requirement SET land_use_2023_codes = '{100101,100102}' WHERE id = :id"
                ),
                {"id": coded},
            )
            c.execute(
                sa.text(
                    "UPDATE requirement SET land_use_2023_codes = '{100101}',"
                    " land_use_gb_codes = '{}' WHERE id = :id"
                ),
                {"id": by_industry},
            )
            bad = c.execute(
                sa.text(
                    "INSERT INTO requirement (project_name, need, industry, land_use_2023_codes)"
                    " VALUES ('旧文字行业', 'land', '化工', '{100102}') RETURNING id"
                )
            ).scalar_one()
        assert cli.main(["requirements", "reexpand"]) == 1  # one requirement is not valid
        out = capsys.readouterr().out
        assert f"2 requirement(s) re-expanded (#{coded}, #{by_industry})" in out
        assert f"stored requirement #{bad}" in out and "industry" in out
        with eng.connect() as c:
            rows = {
                r.id: (r.land_use_2023_codes, r.land_use_gb_codes)
                for r in c.execute(sa.text("SELECT * FROM requirement"))
            }
            kept = set(
                c.execute(
                    sa.text("SELECT site_id FROM requirement_match WHERE requirement_id = :r"),
                    {"r": by_industry},
                ).scalars()
            )
            meets = set(
                c.execute(
                    sa.text("SELECT gis_app_requirement_site_ids(:r)"), {"r": by_industry}
                ).scalars()
            )
    finally:
        eng.dispose()
    for rid, body in (
        (coded, {"need": "land", "land_use_codes": ["M1"]}),
        (by_industry, {"need": "land", "industry": "C26"}),
        (fresh, {"need": "land", "land_use_codes": ["M2"]}),
    ):
        assert rows[rid] == parse_spec(body).land_use_sets()
    assert kept == meets  # the reverse match follows the new sets
    assert cli.main(["requirements", "reexpand"]) == 1
    assert "0 requirement(s) re-expanded, 3 unchanged, 1 not valid" in capsys.readouterr().out
