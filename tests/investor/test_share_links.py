"""Share-link building blocks: tokens and their storage, form tokens, the rate limiter, status
moves, and the public form of match explanations."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from investor_helpers import Env, Rec

from gis_app.db import rate_queries
from gis_app.domain import public_schema as P
from gis_app.domain.errors import LinkUnavailable, RateLimited, TransitionRefused
from gis_app.services import recommendations as rec_service
from gis_app.services import share_links as S
from gis_app.settings import LinkSettings


def test_tokens_are_random_256_bit_and_url_safe() -> None:
    tokens = {S.new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for t in list(tokens)[:50]:
        assert len(t) == 43 and S._TOKEN_RE.match(t)
    # 43 base64url characters carry 258 bits, of which 256 are random
    assert S.TOKEN_BYTES * 8 >= 128 and math.log2(64) * 43 >= 256


def test_only_the_hash_is_stored(env: Env, rec: Rec) -> None:
    token = rec.token("zh")
    with env.engine.connect() as c:
        rows = c.execute(sa.text("SELECT to_jsonb(s)::text FROM share_link s")).scalars().all()
        history = c.execute(sa.text("SELECT string_agg(changes::text, ' ') FROM history")).scalar()
        stored = c.execute(
            sa.text("SELECT token_hash FROM share_link WHERE id = :i"), {"i": rec.links["zh"]["id"]}
        ).scalar_one()
    assert not any(token in r for r in rows)
    assert token not in (history or "")
    assert stored == S.hash_token(token) and len(stored) == 64


def test_resolve_refuses_unknown_expired_revoked_and_malformed(env: Env, rec: Rec) -> None:
    with env.engine.connect() as c:
        link = S.resolve(c, rec.token("zh"))
        assert link.recommendation_id == rec.id and link.language == "zh"
        for bad in ("", "x" * 43 + "!", S.new_token(), rec.token("zh") + "a", "../" * 15):
            with pytest.raises(LinkUnavailable):
                S.resolve(c, bad)
    env.execute("UPDATE share_link SET revoked_at = now() WHERE id = :i", i=rec.links["zh"]["id"])
    env.execute(
        "UPDATE share_link SET expires_at = now() - interval '1 second' WHERE id = :i",
        i=rec.links["en"]["id"],
    )
    with env.engine.connect() as c:
        for lang in ("zh", "en"):
            with pytest.raises(LinkUnavailable) as err:
                S.resolve(c, rec.token(lang))
            assert err.value.public_message == "link not available"


def test_form_tokens_are_per_link_and_per_secret() -> None:
    a, b = S.hash_token(S.new_token()), S.hash_token(S.new_token())
    assert S.form_token("k1", a) != S.form_token("k1", b)
    assert S.form_token("k1", a) != S.form_token("k2", a)
    assert S.form_token_ok("k1", a, S.form_token("k1", a))
    assert not S.form_token_ok("k1", a, S.form_token("k1", b))
    assert not S.form_token_ok("k1", a, None) and not S.form_token_ok("k1", a, "")


def test_rate_limit_counts_per_client_within_the_window(env: Env) -> None:
    limits = LinkSettings(rate_limit_requests=3, rate_limit_window_s=60)
    with env.engine.connect() as conn:
        for _ in range(3):
            S.count_link_request(conn, "a", limits)
        with pytest.raises(RateLimited) as err:
            S.count_link_request(conn, "a", limits)
        assert 55 <= err.value.retry_after_s <= 60
        S.count_link_request(conn, "b", limits)  # another client is counted apart
    # a window that has ended starts again at one
    env.execute("UPDATE client_rate SET window_start = window_start - interval '61 s'")
    with env.engine.connect() as conn:
        S.count_link_request(conn, "a", limits)
    assert env.scalar("SELECT hits FROM client_rate WHERE client = 'a'") == 1


def test_rate_limit_counts_are_committed_and_ended_windows_forgotten(env: Env) -> None:
    limits = LinkSettings(rate_limit_requests=5, rate_limit_window_s=60)
    with env.engine.connect() as conn:
        S.count_link_request(conn, "kept", limits)
        S.count_link_request(conn, "old", limits)
    # committed: another connection sees the counts
    assert env.scalar("SELECT count(*) FROM client_rate") == 2
    env.execute(
        "UPDATE client_rate SET window_start = now() - interval '2 min' WHERE client = 'old'"
    )
    with env.engine.begin() as conn:
        assert rate_queries.prune(conn, 60) == 1
    assert env.scalar("SELECT string_agg(client, ',') FROM client_rate") == "kept"


@pytest.mark.parametrize(
    ("old", "allowed"),
    [
        (
            "new",
            ("matching", "recommended", "visiting", "negotiating", "signed", "landed", "dropped"),
        ),
        ("negotiating", ("signed", "landed", "dropped")),
        ("signed", ("landed",)),
        ("landed", ()),
        ("dropped", ()),
    ],
)
def test_status_moves(old: str, allowed: tuple[str, ...]) -> None:
    assert rec_service.allowed_moves(old) == allowed
    for new in ("new", "matching", "recommended", "visiting", "negotiating", "signed", "landed"):
        if new in allowed:
            rec_service.check_status_move(1, old, new)
        else:
            with pytest.raises(TransitionRefused) as err:
                rec_service.check_status_move(1, old, new)
            assert "requirement 1" in err.value.public_message


def test_public_explanation_drops_budget_and_free_text() -> None:
    raw = [
        {
            "criterion": "land_area",
            "hard": True,
            "outcome": "pass",
            "site_value": 55.3,
            "required": {"min": 20, "max": 120},
        },
        {
            "criterion": "max_price",
            "hard": True,
            "outcome": "pass",
            "site_value": 24.4,
            "required": 654321.5,
        },
        {
            "criterion": "standard_land",
            "hard": False,
            "outcome": "pass",
            "score": 1.0,
            "site_value": {"project_intensity_wan_per_mu": 999},
        },
        {
            "criterion": "floor_height",
            "hard": True,
            "outcome": "fail",
            "site_value": "SECRET free text",
            "required": 8,
        },
        {"criterion": "availability", "hard": True, "outcome": "pass", "site_value": "negotiating"},
        {"criterion": "no_such_thing", "hard": True, "outcome": "pass"},
        {
            "criterion": "location",
            "hard": False,
            "score": 0.0,
            "outcome": "fail",
            "site_value": {"township": "展茅街道", "block": None},
            "required": {"blocks": ["X"]},
        },
    ]
    stored = [s for s in (P.stored_explanation_item(r) for r in raw) if s]
    assert [s["criterion"] for s in stored] == [
        "land_area",
        "max_price",
        "floor_height",
        "location",
    ]
    assert "required" not in stored[1]  # the investor's price cap is budget
    assert "site_value" not in stored[2]  # free text is never copied
    assert "required" not in stored[3]
    ex = P.public_explanation({"outcome": "match", "criteria": stored})
    assert [i.criterion for i in ex.meets] == ["land_area", "max_price"]
    assert [i.criterion for i in ex.misses] == ["floor_height", "location"]
    assert ex.meets[0].site_value == P.Text(zh="55.3 亩", en="55.3 mu")
    assert ex.meets[0].required == P.Text(zh="20–120 亩", en="20–120 mu")
    assert ex.misses[0].required.en == "≥ 8 m" and ex.misses[0].site_value is None
    assert ex.misses[1].site_value.zh == "展茅街道"
    text = ex.model_dump_json()
    assert "654321" not in text and "SECRET" not in text and "999" not in text
    assert "negotiating" not in text
    # a hand-edited stored row cannot widen what is shown
    edited = {"outcome": "match", "criteria": [{"criterion": "standard_land", "site_value": 1}]}
    assert P.public_explanation(edited).meets == []
