"""ORM models (SQLAlchemy 2 typed style) for the inventory schema.

Alembic owns the schema; these models describe it for queries. Columns derived by the database
(areas, version, updated_at, distances, overlaps) are marked ``Computed`` or filled by triggers
and are never written by the app.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

from gis_app.domain import vocab
from gis_app.domain.match_criteria import SPACE_KEY_COLUMNS, space_key, space_units
from gis_app.domain.vocab import Vocabulary

SRID = 4490

# Names the constraints so migrations are stable and errors are readable.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Box(UserDefinedType):
    """PostgreSQL's ``box`` (four float8: a match unit's bounding box)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        """The column type in DDL."""
        return "BOX"


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)


#: the key of every table: a database-generated bigint
IdKey = Annotated[int, mapped_column(BigInteger, Identity(), primary_key=True)]
#: a moment the database stamps when the row is written (``created_at``, ``updated_at`` …)
Stamp = Annotated[dt.datetime, mapped_column(DateTime(timezone=True), server_default=func.now())]


def _in_vocab(column: str, v: Vocabulary) -> CheckConstraint:
    keys = ", ".join(f"'{k}'" for k in v.keys)
    return CheckConstraint(f"{column} IN ({keys})", name=f"{column}_vocab")


# 1 亩 = 10000/15 m²; the literal keeps the generated expressions immutable.
_AREA = "ST_Area(geom::geography)"


class District(Base):
    """A jurisdiction of the deployment: a district (普陀区), or a city or province above it.

    District-level rows carry the outline sites must lie in; ``parent_code`` names the city
    (province) above. The ``jurisdiction`` view lists the district-level outlines. An
    ``illustrative`` row is sample geography, not an official boundary.
    """

    __tablename__ = "district"
    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    default_epsg: Mapped[int] = mapped_column(Integer, default=4550)
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=True
    )
    level: Mapped[str] = mapped_column(Text, server_default="district")
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("district.code", onupdate="CASCADE"), index=True
    )
    illustrative: Mapped[bool] = mapped_column(Boolean, server_default="false")
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        _in_vocab("level", vocab.DISTRICT_LEVEL),
        CheckConstraint("parent_code <> code", name="not_own_parent"),
        # no two districts share a part of the space key, so the key is exact (revision 0053)
        Index("ux_district_space_key", text("gis_app_district_key(code)"), unique=True),
    )


class DistrictPiece(Base):
    """A district-level outline cut into pieces of at most 256 vertices (trigger-maintained,
    revision 0054): the per-row district and jurisdiction checks read a piece, not the
    whole boundary."""

    __tablename__ = "district_piece"
    id: Mapped[IdKey]
    district_id: Mapped[int] = mapped_column(
        ForeignKey("district.id", ondelete="CASCADE"), index=True
    )
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("GEOMETRY", srid=SRID, spatial_index=True), nullable=False
    )


def _district_key(*, home_default: bool = False) -> Any:
    """The district a row belongs to (``district.code``, indexed); users, requirements and
    recommendations written without one get the first district."""
    return mapped_column(
        ForeignKey("district.code", onupdate="CASCADE"),
        index=True,
        server_default=text("gis_app_home_district()") if home_default else None,
    )


class LandUseCode(Base):
    """Reference table of land-use codes in the three classification systems."""

    __tablename__ = "land_use_code"
    system: Mapped[str] = mapped_column(Text, primary_key=True)
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    parent: Mapped[str | None] = mapped_column(Text)
    level: Mapped[int] = mapped_column(SmallInteger)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("system IN ('2023', 'gb50137', 'sandiao')", name="system_vocab"),
    )


class LandUseMapping(Base):
    """Correspondence between the 2023 classification and GB 50137-2011."""

    __tablename__ = "land_use_mapping"
    code_2023: Mapped[str] = mapped_column(Text, primary_key=True)
    code_gb50137: Mapped[str] = mapped_column(Text, primary_key=True)


