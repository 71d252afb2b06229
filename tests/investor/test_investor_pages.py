"""The investor's capability URL /r/{token}: page, JSON, PDF, feedback, hygiene, scope, expiry,
revocation, rate limit."""

from __future__ import annotations

import io
import re
import secrets

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from investor_helpers import SITE_CODES, Env, Rec, make_recommendation
from pypdf import PdfReader

from gis_app.domain.public_schema import fmt_num
from gis_app.settings import LinkSettings
from maps.assets import external_references

HYGIENE = {
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex, nofollow, noarchive",
    "cache-control": "no-store",
}


def _hygienic(r) -> None:
    for k, v in HYGIENE.items():
        assert r.headers.get(k) == v, (r.request.url, k, r.headers.get(k))


def _site_rows(env: Env) -> dict[str, dict]:
    with env.engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT code, name_zh, name_en, area_mu FROM site "
                "WHERE code = ANY(:c) ORDER BY code"
            ),
            {"c": list(SITE_CODES)},
        ).mappings()
        return {r["code"]: dict(r) for r in rows}


def _form_token(html: str) -> str:
    m = re.search(r'name="form_token" value="([0-9a-f]+)"', html)
    assert m
    return m.group(1)


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(p.extract_text() for p in reader.pages)


def test_page_shows_every_site_in_the_links_language_with_hygiene(env: Env, rec: Rec) -> None:
    anon = env.make_anon()
    sites = _site_rows(env)
    r = anon.get(f"/r/{rec.token('zh')}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    _hygienic(r)
    html = r.text
    assert '<html lang="zh-CN">' in html
    for code, s in sites.items():
        assert f'id="site-{code}"' in html
        assert s["name_zh"] in html and s["name_en"] in html  # both languages
        assert f"{fmt_num(s['area_mu'], 2)} 亩" in html
    assert "推荐理由2" in html and "一类工业用地" in html  # officer's note, land-use label
    assert "Why site 2" not in html  # the other language's note is not the page's
    # only the app's own assets; every inline script carries the CSP nonce
    assert external_references(html) == []
    nonce = re.search(r"'nonce-([^']+)'", r.headers["content-security-policy"]).group(1)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in s for s in scripts)
    # the English link opens in English; either page switches to the other language
    r = anon.get(f"/r/{rec.token('en')}")
    assert '<html lang="en">' in r.text and "Why site 2" in r.text
    assert f'href="/r/{rec.token("en")}?lang=zh"' in r.text
    r = anon.get(f"/r/{rec.token('zh')}?lang=en")
    assert '<html lang="en">' in r.text and "Sites for a marine equipment project" in r.text


def test_json_variant_has_the_recommended_sites_only(env: Env, rec: Rec) -> None:
    anon = env.make_anon()
    a = anon.get(f"/r/{rec.token('en')}.json")
    b = anon.get(f"/r/{rec.token('en')}?format=json")
    for r in (a, b):
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        _hygienic(r)
    data = a.json()
    assert data == b.json()
    assert [s["code"] for s in data["sites"]] == list(SITE_CODES)
    assert data["language"] == "en" and data["title_en"] == "Sites for a marine equipment project"
    plant = data["sites"][1]
    assert plant["buildings"] and {"rent_yuan_m2_month", "floor_load_kg_m2"} <= set(
        plant["buildings"][0]
    )
    assert {d["kind"]["key"] for d in plant["distances"]} >= {
        "port",
        "ferry_terminal",
        "expressway_interchange",
    }
    assert plant["geometry"]["type"] == "MultiPolygon"
    assert "site_id" not in plant and "id" not in plant  # internal ids stay internal


def test_pdf_contains_every_site_name_and_area(env: Env, rec: Rec) -> None:
    anon = env.make_anon()
    sites = _site_rows(env)
    for lang in ("zh", "en"):
        r = anon.get(f"/r/{rec.token(lang)}.pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")
        _hygienic(r)
        text = _pdf_text(r.content)
        for s in sites.values():
            assert s[f"name_{lang}"] in text
            assert fmt_num(s["area_mu"], 2) in text
            assert "m²" in text


def test_robots_txt_disallows_links(client: TestClient) -> None:
    r = client.get("/robots.txt")
    assert r.status_code == 200
    assert "Disallow: /r/" in r.text.splitlines()


