"""More officers at once than the server has database connections (issue 18, defect 3).

The app runs as ``gis-app serve`` in its own process with a deliberately small pool; 64
keep-alive clients send the officers' mix (bbox search, site detail, match) for a few seconds
while another client asks ``/readyz``. Every request must get an answer — 200, or 503 with
``Retry-After`` when it waited too long for a connection — none may hang, and the readiness
probe answers during and after.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench's load driver
from bench.load_driver import Inventory, ServedApp, officer_mix, run_load_sync

USERS = 64


def _drive(base: str, token: str, url: str, seconds: float):
    mix = officer_mix(Inventory.read(url))
    return run_load_sync(base, token, users=USERS, duration_s=seconds, mix=mix, timeout_s=30)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pool", "overflow", "queue_s", "expect_503"),
    [
        # a pool of 6 and a queue long enough: everyone waits a little, all answered with 200
        (4, 2, 10.0, False),
        # a pool of 2 and 50 ms of patience: most are refused at once with 503 + Retry-After
        (2, 0, 0.05, True),
    ],
)
def test_more_clients_than_connections_all_get_an_answer(
    make_db, token_for, pool: int, overflow: int, queue_s: float, expect_503: bool
) -> None:
    url = make_db("sample")
    token = token_for(url, "officer")
    env = {
        "GIS_APP_POOL_SIZE": str(pool),
        "GIS_APP_MAX_OVERFLOW": str(overflow),
        "GIS_APP_QUEUE_TIMEOUT_S": str(queue_s),
    }
    with ServedApp(url, env) as app:
        run = _drive(app.base_url, token, url, seconds=5)
        after = httpx.get(f"{app.base_url}/readyz", timeout=10)
        served_after = httpx.get(
            f"{app.base_url}/api/sites",
            params={"limit": 1},
            timeout=10,
            headers={"Authorization": f"Bearer {token}"},
        )
        log = app.stop()
    statuses = run.by_status()
    assert set(statuses) <= {"200", "503"}, (statuses, log[-2000:])
    assert statuses.get("200", 0) > 0, statuses
    assert all(o.retry_after for o in run.outcomes if o.status == 503)
    if expect_503:
        assert statuses.get("503", 0) > 0, statuses
    else:
        assert "503" not in statuses, statuses
    # /readyz answered while the load ran, and after it
    assert run.probes and all(p.status == 200 for p in run.probes), [
        (p.status, p.error) for p in run.probes
    ]
    assert after.status_code == 200 and served_after.status_code == 200
    assert "Traceback" not in log, log[-3000:]