class Site(Base):
    """A land parcel, plant, building, island or shoreline offered (or to be offered)."""

    __tablename__ = "site"
    id: Mapped[IdKey]
    code: Mapped[str] = mapped_column(Text, unique=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    block: Mapped[str | None] = mapped_column(Text)
    township: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    block_en: Mapped[str | None] = mapped_column(Text)
    township_en: Mapped[str | None] = mapped_column(Text)
    address_en: Mapped[str | None] = mapped_column(Text)
    # geometry and derived areas
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True)
    )
    geom_quality: Mapped[str] = mapped_column(Text, server_default="digitized")
    area_m2: Mapped[float] = mapped_column(Float, Computed(_AREA, persisted=True))
    area_mu: Mapped[float] = mapped_column(
        Float, Computed(f"{_AREA} * 15.0 / 10000.0", persisted=True)
    )
    area_ha: Mapped[float] = mapped_column(Float, Computed(f"{_AREA} / 10000.0", persisted=True))
    # the parcel's CGCS2000 3° Gauss-Krüger zone and its area on that plane (控规/出让 figures)
    plane_epsg: Mapped[int | None] = mapped_column(
        Integer, Computed("gis_app_gk_epsg(geom)", persisted=True)
    )
    area_m2_plane: Mapped[float | None] = mapped_column(
        Float, Computed("ST_Area(ST_Transform(geom, gis_app_gk_epsg(geom)))", persisted=True)
    )
    declared_area_mu: Mapped[float | None] = mapped_column(Float)
    # land use
    planned_use: Mapped[str | None] = mapped_column(Text)
    legacy_use: Mapped[str | None] = mapped_column(Text)
    current_use: Mapped[str | None] = mapped_column(Text)
    # planning indicators
    far_min: Mapped[float | None] = mapped_column(Float)
    far_max: Mapped[float | None] = mapped_column(Float)
    coverage_min_pct: Mapped[float | None] = mapped_column(Float)
    green_max_pct: Mapped[float | None] = mapped_column(Float)
    height_limit_m: Mapped[float | None] = mapped_column(Float)
    # land status
    ownership: Mapped[str | None] = mapped_column(Text)
    supply_stage: Mapped[str | None] = mapped_column(Text)
    readiness: Mapped[str | None] = mapped_column(Text)
    utilities: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    rail_siding: Mapped[bool | None] = mapped_column(Boolean)
    # process status
    policy_status: Mapped[str | None] = mapped_column(Text)
    policy_progress_pct: Mapped[int | None] = mapped_column(SmallInteger)
    planning_status: Mapped[str | None] = mapped_column(Text)
    in_ugb: Mapped[str | None] = mapped_column(Text)
    quota_status: Mapped[str | None] = mapped_column(Text)
    # supply terms
    supply_mode: Mapped[str | None] = mapped_column(Text)
    standard_land: Mapped[bool] = mapped_column(Boolean, server_default="false")
    invest_intensity_wan_per_mu: Mapped[float | None] = mapped_column(Float)
    tax_wan_per_mu_yr: Mapped[float | None] = mapped_column(Float)
    energy_tce_per_wan: Mapped[float | None] = mapped_column(Float)
    lease_years: Mapped[int | None] = mapped_column(SmallInteger)
    reserve_price_wan_per_mu: Mapped[float | None] = mapped_column(Float)
    # marine
    shoreline_m: Mapped[float | None] = mapped_column(Float)
    berth_dwt: Mapped[int | None] = mapped_column(Integer)
    water_depth_m: Mapped[float | None] = mapped_column(Float)
    # availability and provenance
    availability: Mapped[str] = mapped_column(Text, server_default="unavailable")
    blocking_note: Mapped[str | None] = mapped_column(Text)
    source_doc: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[dt.date | None] = mapped_column(Date)
    verified_by: Mapped[str | None] = mapped_column(Text)
    # investor-facing text
    description_zh: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    photo_urls: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    # internal only: never shown to investors
    owner_name: Mapped[str | None] = mapped_column(Text)
    owner_contact: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    negotiation_note: Mapped[str | None] = mapped_column(Text)
    price_floor_wan_per_mu: Mapped[float | None] = mapped_column(Float)
    # lineage: a split or merge child lists its parents; the parents are retired
    # (kept for history, availability 'unavailable', retired_at set) and never edited again.
    parent_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default="{}")
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # bookkeeping (trigger-maintained)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[Stamp]
    updated_at: Mapped[Stamp]
    #: the district the site lies in (assigned from the outline when not given; 0029)
    district_code: Mapped[str] = _district_key()

    __table_args__ = (
        _in_vocab("kind", vocab.SITE_KIND),
        _in_vocab("geom_quality", vocab.GEOM_QUALITY),
        _in_vocab("ownership", vocab.OWNERSHIP),
        _in_vocab("supply_stage", vocab.SUPPLY_STAGE),
        _in_vocab("readiness", vocab.READINESS),
        _in_vocab("policy_status", vocab.POLICY_STATUS),
        _in_vocab("planning_status", vocab.PLANNING_STATUS),
        _in_vocab("in_ugb", vocab.IN_UGB),
        _in_vocab("quota_status", vocab.QUOTA_STATUS),
        _in_vocab("supply_mode", vocab.SUPPLY_MODE),
        _in_vocab("availability", vocab.AVAILABILITY),
        CheckConstraint(
            "utilities <@ ARRAY[" + ", ".join(f"'{k}'" for k in vocab.UTILITY.keys) + "]::text[]",
            name="utilities_vocab",
        ),
        CheckConstraint("policy_progress_pct BETWEEN 0 AND 100", name="policy_progress_range"),
        CheckConstraint(
            "far_min IS NULL OR far_max IS NULL OR far_min <= far_max", name="far_range"
        ),
        CheckConstraint("NOT ST_IsEmpty(geom) AND ST_IsValid(geom)", name="geom_valid"),
        Index("ix_site_availability_kind", "availability", "kind"),
        Index("ix_site_block", "block"),
        Index("ix_site_township", "township"),
        Index("ix_site_platform", "platform"),
        Index(
            "ix_site_planned_use", "planned_use", postgresql_ops={"planned_use": "text_pattern_ops"}
        ),
        Index(
            "ix_site_legacy_use", "legacy_use", postgresql_ops={"legacy_use": "text_pattern_ops"}
        ),
        Index("ix_site_area_m2", "area_m2"),
        Index("ix_site_verified_at", "verified_at"),
        # matching: kind, availability and size narrow the candidates in one index scan
        Index("ix_site_kind_availability_area_m2", "kind", "availability", "area_m2"),
        Index("ix_site_parent_ids", "parent_ids", postgresql_using="gin"),
        # OGC pages and counts: the live ids alone, read by index-only scans (0030)
        Index("ix_site_live_id", "id", postgresql_where=text("retired_at IS NULL")),
    )