def _normalised(r) -> tuple:
    headers = {k: v for k, v in r.headers.items() if k not in ("date",)}
    if "content-security-policy" in headers:
        headers["content-security-policy"] = re.sub(
            r"'nonce-[^']+'", "'nonce-*'", headers["content-security-policy"]
        )
    return r.status_code, r.content, sorted(headers.items())


def test_unknown_expired_and_revoked_tokens_get_the_same_404(env: Env) -> None:
    rec = make_recommendation(env)
    anon = env.make_anon()
    expired, revoked = rec.links["zh"], rec.links["en"]
    env.execute(
        "UPDATE share_link SET expires_at = now() - interval '1 minute' WHERE id = :i",
        i=expired["id"],
    )
    env.officer.delete(f"/api/recommendations/{rec.id}/links/{revoked['id']}")
    tokens = {
        "unknown": secrets.token_urlsafe(32),
        "expired": rec.token("zh"),
        "revoked": rec.token("en"),
        "malformed": "abc",
    }
    for suffix in ("", ".json", ".pdf", "?lang=en"):
        seen = {name: _normalised(anon.get(f"/r/{t}{suffix}")) for name, t in tokens.items()}
        first = seen["unknown"]
        assert first[0] == 404
        assert all(v == first for v in seen.values()), suffix
    r = anon.get(f"/r/{tokens['expired']}")
    _hygienic(r)
    assert "链接无效" in r.text and "Link not available" in r.text
    # and feedback through them is the same 404 too
    posts = {
        name: anon.post(f"/r/{t}/feedback", json={"kind": "interested", "site": "PT-BL-001"})
        for name, t in tokens.items()
    }
    assert {p.status_code for p in posts.values()} == {404}
    assert len({p.content for p in posts.values()}) == 1


def test_revoking_one_link_leaves_the_others_working(env: Env, rec: Rec) -> None:
    anon = env.make_anon()
    env.officer.delete(f"/api/recommendations/{rec.id}/links/{rec.links['zh']['id']}")
    assert anon.get(f"/r/{rec.token('zh')}").status_code == 404
    assert anon.get(f"/r/{rec.token('en')}").status_code == 200
    # an expired link comes back when the officer extends it
    env.execute(
        "UPDATE share_link SET expires_at = now() - interval '1 day' WHERE id = :i",
        i=rec.links["en"]["id"],
    )
    assert anon.get(f"/r/{rec.token('en')}").status_code == 404
    r = env.officer.post(
        f"/api/recommendations/{rec.id}/links/{rec.links['en']['id']}/extend", json={"days": 5}
    )
    assert r.status_code == 200
    assert anon.get(f"/r/{rec.token('en')}").status_code == 200


def test_token_is_not_a_key_to_the_api(env: Env, rec: Rec) -> None:
    anon = env.make_anon()
    token = rec.token("zh")
    for path in ("/api/sites", f"/api/recommendations/{rec.id}", "/api/me", "/map"):
        r = anon.get(path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, path
        anon.cookies.set("gis_app_session", token)
        r = anon.get(path, follow_redirects=False)
        anon.cookies.clear()
        assert r.status_code in (401, 303), path
        r = anon.get(f"{path}?token={token}", follow_redirects=False)
        assert r.status_code in (401, 303), path


def test_link_never_reaches_a_site_outside_its_recommendation(env: Env, rec: Rec) -> None:
    other = make_recommendation(env, ("PT-ZM-001",))
    anon = env.make_anon()
    data = anon.get(f"/r/{rec.token('zh')}.json").json()
    assert "PT-ZM-001" not in {s["code"] for s in data["sites"]}
    html = anon.get(f"/r/{rec.token('zh')}").text
    assert "PT-ZM-001" not in html
    token = _form_token(html)
    answers = {}
    for code in ("PT-ZM-001", "PT-NOPE-999"):  # in another recommendation / nowhere
        r = anon.post(
            f"/r/{rec.token('zh')}/feedback",
            json={"site": code, "kind": "interested", "form_token": token},
        )
        assert r.status_code == 422
        answers[code] = r.json()["detail"].replace(code, "<code>")
    assert answers["PT-ZM-001"] == answers["PT-NOPE-999"]
    assert env.scalar("SELECT count(*) FROM feedback") == 0
    # the other recommendation's link does not open this one's sites either
    data = anon.get(f"/r/{other.token('en')}.json").json()
    assert [s["code"] for s in data["sites"]] == ["PT-ZM-001"]


def _snapshot(env: Env) -> dict[str, str]:
    """md5 of every table's content (share_link without its view counters)."""
    out = {}
    with env.engine.connect() as c:
        tables = c.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('spatial_ref_sys', 'client_rate') ORDER BY 1"
            )
        ).scalars()
        for t in tables:
            expr = (
                "(to_jsonb(x) - 'view_count' - 'first_viewed_at' - 'last_viewed_at')::text"
                if t == "share_link"
                else "x::text"
            )
            out[t] = c.execute(
                sa.text(
                    f"SELECT md5(COALESCE(string_agg({expr}, '|' ORDER BY {expr}), '')) "
                    f'FROM "{t}" x'
                )
            ).scalar_one()
    return out


