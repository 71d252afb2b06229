"""TileJSON and OGC tileset metadata of the site vector tiles, with ETag/304 and a
Cache-Control tied to the data version (issue 22, part 2)."""

from __future__ import annotations

import sqlalchemy as sa


def test_tilejson_names_the_tiles_and_their_layer(client_as) -> None:
    c = client_as("officer")
    r = c.get("/tiles/sites?kind=standard_plant")
    assert r.status_code == 200 and r.headers["etag"]
    tj = r.json()
    assert tj["tilejson"] == "3.0.0" and tj["vector_layers"][0]["id"] == "sites"
    template = tj["tiles"][0]
    assert "/tiles/sites/{z}/{x}/{y}.pbf?" in template and "kind=standard_plant" in template
    assert f"v={tj['data_version']}" in template
    lon0, lat0, lon1, lat1 = tj["bounds"]
    assert lon0 < tj["center"][0] < lon1 and lat0 < tj["center"][1] < lat1
    assert c.get("/tiles/sites", headers={"If-None-Match": r.headers["etag"]}).status_code == 200
    again = c.get("/tiles/sites?kind=standard_plant", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert c.get("/tiles/sites?frame=bd09").status_code == 422
    assert c.get("/tiles/sites?kind=castle").status_code == 422


def test_tiles_carry_etag_and_cache_by_version(client_as, make_db) -> None:
    url = make_db("sample")
    c = client_as("planner", url=url)
    version = c.get("/tiles/sites").json()["data_version"]
    tile = "/tiles/sites/10/859/422.pbf"
    plain = c.get(tile)
    assert plain.status_code == 200 and plain.headers["cache-control"] == "private, max-age=60"
    current = c.get(f"{tile}?v={version}")
    assert current.headers["cache-control"] == "private, max-age=86400"
    assert c.get(f"{tile}?v=old").headers["cache-control"] == "private, no-cache"
    tag = plain.headers["etag"]
    assert c.get(tile, headers={"If-None-Match": tag}).status_code == 304
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(
            sa.text("UPDATE site SET name_en = 'changed' WHERE id = (SELECT min(id) FROM site)")
        )
    eng.dispose()
    assert c.get(tile, headers={"If-None-Match": tag}).status_code == 200
    assert c.get("/tiles/sites").json()["data_version"] != version
    assert c.get(f"{tile}?v={version}").headers["cache-control"] == "private, no-cache"


def test_ogc_tileset_metadata(client_as) -> None:
    c = client_as("officer")
    sets = c.get("/ogc/collections/sites/tiles").json()["tilesets"]
    assert sets[0]["dataType"] == "vector"
    meta = c.get("/ogc/collections/sites/tiles/WebMercatorQuad").json()
    item = next(link for link in meta["links"] if link["rel"] == "item")
    assert item["href"].endswith("/tiles/sites/{tileMatrix}/{tileCol}/{tileRow}.pbf")
    assert c.get("/ogc/collections/jurisdiction/tiles").status_code == 404
    assert c.get("/ogc/collections/sites/tiles/WorldCRS84Quad").status_code == 404