class Building(Base):
    """Floor space (standard plant, plant, office …) on a site."""

    __tablename__ = "building"
    id: Mapped[IdKey]
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    building_type: Mapped[str] = mapped_column(Text)
    floors: Mapped[int | None] = mapped_column(SmallInteger)
    gfa_m2: Mapped[float | None] = mapped_column(Float)
    vacant_gfa_m2: Mapped[float | None] = mapped_column(Float)
    min_split_m2: Mapped[float | None] = mapped_column(Float)
    occupancy: Mapped[str | None] = mapped_column(Text)
    offer: Mapped[str | None] = mapped_column(Text)
    rent_yuan_m2_month: Mapped[float | None] = mapped_column(Float)
    sale_yuan_m2: Mapped[float | None] = mapped_column(Float)
    floor_height_m: Mapped[float | None] = mapped_column(Float)
    floor_load_kg_m2: Mapped[float | None] = mapped_column(Float)
    crane_t: Mapped[float | None] = mapped_column(Float)
    crane_count: Mapped[int | None] = mapped_column(SmallInteger)
    power_kva: Mapped[float | None] = mapped_column(Float)
    fire_hazard_class: Mapped[str | None] = mapped_column(Text)
    eia_coverage: Mapped[str | None] = mapped_column(Text)
    has_title_cert: Mapped[bool | None] = mapped_column(Boolean)
    built_year: Mapped[int | None] = mapped_column(SmallInteger)
    # internal only
    owner_contact: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[Stamp]
    updated_at: Mapped[Stamp]

    __table_args__ = (
        _in_vocab("building_type", vocab.BUILDING_TYPE),
        _in_vocab("occupancy", vocab.OCCUPANCY),
        _in_vocab("offer", vocab.OFFER),
        _in_vocab("fire_hazard_class", vocab.FIRE_HAZARD_CLASS),
        CheckConstraint(
            "vacant_gfa_m2 IS NULL OR gfa_m2 IS NULL OR vacant_gfa_m2 <= gfa_m2",
            name="vacant_le_gfa",
        ),
        CheckConstraint("gfa_m2 IS NULL OR gfa_m2 >= 0", name="gfa_nonneg"),
        # matching: plant and office space by type and vacant floor area
        Index("ix_building_building_type_vacant_gfa_m2", "building_type", "vacant_gfa_m2"),
        # the target of attachment's (building_id, site_id) key
        UniqueConstraint("id", "site_id", name="uq_building_id_site_id"),
    )


class Attachment(Base):
    """A photo (JPEG/PNG, EXIF stripped, with a thumbnail) or document (PDF) of a site or one
    of its buildings, kept in the database; investors see it only when ``public``."""

    __tablename__ = "attachment"
    id: Mapped[IdKey]
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, server_default="false")
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Stamp]
    __table_args__ = (
        ForeignKeyConstraint(
            ["building_id", "site_id"],
            ["building.id", "building.site_id"],
            name="fk_attachment_building_id_building",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        _in_vocab("kind", vocab.ATTACHMENT_KIND),
        CheckConstraint(
            "media_type IN ('image/jpeg', 'image/png', 'application/pdf')",
            name="media_type_known",
        ),
        CheckConstraint("size_bytes = octet_length(content)", name="size_ok"),
    )


class ConstraintZone(Base):
    """A planning control zone (生态保护红线, 永久基本农田, 城镇开发边界 …)."""

    __tablename__ = "constraint_zone"
    id: Mapped[IdKey]
    code: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text, index=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    version_date: Mapped[dt.date | None] = mapped_column(Date)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True)
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[Stamp]
    updated_at: Mapped[Stamp]
    #: the district the zone overlaps most (assigned when not given; 0029)
    district_code: Mapped[str] = _district_key()
    __table_args__ = (
        _in_vocab("kind", vocab.CONSTRAINT_KIND),
        CheckConstraint("NOT ST_IsEmpty(geom) AND ST_IsValid(geom)", name="geom_valid"),
    )


class ConstraintZonePiece(Base):
    """A constraint zone cut into pieces of at most 256 vertices (trigger-maintained,
    revision 0055): a site's overlaps and blocking check read the pieces it meets, not the
    whole zone."""

    __tablename__ = "constraint_zone_piece"
    id: Mapped[IdKey]
    zone_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("constraint_zone.id", ondelete="CASCADE"), index=True
    )
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("GEOMETRY", srid=SRID, spatial_index=True), nullable=False
    )


class Infrastructure(Base):
    """Ports, wharves, ferry terminals, interchanges … (points or lines)."""

    __tablename__ = "infrastructure"
    id: Mapped[IdKey]
    code: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text, index=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    berth_dwt: Mapped[int | None] = mapped_column(Integer)
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=SRID, spatial_index=True))
    updated_at: Mapped[Stamp]
    __table_args__ = (
        _in_vocab("kind", vocab.INFRA_KIND),
        CheckConstraint(
            "GeometryType(geom) IN ('POINT', 'MULTIPOINT', 'LINESTRING', 'MULTILINESTRING')",
            name="geom_type",
        ),
        # a KNN scan of one kind's points (btree_gist; revision 0058)
        Index("ix_infrastructure_kind_geom", "kind", "geom", postgresql_using="gist"),
    )


class SiteDistance(Base):
    """Distance from each site to the nearest infrastructure of each kind (trigger-maintained)."""

    __tablename__ = "site_distance"
    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    infra_kind: Mapped[str] = mapped_column(Text, primary_key=True)
    infrastructure_id: Mapped[int] = mapped_column(
        ForeignKey("infrastructure.id", ondelete="CASCADE"), index=True
    )
    distance_m: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ix_site_distance_kind_distance", "infra_kind", "distance_m"),)


class SiteConstraintOverlap(Base):
    """Area of each site inside each constraint zone (trigger-maintained)."""

    __tablename__ = "site_constraint_overlap"
    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    zone_id: Mapped[int] = mapped_column(
        ForeignKey("constraint_zone.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    zone_kind: Mapped[str] = mapped_column(Text)
    overlap_m2: Mapped[float] = mapped_column(Float)
    overlap_pct: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ix_site_constraint_overlap_kind", "zone_kind", "site_id"),)


class CurrentUseParcel(Base):
    """A 三调 current-use parcel (图斑 of the DLTB layer): its land class (DLBM) and outline."""

    __tablename__ = "current_use_parcel"
    id: Mapped[IdKey]
    code: Mapped[str] = mapped_column(Text, unique=True)
    use_code: Mapped[str] = mapped_column(Text, index=True)
    parcel_no: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True)
    )
    created_at: Mapped[Stamp]
    #: the outline's vertices; above 256 the parcel is also kept in pieces (0056)
    vertices: Mapped[int] = mapped_column(Integer, Computed("ST_NPoints(geom)", persisted=True))
    __table_args__ = (
        CheckConstraint("NOT ST_IsEmpty(geom) AND ST_IsValid(geom)", name="geom_valid"),
    )