def test_get_changes_nothing_but_the_view_counter(env: Env, rec: Rec) -> None:
    """Nothing but the view counter (and the per-client request count of the rate limit)."""
    anon = env.make_anon()
    before = _snapshot(env)
    token = rec.token("zh")
    paths = [f"/r/{token}", f"/r/{token}?lang=en", f"/r/{token}.json", f"/r/{token}.pdf"]
    for p in paths:
        assert anon.get(p).status_code == 200
    anon.get(f"/r/{secrets.token_urlsafe(32)}")
    assert _snapshot(env) == before
    with env.engine.connect() as c:
        row = c.execute(
            sa.text(
                "SELECT view_count, first_viewed_at, last_viewed_at FROM share_link WHERE id = :i"
            ),
            {"i": rec.links["zh"]["id"]},
        ).one()
        other = c.execute(
            sa.text("SELECT view_count, first_viewed_at FROM share_link WHERE id = :i"),
            {"i": rec.links["en"]["id"]},
        ).one()
    assert row.view_count == len(paths)
    assert row.first_viewed_at < row.last_viewed_at
    assert other.view_count == 0 and other.first_viewed_at is None
    listed = env.officer.get(f"/api/recommendations/{rec.id}/links").json()
    assert listed[0]["view_count"] == len(paths) and listed[0]["last_viewed_at"]


