"""The match criteria as the matcher reads them: a view of the registry
(:mod:`gis_app.domain.match_criteria`), where each criterion is declared once with its labels,
SQL parts, explanation formatter and public wording. Nothing is declared here.
"""

from __future__ import annotations

from gis_app.domain.match_criteria import (
    ACCESS_SCALE_KM,
    BY_KEY,
    CRITERIA,
    DEFAULT_BUILDING_TYPES,
    DEFAULT_WEIGHTS,
    FRESH_DAYS,
    HARD,
    LAND_NEEDS,
    NEED_KINDS,
    PORT_KINDS,
    QUALIFYING_PORTS,
    REQ_COLUMNS,
    SITE,
    SOFT,
    SPACE_NEEDS,
    STALE_DAYS,
    TENURE_OFFERS,
    Criterion,
    Source,
    d_port,
    sql_array,
    sql_list,
    table,
)

ALL = CRITERIA

__all__ = [
    "ACCESS_SCALE_KM",
    "ALL",
    "BY_KEY",
    "DEFAULT_BUILDING_TYPES",
    "DEFAULT_WEIGHTS",
    "FRESH_DAYS",
    "HARD",
    "LAND_NEEDS",
    "NEED_KINDS",
    "PORT_KINDS",
    "QUALIFYING_PORTS",
    "REQ_COLUMNS",
    "SITE",
    "SOFT",
    "SPACE_NEEDS",
    "STALE_DAYS",
    "TENURE_OFFERS",
    "Criterion",
    "Source",
    "d_port",
    "sql_array",
    "sql_list",
    "table",
]
