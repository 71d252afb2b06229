"""Helpers of the investor-link tests: the test environment and a recommendation made through
the officers' API."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from fastapi.testclient import TestClient

# Land parcels of the sample with buildings on some of them (plants) and without.
SITE_CODES = ("PT-BL-001", "PT-KF-009", "PT-ZM-002")


@dataclass
class Env:
    """A database with an officer and an anonymous client on it."""

    url: str
    engine: sa.Engine
    officer: TestClient
    make_anon: Callable[..., TestClient]
    opened: list[TestClient] = field(default_factory=list)

    def site_id(self, code: str) -> int:
        with self.engine.connect() as c:
            sql = sa.text("SELECT id FROM site WHERE code = :c")
            return c.execute(sql, {"c": code}).scalar_one()

    def scalar(self, sql: str, **params: object) -> object:
        with self.engine.connect() as c:
            return c.execute(sa.text(sql), params).scalar()

    def execute(self, sql: str, **params: object) -> None:
        with self.engine.begin() as c:
            c.execute(sa.text(sql), params)


def token_of(url: str) -> str:
    """The token of a link URL."""
    m = re.search(r"/r/([A-Za-z0-9_-]+)$", url)
    assert m, url
    return m.group(1)


@dataclass
class Rec:
    """A recommendation with two links (zh and en) created through the officers' API."""

    id: int
    site_ids: list[int]
    links: dict[str, dict]

    def token(self, lang: str) -> str:
        return token_of(self.links[lang]["url"])


def make_recommendation(env: Env, codes: tuple[str, ...] = SITE_CODES, **extra: object) -> Rec:
    """Create a hand-picked recommendation of ``codes`` with notes and two links."""
    ids = [env.site_id(c) for c in codes]
    body = {
        "sites": [
            {"site_id": i, "note_zh": f"推荐理由{n}", "note_en": f"Why site {n}"}
            for n, i in enumerate(ids, 1)
        ],
        "title_zh": "海洋装备项目选址推荐",
        "title_en": "Sites for a marine equipment project",
        "intro_zh": "以下地块供贵司参考。",
        "intro_en": "Please find the sites below.",
        **extra,
    }
    r = env.officer.post("/api/recommendations", json=body)
    assert r.status_code == 201, r.text
    rec_id = r.json()["id"]
    links = {}
    for lang, name in (("zh", "张先生"), ("en", "Ms Smith")):
        r = env.officer.post(
            f"/api/recommendations/{rec_id}/links",
            json={"recipient_name": name, "recipient_org": "Example Co", "language": lang},
        )
        assert r.status_code == 201, r.text
        links[lang] = r.json()
    return Rec(rec_id, ids, links)