def test_feedback_by_form_and_json_is_shown_to_the_officer(env: Env, rec: Rec) -> None:
    anon = env.make_anon()
    token = rec.token("zh")
    form_token = _form_token(anon.get(f"/r/{token}").text)
    r = anon.post(
        f"/r/{token}/feedback",
        data={
            "form_token": form_token,
            "site": "PT-KF-009",
            "kind": "visit_request",
            "question": "下周二可以看现场吗？",
            "reason": "",
            "lang": "zh",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    _hygienic(r)
    assert r.headers["location"] == f"/r/{token}?lang=zh&sent=visit_request#site-PT-KF-009"
    page = anon.get(r.headers["location"])
    assert "已收到您的反馈" in page.text
    r = anon.post(
        f"/r/{token}/feedback",
        json={
            "form_token": form_token,
            "site": "PT-BL-001",
            "kind": "not_suitable",
            "reason": "面积偏小",
        },
    )
    assert r.status_code == 201, r.text
    _hygienic(r)
    assert r.json()["site"] == "PT-BL-001" and r.json()["kind"]["key"] == "not_suitable"
    r = anon.post(
        f"/r/{token}/feedback",
        json={"form_token": form_token, "kind": "question", "question": "电价多少？"},
    )
    assert r.status_code == 201
    links = env.officer.get(f"/api/recommendations/{rec.id}/links").json()
    fb = links[0]["feedback"]
    assert [(f["site_code"], f["kind"]) for f in fb] == [
        ("PT-KF-009", "visit_request"),
        ("PT-BL-001", "not_suitable"),
        (None, "question"),
    ]
    assert fb[0]["question"] == "下周二可以看现场吗？" and fb[1]["reason"] == "面积偏小"
    assert fb[0]["language"] == "zh"
    assert links[1]["feedback"] == []


def test_feedback_is_validated(env: Env, rec: Rec) -> None:
    anon = env.make_anon()
    token = rec.token("en")
    ft = _form_token(anon.get(f"/r/{token}").text)
    url = f"/r/{token}/feedback"
    bad = [
        ({"form_token": ft, "site": "PT-BL-001", "kind": "not_suitable"}, 422, "reason"),
        ({"form_token": ft, "kind": "question", "question": "  "}, 422, "question"),
        ({"form_token": ft, "site": "PT-BL-001", "kind": "love"}, 422, "kind"),
        ({"form_token": ft, "kind": "interested"}, 422, "site"),
        ({"form_token": ft, "site": "PT-BL-001", "kind": "interested", "x": 1}, 422, "x"),
        (
            {"form_token": ft, "site": "PT-BL-001", "kind": "interested", "reason": "r" * 2001},
            422,
            "",
        ),
    ]
    for body, status, word in bad:
        r = anon.post(url, json=body)
        assert r.status_code == status, (body, r.text)
        assert word in r.json()["detail"]
        _hygienic(r)
    r = anon.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert anon.get(url).status_code == 405
    assert env.scalar("SELECT count(*) FROM feedback") == 0


def test_feedback_needs_the_pages_form_token(env: Env, rec: Rec) -> None:
    anon = env.make_anon()
    zh, en = rec.token("zh"), rec.token("en")
    ft_zh = _form_token(anon.get(f"/r/{zh}").text)
    ft_en = _form_token(anon.get(f"/r/{en}").text)
    assert ft_zh != ft_en
    body = {"site": "PT-BL-001", "kind": "interested"}
    for token, headers, status in [
        (None, {}, 403),  # no form token: a cross-site form cannot know it
        ("0" * 64, {}, 403),
        (ft_en, {}, 403),  # another link's token
        (ft_zh, {"Origin": "https://evil.example"}, 403),
        (ft_zh, {"Sec-Fetch-Site": "cross-site"}, 403),
        (ft_zh, {"Origin": "null", "Sec-Fetch-Site": "same-site"}, 403),
        # the page's own form under no-referrer: Chromium sends Origin null (issue 18)
        (ft_zh, {"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 201),
        (ft_zh, {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}, 201),
    ]:
        payload = body | ({"form_token": token} if token else {})
        r = anon.post(f"/r/{zh}/feedback", json=payload, headers=headers)
        assert r.status_code == status, (token, headers, r.text)
    # a cross-site HTML form gets the bilingual message page, not a redirect
    r = anon.post(
        f"/r/{zh}/feedback",
        data={"site": "PT-BL-001", "kind": "interested", "form_token": "nope"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    _hygienic(r)
    assert env.scalar("SELECT count(*) FROM feedback") == 2


def test_feedback_per_day_is_bounded(env: Env, rec: Rec) -> None:
    anon = env.make_anon(LinkSettings(feedback_max_per_day=2))
    token = rec.token("zh")
    ft = _form_token(anon.get(f"/r/{token}").text)
    body = {"site": "PT-BL-001", "kind": "interested", "form_token": ft}
    assert [anon.post(f"/r/{token}/feedback", json=body).status_code for _ in range(2)] == [
        201,
        201,
    ]
    r = anon.post(f"/r/{token}/feedback", json=body)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    _hygienic(r)


def test_guessing_tokens_finds_nothing_and_hits_the_rate_limit(env: Env, rec: Rec) -> None:
    limits = LinkSettings(rate_limit_requests=100, rate_limit_window_s=600)
    guesser = env.make_anon(limits, client="198.51.100.9")
    codes = [guesser.get(f"/r/{secrets.token_urlsafe(32)}").status_code for _ in range(2000)]
    assert 200 not in codes
    assert codes[:100] == [404] * 100
    assert set(codes[100:]) == {429}
    r = guesser.get(f"/r/{rec.token('zh')}")  # even a real token, from the same client
    assert r.status_code == 429
    _hygienic(r)
    assert 0 < int(r.headers["retry-after"]) <= 600
    assert "请求过于频繁" in r.text or "too many" in r.text.lower()
    # other clients of the same app are not affected
    other = TestClient(guesser.app, client=("192.0.2.1", 40000))
    assert other.get(f"/r/{rec.token('zh')}").status_code == 200


@pytest.mark.parametrize("suffix", ["", ".json", ".pdf"])
def test_rate_limited_responses_are_hygienic(env: Env, rec: Rec, suffix: str) -> None:
    anon = env.make_anon(LinkSettings(rate_limit_requests=1))
    assert anon.get(f"/r/{rec.token('zh')}{suffix}").status_code == 200
    r = anon.get(f"/r/{rec.token('zh')}{suffix}")
    assert r.status_code == 429 and r.headers["retry-after"]
    _hygienic(r)


def test_page_and_pdf_explain_what_each_site_meets_and_misses(env: Env) -> None:
    req = {
        "project_name": "P",
        "need": "land",
        "land_mu_min": 40,
        "land_mu_max": 60,
        "max_km_port": 12,
        "land_use_codes": ["1001"],
        "accept_availability": ["available", "negotiating"],
        "near_miss_margin_pct": 30,
    }
    rid = env.officer.post("/api/requirements", json=req).json()["id"]
    r = env.officer.post(
        "/api/recommendations",
        json={"requirement_id": rid, "top": 4, "include_near_misses": True},
    )
    assert r.status_code == 201, r.text
    outcomes = {s["code"]: s["explanation"]["outcome"] for s in r.json()["sites"]}
    assert outcomes["PT-BL-001"] == "match" and outcomes["PT-BL-003"] == "near_miss"
    link = env.officer.post(
        f"/api/recommendations/{r.json()['id']}/links",
        json={"recipient_name": "x", "language": "en"},
    ).json()
    anon = env.make_anon()
    token = link["token"]
    sites = {s["code"]: s for s in anon.get(f"/r/{token}.json").json()["sites"]}
    match, near = sites["PT-BL-001"]["explanation"], sites["PT-BL-003"]["explanation"]
    assert {"land_area", "port_distance", "land_use", "kind"} <= {
        i["criterion"] for i in match["meets"]
    }
    assert match["misses"] == []
    [missed] = near["misses"]
    assert missed["criterion"] == "land_area"
    assert missed["required"] == {"zh": "40–60 亩", "en": "40–60 mu"}
    shown, unit = missed["site_value"]["en"].split()
    assert unit == "mu" and abs(float(shown) - sites["PT-BL-003"]["area"]["mu"]) <= 0.051
    port = next(i for i in match["meets"] if i["criterion"] == "port_distance")
    assert port["required"]["en"] == "≤ 12 km" and port["site_value"]["en"].endswith(" km")
    html = anon.get(f"/r/{token}").text
    assert "Why this site" in html and "near miss" in html and "(required 40–60 mu)" in html
    text = _pdf_text(anon.get(f"/r/{token}.pdf").content)
    assert "× Land area" in text and "√ Land area" in text


def test_building_lines_come_from_the_public_building_fields(env: Env) -> None:
    """Each building on the investor page lists its public fields (registry order and
    labels); a year is a year (not 2,018) and a crane says how many."""
    from gis_app.domain import public_schema

    rec = make_recommendation(env, ("PT-DG-003",))
    html = env.make_anon().get(f"/r/{rec.token('zh')}").text
    specs = re.findall(r'<dl class="inv-specs">(.*?)</dl>', html, re.S)
    assert len(specs) == 3  # the site's three buildings
    joined = " ".join(specs)
    assert "<dt>建成年份</dt><dd>2018</dd>" in joined
    assert "<dt>行车</dt><dd>16 t × 1</dd>" in joined
    assert "<dt>层高</dt><dd>8.5 m</dd>" in joined
    assert "<dt>环评</dt><dd>区域环评已覆盖" in joined
    # every public building field is shown (a line of its own, or in the heading or area
    # line): a new public field appears without more code
    values = {
        "text": "x",
        "float": 1.5,
        "int": 3,
        "bool": True,
        "date": None,
        "text_list": [],
    }
    full = {}
    for name, f in public_schema.PUBLIC_BUILDING_FIELDS.items():
        if f.vocabulary is not None:
            key = next(iter(f.vocabulary.keys))
            full[name] = public_schema.label_of(f.vocabulary, key)
        else:
            full[name] = values[f.type]
    rows = dict(public_schema.building_rows(public_schema.PublicBuilding(**full), "en"))
    shown_apart = public_schema._BUILDING_ROWS_OF
    assert len(rows) == len(public_schema.PUBLIC_BUILDING_FIELDS) - len(shown_apart)
