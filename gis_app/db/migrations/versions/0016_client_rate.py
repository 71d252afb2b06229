"""Request counts per client in the database, so several app processes share one rate limit.

The investor links' per-client limit was counted in each process's memory: with N processes
(or N hosts) a client got N times the limit. ``client_rate`` holds one fixed window per
(scope, client). It is UNLOGGED: counts are worth nothing after a crash and must not cost WAL
or reach a standby.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """CREATE UNLOGGED TABLE client_rate (
               scope text NOT NULL,
               client text NOT NULL,
               window_start timestamptz NOT NULL,
               hits integer NOT NULL,
               PRIMARY KEY (scope, client)
           )"""
    )
    op.execute("CREATE INDEX client_rate_window_start ON client_rate (window_start)")
    op.execute(
        "COMMENT ON TABLE client_rate IS "
        "'requests per client in the current fixed window, shared by every app process'"
    )


def downgrade() -> None:
    op.execute("DROP TABLE client_rate")
