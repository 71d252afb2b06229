"""The deployment's districts as pages and forms offer them: codes with their names (zh, en).

A district is stored by its code (``site.district_code``, ``app_user.district_code`` …); every
page shows its name instead, in the page's language. The names come from the ``district``
table (a handful of rows), read once per page.
"""

from __future__ import annotations

import sqlalchemy as sa

from gis_app.db import district_queries
from gis_app.domain import fields
from gis_app.domain.vocab import Term

#: the label of a site's district (the registry's field), for pages that show one
FIELD: Term = fields.SITE["district_code"].term


def site_districts(conn: sa.Connection) -> list[Term]:
    """The districts sites lie in (district level), by code: what a site search offers."""
    return district_queries.district_list(conn, ("district",))


def home_districts(conn: sa.Connection) -> list[Term]:
    """Every row a user may belong to: provinces, cities (a city's user), then districts."""
    return district_queries.district_list(conn)


def first_district(conn: sa.Connection) -> str | None:
    """The first district (where users, requirements … go when nobody says); None: none yet."""
    return district_queries.existing_district(conn, None)


def script_labels(conn: sa.Connection) -> dict[str, dict[str, str]]:
    """Every district's names for a page's script, as a vocabulary: ``{code: {"zh", "en"}}``
    plus the field's own label under ``""`` (how ``sitemap.js`` reads vocabularies)."""
    out = {t.key: {"zh": t.zh, "en": t.en} for t in district_queries.district_terms(conn).values()}
    out[""] = {"zh": FIELD.zh, "en": FIELD.en}
    return out
