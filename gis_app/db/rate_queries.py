"""Per-client request counts shared by every app process (table ``client_rate``)."""

from __future__ import annotations

import sqlalchemy as sa

_HIT = sa.text(
    """INSERT INTO client_rate AS r (scope, client, window_start, hits)
       VALUES (:scope, :client, clock_timestamp(), 1)
       ON CONFLICT (scope, client) DO UPDATE SET
           hits = CASE WHEN r.window_start <= clock_timestamp() - make_interval(secs => :window)
                       THEN 1 ELSE r.hits + 1 END,
           window_start = CASE
                       WHEN r.window_start <= clock_timestamp() - make_interval(secs => :window)
                       THEN clock_timestamp() ELSE r.window_start END
       RETURNING hits,
                 extract(epoch FROM r.window_start + make_interval(secs => :window)
                                    - clock_timestamp())"""
)

_PRUNE = sa.text(
    "DELETE FROM client_rate WHERE window_start <= clock_timestamp() - make_interval(secs => :age)"
)


def hit(conn: sa.Connection, scope: str, client: str, window_s: float) -> tuple[int, float]:
    """Count one request of ``client`` in ``scope``: its requests in the current window of
    ``window_s`` seconds (this one included) and the seconds until that window ends."""
    hits, left = conn.execute(_HIT, {"scope": scope, "client": client, "window": window_s}).one()
    return int(hits), float(left)


def prune(conn: sa.Connection, older_than_s: float) -> int:
    """Forget clients whose window started more than ``older_than_s`` seconds ago."""
    return conn.execute(_PRUNE, {"age": older_than_s}).rowcount
