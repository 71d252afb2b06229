"""Canary leak test: every internal field of sites, buildings, requirements, recommendations and
other links holds a unique canary; nothing under /r/ (page, JSON, PDF text, feedback answers,
error pages) may contain any of them."""

from __future__ import annotations

import io
import re
import secrets

from files.photo_helpers import jpeg_with_exif
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
# a project's financials (issue 27): its capital, investment and monthly figures
CAPITAL = 615243879.5
FIXED_ASSET = 592837461.25
MONTH_FIGURES = {
    "funds_registered_wan": 473829165.5,
    "funds_fixed_asset_wan": 384756192.5,
    "foreign_capital_usd_wan": 293847561.5,
    "tax_wan": 182736459.5,
    "output_wan": 748392615.5,
}


def _canary(what: str) -> str:
    return f"CANARY{secrets.token_hex(4)}{what}"


def _pdf_text(conn, attachment_id: int) -> str:
    data = conn.exec_driver_sql(
        "SELECT content FROM attachment WHERE id = %s", (attachment_id,)
    ).scalar_one()
    return PdfReader(io.BytesIO(bytes(data))).pages[0].extract_text()


def _numbers(x: float) -> list[str]:
    whole = int(x)
    return [str(whole), f"{whole:,}"]


def _pdf_saying(text: str) -> bytes:
    """A PDF document (a 控规 extract, say) whose text is ``text``."""
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    c = Canvas(out)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return out.getvalue()


def test_no_internal_field_reaches_any_investor_response(env: Env, client_as) -> None:
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

    # files of the recommended sites: an internal PDF whose text is a canary, a public photo
    # and a public PDF whose file names are canaries (names are never shown to investors)
    planner = client_as("planner", url=env.url)
    first = rec["sites"][0]["site_id"]
    uploads = [
        (_pdf_saying(c("internalpdf")), f"{c('pdfname')}.pdf", "false"),
        (jpeg_with_exif(), f"{c('photoname')}.jpg", "true"),
        (_pdf_saying("public plan"), f"{c('publicpdfname')}.pdf", "true"),
    ]
    file_ids = []
    for data, name, public in uploads:
        r = planner.post(
            f"/api/sites/{first}/attachments",
            files={"file": (name, data, "application/octet-stream")},
            data={"public": public},
        )
        assert r.status_code == 201, r.text
        file_ids.append(r.json()["id"])
    env.execute(
        "UPDATE app_user SET contact = :c WHERE username = 'test-officer'", c="0580-1234567"
    )
    # a project took the recommended site: its investor, notes and financials are internal
    r = env.officer.post(
        "/api/projects",
        json={
            "code": c("projcode"),
            "name": c("projname"),
            "sector": "manufacturing",
            "investor": c("projinvestor"),
            "notes": c("projnotes"),
            "platform": c("projplatform"),
            "registered_capital_wan": CAPITAL,
            "planned_fixed_asset_wan": FIXED_ASSET,
            "site_codes": [rec["sites"][0]["code"]],
            "milestones": {"signed": {"actual_date": "2026-01-10"}},
        },
    )
    assert r.status_code == 201, r.text
    r = env.officer.put(f"/api/projects/{r.json()['id']}/months/2026-02", json=MONTH_FIGURES)
    assert r.status_code == 200, r.text

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
    view = anon.get(f"/r/{token}.json").json()
    for site in view["sites"]:
        for lang in ("zh", "en"):
            pdf = anon.get(f"/r/{token}/sites/{site['code']}/brochure.pdf?lang={lang}")
            assert pdf.status_code == 200
            texts[f"brochure_{site['code']}_{lang}"] = "\n".join(
                p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages
            ) + " ".join(f"{k}: {v}" for k, v in pdf.headers.items())
    # the files the investor may open: the two public ones; the internal one is the link's 404
    shown = [f["id"] for s in view["sites"] for f in s["files"]]
    assert shown == file_ids[1:]
    for fid in shown:
        r = anon.get(f"/r/{token}/files/{fid}")
        assert r.status_code == 200
        texts[f"file{fid}"] = " ".join(f"{k}: {v}" for k, v in r.headers.items())
        if r.headers["content-type"] == "application/pdf":
            texts[f"file{fid}"] += PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    hidden = anon.get(f"/r/{token}/files/{file_ids[0]}")
    assert hidden.status_code == 404
    texts["hidden_file"] = hidden.text
    ft = re.search(r'name="form_token" value="([0-9a-f]+)"', page.text)[1]
    code = view["sites"][0]["code"]
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
    assert "0580-1234567" in texts["pdf_zh"]  # the officer's contact is meant to be there

    forbidden = [*canaries, "test-officer"]
    for x in (PRICE_FLOOR, INVEST_TOTAL, TAX_COMMIT, MAX_PRICE, CAPITAL, FIXED_ASSET):
        forbidden += _numbers(x)
    for x in MONTH_FIGURES.values():
        forbidden += _numbers(x)
    leaks = [(name, f) for name, text in texts.items() for f in forbidden if f in text]
    assert leaks == []
    # and the canaries are really in the database (the test could fail)
    with env.engine.connect() as conn:
        dump = " ".join(
            conn.exec_driver_sql(f"SELECT string_agg(x::text, ' ') FROM {t} x").scalar() or ""
            for t in (
                *("site", "building", "requirement", "recommendation", "recommendation_site"),
                *("share_link", "feedback", "project"),
            )
        )
        dump += " ".join(
            conn.exec_driver_sql("SELECT filename FROM attachment").scalars().all()
        ) + _pdf_text(conn, file_ids[0])
    assert [f for f in canaries if f not in dump] == []