class CurrentUsePiece(Base):
    """A 三调 parcel of more than 256 vertices cut into pieces of at most 256 (kept by the
    parcels' statement triggers, revision 0056; no foreign key, so TRUNCATE still empties the
    layer): a site's composition reads the pieces it meets."""

    __tablename__ = "current_use_piece"
    id: Mapped[IdKey]
    parcel_id: Mapped[int] = mapped_column(BigInteger, index=True)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("GEOMETRY", srid=SRID, spatial_index=True), nullable=False
    )


class SiteCurrentUse(Base):
    """A site's current-use composition from the 三调 overlay (trigger-maintained)."""

    __tablename__ = "site_current_use"
    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    cultivated_pct: Mapped[float] = mapped_column(Float)
    agricultural_pct: Mapped[float] = mapped_column(Float)
    construction_pct: Mapped[float] = mapped_column(Float)
    unused_pct: Mapped[float] = mapped_column(Float)
    surveyed_pct: Mapped[float] = mapped_column(Float)
    #: first-level 三调 class → [m², % of the site]
    classes: Mapped[dict[str, Any]] = mapped_column(JSONB)
    computed_at: Mapped[Stamp]
    __table_args__ = (
        Index("ix_site_current_use_cultivated_pct", "cultivated_pct"),
        Index("ix_site_current_use_construction_pct", "construction_pct"),
    )


class ImportJob(Base):
    """An API import running (or run) in the background: progress, outcome, cancel request."""

    __tablename__ = "import_job"
    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, server_default=text("gen_random_uuid()")
    )
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[Stamp]
    file_name: Mapped[str] = mapped_column(Text)
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    #: the options as asked (layer, CRS, dry run …)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="queued")
    phase: Mapped[str | None] = mapped_column(Text)
    done: Mapped[int] = mapped_column(Integer, server_default="0")
    total: Mapped[int] = mapped_column(Integer, server_default="0")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, server_default="false")
    cancelled_by: Mapped[str | None] = mapped_column(Text)
    #: the server process of the import's transaction while it runs (a cancel signals it)
    backend_pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[Stamp]
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    #: the refusal that failed the job as the error vocabulary words it: code, field, message
    error_problem: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    __table_args__ = (
        _in_vocab("status", vocab.IMPORT_JOB_STATUS),
        Index("ix_import_job_created_by", "created_by", "created_at"),
    )


#: columns of ``match_unit`` copied from the site, and from the building for building units
MATCH_UNIT_SITE_COLUMNS: tuple[str, ...] = (
    "kind", "planned_use", "legacy_use", "availability", "area_m2", "area_mu", "readiness",
    "shoreline_m", "berth_dwt", "water_depth_m", "reserve_price_wan_per_mu", "policy_status",
    "quota_status", "planning_status", "township", "block", "far_max", "height_limit_m",
    "standard_land", "invest_intensity_wan_per_mu", "tax_wan_per_mu_yr", "utilities", "verified_at",
)  # fmt: skip
MATCH_UNIT_BUILDING_COLUMNS: tuple[str, ...] = (
    "building_type", "occupancy", "vacant_gfa_m2", "min_split_m2", "offer", "floor_height_m",
    "floor_load_kg_m2", "crane_t", "power_kva", "rent_yuan_m2_month", "sale_yuan_m2",
)  # fmt: skip
#: site fields only land needs read (their criteria fold away for space needs); left out of the
#: space index, which may hold at most 32 columns
MATCH_UNIT_LAND_ONLY: tuple[str, ...] = (
    "area_m2", "area_mu", "reserve_price_wan_per_mu", "policy_status", "quota_status",
    "planning_status", "far_max", "height_limit_m", "standard_land", "invest_intensity_wan_per_mu",
    "tax_wan_per_mu_yr", "utilities",
)  # fmt: skip
#: everything the match query reads, carried in its indexes so that candidates come from
#: index-only scans (in a large inventory a heap visit per candidate costs more than the scoring);
#: ``blocked`` only in their predicates (no blocked unit is ever listed, revision 0033)
MATCH_UNIT_PAYLOAD: tuple[str, ...] = (
    "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway", "d_ferry",
    "blocked", "envelope", *MATCH_UNIT_SITE_COLUMNS, *MATCH_UNIT_BUILDING_COLUMNS, "site_units",
    "district_code",
)  # fmt: skip
#: what every plant or building need reads of a unit: the building's fields, the distance to
#: an expressway (scored for plants), the freshness of the record, the ids and codes (what the
#: space key is made of, the key decides: revision 0053). A need that states nothing about the
#: site's place or land (port, ferry, shoreline, berth, land uses, preferred townships or
#: blocks) takes its candidates from the narrow space index holding only these: an index-only
#: scan copies and deforms every entry it reads, whole, so its width is most of the scan
#: (revision 0045). Fixed-width columns first.
MATCH_UNIT_SPACE_COMMON: tuple[str, ...] = (
    "site_id", "building_id", "site_units", "vacant_gfa_m2", "min_split_m2", "floor_height_m",
    "floor_load_kg_m2", "crane_t", "power_kva", "rent_yuan_m2_month", "sale_yuan_m2",
    "d_expressway", "verified_at", "site_code", "building_code",
)  # fmt: skip
#: the space indexes' keys after the space key (revision 0052): the vacant floor area (the
#: range a need's size bounds), then the minimums a need may state, checked in the index
MATCH_UNIT_SPACE_KEYS: tuple[str, ...] = (
    "vacant_gfa_m2", "floor_height_m", "floor_load_kg_m2", "crane_t",
)  # fmt: skip
#: the space indexes' predicate: the units a plant or building need can take (the occupancy is
#: decided by it, so the entries need not carry it)
_SPACE_UNITS = space_units()


