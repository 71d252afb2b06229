"""`gis-app match FILE.json` and `gis-app search` print what the API answers."""

from __future__ import annotations

import json

import pytest
import shapely
from matching.sample_oracle import PLANT, expected, load

from cli import main as cli


@pytest.fixture
def db_env(monkeypatch, sample_url: str) -> None:
    monkeypatch.setenv("GIS_APP_DATABASE_URL", sample_url)


def test_match_prints_a_ranked_table_with_reasons(db_env, tmp_path, capsys) -> None:
    f = tmp_path / "plant.json"
    f.write_text(json.dumps(PLANT, ensure_ascii=False), encoding="utf-8")
    assert cli.main(["match", str(f)]) == 0
    out = capsys.readouterr().out
    want, near = expected(load(), PLANT)
    assert f"{len(want)} 处符合，{len(near)} 处差一项" in out
    lines = out.splitlines()
    ranked = [ln.split()[1] for ln in lines if ln[:1].isdigit()]
    assert set(ranked[: len(want)]) == want and set(ranked[len(want) :]) == set(near)
    assert "面积匹配度" in out and "层高要求需放宽至" in out
    assert cli.main(["match", str(f), "--json", "--lang", "en"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [m["code"] for m in body["matches"]] == ranked[: len(want)]


def test_match_reports_bad_files(db_env, tmp_path, capsys) -> None:
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(PLANT | {"need": "castle"}), encoding="utf-8")
    assert cli.main(["match", str(f)]) == 2
    assert "need" in capsys.readouterr().err
    f.write_text("{not json", encoding="utf-8")
    assert cli.main(["match", str(f)]) == 2
    assert cli.main(["match", str(tmp_path / "missing.json")]) == 2


def test_search_uses_the_api_filters(db_env, capsys) -> None:
    args = ["search", "--kind", "land", "--land-use", "M", "--area-mu-min", "50", "--json"]
    assert cli.main(args) == 0
    body = json.loads(capsys.readouterr().out)
    s = load().sites
    want = set(
        s.index[
            (s.kind == "land")
            & (s.planned_use.str.startswith("1001") | s.legacy_use.fillna("").str.startswith("M"))
            & (s.area_mu >= 50)
        ]
    )
    assert {r["code"] for r in body["sites"]} == want and body["total"] == len(want)
    assert cli.main(["search", "--kind", "land", "--land-use", "M", "--area-mu-min", "50"]) == 0
    out = capsys.readouterr().out
    assert all(code in out for code in want) and f"{len(want)} / {len(want)}" in out
    assert cli.main(["search", "--kind", "castle"]) == 2
    assert "castle" in capsys.readouterr().err


def test_search_in_a_drawn_area(db_env, capsys, tmp_path) -> None:
    area = "POLYGON((122.28 29.88,122.42 29.9,122.44 29.98,122.3 29.99,122.28 29.88))"
    s = load().sites
    want = set(s.index[s.geometry.intersects(shapely.from_wkt(area))])
    assert cli.main(["search", "--intersects", area, "--json", "--limit", "500"]) == 0
    assert {r["code"] for r in json.loads(capsys.readouterr().out)["sites"]} == want
    road = tmp_path / "road.wkt"
    road.write_text("LINESTRING(122.2 29.95,122.3 29.96)", encoding="utf-8")
    assert cli.main(["search", "--intersects", f"@{road}", "--buffer-km", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] > 0
    assert cli.main(["search", "--intersects", f"@{road}"]) == 2
    assert "buffer_km" in capsys.readouterr().err
