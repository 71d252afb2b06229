"""Public routes ignore credentials: a stale or wrong token never locks anyone out of the
health probes, the login page or robots.txt (issue 18, defect 8); private routes still refuse."""

from __future__ import annotations

import pytest

BAD = [
    {"Authorization": "Bearer gat_not-a-real-token"},
    {"Authorization": "Basic dXNlcjpwdw=="},
    {"Cookie": "gis_app_session=forged"},
]


@pytest.mark.parametrize("headers", BAD)
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/login", "/robots.txt"])
def test_public_route_ignores_bad_credentials(client, path: str, headers: dict) -> None:
    r = client.get(path, headers=headers)
    assert r.status_code == 200, (path, headers, r.status_code, r.text[:200])


def test_private_route_still_refuses_a_bad_token(client) -> None:
    r = client.get("/api/sites", headers=BAD[0])
    assert r.status_code == 401
    assert "token" in r.json()["detail"]
    assert client.get("/api/sites", headers=BAD[2]).status_code == 401
