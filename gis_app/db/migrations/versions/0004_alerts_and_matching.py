"""Schema for issue 3 (search and matching: alerts, match support).

Requirement columns the matcher reads (berth class near the port, building types, accepted
availability, size tolerance, near-miss margin, weights, land-use codes expanded across the two
classifications); ``requirement_match`` (which open requirements each site meets now) and
``alert``; the database functions and triggers built from ``gis_app.matching`` that keep both
current for edits from the app, psql and QGIS alike. A later change to the criteria ships as a
new migration calling ``install_ddl()`` again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT_ARRAY = postgresql.ARRAY(sa.Text())


def upgrade() -> None:
    from gis_app.domain import landuse
    from gis_app.matching.sql import install_ddl

    op.add_column("requirement", sa.Column("port_berth_dwt_min", sa.Integer(), nullable=True))
    op.add_column(
        "requirement",
        sa.Column("building_types", _TEXT_ARRAY, server_default="{}", nullable=False),
    )
    op.add_column(
        "requirement",
        sa.Column("accept_availability", _TEXT_ARRAY, server_default="{available}", nullable=False),
    )
    op.add_column(
        "requirement",
        sa.Column("size_tolerance_pct", sa.Float(), server_default="0", nullable=False),
    )
    op.add_column(
        "requirement",
        sa.Column("near_miss_margin_pct", sa.Float(), server_default="10", nullable=False),
    )
    op.add_column(
        "requirement",
        sa.Column(
            "weights", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
    )
    op.add_column(
        "requirement",
        sa.Column("land_use_2023_codes", _TEXT_ARRAY, server_default="{}", nullable=False),
    )
    op.add_column(
        "requirement",
        sa.Column("land_use_gb_codes", _TEXT_ARRAY, server_default="{}", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_requirement_size_tolerance_range"),
        "requirement",
        "size_tolerance_pct BETWEEN 0 AND 50",
    )
    op.create_check_constraint(
        op.f("ck_requirement_near_miss_margin_range"),
        "requirement",
        "near_miss_margin_pct BETWEEN 0 AND 50",
    )

    op.create_table(
        "requirement_match",
        sa.Column("requirement_id", sa.BigInteger(), nullable=False),
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "since", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_requirement_match_requirement_id_requirement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_requirement_match_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("requirement_id", "site_id", name=op.f("pk_requirement_match")),
    )
    op.create_index(
        op.f("ix_requirement_match_site_id"), "requirement_match", ["site_id"], unique=False
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("requirement_id", sa.BigInteger(), nullable=False),
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column("officer", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_alert_requirement_id_requirement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_alert_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    op.create_index(op.f("ix_alert_requirement_id"), "alert", ["requirement_id"], unique=False)
    op.create_index(op.f("ix_alert_site_id"), "alert", ["site_id"], unique=False)
    op.create_index("ix_alert_officer_created_at", "alert", ["officer", "created_at"], unique=False)

    op.create_index(
        "ix_site_kind_availability_area_m2",
        "site",
        ["kind", "availability", "area_m2"],
        unique=False,
    )
    op.create_index(
        "ix_building_building_type_vacant_gfa_m2",
        "building",
        ["building_type", "vacant_gfa_m2"],
        unique=False,
    )

    op.execute(install_ddl())

    # Existing requirements: expand their land-use codes (the trigger then fills the matches).
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, land_use_codes FROM requirement WHERE cardinality(land_use_codes) > 0")
    ).all()
    for rid, codes in rows:
        c2023: set[str] = set()
        cgb: set[str] = set()
        for code in codes:
            if not (landuse.is_valid("2023", code) or landuse.is_valid("gb50137", code)):
                continue
            a, b = landuse.expand_query(code)
            c2023 |= a
            cgb |= b
        conn.execute(
            sa.text(
                "UPDATE requirement SET land_use_2023_codes = :a, land_use_gb_codes = :b "
                "WHERE id = :id"
            ),
            {"a": sorted(c2023), "b": sorted(cgb), "id": rid},
        )
    op.execute("SELECT gis_app_sync_requirement_matches(id, false, NULL) FROM requirement")


def downgrade() -> None:
    from gis_app.matching.sql import DROP_DDL

    op.execute(DROP_DDL)
    op.drop_index("ix_building_building_type_vacant_gfa_m2", table_name="building")
    op.drop_index("ix_site_kind_availability_area_m2", table_name="site")
    op.drop_index("ix_alert_officer_created_at", table_name="alert")
    op.drop_index(op.f("ix_alert_site_id"), table_name="alert")
    op.drop_index(op.f("ix_alert_requirement_id"), table_name="alert")
    op.drop_table("alert")
    op.drop_index(op.f("ix_requirement_match_site_id"), table_name="requirement_match")
    op.drop_table("requirement_match")
    op.drop_constraint(op.f("ck_requirement_near_miss_margin_range"), "requirement", type_="check")
    op.drop_constraint(op.f("ck_requirement_size_tolerance_range"), "requirement", type_="check")
    for column in (
        "land_use_gb_codes",
        "land_use_2023_codes",
        "weights",
        "near_miss_margin_pct",
        "size_tolerance_pct",
        "accept_availability",
        "building_types",
        "port_berth_dwt_min",
    ):
        op.drop_column("requirement", column)
