"""OGC API – Features over the app (issue 22, part 1): landing page, conformance, collections,
items with paging links, CRSs transformed in PostGIS, queryables, field sets by role, ETag/304
and the refusals of bad input."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gis_app.domain import fields
from gis_app.services import ogc as ogc_service

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
COLLECTIONS = (
    "sites",
    "sites_public",
    "buildings",
    "constraint_zones",
    "infrastructure",
    "jurisdiction",
)


def test_landing_conformance_and_collections(client_as) -> None:
    c = client_as("officer")
    landing = c.get("/ogc").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = c.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    cols = c.get("/ogc/collections").json()["collections"]
    assert [col["id"] for col in cols] == list(COLLECTIONS)
    for col in cols:
        assert f"{EPSG}4550" in col["crs"] and col["storageCrs"] == f"{EPSG}4490"
        assert len(col["extent"]["spatial"]["bbox"][0]) == 4
    assert c.get("/ogc/collections/nothing").status_code == 404


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_collection_pages_to_its_end(client_as, engine, collection: str) -> None:
    c = client_as("planner")
    url, seen, matched = f"/ogc/collections/{collection}/items?limit=2", [], None
    while url:
        r = c.get(url)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/geo+json")
        assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
        body = r.json()
        matched = body["numberMatched"]
        assert body["numberReturned"] == len(body["features"]) <= 2
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0] if nxt else None
    assert len(seen) == len(set(seen)) == matched > 0
    table = ogc_service.COLLECTIONS[collection].table
    where = {"site": "WHERE retired_at IS NULL", "building": ""}.get(table, "")
    with engine.connect() as conn:
        n = conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}")).scalar_one()
    if table != "building":
        assert matched == n


def test_a_page_at_an_offset_is_the_ordered_rows_after_it_with_filters(client_as, engine) -> None:
    """A deep page starts by counting ids, not by skipping whole rows: the same rows in the same
    order as ``OFFSET`` on the filtered, id-ordered sites, past the end empty."""
    c = client_as("officer")
    with engine.connect() as conn:
        ids = (
            conn.execute(
                sa.text(
                    "SELECT id FROM site WHERE retired_at IS NULL AND kind = 'land' ORDER BY id"
                )
            )
            .scalars()
            .all()
        )
    assert len(ids) > 8
    for offset in (0, 1, 5, len(ids) - 2, len(ids), len(ids) + 5):
        body = c.get(
            "/ogc/collections/sites/items", params={"kind": "land", "limit": 3, "offset": offset}
        ).json()
        assert [f["id"] for f in body["features"]] == ids[offset : offset + 3], offset
        assert body["numberMatched"] == len(ids)


def test_prev_link_and_offset(client_as) -> None:
    c = client_as("officer")
    body = c.get("/ogc/collections/sites/items?limit=3&offset=3").json()
    prev = [link["href"] for link in body["links"] if link["rel"] == "prev"]
    assert prev and "offset=0" in prev[0]
    first = c.get(prev[0]).json()["features"]
    assert [f["id"] for f in first] < [f["id"] for f in body["features"]]


def test_crs_transformed_in_postgis_with_axis_order(client_as, engine) -> None:
    c = client_as("officer")
    fid = c.get("/ogc/collections/sites/items?limit=1").json()["features"][0]["id"]
    with engine.connect() as conn:
        x4550, y4550, lon, lat = conn.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p), ST_X(q), ST_Y(q) FROM (SELECT"
                " ST_Transform(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1), 4550) p,"
                " ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1) q"
                " FROM site WHERE id = :id) t"
            ),
            {"id": fid},
        ).one()

    def first_point(crs: str | None) -> tuple[list[float], str]:
        params = {"crs": crs} if crs else {}
        r = c.get(f"/ogc/collections/sites/items/{fid}", params=params)
        assert r.status_code == 200, r.text
        return r.json()["geometry"]["coordinates"][0][0][0], r.headers["content-crs"]

    pt, hdr = first_point(None)
    assert pt == pytest.approx([lon, lat], abs=1e-6) and "CRS84" in hdr
    pt, hdr = first_point(f"{EPSG}4490")
    assert pt == pytest.approx([lat, lon], abs=1e-6) and hdr == f"<{EPSG}4490>"
    pt, _ = first_point("EPSG:4550")  # northing first, metres
    assert pt == pytest.approx([y4550, x4550], abs=0.01)
    assert 3_000_000 < pt[0] < 4_000_000 and 300_000 < pt[1] < 700_000


def test_bbox_in_each_crs_selects_the_same_sites(client_as, engine) -> None:
    c = client_as("officer")
    with engine.connect() as conn:
        lon0, lat0, lon1, lat1 = conn.execute(
            sa.text(
                "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM"
                " (SELECT ST_Extent(geom) b FROM (SELECT geom FROM site WHERE retired_at IS NULL"
                " ORDER BY id LIMIT 5) s) t"
            )
        ).one()
        n0, e0, n1, e1 = conn.execute(
            sa.text(
                "SELECT ST_YMin(b), ST_XMin(b), ST_YMax(b), ST_XMax(b) FROM (SELECT"
                " ST_Transform(ST_MakeEnvelope(:a, :b, :c, :d, 4490), 4550)::box2d b) t"
            ),
            {"a": lon0, "b": lat0, "c": lon1, "d": lat1},
        ).one()

    def ids(params: dict[str, str]) -> set[int]:
        r = c.get("/ogc/collections/sites/items", params={"limit": "10000", **params})
        assert r.status_code == 200, r.text
        return {f["id"] for f in r.json()["features"]}

    lonlat = ids({"bbox": f"{lon0},{lat0},{lon1},{lat1}"})
    assert len(lonlat) >= 5
    assert ids({"bbox": f"{lat0},{lon0},{lat1},{lon1}", "bbox-crs": f"{EPSG}4490"}) == lonlat
    projected = ids({"bbox": f"{n0},{e0},{n1},{e1}", "bbox-crs": f"{EPSG}4550"})
    # the 4550 box of the lon/lat box is a little larger (its edges bow out)
    assert lonlat <= projected


def test_site_filters_are_queryables(client_as) -> None:
    c = client_as("officer")
    q = c.get("/ogc/collections/sites/queryables")
    assert q.status_code == 200 and q.headers["content-type"].startswith("application/schema+json")
    props = q.json()["properties"]
    assert {"kind", "availability", "area_mu_min", "land_use", "max_km_port"} <= set(props)
    assert "available" in props["availability"]["items"]["enum"]
    # other collections: their properties (for a CQL2 filter), no search parameter
    juris = c.get("/ogc/collections/jurisdiction/queryables").json()["properties"]
    coll = ogc_service.COLLECTIONS["jurisdiction"]
    assert set(juris) == set(ogc_service.readable_columns(coll, frozenset({"officer"})))
    assert "area_mu_min" not in juris
    all_sites = c.get("/ogc/collections/sites/items?limit=10000").json()
    plants = c.get("/ogc/collections/sites/items?limit=10000&kind=standard_plant").json()
    assert 0 < plants["numberMatched"] < all_sites["numberMatched"]
    assert {f["properties"]["kind"] for f in plants["features"]} == {"standard_plant"}
    r = c.get("/ogc/collections/buildings/items?kind=standard_plant")
    assert r.status_code == 422 and "site search filters" in r.json()["detail"]


def test_fields_by_role_and_public_collection(client_as) -> None:
    c = client_as("officer")
    staff = c.get("/ogc/collections/sites/items?limit=1").json()["features"][0]["properties"]
    public = c.get("/ogc/collections/sites_public/items?limit=1").json()["features"][0]
    assert set(public["properties"]) == set(fields.names(fields.SITE, public=True))
    internal = set(fields.names(fields.SITE, group="internal"))
    assert internal and internal <= set(staff) and not internal & set(public["properties"])
    assert not {"blocking_note", "source_doc", "verified_by"} & set(public["properties"])


def test_etag_and_304_until_the_data_changes(client_as, make_db) -> None:
    url = make_db("sample")
    c = client_as("planner", url=url)
    r = c.get("/ogc/collections/sites/items?limit=5")
    tag = r.headers["etag"]
    again = c.get("/ogc/collections/sites/items?limit=5", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["etag"] == tag and not again.content
    other = c.get("/ogc/collections/sites/items?limit=6", headers={"If-None-Match": tag})
    assert other.status_code == 200
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(
            sa.text("UPDATE site SET name_en = 'changed' WHERE id = (SELECT min(id) FROM site)")
        )
    eng.dispose()
    changed = c.get("/ogc/collections/sites/items?limit=5", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"crs": "EPSG:3857"}, "crs"),
        ({"crs": "nonsense"}, "crs"),
        ({"bbox-crs": "EPSG:9999", "bbox": "1,2,3,4"}, "bbox-crs"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "122,30,121,31"}, "bbox"),
        ({"bbox": "122,30,123,95"}, "bbox"),
        # lon/lat order given for EPSG:4490 (lat first): latitude 122 does not exist
        ({"bbox": "122,29,123,31", "bbox-crs": f"{EPSG}4490"}, "bbox"),
        # a Gauss-Krüger box far from the 123°E zone (and one PROJ cannot transform)
        ({"bbox": "100,100,200,200", "bbox-crs": f"{EPSG}4550"}, "bbox"),
        ({"bbox": "9e7,9e7,9.1e7,9.1e7", "bbox-crs": f"{EPSG}4550"}, "bbox"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_parameter(client_as, params, named) -> None:
    r = client_as("officer").get("/ogc/collections/sites/items", params=params)
    assert r.status_code == 422, r.text
    assert named in r.json()["detail"], r.json()


def test_login_required_and_link_tokens_open_nothing(client) -> None:
    r = client.get("/ogc/collections/sites/items")
    assert r.status_code == 401
    r = client.get("/ogc", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and "token" in r.json()["detail"]
