"""Photos and documents through the API: planners add, publish and delete; officers read;
investors see only public files of their link's sites, with the link's one 404 otherwise."""

from __future__ import annotations

import io

import pytest
from files.photo_helpers import CAMERA, HTML_AS_JPG, jpeg_with_exif, pdf_document
from investor_helpers import Env, Rec
from PIL import Image


@pytest.fixture
def planner(env: Env, client_as):
    return client_as("planner", url=env.url)


def _upload(client, site_id: int, data: bytes, name: str, **form: str):
    return client.post(
        f"/api/sites/{site_id}/attachments",
        files={"file": (name, data, "image/jpeg")},
        data=form,
    )


def test_planner_uploads_officer_reads_investor_sees_only_public(
    env: Env, rec: Rec, planner
) -> None:
    site = rec.site_ids[0]
    r = _upload(planner, site, jpeg_with_exif(), "现场.jpg")
    assert r.status_code == 201, r.text
    internal = r.json()
    assert (internal["kind"], internal["public"], internal["media_type"]) == (
        "photo",
        False,
        "image/jpeg",
    )
    pdf = pdf_document()
    r = _upload(planner, site, pdf, "控规摘录.pdf", public="true")
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["kind"] == "document" and doc["public"] is True

    # stored in the database without EXIF
    stored = env.scalar("SELECT content FROM attachment WHERE id = :i", i=internal["id"])
    assert CAMERA.encode() not in bytes(stored)
    assert dict(Image.open(io.BytesIO(bytes(stored))).getexif()) == {}

    # officers read, but may not write
    r = env.officer.get(f"/api/sites/{site}/attachments")
    assert [a["id"] for a in r.json()] == [internal["id"], doc["id"]]
    r = env.officer.get(internal["thumbnail_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert env.officer.get(doc["url"]).content == pdf
    assert _upload(env.officer, site, jpeg_with_exif(), "x.jpg").status_code == 403
    assert env.officer.patch(internal["url"], json={"public": True}).status_code == 403

    # the investor: only the public document, through the link
    anon = env.make_anon()
    token = rec.token("zh")
    files = anon.get(f"/r/{token}.json").json()["sites"][0]["files"]
    assert [f["id"] for f in files] == [doc["id"]]
    assert anon.get(files[0]["url"]).content[:5] == b"%PDF-"
    blocked = anon.get(f"/r/{token}/files/{internal['id']}")
    assert blocked.status_code == 404
    assert anon.get(f"/r/{token}/files/{internal['id']}?thumbnail=true").status_code == 404
    assert anon.get(f"/api/attachments/{doc['id']}").status_code == 401

    # published: now the investor sees it; unpublished again: gone
    r = planner.patch(internal["url"], json={"public": True})
    assert r.status_code == 200 and r.json()["public"] is True
    photo = anon.get(f"/r/{token}/files/{internal['id']}?thumbnail=true")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert f"/r/{token}/files/{internal['id']}?thumbnail=true" in anon.get(f"/r/{token}").text
    planner.patch(internal["url"], json={"public": False})
    assert anon.get(f"/r/{token}/files/{internal['id']}").status_code == 404

    # deleted: gone for everyone
    assert planner.delete(doc["url"]).status_code == 204
    assert env.officer.get(doc["url"]).status_code == 404
    assert anon.get(f"/r/{token}/files/{doc['id']}").status_code == 404


def test_public_file_of_a_site_outside_the_link_is_not_served(env: Env, rec: Rec, planner) -> None:
    other = env.site_id("PT-LH-005")
    assert other not in rec.site_ids
    r = _upload(planner, other, jpeg_with_exif(), "other.jpg", public="true")
    assert r.status_code == 201
    anon = env.make_anon()
    assert anon.get(f"/r/{rec.token('zh')}/files/{r.json()['id']}").status_code == 404


def test_refusals_store_nothing(env: Env, rec: Rec, planner) -> None:
    site = rec.site_ids[0]
    r = _upload(planner, site, HTML_AS_JPG, "photo.jpg")
    assert r.status_code == 422
    body = r.json()
    assert "photo.jpg" in body["detail"] and body["code"] == "file_type_unsupported"
    assert "“photo.jpg”不是 JPEG、PNG 或 PDF 文件" in body["message"]["zh"]
    assert "is not a JPEG, PNG or PDF file" in body["message"]["en"]
    other_building = env.scalar(
        "SELECT id FROM building WHERE site_id <> :s ORDER BY id LIMIT 1", s=site
    )
    r = _upload(planner, site, jpeg_with_exif(), "b.jpg", building_id=str(other_building))
    assert r.status_code == 422 and "another site" in r.json()["detail"]
    assert r.json()["field"] == "building_id"
    assert _upload(planner, 99999999, jpeg_with_exif(), "x.jpg").status_code == 404
    assert env.scalar("SELECT count(*) FROM attachment") == 0


def test_building_photo_follows_its_building(env: Env, planner) -> None:
    building, site = env.scalar("SELECT array[id, site_id] FROM building ORDER BY id LIMIT 1")
    r = _upload(planner, site, jpeg_with_exif(), "plant.jpg", building_id=str(building))
    assert r.status_code == 201, r.text
    assert r.json()["building_id"] == building and r.json()["building_code"]
