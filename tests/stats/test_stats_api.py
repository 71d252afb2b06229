"""The /api/stats endpoints and the dashboard page: who may call them, formats, bad input."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from maps.assets import external_references

FIGURES = [
    "/api/stats/available",
    "/api/stats/pipeline",
    "/api/stats/blockers",
    "/api/stats/readiness",
    "/api/stats/stale",
    "/api/stats/funnel",
]


@pytest.mark.parametrize("path", [*FIGURES, "/dashboard"])
def test_anonymous_callers_are_refused(client, path) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 401
    page = client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code in (401, 303)


@pytest.mark.parametrize("role", ["officer", "planner", "admin"])
@pytest.mark.parametrize("path", [*FIGURES, "/dashboard"])
def test_every_role_may_read(client_as, role, path) -> None:
    assert client_as(role).get(path).status_code == 200


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/stats/available", {"by": "land_use"}),
        ("/api/stats/pipeline", {"by": "policy_status"}),
        ("/api/stats/blockers", {}),
        ("/api/stats/readiness", {"by": "site"}),
        ("/api/stats/stale", {"by": "site", "days": 200, "as_of": "2026-11-01"}),
        ("/api/stats/funnel", {}),
    ],
)
def test_csv_and_xlsx_hold_the_json_numbers(client_as, path, params) -> None:
    c = client_as("officer")
    table = c.get(path, params=params).json()
    keys = [col["key"] for col in table["columns"]]
    headings = [
        f"{col['zh']} / {col['en']}" + (f" ({col['unit']})" if col["unit"] else "")
        for col in table["columns"]
    ]

    r = c.get(path, params={**params, "format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert re.match(
        r'attachment; filename="stats-[a-z_-]+-\d{4}-\d\d-\d\d\.csv"',
        r.headers["content-disposition"],
    )
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == headings
    assert len(rows) == 1 + len(table["rows"])
    for got, want in zip(rows[1:], table["rows"], strict=True):
        for k, cell in zip(keys, got, strict=True):
            v = want[k]
            if v is None:
                assert cell == ""
            elif isinstance(v, bool):
                assert cell == str(v).lower()
            elif isinstance(v, int | float):
                assert float(cell) == pytest.approx(v)
            else:
                assert cell == str(v)

    x = c.get(path, params={**params, "format": "xlsx"})
    assert x.status_code == 200
    assert x.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(x.content)).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == f"{table['title']['zh']} / {table['title']['en']}"
    assert list(values[1]) == headings
    assert len(values) == 2 + len(table["rows"])
    for got, want in zip(values[2:], table["rows"], strict=True):
        for k, cell in zip(keys, got, strict=True):
            v = want[k]
            if isinstance(v, int | float) and not isinstance(v, bool):
                assert cell == pytest.approx(v)
            elif k in ("verified_at", "oldest_verified_at") and v is not None:
                assert cell.date().isoformat() == v
            else:
                assert cell == (None if v == "" else v)  # an empty cell reads as None


@pytest.mark.parametrize(
    ("path", "params", "words"),
    [
        ("/api/stats/available", {"by": "colour"}, "by must be one of"),
        ("/api/stats/available", {"land_use_level": 4}, "land_use_level"),
        ("/api/stats/available", {"kind": "castle"}, "site_kind"),
        ("/api/stats/available", {"format": "pdf"}, "format must be one of"),
        ("/api/stats/pipeline", {"by": "availability"}, "by must be one of"),
        ("/api/stats/stale", {"days": -3}, "days must be between"),
        ("/api/stats/stale", {"limit": 0}, "limit must be between"),
        ("/api/stats/readiness", {"soon_steps": 99}, "soon_steps"),
        ("/api/stats/funnel", {"by": "colour"}, "by must be one of"),
        ("/api/stats/funnel", {"officer": " "}, "officer"),
    ],
)
def test_bad_input_is_a_clear_422(client_as, path, params, words) -> None:
    r = client_as("officer").get(path, params=params)
    assert r.status_code == 422
    assert words in r.json()["detail"]


def test_dashboard_page_is_self_contained(client_as) -> None:
    r = client_as("officer").get("/dashboard")
    html = r.text
    assert r.headers["content-type"].startswith("text/html")
    assert external_references(html) == []
    nonce = re.search(r"'nonce-([^']+)'", r.headers["content-security-policy"]).group(1)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in s for s in scripts)
    assert "/static/vendor/chart.js@4.5.1/dist/chart.umd.min.js" in html
    for name in ("available", "pipeline", "blockers", "readiness", "stale", "funnel"):
        assert f'id="chart-{name}"' in html
    # the block map embeds one feature per block, not the sites
    assert html.count('"type": "Feature"') + html.count('"type":"Feature"') <= 20
    assert "PT-KF-001" not in html


def test_dashboard_in_english(client_as) -> None:
    html = client_as("officer").get("/dashboard", params={"lang": "en"}).text
    assert "Inventory dashboard" in html and '"lang": "en"' in html