class MatchUnit(Base):
    """What matching reads, one row per thing an investor can be offered (trigger-maintained).

    A row with ``building_id`` NULL is the site itself (land, island, shoreline needs); a row
    with a building is that building with its site's fields (plant and building needs). The
    nearest-infrastructure distances and the blocking-zone flag are folded in, so a candidate is
    judged from one row: no join, no subquery. Retired (split or merged) sites have no units.
    """

    __tablename__ = "match_unit"
    id: Mapped[IdKey]
    site_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("site.id", ondelete="CASCADE"))
    site_code: Mapped[str] = mapped_column(Text)
    building_id: Mapped[int | None] = mapped_column(BigInteger)
    building_code: Mapped[str | None] = mapped_column(Text)
    d_port: Mapped[float | None] = mapped_column(Float)
    d_expressway: Mapped[float | None] = mapped_column(Float)
    d_ferry: Mapped[float | None] = mapped_column(Float)
    blocked: Mapped[bool] = mapped_column(Boolean)
    #: the site's bounding box (lon/lat), for cheap distance prefilters (a port limit); a
    #: PostgreSQL box, 32 bytes in every candidate index entry (revision 0042)
    envelope: Mapped[Any] = mapped_column(Box())
    kind: Mapped[str] = mapped_column(Text)
    planned_use: Mapped[str | None] = mapped_column(Text)
    legacy_use: Mapped[str | None] = mapped_column(Text)
    availability: Mapped[str] = mapped_column(Text)
    area_m2: Mapped[float] = mapped_column(Float)
    area_mu: Mapped[float] = mapped_column(Float)
    readiness: Mapped[str | None] = mapped_column(Text)
    shoreline_m: Mapped[float | None] = mapped_column(Float)
    berth_dwt: Mapped[int | None] = mapped_column(Integer)
    water_depth_m: Mapped[float | None] = mapped_column(Float)
    reserve_price_wan_per_mu: Mapped[float | None] = mapped_column(Float)
    policy_status: Mapped[str | None] = mapped_column(Text)
    quota_status: Mapped[str | None] = mapped_column(Text)
    planning_status: Mapped[str | None] = mapped_column(Text)
    township: Mapped[str | None] = mapped_column(Text)
    block: Mapped[str | None] = mapped_column(Text)
    far_max: Mapped[float | None] = mapped_column(Float)
    height_limit_m: Mapped[float | None] = mapped_column(Float)
    standard_land: Mapped[bool] = mapped_column(Boolean)
    invest_intensity_wan_per_mu: Mapped[float | None] = mapped_column(Float)
    tax_wan_per_mu_yr: Mapped[float | None] = mapped_column(Float)
    utilities: Mapped[list[str]] = mapped_column(ARRAY(Text))
    verified_at: Mapped[dt.date | None] = mapped_column(Date)
    building_type: Mapped[str | None] = mapped_column(Text)
    occupancy: Mapped[str | None] = mapped_column(Text)
    vacant_gfa_m2: Mapped[float | None] = mapped_column(Float)
    min_split_m2: Mapped[float | None] = mapped_column(Float)
    offer: Mapped[str | None] = mapped_column(Text)
    floor_height_m: Mapped[float | None] = mapped_column(Float)
    floor_load_kg_m2: Mapped[float | None] = mapped_column(Float)
    crane_t: Mapped[float | None] = mapped_column(Float)
    power_kva: Mapped[float | None] = mapped_column(Float)
    rent_yuan_m2_month: Mapped[float | None] = mapped_column(Float)
    sale_yuan_m2: Mapped[float | None] = mapped_column(Float)
    #: building units: how many of the site's buildings have vacant floor area (a site with
    #: one needs no grouping by site in the match query)
    site_units: Mapped[int | None] = mapped_column(SmallInteger)
    #: the site's district (revision 0033): every match bounds its candidate index scans by
    #: it (a district's officer: their districts; otherwise every district)
    district_code: Mapped[str] = mapped_column(Text)
    #: the unit's district and the values of the criteria the space key stands for, as one
    #: exact number (revision 0053; ``match_criteria.SPACE_KEY_CRITERIA``)
    space_key: Mapped[int | None] = mapped_column(
        BigInteger, Computed(space_key(SPACE_KEY_COLUMNS), persisted=True)
    )
    __table_args__ = (
        CheckConstraint(
            "building_id IS NULL OR site_units IS NOT NULL", name="site_units_counted"
        ),
        Index("ix_match_unit_site_id", "site_id"),
        Index(
            "ux_match_unit_site", "site_id", unique=True,
            postgresql_where=text("building_id IS NULL"),
        ),
        Index(
            "ux_match_unit_building", "building_id", unique=True,
            postgresql_where=text("building_id IS NOT NULL"),
        ),
        Index("ix_match_unit_blocked", "site_id", postgresql_where=text("blocked")),
        # land, island and shoreline needs: kind and availability, then the size range; with
        # land uses stated, the same by 2023 code and by GB 50137 code (the latter only for
        # units whose 2023 code does not imply their GB 50137 code, revision 0011). In each
        # candidate index the district comes before the size range (every match states its
        # districts), and blocked units are left out (never listed; revision 0033)
        *(
            Index(
                name, "availability", "kind", *use, "district_code", "area_m2",
                postgresql_where=text(f"{where} AND NOT blocked"),
                postgresql_include=[
                    c for c in MATCH_UNIT_PAYLOAD
                    if c not in ("kind", "availability", "area_m2", "district_code", *use)
                    and c not in (*MATCH_UNIT_BUILDING_COLUMNS, "site_units", "blocked")
                ],
            )
            for name, use, where in (
                ("ix_match_unit_land", (), "building_id IS NULL"),
                ("ix_match_unit_land_planned_use", ("planned_use",), "building_id IS NULL"),
                (
                    "ix_match_unit_land_legacy_use", ("legacy_use",),
                    "building_id IS NULL AND legacy_use IS NOT NULL"
                    " AND NOT gis_app_legacy_use_implied(planned_use, legacy_use)",
                ),
            )
        ),
        # plant and building needs: vacant space under the space keys the need accepts
        # (district, availability, kind, building type, offer; revisions 0052, 0053), its size
        # and stated minimums, carrying what every space need may read
        Index(
            "ix_match_unit_space", "space_key", *MATCH_UNIT_SPACE_KEYS,
            postgresql_where=text(_SPACE_UNITS),
            postgresql_include=[
                c for c in MATCH_UNIT_PAYLOAD
                if c not in (*MATCH_UNIT_SPACE_KEYS, "blocked", "occupancy")
                and c not in (*MATCH_UNIT_LAND_ONLY, *SPACE_KEY_COLUMNS)
            ],
        ),
        # the same for needs that read nothing of the site's place or land (the common plant
        # or building request): the planner takes the narrower index when it holds every
        # column the folded statement reads
        Index(
            "ix_match_unit_space_key", "space_key", *MATCH_UNIT_SPACE_KEYS,
            postgresql_where=text(_SPACE_UNITS),
            postgresql_include=[
                c for c in MATCH_UNIT_SPACE_COMMON if c not in MATCH_UNIT_SPACE_KEYS
            ],
        ),
        # vacant space in price order: a floor of a match's cheapest price, for the bar of a
        # first run (revision 0059, matching.sql.bar_probe)
        *(
            Index(
                f"ix_match_unit_{name}", column,
                postgresql_where=text(f"{_SPACE_UNITS} AND {column} > 0"),
            )
            for name, column in (("rent", "rent_yuan_m2_month"), ("sale", "sale_yuan_m2"))
        ),
    )  # fmt: skip


