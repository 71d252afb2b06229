"""Match units of buildings carry how many vacant buildings their site has.

A plant or building request lists sites, not buildings: the match query counted the sites with a
fitting building, kept each site's best building and left a site out of the near misses when
another of its buildings fits, by grouping every candidate building by site. At a million sites
that grouping was a fifth of the query (25,000 candidate sites). Most sites have one vacant
building, and such a site needs no grouping: its building is the site. ``site_units`` (on
building units: the number of the site's buildings with vacant floor area) tells the query
which candidates those are, so that it groups only the buildings of sites with several, and it
bounds how many rows one site can have in a list.

Kept by the same triggers as the rest of the unit: a site's refresh computes it for all its
buildings; a building insert, delete, move or vacancy change recounts its site (and the site it
left).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# the unit's columns and functions as revision 0008 froze them (this one extends them)
R8 = importlib.import_module("gis_app.db.migrations.versions.0008_match_units")
PAYLOAD = (*R8.PAYLOAD, "site_units")
_COLS = ", ".join(PAYLOAD)
_RETURNS = ", ".join(f"{c} {R8._TYPES[c]}" for c in R8.PAYLOAD) + ", site_units smallint"
_VACANT_OF_SITE = (
    "(SELECT count(*) FROM building v WHERE v.site_id = {site} AND v.vacant_gfa_m2 > 0)::smallint"
)
_VACANT_BUILDINGS = (
    "(count(*) FILTER (WHERE b.vacant_gfa_m2 > 0) OVER (PARTITION BY b.site_id))::smallint"
)


def _function(name: str) -> str:
    """Revision 0008's definition of function ``name``."""
    head = f"CREATE FUNCTION {name}("
    start = R8.FUNCTIONS.index(head)
    end = R8.FUNCTIONS.index("$$;", R8.FUNCTIONS.index("$$", start) + 2) + 3
    return R8.FUNCTIONS[start:end]


def _replacing(name: str) -> str:
    return _function(name).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


# the same function writing the new column too
_REFRESH = _replacing("gis_app_refresh_match_units").replace(R8._COLS, _COLS)

FUNCTIONS = rf"""
DROP FUNCTION gis_app_match_unit_rows(bigint[]);
CREATE FUNCTION gis_app_match_unit_rows(site_ids bigint[])
RETURNS TABLE ({_RETURNS})
LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT s.*,
               (SELECT min(d.distance_m) FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind IN {R8.PORT_KINDS}) AS d_port,
               (SELECT d.distance_m FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind = 'expressway_interchange')
                 AS d_expressway,
               (SELECT d.distance_m FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind = 'ferry_terminal') AS d_ferry,
               EXISTS (SELECT 1 FROM site_constraint_overlap o
                        WHERE o.site_id = s.id AND o.zone_kind IN {R8.BLOCKING_KINDS}) AS blocked
          FROM site s
         WHERE s.retired_at IS NULL AND (site_ids IS NULL OR s.id = ANY (site_ids))
    )
    SELECT {R8._SITE_SELECT}, NULL::smallint FROM s
    UNION ALL
    SELECT {R8._BUILDING_SELECT}, {_VACANT_BUILDINGS} FROM s JOIN building b ON b.site_id = s.id
$$;

{_REFRESH}

-- the number of vacant buildings, on the building units of the given sites
CREATE FUNCTION gis_app_count_site_units(site_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE match_unit u SET site_units = n.units
      FROM (SELECT x.id, {_VACANT_OF_SITE.format(site="x.id")} AS units
              FROM unnest(site_ids) x(id)) n
     WHERE u.site_id = n.id AND u.building_id IS NOT NULL
       AND u.site_units IS DISTINCT FROM n.units
$$;

CREATE OR REPLACE FUNCTION gis_app_match_unit_building_trg() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM match_unit WHERE building_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        -- the site's fields come from its own unit, which the site's trigger keeps current
        -- (a retired site has none, so neither do its buildings)
        INSERT INTO match_unit ({_COLS})
        SELECT {R8._BUILDING_FROM_UNIT}, {_VACANT_OF_SITE.format(site="b.site_id")}
          FROM building b JOIN match_unit s ON s.site_id = b.site_id AND s.building_id IS NULL
         WHERE b.id = NEW.id;
    END IF;
    -- the site's other building units, when its number of vacant buildings may have changed
    IF TG_OP = 'INSERT' THEN
        PERFORM gis_app_count_site_units(ARRAY[NEW.site_id]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM gis_app_count_site_units(ARRAY[OLD.site_id]);
    ELSIF OLD.site_id <> NEW.site_id
          OR (OLD.vacant_gfa_m2 > 0) IS DISTINCT FROM (NEW.vacant_gfa_m2 > 0) THEN
        PERFORM gis_app_count_site_units(ARRAY[OLD.site_id, NEW.site_id]);
    END IF;
    RETURN NULL;
END $$;
"""


_SPACE_KEYS = ("availability", "kind", "building_type", "vacant_gfa_m2")


def _space_index(payload: tuple[str, ...]) -> None:
    op.create_index(
        "ix_match_unit_space",
        "match_unit",
        list(_SPACE_KEYS),
        postgresql_where=sa.text("building_id IS NOT NULL AND vacant_gfa_m2 > 0"),
        postgresql_include=[c for c in payload if c not in _SPACE_KEYS + R8.LAND_ONLY],
    )


def upgrade() -> None:
    op.add_column("match_unit", sa.Column("site_units", sa.SmallInteger(), nullable=True))
    op.execute(FUNCTIONS)
    op.execute(
        "UPDATE match_unit u SET site_units = n.units"
        " FROM (SELECT site_id, (count(*) FILTER (WHERE vacant_gfa_m2 > 0))::smallint AS units"
        "         FROM building GROUP BY site_id) n"
        " WHERE u.site_id = n.site_id AND u.building_id IS NOT NULL"
    )
    op.create_check_constraint(
        op.f("ck_match_unit_site_units_counted"),
        "match_unit",
        "building_id IS NULL OR site_units IS NOT NULL",
    )
    op.drop_index("ix_match_unit_space", table_name="match_unit")
    _space_index(PAYLOAD)


def downgrade() -> None:
    op.drop_index("ix_match_unit_space", table_name="match_unit")
    op.execute("DROP FUNCTION gis_app_match_unit_rows(bigint[])")
    op.execute("DROP FUNCTION gis_app_count_site_units(bigint[])")
    op.execute(_function("gis_app_match_unit_rows"))
    for name in ("gis_app_refresh_match_units", "gis_app_match_unit_building_trg"):
        op.execute(_replacing(name))
    op.drop_constraint(op.f("ck_match_unit_site_units_counted"), "match_unit")
    op.drop_column("match_unit", "site_units")
    _space_index(R8.PAYLOAD)
