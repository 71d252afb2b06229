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

from gis_app.db import investor_queries
from gis_app.domain import fields, vocab
from gis_app.domain import public_schema as P
from gis_app.services.share_links import LinkContext

#: degrees around the recommended sites in which context infrastructure is drawn (~25 km)
CONTEXT_PAD_DEG = 0.25
MAX_CONTEXT_FEATURES = 200
#: outline simplification for the offline basemap (degrees, ~50 m)
OUTLINE_TOLERANCE_DEG = 0.0005

_STATUS_FIELDS: tuple[tuple[str, vocab.Vocabulary], ...] = (
    ("readiness", vocab.READINESS),
    ("policy_status", vocab.POLICY_STATUS),
    ("planning_status", vocab.PLANNING_STATUS),
    ("quota_status", vocab.QUOTA_STATUS),
    ("supply_stage", vocab.SUPPLY_STAGE),
    ("in_ugb", vocab.IN_UGB),
    ("ownership", vocab.OWNERSHIP),
)


def _label(v: vocab.Vocabulary, key: str | None) -> P.Label | None:
    return P.label_of(v, key) if key is not None and key in v else None


def _status(row: Any) -> list[P.StatusItem]:
    items = []
    for field, v in _STATUS_FIELDS:
        value = _label(v, row[field])
        if value is None:
            continue
        progress = row["policy_progress_pct"] if field == "policy_status" else None
        items.append(
            P.StatusItem(
                field=field,
                label=P.Label(key=v.name, zh=v.zh, en=v.en),
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
        **{
            name: _label(f.vocabulary, row[name]) if f.vocabulary is not None else row[name]
            for name, f in fields.BUILDING.items()
            if f.public
        }
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


def _site(row: Any, buildings: list[P.PublicBuilding], distances: list[P.Distance]) -> P.PublicSite:
    photos, photo_links = _photos(row["photo_urls"])
    return P.PublicSite(
        rank=row["rank"],
        code=row["code"],
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        kind=_label(vocab.SITE_KIND, row["kind"]),
        block=row["block"],
        township=row["township"],
        platform=row["platform"],
        address=row["address"],
        area=P.Area(m2=row["area_m2"], mu=row["area_mu"], ha=row["area_ha"]),
        planned_use=P.land_use_of("2023", row["planned_use"]),
        legacy_use=P.land_use_of("gb50137", row["legacy_use"]),
        indicators=P.Indicators(
            far_min=row["far_min"],
            far_max=row["far_max"],
            coverage_min_pct=row["coverage_min_pct"],
            green_max_pct=row["green_max_pct"],
            height_limit_m=row["height_limit_m"],
        ),
        status=_status(row),
        summary=_summary(row, buildings),
        availability=P.public_availability(row["availability"]),
        utilities=[_label(vocab.UTILITY, u) for u in row["utilities"] or [] if u in vocab.UTILITY],
        supply_mode=_label(vocab.SUPPLY_MODE, row["supply_mode"]),
        standard_land=bool(row["standard_land"]),
        invest_intensity_wan_per_mu=row["invest_intensity_wan_per_mu"],
        tax_wan_per_mu_yr=row["tax_wan_per_mu_yr"],
        energy_tce_per_wan=row["energy_tce_per_wan"],
        lease_years=row["lease_years"],
        reserve_price_wan_per_mu=row["reserve_price_wan_per_mu"],
        shoreline_m=row["shoreline_m"],
        berth_dwt=row["berth_dwt"],
        water_depth_m=row["water_depth_m"],
        verified_at=row["verified_at"],
        description_zh=row["description_zh"],
        description_en=row["description_en"],
        photos=photos,
        photo_links=photo_links,
        buildings=buildings,
        distances=distances,
        note_zh=row["note_zh"],
        note_en=row["note_en"],
        explanation=_with_distances(P.public_explanation(row["explanation"]), distances),
        lon=round(row["lon"], 6),
        lat=round(row["lat"], 6),
        geometry=row["geometry"],
    )


def build_view(conn: sa.Connection, link: LinkContext) -> P.PublicRecommendation:
    """The public view of the link's recommendation (its sites only, public fields only)."""
    rec = investor_queries.recommendation_texts(conn, link.recommendation_id)
    rows = investor_queries.recommended_sites(conn, link.recommendation_id)
    ids = [r["site_id"] for r in rows]
    buildings = _buildings(conn, ids)
    distances = _distances(conn, ids)
    return P.PublicRecommendation(
        title_zh=rec["title_zh"],
        title_en=rec["title_en"],
        intro_zh=rec["intro_zh"],
        intro_en=rec["intro_en"],
        language=link.language,  # type: ignore[arg-type]
        expires_at=link.expires_at,
        sites=[_site(r, buildings[r["site_id"]], distances[r["site_id"]]) for r in rows],
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
