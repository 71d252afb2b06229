"""The deployment's districts as pages and forms offer them: codes with their names (zh, en).

A district is stored by its code (``site.district_code``, ``app_user.district_code`` …); every
page shows its name instead, in the page's language. The names come from the ``district``
table (a handful of rows), read once per page.
"""

from __future__ import annotations

import sqlalchemy as sa

from gis_app.db import district_queries
from gis_app.db.scope import bound
from gis_app.domain import fields
from gis_app.domain.errors import InvalidInput
from gis_app.domain.vocab import Term

#: the label of a site's district (the registry's field), for pages that show one
FIELD: Term = fields.SITE["district_code"].term


def site_districts(conn: sa.Connection) -> list[Term]:
    """The districts sites lie in (district level), by code: what a site search offers."""
    return district_queries.district_list(conn, ("district",))


def chosen_districts(conn: sa.Connection, codes: list[str]) -> list[Term]:
    """The districts ``codes`` names (each once, in the order given), as a page drilled down to
    them shows them; :class:`InvalidInput` naming ``district_code`` for a code that is not a
    district sites lie in."""
    offered = {t.key: t for t in site_districts(conn)}
    for code in codes:
        if code not in offered:
            raise InvalidInput(
                f"district_code: no district {code[:64]!r}",
                code="unknown_value",
                field="district_code",
                params={"value": code[:64]},
            )
    return [offered[c] for c in dict.fromkeys(codes)]


def home_districts(conn: sa.Connection) -> list[Term]:
    """Every row a user may belong to: provinces, cities (a city's user), then districts."""
    return district_queries.district_list(conn)


def readable_districts(conn: sa.Connection) -> list[Term]:
    """The provinces, cities and districts the caller bound to ``conn`` reads (all of them for
    the owner's own connections): what a ledger view may be drilled down to."""
    scope = bound(conn)
    rows = district_queries.district_list(conn)
    return rows if scope is None else [t for t in rows if t.key in scope.read]


def first_district(conn: sa.Connection) -> str | None:
    """The first district (where users, requirements … go when nobody says); None: none yet."""
    return district_queries.existing_district(conn, None)


def script_labels(conn: sa.Connection) -> dict[str, dict[str, str]]:
    """Every district's names for a page's script, as a vocabulary: ``{code: {"zh", "en"}}``
    plus the field's own label under ``""`` (how ``sitemap.js`` reads vocabularies)."""
    out = {t.key: {"zh": t.zh, "en": t.en} for t in district_queries.district_terms(conn).values()}
    out[""] = {"zh": FIELD.zh, "en": FIELD.en}
    return out
