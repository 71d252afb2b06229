"""SQL of attachments: photos and documents of sites and buildings (``attachment`` table).

Lists never select the content; the bytes are read one file at a time. The investor's reads are
keyed by the recommendation the link resolved to and only ever return ``public`` files of its
sites (a building's file counts for the building's site).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

#: what lists show of a file (never the bytes)
_META = """a.id, a.site_id, a.building_id, b.code AS building_code, b.name_zh AS building_name_zh,
           a.kind, a.media_type, a.filename, a.public, a.size_bytes, a.width, a.height,
           a.created_by, a.created_at, a.thumbnail IS NOT NULL AS has_thumbnail"""


def insert(conn: sa.Connection, values: dict[str, Any]) -> int:
    """Store one file; its id."""
    return conn.execute(
        sa.text(
            """INSERT INTO attachment (site_id, building_id, kind, media_type, filename, public,
                                       size_bytes, width, height, sha256, content, thumbnail,
                                       created_by)
               VALUES (:site_id, :building_id, :kind, :media_type, :filename, :public,
                       octet_length(:content), :width, :height, :sha256, :content, :thumbnail,
                       :created_by)
               RETURNING id"""
        ),
        values,
    ).scalar_one()


def count_for_site(conn: sa.Connection, site_id: int) -> int:
    """How many files a site has (its buildings' included)."""
    return conn.execute(
        sa.text("SELECT count(*) FROM attachment WHERE site_id = :s"), {"s": site_id}
    ).scalar_one()


def building_site(conn: sa.Connection, building_id: int) -> int | None:
    """The site of a building (None when there is no such building)."""
    return conn.execute(
        sa.text("SELECT site_id FROM building WHERE id = :b"), {"b": building_id}
    ).scalar()


def site_exists(conn: sa.Connection, site_id: int) -> bool:
    """Whether the site exists."""
    return (
        conn.execute(sa.text("SELECT 1 FROM site WHERE id = :s"), {"s": site_id}).first()
        is not None
    )


def for_site(conn: sa.Connection, site_id: int) -> list[sa.RowMapping]:
    """The files of a site and its buildings (metadata only), photos first, newest first."""
    return list(
        conn.execute(
            sa.text(
                f"""SELECT {_META} FROM attachment a LEFT JOIN building b ON b.id = a.building_id
                     WHERE a.site_id = :s ORDER BY a.kind DESC, a.created_at DESC, a.id DESC"""
            ),
            {"s": site_id},
        ).mappings()
    )


def one(conn: sa.Connection, attachment_id: int) -> sa.RowMapping | None:
    """One file's metadata."""
    return (
        conn.execute(
            sa.text(
                f"""SELECT {_META} FROM attachment a LEFT JOIN building b ON b.id = a.building_id
                     WHERE a.id = :id"""
            ),
            {"id": attachment_id},
        )
        .mappings()
        .first()
    )


def content(conn: sa.Connection, attachment_id: int, thumbnail: bool) -> sa.RowMapping | None:
    """The bytes of a file (or of its thumbnail, a JPEG) with its type and name."""
    column = "a.thumbnail" if thumbnail else "a.content"
    media = "'image/jpeg'" if thumbnail else "a.media_type"
    return (
        conn.execute(
            sa.text(
                f"""SELECT {column} AS data, {media} AS media_type, a.filename, a.sha256
                      FROM attachment a WHERE a.id = :id AND {column} IS NOT NULL"""
            ),
            {"id": attachment_id},
        )
        .mappings()
        .first()
    )


def set_public(conn: sa.Connection, attachment_id: int, public: bool) -> bool:
    """Mark a file public or internal; False when there is no such file."""
    return (
        conn.execute(
            sa.text("UPDATE attachment SET public = :p WHERE id = :id"),
            {"p": public, "id": attachment_id},
        ).rowcount
        == 1
    )


def delete(conn: sa.Connection, attachment_id: int) -> bool:
    """Delete a file; False when there is no such file."""
    return (
        conn.execute(
            sa.text("DELETE FROM attachment WHERE id = :id"), {"id": attachment_id}
        ).rowcount
        == 1
    )


def public_for_recommendation(conn: sa.Connection, recommendation_id: int) -> list[sa.RowMapping]:
    """The public files of a recommendation's sites (metadata only), per site, photos first."""
    return list(
        conn.execute(
            sa.text(
                """SELECT a.id, a.site_id, a.kind, a.media_type, a.width, a.height
                     FROM attachment a
                     JOIN recommendation_site rs ON rs.site_id = a.site_id
                    WHERE rs.recommendation_id = :rid AND a.public
                    ORDER BY a.site_id, a.kind DESC, a.created_at, a.id"""
            ),
            {"rid": recommendation_id},
        ).mappings()
    )


def public_content(
    conn: sa.Connection, recommendation_id: int, attachment_id: int, thumbnail: bool
) -> sa.RowMapping | None:
    """The bytes of a public file of one of the recommendation's sites; None for any other."""
    column = "a.thumbnail" if thumbnail else "a.content"
    media = "'image/jpeg'" if thumbnail else "a.media_type"
    return (
        conn.execute(
            sa.text(
                f"""SELECT {column} AS data, {media} AS media_type, a.sha256
                      FROM attachment a
                      JOIN recommendation_site rs ON rs.site_id = a.site_id
                     WHERE rs.recommendation_id = :rid AND a.id = :id AND a.public
                       AND {column} IS NOT NULL"""
            ),
            {"rid": recommendation_id, "id": attachment_id},
        )
        .mappings()
        .first()
    )


def thumbnails(
    conn: sa.Connection, site_ids: Sequence[int], public_only: bool, limit_per_site: int
) -> list[sa.RowMapping]:
    """Thumbnails of the photos of ``site_ids`` (the first ``limit_per_site`` of each, oldest
    first), for PDFs."""
    return list(
        conn.execute(
            sa.text(
                """SELECT site_id, thumbnail, width, height FROM (
                       SELECT a.site_id, a.thumbnail, a.width, a.height,
                              row_number() OVER (PARTITION BY a.site_id
                                                 ORDER BY a.created_at, a.id) AS n
                         FROM attachment a
                        WHERE a.site_id = ANY(:ids) AND a.kind = 'photo'
                          AND a.thumbnail IS NOT NULL AND (a.public OR NOT :public_only)) t
                    WHERE n <= :lim ORDER BY site_id, n"""
            ),
            {"ids": list(site_ids), "public_only": public_only, "lim": limit_per_site},
        ).mappings()
    )


def user_contact(conn: sa.Connection, username: str | None) -> sa.RowMapping | None:
    """An app user's display name and brochure contact (None when unknown)."""
    if not username:
        return None
    return (
        conn.execute(
            sa.text("SELECT display_name, username, contact FROM app_user WHERE username = :u"),
            {"u": username},
        )
        .mappings()
        .first()
    )


def set_user_contact(conn: sa.Connection, username: str, contact: str | None) -> None:
    """Set (or clear, with None) an app user's brochure contact."""
    conn.execute(
        sa.text("UPDATE app_user SET contact = :c WHERE username = :u"),
        {"c": contact, "u": username},
    )


def building_choices(conn: sa.Connection, site_id: int) -> list[sa.RowMapping]:
    """The buildings of a site a file can be attached to: id, code and names."""
    return list(
        conn.execute(
            sa.text(
                "SELECT id, code, name_zh, name_en FROM building WHERE site_id = :s ORDER BY code"
            ),
            {"s": site_id},
        ).mappings()
    )
