"""The investor-facing view of a recommendation link, built from the explicit public schema.

Only the columns listed in :mod:`gis_app.domain.public_schema` are selected (never ``s.*``, never
a row passed through), and every value goes into a model that forbids unknown fields. The sites
are exactly those of the link's recommendation: every query is keyed by the recommendation id
that the link resolved to, never by anything the caller sends.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from gis_app.db import attachment_queries, investor_queries
from gis_app.domain import fields, vocab
from gis_app.domain import public_schema as P
from gis_app.domain.errors import NotFound
from gis_app.services.share_links import LinkContext

#: degrees around the recommended sites in which context infrastructure is drawn (~25 km)
CONTEXT_PAD_DEG = 0.25
MAX_CONTEXT_FEATURES = 200
#: outline simplification for the offline basemap (degrees, ~50 m)
OUTLINE_TOLERANCE_DEG = 0.0005


def _label(v: vocab.Vocabulary, key: str | None) -> P.Label | None:
    return P.label_of(v, key) if key is not None and key in v else None


def _status(row: Any) -> list[P.StatusItem]:
    items = []
    for field in P.STATUS_FIELDS:
        f = fields.SITE[field]
        value = P.public_value(f, row[field])
        if value is None:
            continue
        progress = row["policy_progress_pct"] if field == "policy_status" else None
        v = f.vocabulary  # every status field is coded: the line's label is its vocabulary's
        items.append(
            P.StatusItem(
                field=field,
                label=P.Label(key=v.name, zh=v.zh, en=v.en),  # type: ignore[union-attr]
                value=value,
                progress_pct=progress,
            )
        )
    return items


def _summary(row: Any, buildings: list[P.PublicBuilding]) -> P.Label:
    """One plain-words line: ready to build, space available, or preparation in progress."""
    if row["kind"] in ("standard_plant", "plant", "building"):
        vacant = any(
            b.occupancy is not None and b.occupancy.key in ("vacant", "partly_vacant")
            for b in buildings
        )
        return P.ui_label("space_ready" if vacant else "confirm_availability")
    ready = (
        row["readiness"] == "cleared"
        and row["policy_status"] in (None, "delivered")
        and row["planning_status"] == "approved"
    )
    return P.ui_label("ready_to_build" if ready else "in_preparation")


def _photos(urls: list[str] | None) -> tuple[list[str], list[str]]:
    """Split photo URLs into app-served (inline) and elsewhere (links only)."""
    local, remote = [], []
    for u in urls or []:
        if not isinstance(u, str) or any(c in u for c in "\"'<> \n\r\t\\"):
            continue
        if u.startswith("/") and not u.startswith("//"):
            local.append(u)
        elif u.startswith(("https://", "http://")):
            remote.append(u)
    return local, remote


def _building(row: Any) -> P.PublicBuilding:
    """A building's public fields (the registry's ``public`` ones), coded values labelled."""
    return P.PublicBuilding(
        **{n: P.public_value(f, row[n]) for n, f in P.PUBLIC_BUILDING_FIELDS.items()}
    )


def _buildings(conn: sa.Connection, site_ids: list[int]) -> dict[int, list[P.PublicBuilding]]:
    rows = investor_queries.public_buildings(conn, site_ids)
    out: dict[int, list[P.PublicBuilding]] = defaultdict(list)
    for r in rows:
        out[r["site_id"]].append(_building(r))
    return out


def _distances(conn: sa.Connection, site_ids: list[int]) -> dict[int, list[P.Distance]]:
    rows = investor_queries.nearest_infrastructure(conn, site_ids, P.PUBLIC_DISTANCE_KINDS)
    out: dict[int, list[P.Distance]] = defaultdict(list)
    for r in rows:
        out[r["site_id"]].append(
            P.Distance(
                kind=_label(vocab.INFRA_KIND, r["infra_kind"]),
                km=round(r["distance_m"] / 1000.0, 1),
                name_zh=r["name_zh"],
                name_en=r["name_en"],
            )
        )
    return out


# explanation criteria whose site value is the distance to the nearest of these kinds
_DISTANCE_CRITERIA: dict[str, tuple[str, ...]] = {
    "port_distance": ("port", "wharf"),
    "expressway_distance": ("expressway_interchange",),
    "ferry_distance": ("ferry_terminal",),
}


def _with_distances(ex: P.Explanation | None, distances: list[P.Distance]) -> P.Explanation | None:
    """Fill missing distance values of met criteria from the site's public distances."""
    if ex is None:
        return None

    def fill(items: list[P.ExplanationItem]) -> list[P.ExplanationItem]:
        out = []
        for item in items:
            kinds = _DISTANCE_CRITERIA.get(item.criterion)
            km = [d.km for d in distances if kinds and d.kind.key in kinds]
            if item.site_value is None and km:
                value = P.Text(zh=f"{min(km):,.1f} km", en=f"{min(km):,.1f} km")
                item = item.model_copy(update={"site_value": value})
            out.append(item)
        return out

    # only where the criterion is met: for a port with a berth class the nearest port of any
    # class may not be the one that counts, so a miss is left without a figure
    return ex.model_copy(update={"meets": fill(ex.meets)})