def test_the_referring_district_sees_no_internal_field_of_the_other(env: Env) -> None:
    """Issue 26, item 3: 普陀区 refers a requirement to 定海区, which matches it against its
    sites and sends its own recommendation and link. Every internal field of Dinghai's sites,
    buildings, recommendation and link holds a canary; nothing Putuo's officer reads about the
    requirement (its page, the live part, the list, the referral outcome, the match, the
    recommendations) holds any of them, nor any Dinghai site at all — only the outcome."""
    from gis_app.services import accounts

    canaries: list[str] = []

    def c(what: str) -> str:
        value = _canary(what)
        canaries.append(value)
        return value

    dinghai = "330902"
    with env.engine.begin() as conn:
        in_dinghai = "SELECT id FROM site WHERE district_code = %(d)s"
        for table, cols, where in (
            ("site", SITE_TEXT, f"id IN ({in_dinghai})"),
            ("building", BUILDING_TEXT, f"site_id IN ({in_dinghai})"),
        ):
            ids = conn.exec_driver_sql(f"SELECT id FROM {table} WHERE {where}", {"d": dinghai})
            for i in ids.scalars().all():
                values = {col: c(f"dh{table}{i}{col}") for col in cols}
                sets = ", ".join(f"{col} = %({col})s" for col in cols)
                conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE id = {int(i)}", values)
        conn.exec_driver_sql(
            "UPDATE site SET price_floor_wan_per_mu = %s WHERE district_code = %s",
            (PRICE_FLOOR, dinghai),
        )
        accounts.create_user(conn, "dh-officer", "test-password-1", ["officer"], None, dinghai)
        _, token = accounts.create_token(conn, "dh-officer", "tests")
        # the referring officer is Putuo's (the default test officer is the city's)
        accounts.create_user(conn, "pt-officer", "test-password-1", ["officer"], None, "330903")
        _, pt_token = accounts.create_token(conn, "pt-officer", "tests")
    dh = env.make_anon()
    dh.headers["Authorization"] = f"Bearer {token}"

    putuo = env.make_anon()
    putuo.headers["Authorization"] = f"Bearer {pt_token}"
    r = putuo.post(
        "/api/requirements",
        json={
            "project_name": "转介·精密机械",
            "need": "land",
            "land_mu_min": 20,
            "land_mu_max": 60,
            "land_use_codes": ["1001"],
            "accept_availability": ["available", "negotiating"],
        },
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = putuo.post(
        f"/api/requirements/{rid}/referrals", json={"to_district": dinghai, "note": "请定海协助"}
    )
    assert r.status_code == 201, r.text
    ref_id = r.json()["id"]
    matched = dh.post(f"/api/referrals/{ref_id}/match")
    assert matched.status_code == 200, matched.text
    assert "ZS-DH-LC-001" in matched.text  # Dinghai's own officers see their sites
    r = dh.post(
        "/api/recommendations",
        json={
            "requirement_id": rid,
            "top": 2,
            "internal_note": c("dhrecnote"),
            "title_zh": c("dhtitle"),
            "intro_zh": c("dhintro"),
        },
    )
    assert r.status_code == 201, r.text
    rec_id = r.json()["id"]
    r = dh.post(
        f"/api/recommendations/{rec_id}/links",
        json={"recipient_name": c("dhname"), "recipient_org": c("dhorg")},
    )
    assert r.status_code == 201, r.text

    texts = {
        "outcome": putuo.get(f"/api/requirements/{rid}/referrals"),
        "requirement": putuo.get(f"/api/requirements/{rid}"),
        "matches": putuo.get(f"/api/requirements/{rid}/matches?limit=200&near_miss_limit=100"),
        "recommendations": putuo.get(f"/api/recommendations?requirement_id={rid}"),
        "recommendation": putuo.get(f"/api/recommendations/{rec_id}"),
        "links": putuo.get(f"/api/recommendations/{rec_id}/links"),
        "page": putuo.get(f"/requirements/{rid}?limit=200&near_miss_limit=100"),
        "page_en": putuo.get(f"/requirements/{rid}?lang=en"),
        "live": putuo.get(f"/requirements/{rid}/live"),
        "list": putuo.get("/requirements"),
    }
    assert texts["recommendation"].status_code == texts["links"].status_code == 404
    for name in ("outcome", "requirement", "matches", "recommendations", "page", "live", "list"):
        assert texts[name].status_code == 200, (name, texts[name].text[:200])
    # sanity: the outcome is there (so an empty answer cannot pass)
    (outcome,) = texts["outcome"].json()
    assert outcome["status"] == "accepted" and outcome["matched_count"] >= 1
    assert outcome["recommendation_sent"] is True
    assert "定海区（示意范围）" in texts["page"].text
    assert "gis-referral-outcomes" in texts["page"].text
    leaks = [
        (name, f)
        for name, r in texts.items()
        for f in (*canaries, *_numbers(PRICE_FLOOR), "ZS-DH-")
        if f in r.text
    ]
    assert leaks == []
    with env.engine.connect() as conn:
        dump = " ".join(
            conn.exec_driver_sql(f"SELECT string_agg(x::text, ' ') FROM {t} x").scalar() or ""
            for t in ("site", "building", "recommendation", "share_link")
        )
    assert [f for f in canaries if f not in dump] == []
