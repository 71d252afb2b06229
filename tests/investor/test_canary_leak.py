"""Canary leak test: every internal field of sites, buildings, requirements, recommendations and
other links holds a unique canary; nothing under /r/ (page, JSON, PDF text, feedback answers,
error pages) may contain any of them."""

from __future__ import annotations

import io
import re
import secrets

from investor_helpers import Env, token_of
from pypdf import PdfReader

SITE_TEXT = (
    "owner_name",
    "owner_contact",
    "internal_note",
    "negotiation_note",
    "blocking_note",
    "source_doc",
    "verified_by",
)
BUILDING_TEXT = ("owner_contact", "internal_note")
# numbers that only internal or confidential fields hold, searched as digits with and without
# thousands separators; nine digits cannot occur by chance in coordinates (six decimals) or
# in the page's hex tokens
PRICE_FLOOR = 918273645.5
INVEST_TOTAL = 736451928.25
TAX_COMMIT = 564738291.75
MAX_PRICE = 827364519.5


def _canary(what: str) -> str:
    return f"CANARY{secrets.token_hex(4)}{what}"


def _numbers(x: float) -> list[str]:
    whole = int(x)
    return [str(whole), f"{whole:,}"]


def test_no_internal_field_reaches_any_investor_response(env: Env) -> None:
    canaries: list[str] = []

    def c(what: str) -> str:
        value = _canary(what)
        canaries.append(value)
        return value

    # sites and buildings: every internal text column of every site gets its own canary
    with env.engine.begin() as conn:
        for table, cols in (("site", SITE_TEXT), ("building", BUILDING_TEXT)):
            ids = conn.exec_driver_sql(f"SELECT id FROM {table}").scalars().all()
            for i in ids:
                values = {col: c(f"{table}{i}{col}") for col in cols}
                sets = ", ".join(f"{col} = %({col})s" for col in cols)
                conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE id = {int(i)}", values)
        conn.exec_driver_sql("UPDATE site SET price_floor_wan_per_mu = %s", (PRICE_FLOOR,))

    # the requirement: confidential, with every internal field set
    req = {
        "project_name": c("project"),
        "investor": c("investor"),
        "contact": c("contact"),
        "officer": "test-officer",
        "project_type": c("ptype"),
        "eia_category": c("eia"),
        "notes": c("notes"),
        "need": "land",
        "land_mu_min": 20,
        "land_mu_max": 120,
        "max_km_port": 30,
        "land_use_codes": ["1001"],
        "accept_availability": ["available", "negotiating"],
        "preferred_blocks": [c("block")],
        "invest_total_wan": INVEST_TOTAL,
        "tax_commit_wan_per_mu_yr": TAX_COMMIT,
        "max_price_wan_per_mu": MAX_PRICE,
        "confidential": True,
    }
    r = env.officer.post("/api/requirements", json=req)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = env.officer.post(
        "/api/recommendations",
        json={
            "requirement_id": rid,
            "top": 4,
            "internal_note": c("recnote"),
            "title_zh": "选址推荐",
            "intro_en": "Sites for you.",
        },
    )
    assert r.status_code == 201, r.text
    rec = r.json()
    assert any(s["explanation"]["criteria"] for s in rec["sites"])

    # the link we read, another link of the same recommendation, and another recommendation
    # (another investor) with its own link; every recipient is a canary
    def link(rec_id: int, lang: str) -> str:
        r = env.officer.post(
            f"/api/recommendations/{rec_id}/links",
            json={"recipient_name": c("name"), "recipient_org": c("org"), "language": lang},
        )
        assert r.status_code == 201
        return token_of(r.json()["url"])

    token = link(rec["id"], "zh")
    sibling = link(rec["id"], "en")
    r = env.officer.post(
        "/api/recommendations",
        json={
            "sites": [{"site_id": rec["sites"][0]["site_id"], "note_zh": c("othernote")}],
            "title_zh": c("othertitle"),
            "title_en": c("othertitle"),
            "internal_note": c("otherinternal"),
        },
    )
    other_token = link(r.json()["id"], "en")

    anon = env.make_anon()
    # answers through the other links, with canary text
    for t in (sibling, other_token):
        ft = re.search(r'name="form_token" value="([0-9a-f]+)"', anon.get(f"/r/{t}").text)[1]
        code = anon.get(f"/r/{t}.json").json()["sites"][0]["code"]
        r = anon.post(
            f"/r/{t}/feedback",
            json={"site": code, "kind": "not_suitable", "reason": c("reason"), "form_token": ft},
        )
        assert r.status_code == 201
        r = anon.post(
            f"/r/{t}/feedback",
            json={"kind": "question", "question": c("question"), "form_token": ft},
        )
        assert r.status_code == 201

    # everything the investor of `token` can get
    texts: dict[str, str] = {}
    page = anon.get(f"/r/{token}")
    texts["page"] = page.text
    texts["page_en"] = anon.get(f"/r/{token}?lang=en").text
    texts["json"] = anon.get(f"/r/{token}.json").text
    texts["json_q"] = anon.get(f"/r/{token}?format=json").text
    for lang in ("zh", "en"):
        pdf = anon.get(f"/r/{token}.pdf?lang={lang}")
        assert pdf.status_code == 200
        texts[f"pdf_{lang}"] = "\n".join(
            p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages
        )
    ft = re.search(r'name="form_token" value="([0-9a-f]+)"', page.text)[1]
    code = anon.get(f"/r/{token}.json").json()["sites"][0]["code"]
    answers = [
        anon.post(
            f"/r/{token}/feedback",
            json={"site": code, "kind": "interested", "question": "ok", "form_token": ft},
        ),
        anon.post(
            f"/r/{token}/feedback",
            data={"site": code, "kind": "visit_request", "form_token": ft},
        ),  # follows the redirect to the thank-you page
        anon.post(f"/r/{token}/feedback", json={"site": code, "kind": "x", "form_token": ft}),
        anon.post(f"/r/{token}/feedback", json={"site": "PT-LH-005", "kind": "interested"}),
        anon.post(
            f"/r/{token}/feedback", json={"site": "NOPE", "kind": "interested", "form_token": ft}
        ),
        anon.get(f"/r/{secrets.token_urlsafe(32)}"),
    ]
    assert [a.status_code for a in answers] == [201, 200, 422, 403, 422, 404]
    for i, a in enumerate(answers):
        texts[f"answer{i}"] = a.text + " " + " ".join(f"{k}: {v}" for k, v in a.headers.items())
    # sanity: the page is the real thing (so an empty page cannot pass)
    assert all(s["code"] in texts["page"] for s in rec["sites"])
    assert "选址推荐" in texts["pdf_zh"]

    forbidden = [*canaries, "test-officer"]
    for x in (PRICE_FLOOR, INVEST_TOTAL, TAX_COMMIT, MAX_PRICE):
        forbidden += _numbers(x)
    leaks = [(name, f) for name, text in texts.items() for f in forbidden if f in text]
    assert leaks == []
    # and the canaries are really in the database (the test could fail)
    with env.engine.connect() as conn:
        dump = " ".join(
            conn.exec_driver_sql(f"SELECT string_agg(x::text, ' ') FROM {t} x").scalar() or ""
            for t in (
                *("site", "building", "requirement", "recommendation", "recommendation_site"),
                *("share_link", "feedback"),
            )
        )
    assert [f for f in canaries if f not in dump] == []
