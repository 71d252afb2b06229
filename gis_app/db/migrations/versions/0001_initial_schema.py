"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 02:36:14.417346
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "constraint_zone",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("version_date", sa.Date(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('ecological_redline', 'basic_farmland', 'ugb', 'public_welfare_forest', 'protected_shoreline', 'water_source_protection', 'scenic_core', 'heritage', 'geohazard', 'military', 'hv_corridor')",
            name=op.f("ck_constraint_zone_kind_vocab"),
        ),
        sa.CheckConstraint(
            "NOT ST_IsEmpty(geom) AND ST_IsValid(geom)", name=op.f("ck_constraint_zone_geom_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_constraint_zone")),
        sa.UniqueConstraint("code", name=op.f("uq_constraint_zone_code")),
    )
    op.create_geospatial_index(
        "idx_constraint_zone_geom",
        "constraint_zone",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_constraint_zone_kind"), "constraint_zone", ["kind"], unique=False)
    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("app_user", sa.Text(), nullable=True),
        sa.Column("db_user", sa.Text(), nullable=False),
        sa.Column("application_name", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "action IN ('insert', 'update', 'delete')", name=op.f("ck_history_action_vocab")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
    )
    op.create_index(
        "ix_history_table_row", "history", ["table_name", "row_id", "changed_at"], unique=False
    )
    op.create_geospatial_table(
        "infrastructure",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("berth_dwt", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "GeometryType(geom) IN ('POINT', 'MULTIPOINT', 'LINESTRING', 'MULTILINESTRING')",
            name=op.f("ck_infrastructure_geom_type"),
        ),
        sa.CheckConstraint(
            "kind IN ('port', 'wharf', 'ferry_terminal', 'expressway_interchange', 'airport', 'rail', 'substation')",
            name=op.f("ck_infrastructure_kind_vocab"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infrastructure")),
        sa.UniqueConstraint("code", name=op.f("uq_infrastructure_code")),
    )
    op.create_geospatial_index(
        "idx_infrastructure_geom",
        "infrastructure",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_infrastructure_kind"), "infrastructure", ["kind"], unique=False)
    op.create_geospatial_table(
        "jurisdiction",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("default_epsg", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jurisdiction")),
        sa.UniqueConstraint("code", name=op.f("uq_jurisdiction_code")),
    )
    op.create_geospatial_index(
        "idx_jurisdiction_geom",
        "jurisdiction",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "land_use_code",
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("parent", sa.Text(), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "system IN ('2023', 'gb50137', 'sandiao')", name=op.f("ck_land_use_code_system_vocab")
        ),
        sa.PrimaryKeyConstraint("system", "code", name=op.f("pk_land_use_code")),
    )
    op.create_table(
        "land_use_mapping",
        sa.Column("code_2023", sa.Text(), nullable=False),
        sa.Column("code_gb50137", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code_2023", "code_gb50137", name=op.f("pk_land_use_mapping")),
    )
    op.create_table(
        "requirement",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_name", sa.Text(), nullable=False),
        sa.Column("investor", sa.Text(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("officer", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("project_type", sa.Text(), nullable=True),
        sa.Column("need", sa.Text(), nullable=False),
        sa.Column("tenure", sa.Text(), server_default="either", nullable=False),
        sa.Column("land_use_codes", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("land_mu_min", sa.Float(), nullable=True),
        sa.Column("land_mu_max", sa.Float(), nullable=True),
        sa.Column("gfa_m2_min", sa.Float(), nullable=True),
        sa.Column("gfa_m2_max", sa.Float(), nullable=True),
        sa.Column("invest_total_wan", sa.Float(), nullable=True),
        sa.Column("tax_commit_wan_per_mu_yr", sa.Float(), nullable=True),
        sa.Column("power_kva", sa.Float(), nullable=True),
        sa.Column("water_t_d", sa.Float(), nullable=True),
        sa.Column("wastewater_t_d", sa.Float(), nullable=True),
        sa.Column("eia_category", sa.Text(), nullable=True),
        sa.Column("floor_load_min_kg_m2", sa.Float(), nullable=True),
        sa.Column("height_min_m", sa.Float(), nullable=True),
        sa.Column("crane_min_t", sa.Float(), nullable=True),
        sa.Column("shoreline_min_m", sa.Float(), nullable=True),
        sa.Column("berth_dwt_min", sa.Integer(), nullable=True),
        sa.Column("water_depth_min_m", sa.Float(), nullable=True),
        sa.Column("max_km_port", sa.Float(), nullable=True),
        sa.Column("max_km_expressway", sa.Float(), nullable=True),
        sa.Column("max_km_ferry", sa.Float(), nullable=True),
        sa.Column("max_price_wan_per_mu", sa.Float(), nullable=True),
        sa.Column("max_rent_yuan_m2_month", sa.Float(), nullable=True),
        sa.Column("readiness_min", sa.Text(), nullable=True),
        sa.Column("preferred_townships", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("preferred_blocks", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("start_by", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("confidential", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("status", sa.Text(), server_default="new", nullable=False),
        sa.Column(
            "status_changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "need IN ('land', 'plant', 'building', 'island', 'shoreline')",
            name=op.f("ck_requirement_need_vocab"),
        ),
        sa.CheckConstraint(
            "readiness_min IN ('raw', 'partly_cleared', 'cleared')",
            name=op.f("ck_requirement_readiness_min_vocab"),
        ),
        sa.CheckConstraint(
            "status IN ('new', 'matching', 'recommended', 'visiting', 'negotiating', 'signed', 'landed', 'dropped')",
            name=op.f("ck_requirement_status_vocab"),
        ),
        sa.CheckConstraint(
            "tenure IN ('lease', 'buy', 'either', 'lease_then_sell')",
            name=op.f("ck_requirement_tenure_vocab"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement")),
    )
    op.create_index("ix_requirement_status", "requirement", ["status"], unique=False)
    op.create_geospatial_table(
        "site",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("block", sa.Text(), nullable=True),
        sa.Column("township", sa.Text(), nullable=True),
        sa.Column("platform", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("geom_quality", sa.Text(), server_default="digitized", nullable=False),
        sa.Column(
            "area_m2",
            sa.Float(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "area_mu",
            sa.Float(),
            sa.Computed("ST_Area(geom::geography) * 15.0 / 10000.0", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "area_ha",
            sa.Float(),
            sa.Computed("ST_Area(geom::geography) / 10000.0", persisted=True),
            nullable=False,
        ),
        sa.Column("declared_area_mu", sa.Float(), nullable=True),
        sa.Column("planned_use", sa.Text(), nullable=True),
        sa.Column("legacy_use", sa.Text(), nullable=True),
        sa.Column("current_use", sa.Text(), nullable=True),
        sa.Column("far_min", sa.Float(), nullable=True),
        sa.Column("far_max", sa.Float(), nullable=True),
        sa.Column("coverage_min_pct", sa.Float(), nullable=True),
        sa.Column("green_max_pct", sa.Float(), nullable=True),
        sa.Column("height_limit_m", sa.Float(), nullable=True),
        sa.Column("ownership", sa.Text(), nullable=True),
        sa.Column("supply_stage", sa.Text(), nullable=True),
        sa.Column("readiness", sa.Text(), nullable=True),
        sa.Column("utilities", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("policy_status", sa.Text(), nullable=True),
        sa.Column("policy_progress_pct", sa.SmallInteger(), nullable=True),
        sa.Column("planning_status", sa.Text(), nullable=True),
        sa.Column("in_ugb", sa.Text(), nullable=True),
        sa.Column("quota_status", sa.Text(), nullable=True),
        sa.Column("supply_mode", sa.Text(), nullable=True),
        sa.Column("standard_land", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("invest_intensity_wan_per_mu", sa.Float(), nullable=True),
        sa.Column("tax_wan_per_mu_yr", sa.Float(), nullable=True),
        sa.Column("energy_tce_per_wan", sa.Float(), nullable=True),
        sa.Column("lease_years", sa.SmallInteger(), nullable=True),
        sa.Column("reserve_price_wan_per_mu", sa.Float(), nullable=True),
        sa.Column("shoreline_m", sa.Float(), nullable=True),
        sa.Column("berth_dwt", sa.Integer(), nullable=True),
        sa.Column("water_depth_m", sa.Float(), nullable=True),
        sa.Column("availability", sa.Text(), server_default="unavailable", nullable=False),
        sa.Column("blocking_note", sa.Text(), nullable=True),
        sa.Column("source_doc", sa.Text(), nullable=True),
        sa.Column("verified_at", sa.Date(), nullable=True),
        sa.Column("verified_by", sa.Text(), nullable=True),
        sa.Column("description_zh", sa.Text(), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("photo_urls", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("owner_name", sa.Text(), nullable=True),
        sa.Column("owner_contact", sa.Text(), nullable=True),
        sa.Column("internal_note", sa.Text(), nullable=True),
        sa.Column("negotiation_note", sa.Text(), nullable=True),
        sa.Column("price_floor_wan_per_mu", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "availability IN ('available', 'reserved', 'negotiating', 'signed', 'unavailable')",
            name=op.f("ck_site_availability_vocab"),
        ),
        sa.CheckConstraint(
            "geom_quality IN ('surveyed', 'digitized', 'approximate')",
            name=op.f("ck_site_geom_quality_vocab"),
        ),
        sa.CheckConstraint(
            "in_ugb IN ('inside', 'outside', 'partly')", name=op.f("ck_site_in_ugb_vocab")
        ),
        sa.CheckConstraint(
            "kind IN ('land', 'standard_plant', 'plant', 'building', 'island', 'shoreline')",
            name=op.f("ck_site_kind_vocab"),
        ),
        sa.CheckConstraint(
            "ownership IN ('state', 'collective', 'sea_area', 'uninhabited_island')",
            name=op.f("ck_site_ownership_vocab"),
        ),
        sa.CheckConstraint(
            "planning_status IN ('none', 'drafting', 'approved', 'amending', 'use_change_needed')",
            name=op.f("ck_site_planning_status_vocab"),
        ),
        sa.CheckConstraint(
            "policy_status IN ('not_started', 'surveying', 'notice', 'compensation_plan', 'agreements', 'approval_pending', 'approved', 'clearing', 'delivered')",
            name=op.f("ck_site_policy_status_vocab"),
        ),
        sa.CheckConstraint(
            "quota_status IN ('not_needed', 'pending', 'applied', 'in_annual_plan', 'approved')",
            name=op.f("ck_site_quota_status_vocab"),
        ),
        sa.CheckConstraint(
            "readiness IN ('raw', 'partly_cleared', 'cleared')",
            name=op.f("ck_site_readiness_vocab"),
        ),
        sa.CheckConstraint(
            "supply_mode IN ('tender', 'auction', 'listing', 'agreement', 'allocation', 'lease', 'lease_then_sell')",
            name=op.f("ck_site_supply_mode_vocab"),
        ),
        sa.CheckConstraint(
            "supply_stage IN ('reserved_planning', 'approved_unsupplied', 'land_bank', 'supplied_unused', 'idle', 'inefficient', 'under_construction', 'built')",
            name=op.f("ck_site_supply_stage_vocab"),
        ),
        sa.CheckConstraint(
            "utilities <@ ARRAY['road', 'water', 'power', 'gas', 'telecom', 'sewer', 'levelled']::text[]",
            name=op.f("ck_site_utilities_vocab"),
        ),
        sa.CheckConstraint(
            "NOT ST_IsEmpty(geom) AND ST_IsValid(geom)", name=op.f("ck_site_geom_valid")
        ),
        sa.CheckConstraint(
            "far_min IS NULL OR far_max IS NULL OR far_min <= far_max",
            name=op.f("ck_site_far_range"),
        ),
        sa.CheckConstraint(
            "policy_progress_pct BETWEEN 0 AND 100", name=op.f("ck_site_policy_progress_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("code", name=op.f("uq_site_code")),
    )
    op.create_geospatial_index(
        "idx_site_geom", "site", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index("ix_site_area_m2", "site", ["area_m2"], unique=False)
    op.create_index("ix_site_availability_kind", "site", ["availability", "kind"], unique=False)
    op.create_index("ix_site_block", "site", ["block"], unique=False)
    op.create_index(
        "ix_site_legacy_use",
        "site",
        ["legacy_use"],
        unique=False,
        postgresql_ops={"legacy_use": "text_pattern_ops"},
    )
    op.create_index(
        "ix_site_planned_use",
        "site",
        ["planned_use"],
        unique=False,
        postgresql_ops={"planned_use": "text_pattern_ops"},
    )
    op.create_index("ix_site_township", "site", ["township"], unique=False)
    op.create_index("ix_site_verified_at", "site", ["verified_at"], unique=False)
    op.create_table(
        "building",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("building_type", sa.Text(), nullable=False),
        sa.Column("floors", sa.SmallInteger(), nullable=True),
        sa.Column("gfa_m2", sa.Float(), nullable=True),
        sa.Column("vacant_gfa_m2", sa.Float(), nullable=True),
        sa.Column("min_split_m2", sa.Float(), nullable=True),
        sa.Column("occupancy", sa.Text(), nullable=True),
        sa.Column("offer", sa.Text(), nullable=True),
        sa.Column("rent_yuan_m2_month", sa.Float(), nullable=True),
        sa.Column("sale_yuan_m2", sa.Float(), nullable=True),
        sa.Column("floor_height_m", sa.Float(), nullable=True),
        sa.Column("floor_load_kg_m2", sa.Float(), nullable=True),
        sa.Column("crane_t", sa.Float(), nullable=True),
        sa.Column("crane_count", sa.SmallInteger(), nullable=True),
        sa.Column("power_kva", sa.Float(), nullable=True),
        sa.Column("fire_hazard_class", sa.Text(), nullable=True),
        sa.Column("eia_coverage", sa.Text(), nullable=True),
        sa.Column("has_title_cert", sa.Boolean(), nullable=True),
        sa.Column("built_year", sa.SmallInteger(), nullable=True),
        sa.Column("owner_contact", sa.Text(), nullable=True),
        sa.Column("internal_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "building_type IN ('standard_plant', 'single_storey_plant', 'multi_storey_plant', 'warehouse', 'office', 'commercial', 'mixed')",
            name=op.f("ck_building_building_type_vocab"),
        ),
        sa.CheckConstraint(
            "fire_hazard_class IN ('a', 'b', 'c', 'd', 'e')",
            name=op.f("ck_building_fire_hazard_class_vocab"),
        ),
        sa.CheckConstraint(
            "occupancy IN ('vacant', 'partly_vacant', 'let', 'under_construction', 'refurbishing')",
            name=op.f("ck_building_occupancy_vocab"),
        ),
        sa.CheckConstraint(
            "offer IN ('lease', 'sale', 'lease_or_sale')", name=op.f("ck_building_offer_vocab")
        ),
        sa.CheckConstraint("gfa_m2 IS NULL OR gfa_m2 >= 0", name=op.f("ck_building_gfa_nonneg")),
        sa.CheckConstraint(
            "vacant_gfa_m2 IS NULL OR gfa_m2 IS NULL OR vacant_gfa_m2 <= gfa_m2",
            name=op.f("ck_building_vacant_le_gfa"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_building_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building")),
        sa.UniqueConstraint("code", name=op.f("uq_building_code")),
    )
    op.create_index(op.f("ix_building_site_id"), "building", ["site_id"], unique=False)
    op.create_table(
        "recommendation",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("requirement_id", sa.BigInteger(), nullable=True),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=True),
        sa.Column("intro_zh", sa.Text(), nullable=True),
        sa.Column("intro_en", sa.Text(), nullable=True),
        sa.Column("internal_note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_recommendation_requirement_id_requirement"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation")),
    )
    op.create_index(
        op.f("ix_recommendation_requirement_id"), "recommendation", ["requirement_id"], unique=False
    )
    op.create_table(
        "site_constraint_overlap",
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=False),
        sa.Column("zone_kind", sa.Text(), nullable=False),
        sa.Column("overlap_m2", sa.Float(), nullable=False),
        sa.Column("overlap_pct", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_site_constraint_overlap_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["constraint_zone.id"],
            name=op.f("fk_site_constraint_overlap_zone_id_constraint_zone"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", "zone_id", name=op.f("pk_site_constraint_overlap")),
    )
    op.create_index(
        "ix_site_constraint_overlap_kind",
        "site_constraint_overlap",
        ["zone_kind", "site_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_site_constraint_overlap_zone_id"),
        "site_constraint_overlap",
        ["zone_id"],
        unique=False,
    )
    op.create_table(
        "site_distance",
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column("infra_kind", sa.Text(), nullable=False),
        sa.Column("infrastructure_id", sa.BigInteger(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["infrastructure_id"],
            ["infrastructure.id"],
            name=op.f("fk_site_distance_infrastructure_id_infrastructure"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_site_distance_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", "infra_kind", name=op.f("pk_site_distance")),
    )
    op.create_index(
        op.f("ix_site_distance_infrastructure_id"),
        "site_distance",
        ["infrastructure_id"],
        unique=False,
    )
    op.create_index(
        "ix_site_distance_kind_distance",
        "site_distance",
        ["infra_kind", "distance_m"],
        unique=False,
    )
    op.create_table(
        "recommendation_site",
        sa.Column("recommendation_id", sa.BigInteger(), nullable=False),
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("note_zh", sa.Text(), nullable=True),
        sa.Column("note_en", sa.Text(), nullable=True),
        sa.Column("explanation", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_recommendation_site_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_recommendation_site_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "site_id", name=op.f("pk_recommendation_site")
        ),
    )
    op.create_index(
        op.f("ix_recommendation_site_site_id"), "recommendation_site", ["site_id"], unique=False
    )
    op.create_table(
        "share_link",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("recommendation_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("recipient_name", sa.Text(), nullable=True),
        sa.Column("recipient_org", sa.Text(), nullable=True),
        sa.Column("language", sa.Text(), server_default="zh", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("view_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("language IN ('zh', 'en')", name=op.f("ck_share_link_language_vocab")),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_share_link_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_share_link_token_hash")),
    )
    op.create_index(
        op.f("ix_share_link_recommendation_id"), "share_link", ["recommendation_id"], unique=False
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("share_link_id", sa.BigInteger(), nullable=False),
        sa.Column("site_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('interested', 'not_suitable', 'visit_request', 'question')",
            name=op.f("ck_feedback_kind_vocab"),
        ),
        sa.ForeignKeyConstraint(
            ["share_link_id"],
            ["share_link.id"],
            name=op.f("fk_feedback_share_link_id_share_link"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_feedback_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index(op.f("ix_feedback_share_link_id"), "feedback", ["share_link_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_share_link_id"), table_name="feedback")
    op.drop_table("feedback")
    op.drop_index(op.f("ix_share_link_recommendation_id"), table_name="share_link")
    op.drop_table("share_link")
    op.drop_index(op.f("ix_recommendation_site_site_id"), table_name="recommendation_site")
    op.drop_table("recommendation_site")
    op.drop_index("ix_site_distance_kind_distance", table_name="site_distance")
    op.drop_index(op.f("ix_site_distance_infrastructure_id"), table_name="site_distance")
    op.drop_table("site_distance")
    op.drop_index(op.f("ix_site_constraint_overlap_zone_id"), table_name="site_constraint_overlap")
    op.drop_index("ix_site_constraint_overlap_kind", table_name="site_constraint_overlap")
    op.drop_table("site_constraint_overlap")
    op.drop_index(op.f("ix_recommendation_requirement_id"), table_name="recommendation")
    op.drop_table("recommendation")
    op.drop_index(op.f("ix_building_site_id"), table_name="building")
    op.drop_table("building")
    op.drop_index("ix_site_verified_at", table_name="site")
    op.drop_index("ix_site_township", table_name="site")
    op.drop_index(
        "ix_site_planned_use", table_name="site", postgresql_ops={"planned_use": "text_pattern_ops"}
    )
    op.drop_index(
        "ix_site_legacy_use", table_name="site", postgresql_ops={"legacy_use": "text_pattern_ops"}
    )
    op.drop_index("ix_site_block", table_name="site")
    op.drop_index("ix_site_availability_kind", table_name="site")
    op.drop_index("ix_site_area_m2", table_name="site")
    op.drop_geospatial_index(
        "idx_site_geom", table_name="site", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("site")
    op.drop_index("ix_requirement_status", table_name="requirement")
    op.drop_table("requirement")
    op.drop_table("land_use_mapping")
    op.drop_table("land_use_code")
    op.drop_geospatial_index(
        "idx_jurisdiction_geom",
        table_name="jurisdiction",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("jurisdiction")
    op.drop_index(op.f("ix_infrastructure_kind"), table_name="infrastructure")
    op.drop_geospatial_index(
        "idx_infrastructure_geom",
        table_name="infrastructure",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("infrastructure")
    op.drop_index("ix_history_table_row", table_name="history")
    op.drop_table("history")
    op.drop_index(op.f("ix_constraint_zone_kind"), table_name="constraint_zone")
    op.drop_geospatial_index(
        "idx_constraint_zone_geom",
        table_name="constraint_zone",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("constraint_zone")