def _files(rows: list[Any], base: str) -> dict[int, list[P.PublicFile]]:
    """Public files per site, with their URLs under ``base`` (the link's files path)."""
    out: dict[int, list[P.PublicFile]] = defaultdict(list)
    for r in rows:
        url = f"{base}/{r['id']}"
        out[r["site_id"]].append(
            P.PublicFile(
                id=r["id"],
                kind=_label(vocab.ATTACHMENT_KIND, r["kind"]),
                media_type=r["media_type"],
                url=url,
                thumbnail_url=f"{url}?thumbnail=true" if r["kind"] == "photo" else None,
                width=r["width"],
                height=r["height"],
            )
        )
    return out


def _site(
    row: Any,
    buildings: list[P.PublicBuilding],
    distances: list[P.Distance],
    files: list[P.PublicFile] | None = None,
) -> P.PublicSite:
    photos, photo_links = _photos(row["photo_urls"])
    return P.PublicSite(
        rank=row["rank"],
        **{n: P.public_value(f, row[n]) for n, f in P.PUBLIC_SITE_FIELDS.items()},
        area=P.Area(m2=row["area_m2"], mu=row["area_mu"], ha=row["area_ha"]),
        indicators=P.Indicators(**{n: row[n] for n in P.Indicators.model_fields}),
        status=_status(row),
        summary=_summary(row, buildings),
        availability=P.public_availability(row["availability"]),
        photos=photos,
        photo_links=photo_links,
        files=files or [],
        buildings=buildings,
        distances=distances,
        note_zh=row["note_zh"],
        note_en=row["note_en"],
        explanation=_with_distances(P.public_explanation(row["explanation"]), distances),
        lon=round(row["lon"], 6),
        lat=round(row["lat"], 6),
        geometry=row["geometry"],
    )


def build_view(
    conn: sa.Connection, link: LinkContext, file_base: str | None = None
) -> P.PublicRecommendation:
    """The public view of the link's recommendation (its sites only, public fields only).

    With ``file_base`` (the URL path under which the link serves files, e.g.
    ``/r/<token>/files``) each site lists its public photos and documents.
    """
    rec = investor_queries.recommendation_texts(conn, link.recommendation_id)
    rows = investor_queries.recommended_sites(conn, link.recommendation_id)
    ids = [r["site_id"] for r in rows]
    buildings = _buildings(conn, ids)
    distances = _distances(conn, ids)
    files = (
        _files(
            attachment_queries.public_for_recommendation(conn, link.recommendation_id), file_base
        )
        if file_base is not None
        else {}
    )
    return P.PublicRecommendation(
        title_zh=rec["title_zh"],
        title_en=rec["title_en"],
        intro_zh=rec["intro_zh"],
        intro_en=rec["intro_en"],
        language=link.language,  # type: ignore[arg-type]
        expires_at=link.expires_at,
        sites=[
            _site(r, buildings[r["site_id"]], distances[r["site_id"]], files.get(r["site_id"]))
            for r in rows
        ],
    )


def site_view(conn: sa.Connection, site_id: int) -> tuple[int, P.PublicSite]:
    """One site's public record (public fields only, no files), for the brochure officers
    print; :class:`NotFound` when there is no such site."""
    row = investor_queries.one_site(conn, site_id)
    if row is None:
        raise NotFound(f"site {site_id} not found")
    return row["site_id"], _site(
        row, _buildings(conn, [site_id])[site_id], _distances(conn, [site_id])[site_id]
    )


def map_context(conn: sa.Connection, link: LinkContext) -> P.MapContext:
    """Infrastructure around the link's sites and the jurisdiction outline, for the map."""
    rid = link.recommendation_id
    infra = investor_queries.context_infrastructure(
        conn, rid, CONTEXT_PAD_DEG, P.MAP_INFRA_KINDS, MAX_CONTEXT_FEATURES
    )
    outline = investor_queries.context_outline(conn, rid, CONTEXT_PAD_DEG, OUTLINE_TOLERANCE_DEG)
    return P.MapContext(
        infrastructure=[
            P.MapFeature(
                kind=_label(vocab.INFRA_KIND, r["kind"]),
                name_zh=r["name_zh"],
                name_en=r["name_en"],
                lon=round(r["lon"], 6),
                lat=round(r["lat"], 6),
            )
            for r in infra
        ],
        outline=outline,
    )
