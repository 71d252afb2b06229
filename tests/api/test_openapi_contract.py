"""The API does what /openapi.json says (issue 18, defect 7): one error body, documented once;
security schemes; multipart imports; export media types; Allow on 405; strict booleans; users
with at least one known role."""

from __future__ import annotations

from gis_app.io.export import EXPORT_FORMATS


def test_openapi_documents_security_errors_and_media_types(client_as) -> None:
    spec = client_as("officer").get("/openapi.json").json()
    comp = spec["components"]
    assert {"bearerToken", "sessionCookie"} <= set(comp["securitySchemes"])
    assert "ErrorBody" in comp["schemas"] and "HTTPValidationError" not in comp["schemas"]
    ops = [(p, m, op) for p, item in spec["paths"].items() for m, op in item.items()]
    for path, method, op in ops:
        where = f"{method.upper()} {path}"
        assert "422" in op["responses"] and "503" in op["responses"], where
        assert any(s.startswith("2") or s == "303" for s in op["responses"]), where
        if path not in ("/healthz", "/readyz", "/login"):
            assert op["security"] and "401" in op["responses"] and "403" in op["responses"], where
        if "{" in path:
            assert "404" in op["responses"], where
    upload = spec["paths"]["/api/imports"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    export = spec["paths"]["/api/exports/sites"]["get"]["responses"]["200"]["content"]
    assert set(export) == {media.split(";")[0] for _, media in EXPORT_FORMATS.values()}


def test_error_bodies_have_the_documented_shape(client_as) -> None:
    officer = client_as("officer")
    r = officer.get("/api/sites", params={"limit": "many"})
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str) and "limit" in r.json()["detail"]
    assert r.json()["errors"][0]["loc"] == ["query", "limit"]
    r = officer.get("/api/sites/999999999")
    assert r.status_code == 404 and isinstance(r.json()["detail"], str)


def test_405_allows_every_method_of_the_path(client_as) -> None:
    officer = client_as("officer")
    r = officer.put("/api/requirements/1")
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}
    r = officer.patch("/api/sites/merge", json={})
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_booleans_are_json_booleans_and_users_need_a_known_role(client_as, make_db) -> None:
    admin = client_as("admin", url=make_db("empty"))
    r = admin.post("/api/users", json={"username": "no-role", "roles": []})
    assert r.status_code == 422 and "roles" in r.json()["detail"]
    r = admin.post("/api/users", json={"username": "chef", "roles": ["chef"]})
    assert r.status_code == 422 and "roles" in r.json()["detail"]
    r = admin.post("/api/users", json={"username": "olga", "roles": ["officer"]})
    assert r.status_code == 201
    for value in (0, 1, "false", "yes"):
        r = admin.patch("/api/users/olga", json={"disabled": value})
        assert r.status_code == 422 and "disabled" in r.json()["detail"], value
    r = admin.patch("/api/users/olga", json={"roles": []})
    assert r.status_code == 422 and "roles" in r.json()["detail"]
    r = admin.patch("/api/users/olga", json={"disabled": False})
    assert r.status_code == 200 and r.json()["disabled"] is False
