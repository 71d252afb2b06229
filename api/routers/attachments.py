"""Photos and documents of sites and buildings (planners add, publish and delete; officers read).

Files are checked by content (JPEG, PNG, PDF), cleaned of EXIF and stored in the database by
:mod:`gis_app.services.attachments`. Investors reach public files only through their link
(:mod:`api.routers.investor`), never here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Response, UploadFile
from pydantic import BaseModel, Field

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute, SettingsDep
from api.responses import file_response
from api.schemas import StrictModel
from gis_app.domain.errors import PayloadTooLarge
from gis_app.services import attachments as service

router = APIRouter(tags=["files"], route_class=DbRoute)
READ = allow("officer", "planner", "admin")
PLAN = allow("planner", "admin")
_CHUNK = 1 << 20
_BINARY = {"schema": {"type": "string", "format": "binary"}}


class KindLabel(BaseModel):
    """A kind's label in both languages."""

    zh: str
    en: str


class AttachmentOut(BaseModel):
    """A file of a site (metadata; the bytes are at ``url``)."""

    id: int
    site_id: int
    building_id: int | None
    building_code: str | None
    building_name_zh: str | None
    kind: str
    kind_label: KindLabel
    media_type: str
    filename: str
    public: bool
    size_bytes: int
    width: int | None
    height: int | None
    created_by: str | None
    created_at: dt.datetime
    has_thumbnail: bool
    url: str
    thumbnail_url: str | None


def _out(row: dict) -> AttachmentOut:
    url = f"/api/attachments/{row['id']}"
    return AttachmentOut(
        **row, url=url, thumbnail_url=f"{url}?thumbnail=true" if row["has_thumbnail"] else None
    )


class UploadForm(StrictModel):
    """A photo (JPEG/PNG) or document (PDF) for a site or one of its buildings."""

    file: UploadFile
    building_id: int | None = Field(default=None, ge=1, le=2**62)
    public: bool = False
    csrf_token: str | None = None  # read by the access policy for browser sessions


class PublicBody(StrictModel):
    """Show the file to investors (true) or keep it internal (false)."""

    public: bool


def _read_upload(file: UploadFile, limit: int) -> bytes:
    name = file.filename or "upload"
    parts: list[bytes] = []
    size = 0
    while chunk := file.file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"{name}: larger than the limit of {limit:,} bytes",
                code="file_too_large",
                field="file",
                params={"value": name, "max": f"{limit / 1e6:.1f}"},
            )
        parts.append(chunk)
    return b"".join(parts)


@router.post(
    "/api/sites/{site_id}/attachments",
    status_code=201,
    response_model=AttachmentOut,
    dependencies=[PLAN],
)
def upload_attachment(
    site_id: int,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    form: Annotated[UploadForm, Form(media_type="multipart/form-data")],
) -> AttachmentOut:
    """Add a photo (JPEG/PNG: EXIF removed, thumbnail made) or a PDF to a site or building.

    The type is read from the content, not the name; too large, damaged or other files are
    refused (413/422) and nothing is stored.
    """
    limits = settings.files
    data = _read_upload(form.file, max(limits.max_photo_bytes, limits.max_document_bytes))
    row = service.upload(
        conn,
        site_id,
        data,
        form.file.filename,
        user=user.username,
        limits=limits,
        building_id=form.building_id,
        public=form.public,
    )
    return _out(row)


@router.get(
    "/api/sites/{site_id}/attachments",
    response_model=list[AttachmentOut],
    dependencies=[READ],
)
def list_attachments(site_id: int, conn: ConnDep) -> list[AttachmentOut]:
    """The photos and documents of a site and its buildings (metadata)."""
    return [_out(r) for r in service.list_for_site(conn, site_id)]


@router.get(
    "/api/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {
            "description": "the file (or its JPEG thumbnail)",
            "content": {"image/jpeg": _BINARY, "image/png": _BINARY, "application/pdf": _BINARY},
        }
    },
    dependencies=[READ],
)
def get_attachment(
    attachment_id: int,
    conn: ConnDep,
    thumbnail: bool = False,
) -> Response:
    """The file's bytes (``thumbnail=true``: a small JPEG of a photo)."""
    f = service.officer_file(conn, attachment_id, thumbnail)
    return file_response(f, private=True)


@router.patch("/api/attachments/{attachment_id}", response_model=AttachmentOut, dependencies=[PLAN])
def patch_attachment(
    attachment_id: int,
    body: PublicBody,
    conn: ConnDep,
    user: CurrentUser,
) -> AttachmentOut:
    """Show a file to investors (on their links' pages and PDFs) or keep it internal."""
    return _out(service.set_public(conn, attachment_id, body.public, user=user.username))


@router.delete("/api/attachments/{attachment_id}", status_code=204, dependencies=[PLAN])
def delete_attachment(attachment_id: int, conn: ConnDep, user: CurrentUser) -> Response:
    """Delete a file."""
    service.delete(conn, attachment_id, user=user.username)
    return Response(status_code=204)


class ContactBody(StrictModel):
    """The contact printed on your brochures (phone, e-mail); empty or null clears it."""

    contact: str | None = Field(default=None, max_length=service.CONTACT_MAX)


class ContactOut(BaseModel):
    """Your brochure contact (null: none is printed)."""

    contact: str | None


@router.put("/api/me/contact", response_model=ContactOut, dependencies=[READ])
def put_my_contact(body: ContactBody, conn: ConnDep, user: CurrentUser) -> ContactOut:
    """Set the contact printed under your name on site brochures and investor PDFs."""
    return ContactOut(contact=service.set_contact(conn, user.username, body.contact))


@router.get("/api/me/contact", response_model=ContactOut, dependencies=[READ])
def get_my_contact(conn: ConnDep, user: CurrentUser) -> ContactOut:
    """Your brochure contact (null when you have not set one)."""
    return ContactOut(contact=service.own_contact(conn, user.username))
