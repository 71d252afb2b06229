"""Schemathesis over every API operation of the served app, as admin, officer, planner, leader and
anonymous: no server error, and every answer as ``/openapi.json`` documents it (status code,
content type, body schema, headers, ``Allow`` on 405 …).

Each role fuzzes the operations its policy lets it call (the others answer 401/403 before
reading anything, which ``tests/auth/test_authorization_matrix.py`` checks for every role and
route); together the roles cover every operation of the schema (checked).

The app is served by uvicorn on 127.0.0.1 against a throw-away copy of the sample database (the
client path of scripts); schemathesis runs as its own process (its CLI, ``st run``), so the
fuzzer and the server do not share one Python interpreter on this 2-core machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from e2e.e2e_helpers import LiveApp, start_app

from api.app import create_app
from api.auth import iter_api_routes, route_policy
from gis_app.db.engine import make_engine
from gis_app.services import accounts
from gis_app.settings import DatabaseSettings, Settings

pytestmark = pytest.mark.slow

ROLES = ("admin", "officer", "planner", "leader", "anonymous")
CONFIG = Path(__file__).with_name("schemathesis.toml")
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "options", "head", "trace"})
#: operations that can lock the fuzzing user out for the rest of a run: revoking its own token
#: (token ids are small integers, and the stateful phase links POST /api/tokens and GET
#: /api/tokens to DELETE), disabling its own account or replacing its roles (GET /api/users lists
#: it). They are fuzzed too, but in a second run of their own after every other operation.
SELF_LOCKING = ("/api/tokens/{token_id}", "/api/users/{username}")
#: test cases per operation and phase; bounded so that the five runs take ~4 minutes together
MAX_EXAMPLES = int(os.environ.get("GIS_APP_FUZZ_EXAMPLES", "4"))
SEED = int(os.environ.get("GIS_APP_FUZZ_SEED", "18"))


def api_token_for(url: str, role: str) -> str:
    """A new API token of a user ``fuzz-<role>`` holding ``role`` in the database at ``url``.

    (tests/conftest.py has the same helper, but ``from conftest import`` is ambiguous when a
    run collects several folders with a conftest.py.)
    """
    eng = make_engine(url)
    try:
        with eng.begin() as c:
            name = f"fuzz-{role}"
            if (
                c.execute(
                    sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": name}
                ).first()
                is None
            ):
                accounts.create_user(c, name, "fuzz-password-1", [role])
            return accounts.create_token(c, name, "schemathesis")[1]
    finally:
        eng.dispose()


@pytest.fixture
def live(make_db) -> Iterator[LiveApp]:
    """The app served on 127.0.0.1 against a fresh copy of the sample database."""
    app = start_app(make_db("sample"))
    try:
        yield app
    finally:
        app.stop()


def _schema(app: LiveApp, folder: Path) -> Path:
    token = api_token_for(app.db_url, "admin")
    # the first request builds the schema: seconds on a busy machine
    r = httpx.get(
        f"{app.base_url}/openapi.json", headers={"Authorization": f"Bearer {token}"}, timeout=120
    )
    r.raise_for_status()
    path = folder / "openapi.json"
    path.write_text(json.dumps(r.json()))
    return path


def _run(schema: Path, app: LiveApp, role: str, folder: Path, *extra: str) -> tuple[int, str]:
    cmd = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        str(schema),
        "--url",
        app.base_url,
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--no-color",
        "--continue-on-failure",
        "--request-timeout",
        "30",
        # see the redirects (POST /login, /logout: 303) as they are documented
        "--max-redirects",
        "0",
        "--generation-allow-x00",
        "true",
        *extra,
    ]
    if role != "anonymous":
        token = api_token_for(app.db_url, role)
        cmd += ["-H", f"Authorization: Bearer {token}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=folder, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def _allowed(db_url: str) -> dict[str, set[tuple[str, str]]]:
    """Per role, the operations (method, path) its route policy lets it call."""
    app = create_app(Settings(db=DatabaseSettings(database_url=db_url)))
    out: dict[str, set[tuple[str, str]]] = {role: set() for role in ROLES}
    for route in iter_api_routes(app):
        policy = route_policy(route)
        assert policy is not None, route.path_format
        for method in route.methods - {"HEAD"}:
            for role in ROLES:
                if policy.roles is None or role in policy.roles:
                    out[role].add((method.lower(), route.path_format))
    return out


def _names(names: list[str]) -> list[str]:
    return [arg for name in names for arg in ("--include-name", name)]


def test_the_roles_together_fuzz_every_operation(live: LiveApp, tmp_path: Path) -> None:
    doc = json.loads(_schema(live, tmp_path).read_text())
    every = {(m, p) for p, item in doc["paths"].items() for m in item if m in HTTP_METHODS}
    fuzzed = set().union(*_allowed(live.db_url).values())
    assert len(every) > 80 and every <= fuzzed, sorted(every - fuzzed)


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as(role: str, live: LiveApp, tmp_path: Path) -> None:
    schema = _schema(live, tmp_path)
    allowed = _allowed(live.db_url)[role]
    # by name ("GET /api/sites"), not a trimmed schema: Allow headers are checked against
    # every method the schema documents
    first = sorted(f"{m.upper()} {p}" for m, p in allowed if p not in SELF_LOCKING)
    last = sorted(f"{m.upper()} {p}" for m, p in allowed if p in SELF_LOCKING)
    assert first
    started = time.monotonic()
    code, out = _run(schema, live, role, tmp_path, *_names(first))
    if last:
        code_last, out_last = _run(schema, live, role, tmp_path, *_names(last))
        out = f"{out}\n--- the self-locking operations, last ---\n{out_last}"
        code = code or code_last
    took = time.monotonic() - started
    print(f"schemathesis as {role}: {took:.1f} s\n{out[-3000:]}")
    if os.environ.get("GIS_APP_FUZZ_LOG"):
        Path(os.environ["GIS_APP_FUZZ_LOG"], f"fuzz_{role}.log").write_text(out)
    assert code == 0, out[-20000:]