class Requirement(Base):
    """An investor's demand for space, recorded by an officer."""

    __tablename__ = "requirement"
    id: Mapped[IdKey]
    project_name: Mapped[str] = mapped_column(Text)
    investor: Mapped[str | None] = mapped_column(Text)  # internal
    contact: Mapped[str | None] = mapped_column(Text)  # internal
    officer: Mapped[str | None] = mapped_column(Text)
    industry: Mapped[str | None] = mapped_column(Text)  # GB/T 4754 code
    project_type: Mapped[str | None] = mapped_column(Text)
    need: Mapped[str] = mapped_column(Text)
    tenure: Mapped[str] = mapped_column(Text, server_default="either")
    land_use_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    land_mu_min: Mapped[float | None] = mapped_column(Float)
    land_mu_max: Mapped[float | None] = mapped_column(Float)
    gfa_m2_min: Mapped[float | None] = mapped_column(Float)
    gfa_m2_max: Mapped[float | None] = mapped_column(Float)
    invest_total_wan: Mapped[float | None] = mapped_column(Float)
    tax_commit_wan_per_mu_yr: Mapped[float | None] = mapped_column(Float)
    power_kva: Mapped[float | None] = mapped_column(Float)
    water_t_d: Mapped[float | None] = mapped_column(Float)
    wastewater_t_d: Mapped[float | None] = mapped_column(Float)
    eia_category: Mapped[str | None] = mapped_column(Text)
    floor_load_min_kg_m2: Mapped[float | None] = mapped_column(Float)
    height_min_m: Mapped[float | None] = mapped_column(Float)
    crane_min_t: Mapped[float | None] = mapped_column(Float)
    shoreline_min_m: Mapped[float | None] = mapped_column(Float)
    berth_dwt_min: Mapped[int | None] = mapped_column(Integer)
    water_depth_min_m: Mapped[float | None] = mapped_column(Float)
    max_km_port: Mapped[float | None] = mapped_column(Float)
    max_km_expressway: Mapped[float | None] = mapped_column(Float)
    max_km_ferry: Mapped[float | None] = mapped_column(Float)
    max_price_wan_per_mu: Mapped[float | None] = mapped_column(Float)
    max_rent_yuan_m2_month: Mapped[float | None] = mapped_column(Float)
    readiness_min: Mapped[str | None] = mapped_column(Text)
    preferred_townships: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    preferred_blocks: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    start_by: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)  # internal
    confidential: Mapped[bool] = mapped_column(Boolean, server_default="false")
    status: Mapped[str] = mapped_column(Text, server_default="new")
    status_changed_at: Mapped[Stamp]
    created_by: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[Stamp]
    updated_at: Mapped[Stamp]
    # matching
    #: berth class (DWT) the port or wharf within ``max_km_port`` must have
    port_berth_dwt_min: Mapped[int | None] = mapped_column(Integer)
    #: building types that qualify for plant/building needs (empty: the need's usual types)
    building_types: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    #: site availability states the officer accepts (usually only ``available``)
    accept_availability: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default="{available}"
    )
    #: the size range is widened by this share before it is a hard constraint
    size_tolerance_pct: Mapped[float] = mapped_column(Float, server_default="0")
    #: how far a site may miss one hard constraint to be listed as a near miss
    near_miss_margin_pct: Mapped[float] = mapped_column(Float, server_default="10")
    #: soft-score weights overriding the defaults, {criterion: weight}
    weights: Mapped[dict[str, float]] = mapped_column(JSONB, server_default="{}")
    #: ``land_use_codes`` expanded by the service (hierarchy and cross-classification)
    land_use_2023_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    land_use_gb_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    #: the district the requirement belongs to: its officer's
    district_code: Mapped[str] = _district_key(home_default=True)
    __table_args__ = (
        _in_vocab("need", vocab.NEED),
        _in_vocab("tenure", vocab.TENURE),
        _in_vocab("status", vocab.REQUIREMENT_STATUS),
        _in_vocab("readiness_min", vocab.READINESS),
        Index("ix_requirement_status", "status"),
        CheckConstraint("size_tolerance_pct BETWEEN 0 AND 50", name="size_tolerance_range"),
        CheckConstraint("near_miss_margin_pct BETWEEN 0 AND 50", name="near_miss_margin_range"),
    )


