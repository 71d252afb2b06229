"""The scope functions may run in a parallel query's leader (issue 26, item 6).

A function is ``PARALLEL UNSAFE`` unless it says otherwise, and one unsafe function anywhere in
a statement keeps the whole statement on one process. Every statement under a row-level policy
calls ``gis_app_read_scope()`` (once, as an InitPlan), so under the policies no statement ran
in parallel: the any-type plant match at 1M sites lost its two-process candidate scan (68 ms
against the owner's 50 ms for the same statement). ``PARALLEL RESTRICTED``: the scope is still
computed by the leader only (it reads the session's settings and login), which hands the value
to the workers. Measured after: 48.9 ms against 49.7 ms.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = ("gis_app_read_scope()", "gis_app_write_scope()", "gis_app_session_scope(boolean)")


def upgrade() -> None:
    for f in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {f} PARALLEL RESTRICTED")


def downgrade() -> None:
    for f in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {f} PARALLEL UNSAFE")
