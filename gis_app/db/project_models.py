"""ORM models of the project ledger (issue 27): projects, the sites and buildings they took,
their milestones, their monthly figures, and the annual targets.

Imported by :mod:`gis_app.db.models` so that one metadata describes the whole schema; the
columns follow the registries of :mod:`gis_app.domain.projects`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis_app.db.models import Base, IdKey, Stamp, _district_key, _in_vocab
from gis_app.domain import projects, vocab


class Project(Base):
    """A signed investment project followed from signing to full output."""

    __tablename__ = "project"
    id: Mapped[IdKey]
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    sector: Mapped[str] = mapped_column(Text)
    industry: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(Text)
    officer: Mapped[str | None] = mapped_column(Text, index=True)
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirement.id", ondelete="SET NULL"), unique=True
    )
    investor: Mapped[str | None] = mapped_column(Text)  # internal
    registered_capital_wan: Mapped[float | None] = mapped_column(Float)
    planned_fixed_asset_wan: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)  # internal
    created_by: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[Stamp]
    updated_at: Mapped[Stamp]
    #: the district whose ledger holds it (its requirement's, else its first site's, else its
    #: officer's; revision 0040)
    district_code: Mapped[str] = _district_key(home_default=True)
    __table_args__ = (
        _in_vocab("sector", vocab.SECTOR),
        CheckConstraint("length(btrim(code)) > 0", name="code_given"),
        CheckConstraint("length(btrim(name)) > 0", name="name_given"),
        CheckConstraint(
            "registered_capital_wan >= 0 AND planned_fixed_asset_wan >= 0", name="amounts_nonneg"
        ),
    )


class ProjectSite(Base):
    """A site a project took (the site is then ``signed``)."""

    __tablename__ = "project_site"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProjectBuilding(Base):
    """A building (plant space) a project took."""

    __tablename__ = "project_building"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    building_id: Mapped[int] = mapped_column(
        ForeignKey("building.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProjectMilestone(Base):
    """A milestone of a project with its planned and actual dates."""

    __tablename__ = "project_milestone"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    planned_date: Mapped[dt.date | None] = mapped_column(Date)
    actual_date: Mapped[dt.date | None] = mapped_column(Date)
    __table_args__ = (
        _in_vocab("kind", vocab.MILESTONE),
        CheckConstraint("planned_date IS NOT NULL OR actual_date IS NOT NULL", name="a_date_given"),
        Index("ix_project_milestone_kind_actual_date", "kind", "actual_date"),
    )


class ProjectMonth(Base):
    """One month of one project's figures (amounts in 万元; foreign capital in 万美元)."""

    __tablename__ = "project_month"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)
    funds_registered_wan: Mapped[float | None] = mapped_column(Float)
    funds_fixed_asset_wan: Mapped[float | None] = mapped_column(Float)
    foreign_capital_usd_wan: Mapped[float | None] = mapped_column(Float)
    tax_wan: Mapped[float | None] = mapped_column(Float)
    output_wan: Mapped[float | None] = mapped_column(Float)
    entered_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[Stamp]
    __table_args__ = (
        CheckConstraint("month = date_trunc('month', month)::date", name="first_of_month"),
        CheckConstraint(" AND ".join(f"{c} >= 0" for c in projects.FIGURES), name="figures_nonneg"),
    )


class IndicatorTarget(Base):
    """An annual target of one indicator for a district (or city), one of its platforms or one
    of its officers."""

    __tablename__ = "indicator_target"
    id: Mapped[IdKey]
    district_code: Mapped[str] = _district_key(home_default=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    scope: Mapped[str] = mapped_column(Text)
    #: the platform's name or the officer's user name ('' for the district)
    scope_key: Mapped[str] = mapped_column(Text, server_default="")
    indicator: Mapped[str] = mapped_column(Text)
    value: Mapped[float] = mapped_column(Float)
    __table_args__ = (
        UniqueConstraint(
            "district_code",
            "year",
            "scope",
            "scope_key",
            "indicator",
            name="uq_indicator_target_district_year_scope_indicator",
        ),
        _in_vocab("scope", projects.TARGET_SCOPE),
        _in_vocab("indicator", projects.INDICATOR),
        CheckConstraint("value >= 0", name="value_nonneg"),
        CheckConstraint("(scope = 'district') = (scope_key = '')", name="scope_key_given"),
    )


class PromotionActivity(Base):
    """One promotion activity an officer logged (外出招商, 接待来访, 推介活动)."""

    __tablename__ = "promotion_activity"
    id: Mapped[IdKey]
    kind: Mapped[str] = mapped_column(Text)
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    officer: Mapped[str] = mapped_column(Text, index=True)
    title: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    counterpart: Mapped[str | None] = mapped_column(Text)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[Stamp]
    #: its project's district, else its officer's (revision 0040)
    district_code: Mapped[str] = _district_key(home_default=True)
    __table_args__ = (
        _in_vocab("kind", vocab.ACTIVITY_KIND),
        CheckConstraint("length(btrim(title)) > 0", name="title_given"),
    )


class ActivityMinimum(Base):
    """The monthly minimum of one kind of activity in a year, for every officer of a district
    ('') or one."""

    __tablename__ = "activity_minimum"
    district_code: Mapped[str] = mapped_column(
        ForeignKey("district.code", onupdate="CASCADE"),
        primary_key=True,
        server_default=text("gis_app_home_district()"),
    )
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    officer: Mapped[str] = mapped_column(Text, primary_key=True, server_default="")
    per_month: Mapped[int] = mapped_column(SmallInteger)
    updated_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[Stamp]
    __table_args__ = (
        _in_vocab("kind", vocab.ACTIVITY_KIND),
        CheckConstraint("per_month BETWEEN 0 AND 1000", name="per_month_range"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )
