"""Photos and documents of sites and buildings: upload, list, mark public, delete, read.

Files are stored in the database (see migration ``0017`` for why), checked and cleaned by
:mod:`gis_app.io.attachments` first. Officers and planners read every file; only planners (and
admins) add, publish or delete them (the API's policy). Investors reach a file only through
:func:`public_file`, keyed by the recommendation their link resolved to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gis_app.db import attachment_queries as q
from gis_app.db.engine import set_app_user
from gis_app.domain import vocab
from gis_app.domain.errors import InvalidInput, NotFound
from gis_app.io.attachments import prepare
from gis_app.settings import FileSettings

#: longest brochure contact an officer may set
CONTACT_MAX = 300


@dataclass(frozen=True)
class FileData:
    """The bytes of a file with what a response needs to send them."""

    data: bytes
    media_type: str
    filename: str
    etag: str


def _meta(row: Any) -> dict[str, Any]:
    out = dict(row)
    term = vocab.ATTACHMENT_KIND.term(row["kind"])
    out["kind_label"] = {"zh": term.zh, "en": term.en}
    return out


def upload(
    conn: sa.Connection,
    site_id: int,
    data: bytes,
    filename: str | None,
    *,
    user: str,
    limits: FileSettings,
    building_id: int | None = None,
    public: bool = False,
) -> dict[str, Any]:
    """Check, clean and store a file of ``site_id`` (or of its building ``building_id``).

    Nothing is stored when the file is refused (wrong type, too large, damaged), the site or
    building does not exist, the building is on another site, or the site has its maximum of
    files. Commits.
    """
    try:
        if not q.site_exists(conn, site_id):
            raise NotFound(f"site {site_id} not found")
        if building_id is not None:
            owner = q.building_site(conn, building_id)
            if owner is None:
                raise InvalidInput(
                    f"building_id: building {building_id} not found",
                    code="not_found",
                    field="building_id",
                )
            if owner != site_id:
                raise InvalidInput(
                    f"building_id: building {building_id} is on another site, not site {site_id}",
                    code="building_of_other_site",
                    field="building_id",
                    params={"value": building_id},
                )
        if q.count_for_site(conn, site_id) >= limits.max_per_site:
            raise InvalidInput(
                f"site {site_id}: already has {limits.max_per_site} files; delete one first",
                code="too_many_files",
                params={"count": limits.max_per_site},
            )
        prepared = prepare(data, filename, limits)
        set_app_user(conn, user)
        new_id = q.insert(
            conn,
            {
                "site_id": site_id,
                "building_id": building_id,
                "kind": prepared.kind,
                "media_type": prepared.media_type,
                "filename": prepared.filename,
                "public": public,
                "width": prepared.width,
                "height": prepared.height,
                "sha256": prepared.sha256,
                "content": prepared.content,
                "thumbnail": prepared.thumbnail,
                "created_by": user,
            },
        )
        row = q.one(conn, new_id)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return _meta(row)


def list_for_site(conn: sa.Connection, site_id: int) -> list[dict[str, Any]]:
    """The files of a site and its buildings (metadata); :class:`NotFound` for no such site."""
    if not q.site_exists(conn, site_id):
        raise NotFound(f"site {site_id} not found")
    return [_meta(r) for r in q.for_site(conn, site_id)]


def building_choices(conn: sa.Connection, site_id: int) -> list[dict[str, Any]]:
    """The buildings of a site (id, code, names) a file may be attached to."""
    return [dict(r) for r in q.building_choices(conn, site_id)]


def set_public(conn: sa.Connection, attachment_id: int, public: bool, *, user: str) -> dict:
    """Show a file to investors (``public``) or keep it internal. Commits."""
    set_app_user(conn, user)
    if not q.set_public(conn, attachment_id, public):
        conn.rollback()
        raise NotFound(f"file {attachment_id} not found")
    row = q.one(conn, attachment_id)
    conn.commit()
    return _meta(row)


def delete(conn: sa.Connection, attachment_id: int, *, user: str) -> None:
    """Delete a file. Commits."""
    set_app_user(conn, user)
    if not q.delete(conn, attachment_id):
        conn.rollback()
        raise NotFound(f"file {attachment_id} not found")
    conn.commit()


def _file(row: Any, filename: str) -> FileData:
    return FileData(bytes(row["data"]), row["media_type"], filename, row["sha256"][:32])


def officer_file(conn: sa.Connection, attachment_id: int, thumbnail: bool = False) -> FileData:
    """A file (or its thumbnail) for officers and planners."""
    row = q.content(conn, attachment_id, thumbnail)
    if row is None:
        raise NotFound(f"file {attachment_id} not found" + (" (or no thumbnail)" * thumbnail))
    return _file(row, row["filename"] if not thumbnail else f"thumb-{attachment_id}.jpg")


def public_file(
    conn: sa.Connection, recommendation_id: int, attachment_id: int, thumbnail: bool = False
) -> FileData | None:
    """A public file of one of the recommendation's sites; None for any other file."""
    row = q.public_content(conn, recommendation_id, attachment_id, thumbnail)
    if row is None:
        return None
    ext = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[row["media_type"]]
    return _file(row, f"file-{attachment_id}.{ext}")


def photo_thumbnails(
    conn: sa.Connection, site_ids: list[int], *, public_only: bool, per_site: int = 3
) -> dict[int, list[bytes]]:
    """JPEG thumbnails of the first ``per_site`` photos of each site, for PDFs."""
    out: dict[int, list[bytes]] = {i: [] for i in site_ids}
    for r in q.thumbnails(conn, site_ids, public_only, per_site):
        out[r["site_id"]].append(bytes(r["thumbnail"]))
    return out


def contact_of(conn: sa.Connection, username: str | None) -> str | None:
    """The brochure contact line of an officer: their display name (never the login name) and
    the contact they set; None when they set none."""
    row = q.user_contact(conn, username)
    if row is None or not (row["contact"] or "").strip():
        return None
    name = (row["display_name"] or "").strip()
    return f"{name} · {row['contact'].strip()}" if name else row["contact"].strip()


def own_contact(conn: sa.Connection, username: str) -> str | None:
    """The brochure contact a user set (None when unset)."""
    row = q.user_contact(conn, username)
    return row["contact"] if row is not None else None


def set_contact(conn: sa.Connection, username: str, contact: str | None) -> str | None:
    """Set the caller's own brochure contact (blank clears it). Commits."""
    text = (contact or "").strip() or None
    if text is not None and len(text) > CONTACT_MAX:
        raise InvalidInput(
            f"contact: at most {CONTACT_MAX} characters / 联系方式最多 {CONTACT_MAX} 字",
            code="too_long",
            field="contact",
            params={"max_length": CONTACT_MAX},
        )
    if text is not None and any(not c.isprintable() for c in text):
        raise InvalidInput(
            "contact: one line of text, no control characters / 联系方式须为一行文字",
            code="one_line_text",
            field="contact",
        )
    q.set_user_contact(conn, username, text)
    conn.commit()
    return text
