"""An infrastructure edit recomputes derived rows only when it changes what they read.

Every statement on ``infrastructure`` recomputed, for every site, the nearest infrastructure
of each kind, every match unit, the reverse matches of every open requirement and every saved
search's matches — whatever it changed. At 1M sites renaming one port (``UPDATE infrastructure
SET name_en = …``, the kind of edit a planner makes in QGIS) took 4 min 14 s, holding its locks
all along. The derived rows read only some columns:

* distances (``infrastructure_distance``) and match units (``infrastructure_unit_sync``, which
  copy the distances): the point's ``id``, ``kind`` and ``geom``;
* reverse matches (``infrastructure_requirement_match``) and saved searches
  (``infrastructure_saved_search``): those and ``berth_dwt`` (a port limit with a berth class
  measures to the qualifying ports themselves).

Their ``UPDATE`` event now names those columns (``UPDATE OF …``: the trigger fires when the
statement sets one of them, changed or not); inserts, deletes and truncation fire as before.
A rename, a new code or a note in the app or in QGIS writes the row and its history, nothing
else.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0046"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PLACE = "id, kind, geom"
_PORTS = "id, kind, geom, berth_dwt"
#: trigger, function, the other events (as revisions 0002, 0004, 0008 and 0018 made them),
#: the columns whose update fires it
_TRIGGERS = (
    ("infrastructure_distance", "gis_app_infrastructure_trg", "DELETE OR TRUNCATE", _PLACE),
    (
        "infrastructure_requirement_match",
        "gis_app_context_match_trg",
        "DELETE",
        _PORTS,
    ),
    ("infrastructure_saved_search", "gis_app_saved_search_context_trg", "DELETE", _PORTS),
    (
        "infrastructure_unit_sync",
        "gis_app_match_unit_infrastructure_trg",
        "DELETE OR TRUNCATE",
        _PLACE,
    ),
)


def _recreate(update: str) -> None:
    for name, function, others, columns in _TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON infrastructure")
        event = update.format(columns=columns)
        op.execute(
            f"CREATE TRIGGER {name} AFTER INSERT OR {event} OR {others} ON infrastructure"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def upgrade() -> None:
    """Updates fire the derived refreshes only through the columns they read."""
    _recreate("UPDATE OF {columns}")


def downgrade() -> None:
    """Every update fires them again."""
    _recreate("UPDATE")
