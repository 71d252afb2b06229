"""Investors' answers as alerts for the requirement's officer, over the API: raised by the
answer, counted per requirement on the pages, marked read by the officer only."""

from __future__ import annotations

import re

from gis_app.services import share_links

PLANT = {
    "project_name": "反馈提醒",
    "need": "plant",
    "tenure": "lease",
    "gfa_m2_min": 1000,
    "accept_availability": ["available", "negotiating"],
}


def test_an_answer_raises_an_alert_until_marked_read(client_as, make_db) -> None:
    url = make_db("sample")
    officer = client_as("officer", url=url)
    rid = officer.post("/api/requirements", json=PLANT).json()["id"]
    match = officer.get(f"/api/requirements/{rid}/matches").json()
    site = match["matches"][0]
    rec = officer.post(
        "/api/recommendations",
        json={"requirement_id": rid, "sites": [{"site_id": site["site_id"]}]},
    ).json()
    link = officer.post(
        f"/api/recommendations/{rec['id']}/links", json={"recipient_name": "周总"}
    ).json()
    token = link["url"].rsplit("/r/", 1)[1]
    assert officer.get("/api/alerts", params={"unseen": True}).json() == []

    # the investor's question (a general one: no site named)
    from fastapi.testclient import TestClient

    anon = TestClient(officer.app)
    page = anon.get(f"/r/{token}")
    form_token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    body = {"kind": "question", "question": "电价多少？ <b>x</b>"}
    if form_token:
        body["form_token"] = form_token.group(1)
    r = anon.post(f"/r/{token}/feedback", json=body)
    assert r.status_code == 201, r.text

    alerts = officer.get("/api/alerts", params={"unseen": True}).json()
    assert len(alerts) == 1 and alerts[0]["requirement_id"] == rid
    assert alerts[0]["reason"].startswith("客商反馈 · 咨询 / Investor answer · Question")
    assert "电价多少？ <b>x</b>" in alerts[0]["reason"]
    assert alerts[0]["site_id"] == site["site_id"]  # the recommendation's first site
    # the alert names the answer it tells of (the matching triggers' alerts name none)
    import sqlalchemy as sa

    with sa.create_engine(url).connect() as c:
        named = c.execute(
            sa.text(
                "SELECT f.kind FROM alert a JOIN feedback f ON f.id = a.feedback_id WHERE a.id = :a"
            ),
            {"a": alerts[0]["id"]},
        ).scalar()
    assert named == "question"

    live = officer.get(f"/requirements/{rid}/live")
    assert 'id="gis-answers-badge" data-count="1"' in live.text
    assert "电价多少？ &lt;b&gt;x&lt;/b&gt;" in live.text
    listing = officer.get("/requirements")
    assert 'class="gis-count-badge gis-answers-badge" data-count="1"' in listing.text

    # a planner cannot mark them read; the officer can
    planner = client_as("planner", url=url)
    assert planner.post("/api/alerts/answers/read", json={"requirement_id": rid}).status_code == 403
    r = officer.post("/api/alerts/answers/read", json={"requirement_id": rid})
    assert r.status_code == 200 and r.json() == {"marked": 1}
    assert officer.get("/api/alerts", params={"unseen": True}).json() == []
    assert "gis-answers-badge" not in officer.get(f"/requirements/{rid}/live").text


def test_answer_reason_is_bilingual_and_bounded() -> None:
    from gis_app.services import answers

    reason = answers.answer_reason("not_suitable", "x" * 500)
    assert reason.startswith("客商反馈 · 不合适 / Investor answer · Not suitable: ")
    assert len(reason) < 300 and reason.endswith("…")
    assert share_links.answers is answers
