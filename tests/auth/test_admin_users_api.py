"""User administration over the API: an admin cannot lock themselves out; the users page is
the admins' only."""

from __future__ import annotations


def test_an_admin_cannot_disable_themselves_or_drop_their_admin_role(client_as, make_db) -> None:
    admin = client_as("admin", url=make_db("sample"))
    me = admin.get("/api/me").json()["username"]
    r = admin.patch(f"/api/users/{me}", json={"disabled": True})
    assert r.status_code == 409 and "不能停用自己的账号" in r.json()["detail"]
    r = admin.patch(f"/api/users/{me}", json={"roles": ["officer"]})
    assert r.status_code == 409 and "admin role" in r.json()["detail"]
    assert admin.patch(f"/api/users/{me}", json={"roles": ["admin", "officer"]}).status_code == 200
    # another user: both changes go through
    made = admin.post("/api/users", json={"username": "other.admin", "roles": ["admin"]}).json()
    assert made["password"]
    r = admin.patch("/api/users/other.admin", json={"roles": ["officer"], "disabled": True})
    assert (
        r.status_code == 200 and r.json()["disabled"] is True and r.json()["roles"] == ["officer"]
    )


def test_users_page_lists_users_and_tokens_for_admins_only(client_as) -> None:
    page = client_as("admin").get("/admin/users")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="gis-user-create"' in page.text and 'data-username="test-admin"' in page.text
    assert client_as("officer").get("/admin/users").status_code == 403
    assert client_as("planner").get("/admin/users").status_code == 403


def test_an_admin_grants_roles_in_other_districts_and_the_user_reads_them(
    client_as, make_db
) -> None:
    from writers import CITY, DINGHAI, PUTUO

    url = make_db("sample")
    admin = client_as("admin", url=url)
    made = admin.post(
        "/api/users",
        json={"username": "pt.officer", "roles": ["officer"], "district_code": PUTUO},
    )
    assert made.status_code == 201, made.text
    r = admin.put(
        "/api/users/pt.officer/district-roles",
        json={"grants": [{"district_code": CITY, "role": "leader"}]},
    )
    assert r.status_code == 200, r.text
    # reader of the city, officer of Putuo
    assert r.json()["read_scope"] == sorted([CITY, DINGHAI, PUTUO])
    assert r.json()["write_scope"] == [PUTUO]
    assert r.json()["district_roles"] == [{"district_code": CITY, "role": "leader"}]
    listed = {u["username"]: u for u in admin.get("/api/users").json()}
    assert listed["pt.officer"]["district_roles"] == [{"district_code": CITY, "role": "leader"}]
    assert listed["test-admin"]["district_roles"] == []
    # a bad grant names the district or the role, and nothing of the request is kept
    bad = admin.put(
        "/api/users/pt.officer/district-roles",
        json={
            "grants": [
                {"district_code": DINGHAI, "role": "planner"},
                {"district_code": "999999", "role": "officer"},
            ]
        },
    )
    assert bad.status_code == 422 and "999999" in bad.text
    assert (
        admin.put(
            "/api/users/pt.officer/district-roles",
            json={"grants": [{"district_code": DINGHAI, "role": "admin"}]},
        ).status_code
        == 422
    )
    listed = {u["username"]: u for u in admin.get("/api/users").json()}
    assert listed["pt.officer"]["district_roles"] == [{"district_code": CITY, "role": "leader"}]
    # only admins grant
    officer = client_as("officer", url=url)
    assert (
        officer.put("/api/users/pt.officer/district-roles", json={"grants": []}).status_code == 403
    )
    assert admin.put("/api/users/pt.officer/district-roles", json={"grants": []}).json()[
        "read_scope"
    ] == [PUTUO]
