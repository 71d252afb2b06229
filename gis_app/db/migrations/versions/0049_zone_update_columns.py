"""A constraint-zone edit re-evaluates matches only when it changes what they read.

Renaming a zone (or giving it a code or a note) re-evaluated the blocking flag of every match
unit that was or might be blocked and the reverse matches of every open requirement: at 1M
sites about 1 s, and 0.6–0.9 s more for each open requirement. Both read a zone only through
the site overlaps (``site_constraint_overlap``, kept by ``zone_overlap`` when a zone's outline
or kind changes): their ``UPDATE`` event now names the zone's ``id``, ``geom`` and ``kind``
(``UPDATE OF …``); inserts, deletes and truncation fire as before. The zone's history is
written for every edit, as before.

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0049"
down_revision: str | None = "0048"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: trigger, function, the other events (as revisions 0004 and 0008 made them)
_TRIGGERS = (
    ("zone_requirement_match", "gis_app_context_match_trg", "DELETE"),
    ("zone_unit_sync", "gis_app_match_unit_zone_trg", "DELETE OR TRUNCATE"),
)


def _recreate(update: str) -> None:
    for name, function, others in _TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON constraint_zone")
        op.execute(
            f"CREATE TRIGGER {name} AFTER INSERT OR {update} OR {others} ON constraint_zone"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def upgrade() -> None:
    """Updates fire them only through the zone's outline, kind and id."""
    _recreate("UPDATE OF id, geom, kind")


def downgrade() -> None:
    """Every update fires them again."""
    _recreate("UPDATE")
