"""CQL2 filters on the OGC API items (issue 22, part 1): text and JSON, the comparisons of
Basic CQL2 and LIKE/BETWEEN/IN/IS NULL, counted against SQL on the same rows; refusals name
the problem; a property the caller may not read cannot be filtered on (no leak through
counts); the filter's text never reaches the SQL."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

ITEMS = "/ogc/collections/sites/items"


def _matched(c, collection: str = "sites", **params: str) -> int:
    r = c.get(f"/ogc/collections/{collection}/items", params={"limit": 1, **params})
    assert r.status_code == 200, r.text
    return r.json()["numberMatched"]


def _count(engine, where: str, **params) -> int:
    with engine.connect() as conn:
        sql = f"SELECT count(*) FROM site WHERE retired_at IS NULL AND ({where})"
        return conn.execute(sa.text(sql), params).scalar_one()


@pytest.mark.parametrize(
    ("cql", "where"),
    [
        (
            "area_mu > 20 AND availability = 'available'",
            "area_mu > 20 AND availability = 'available'",
        ),
        ("kind IN ('plant', 'building')", "kind IN ('plant', 'building')"),
        ("name_zh LIKE '%塘头%'", "name_zh LIKE '%塘头%'"),
        ("NOT (area_mu BETWEEN 10 AND 50)", "NOT (area_mu BETWEEN 10 AND 50)"),
        ("name_en IS NULL OR kind = 'island'", "name_en IS NULL OR kind = 'island'"),
        ("verified_at >= DATE('2025-01-01')", "verified_at >= DATE '2025-01-01'"),
        ("kind <> 'land' AND area_mu <= 5", "kind <> 'land' AND area_mu <= 5"),
    ],
)
def test_cql2_text_counts_what_sql_counts(client_as, engine, cql: str, where: str) -> None:
    expected = _count(engine, where)
    assert _matched(client_as("officer"), filter=cql) == expected
    # the same condition combined with a search parameter of /api/sites
    both = _count(engine, f"({where}) AND kind = 'land'")
    assert _matched(client_as("officer"), filter=cql, kind="land") == both


def test_cql2_json_is_the_same_filter(client_as, engine) -> None:
    expr = {
        "op": "and",
        "args": [
            {"op": ">=", "args": [{"property": "area_mu"}, 15]},
            {"op": "=", "args": [{"property": "availability"}, "available"]},
        ],
    }
    got = _matched(client_as("planner"), filter=json.dumps(expr), **{"filter-lang": "cql2-json"})
    assert got == _count(engine, "area_mu >= 15 AND availability = 'available'") > 0


def test_features_pages_keep_the_filter(client_as, engine) -> None:
    c = client_as("officer")
    url = f"{ITEMS}?limit=3&filter=kind%3D%27land%27"
    ids = []
    while url:
        body = c.get(url).json()
        assert all(f["properties"]["kind"] == "land" for f in body["features"])
        ids += [f["id"] for f in body["features"]]
        url = next((lk["href"] for lk in body["links"] if lk["rel"] == "next"), None)
    assert len(ids) == len(set(ids)) == _count(engine, "kind = 'land'")


def test_queryables_and_conformance_announce_the_filter(client_as) -> None:
    c = client_as("officer")
    conf = c.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in conf
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conf
    props = c.get("/ogc/collections/sites/queryables").json()["properties"]
    assert props["area_mu"]["type"] == "number"
    assert props["name_zh"]["type"] == "string"  # a property that is no search parameter
    assert "available" in json.dumps(props["availability"])


@pytest.mark.parametrize(
    ("cql", "says"),
    [
        ("area_mu >>> 3", "filter is not valid cql2-text"),
        ("no_such_field = 1", "unknown or unreadable property 'no_such_field'"),
        ("area_mu = 'large'", "does not suit its property"),
        ("S_INTERSECTS(geom, BBOX(122, 29, 123, 30))", "'s_intersects' is not supported"),
        ("area_mu + 1 > 2", "'+' cannot be a value"),
        ("kind IN ()", "filter is not valid"),
    ],
)
def test_bad_filters_are_refused_with_the_reason(client_as, cql: str, says: str) -> None:
    r = client_as("officer").get(ITEMS, params={"filter": cql})
    assert r.status_code == 422, r.text
    assert says in r.text, r.text


def test_unknown_filter_language_is_refused(client_as) -> None:
    r = client_as("officer").get(ITEMS, params={"filter": "kind = 'land'", "filter-lang": "sql"})
    assert r.status_code == 422 and "filter-lang must be one of" in r.text


def test_an_internal_property_cannot_be_filtered_through_the_public_collection(
    client_as, engine
) -> None:
    from gis_app.domain import fields

    internal = next(
        n for n, f in fields.SITE.items() if not f.public and f.stored and f.type == "text"
    )
    c = client_as("officer")
    # readable in sites (staff), refused in sites_public: the count cannot leak it
    assert c.get(ITEMS, params={"filter": f"{internal} IS NULL"}).status_code == 200
    r = c.get("/ogc/collections/sites_public/items", params={"filter": f"{internal} IS NULL"})
    assert r.status_code == 422 and "unknown or unreadable property" in r.text


def test_the_filter_text_never_reaches_the_sql(client_as, engine) -> None:
    hostile = "code = 'x''); DROP TABLE site; --'"
    assert _matched(client_as("officer"), filter=hostile) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM site")).scalar_one() > 0