class RequirementMatch(Base):
    """The open requirements each site satisfies now (kept by triggers; new pairs raise alerts)."""

    __tablename__ = "requirement_match"
    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("requirement.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    since: Mapped[Stamp]


class SavedSearch(Base):
    """An officer's named search of the map: the query of ``GET /api/sites`` it was saved
    with, and the same search as an SQL condition on ``site s`` reading its values from
    ``params`` (``$1->>'name'``), written by the app from its site filter, evaluated by the
    triggers that keep :class:`SavedSearchMatch` (revision 0018)."""

    __tablename__ = "saved_search"
    id: Mapped[IdKey]
    owner: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text)
    predicate: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[Stamp]
    __table_args__ = (
        UniqueConstraint("owner", "name"),
        CheckConstraint("char_length(btrim(name)) BETWEEN 1 AND 100", name="name_length"),
    )


class SavedSearchMatch(Base):
    """The sites each saved search holds now (kept by triggers; a site entering raises an
    alert for the search's owner)."""

    __tablename__ = "saved_search_match"
    saved_search_id: Mapped[int] = mapped_column(
        ForeignKey("saved_search.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    since: Mapped[Stamp]


class Alert(Base):
    """News for an officer: a site newly satisfies one of their open requirements or newly
    entered one of their saved searches, or an investor answered on one of their links."""

    __tablename__ = "alert"
    id: Mapped[IdKey]
    #: the requirement the alert is about (None: a saved search's alert)
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirement.id", ondelete="CASCADE"), index=True
    )
    #: the saved search a site newly entered (None: a requirement's alert)
    saved_search_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_search.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    officer: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[Stamp]
    seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: the investor's answer this alert tells of (None: a site newly meets the requirement)
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    __table_args__ = (
        Index("ix_alert_officer_created_at", "officer", "created_at"),
        CheckConstraint(
            "requirement_id IS NOT NULL OR saved_search_id IS NOT NULL", name="subject"
        ),
    )


class Recommendation(Base):
    """A set of sites chosen for a requirement (or an ad-hoc request), with explanations."""

    __tablename__ = "recommendation"
    id: Mapped[IdKey]
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirement.id", ondelete="SET NULL"), index=True
    )
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text)
    intro_zh: Mapped[str | None] = mapped_column(Text)
    intro_en: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Stamp]
    #: the district the recommendation belongs to: its requirement's, else its author's
    district_code: Mapped[str] = _district_key(home_default=True)


REFERRAL_COMMENT = "a requirement referred by its district to another district (issue 26, item 3)"


class Referral(Base):
    """A requirement referred by its district to another district (issue 26, item 3), with the
    receiving district's answer and the outcome of its last match (revision 0031)."""

    __tablename__ = "referral"
    id: Mapped[IdKey]
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id", ondelete="CASCADE"))
    #: the district referring (the requirement's) and the one receiving (another district)
    from_district: Mapped[str] = mapped_column(ForeignKey("district.code", onupdate="CASCADE"))
    to_district: Mapped[str] = mapped_column(
        ForeignKey("district.code", onupdate="CASCADE"), index=True
    )
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="open")
    referred_by: Mapped[str] = mapped_column(Text)
    #: the receiving district's last match: how many of its sites met every hard constraint
    matched_count: Mapped[int | None] = mapped_column(Integer)
    matched_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    matched_by: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[Stamp]
    status_changed_by: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[Stamp]
    updated_at: Mapped[Stamp]
    __table_args__ = (
        _in_vocab("status", vocab.REFERRAL_STATUS),
        CheckConstraint("to_district <> from_district", name="other_district"),
        CheckConstraint("length(note) <= 2000", name="note_length"),
        CheckConstraint("matched_count >= 0", name="matched_count_nonneg"),
        UniqueConstraint("requirement_id", "to_district"),
        {"comment": REFERRAL_COMMENT},
    )


class RecommendationSite(Base):
    """One site in a recommendation, with the officer's note and the match explanation."""

    __tablename__ = "recommendation_site"
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    rank: Mapped[int] = mapped_column(SmallInteger)
    note_zh: Mapped[str | None] = mapped_column(Text)
    note_en: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class ShareLink(Base):
    """A capability URL for one recipient; only the token's hash is stored."""

    __tablename__ = "share_link"
    id: Mapped[IdKey]
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    recipient_name: Mapped[str | None] = mapped_column(Text)
    recipient_org: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(Text, server_default="zh")
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Stamp]
    view_count: Mapped[int] = mapped_column(Integer, server_default="0")
    first_viewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_viewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # who extended or revoked the link
    extended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    extended_by: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (_in_vocab("language", vocab.LANGUAGE),)


class Feedback(Base):
    """An investor's answer about one site of a share link."""

    __tablename__ = "feedback"
    id: Mapped[IdKey]
    share_link_id: Mapped[int] = mapped_column(
        ForeignKey("share_link.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    question: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Stamp]
    # the language the investor answered in
    language: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        _in_vocab("kind", vocab.FEEDBACK_KIND),
        _in_vocab("language", vocab.LANGUAGE),
        CheckConstraint(
            "kind <> 'not_suitable' OR length(btrim(reason)) > 0", name="reason_required"
        ),
        CheckConstraint(
            "kind <> 'question' OR length(btrim(question)) > 0", name="question_required"
        ),
    )


class History(Base):
    """Append-only change log written by database triggers (app, psql and QGIS edits alike)."""

    __tablename__ = "history"
    id: Mapped[IdKey]
    table_name: Mapped[str] = mapped_column(Text)
    row_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(Text)
    #: {column: [old, new]} for updates; the full row for insert ([null, new]) and delete
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB)
    changed_by: Mapped[str] = mapped_column(Text)
    app_user: Mapped[str | None] = mapped_column(Text)
    db_user: Mapped[str] = mapped_column(Text)
    application_name: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    #: document reference given with the change (e.g. 普自然资规〔2026〕17号)
    doc_ref: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    __table_args__ = (
        Index("ix_history_table_row", "table_name", "row_id", "changed_at"),
        CheckConstraint("action IN ('insert', 'update', 'delete')", name="action_vocab"),
    )


class AppUser(Base):
    """A person who logs in: officer, planner and/or admin."""

    __tablename__ = "app_user"
    id: Mapped[IdKey]
    username: Mapped[str] = mapped_column(Text, unique=True)
    display_name: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    disabled: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[Stamp]
    password_changed_at: Mapped[Stamp]
    #: what the officer wants printed on brochures (phone, e-mail); NULL prints nothing
    contact: Mapped[str | None] = mapped_column(Text)
    #: the district the user works for (a city's user: the city)
    district_code: Mapped[str] = _district_key(home_default=True)
    __table_args__ = (
        CheckConstraint(
            "roles <@ ARRAY[" + ", ".join(f"'{k}'" for k in vocab.ROLE.keys) + "]::text[]",
            name="roles_vocab",
        ),
        CheckConstraint(
            "username = lower(username) AND username ~ '^[a-z0-9._-]{2,64}$'",
            name="username_format",
        ),
    )


class DistrictRole(Base):
    """A user's role in a district beyond their home district (revision 0034): "reader
    (``leader``) of the city". A grant on a city or province covers the districts below it;
    ``gis_app_user_scope`` turns a user's home district and grants into district codes."""

    __tablename__ = "district_role"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    district_code: Mapped[str] = mapped_column(
        ForeignKey("district.code", onupdate="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(Text, primary_key=True)
    granted_by: Mapped[str | None] = mapped_column(Text)
    granted_at: Mapped[Stamp]
    __table_args__ = (
        CheckConstraint(
            "role IN (" + ", ".join(f"'{k}'" for k in vocab.GRANT_ROLES) + ")", name="role_known"
        ),
    )


class ApiToken(Base):
    """A bearer token for scripts; only its SHA-256 hash is stored."""

    __tablename__ = "api_token"
    id: Mapped[IdKey]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    prefix: Mapped[str] = mapped_column(Text)
    created_at: Mapped[Stamp]
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A browser login session; the cookie holds a random token, the table its hash."""

    __tablename__ = "web_session"
    id: Mapped[IdKey]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[Stamp]
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[Stamp]
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """Failed and successful logins, for per-account and per-client rate limits."""

    __tablename__ = "login_attempt"
    id: Mapped[IdKey]
    username: Mapped[str] = mapped_column(Text)
    client: Mapped[str] = mapped_column(Text)
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[Stamp]
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_client_at", "client", "at"),
    )


class ClientRate(Base):
    """Requests per client in the current fixed window (UNLOGGED), shared by every process."""

    __tablename__ = "client_rate"
    scope: Mapped[str] = mapped_column(Text, primary_key=True)
    client: Mapped[str] = mapped_column(Text, primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    hits: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        Index("client_rate_window_start", "window_start"),
        {
            "prefixes": ["UNLOGGED"],
            "comment": "requests per client in the current fixed window, shared by every app "
            "process",
        },
    )


class Xml(UserDefinedType):
    """PostgreSQL's ``xml`` (QGIS keeps styles as XML documents)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        """The column type in DDL."""
        return "XML"


class LayerStyle(Base):
    """QGIS layer styles, in the table QGIS itself reads and writes (``layer_styles``).

    QGIS applies the row marked ``useasdefault`` when a layer of that table is added.
    """

    __tablename__ = "layer_styles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    f_table_catalog: Mapped[str | None] = mapped_column(String)
    f_table_schema: Mapped[str | None] = mapped_column(String)
    f_table_name: Mapped[str | None] = mapped_column(String)
    f_geometry_column: Mapped[str | None] = mapped_column(String)
    stylename: Mapped[str | None] = mapped_column(Text)
    styleqml: Mapped[str | None] = mapped_column(Xml)
    stylesld: Mapped[str | None] = mapped_column(Xml)
    useasdefault: Mapped[bool | None] = mapped_column(Boolean)
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(63), server_default=text("CURRENT_USER"))
    ui: Mapped[str | None] = mapped_column(Xml)
    update_time: Mapped[dt.datetime | None] = mapped_column(
        DateTime, server_default=text("CURRENT_TIMESTAMP")
    )
    type: Mapped[str | None] = mapped_column(String)


class QgisProject(Base):
    """QGIS projects stored in the database, in the table QGIS opens them from."""

    __tablename__ = "qgis_projects"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONB)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)


class AppRuntimeGroup(Base):
    """The group role of the app's runtime login in this database (revision 0032,
    :func:`gis_app.db.db_logins.ensure_runtime_group`)."""

    __tablename__ = "app_runtime_group"
    role_name: Mapped[str] = mapped_column(Text, primary_key=True)


# the project ledger's tables live in a module of their own; importing it here puts them in
# the one metadata (Alembic's env and the schema tests read Base.metadata from this module)
from gis_app.db import project_models  # noqa: E402, F401
