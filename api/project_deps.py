"""What the ledger's routers share (a router imports no other router): the caller as the
ledger sees them, the date figures are checked against, and reading an uploaded file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import Query, UploadFile
from starlette.datastructures import UploadFile as StarletteUpload

from api.auth import Principal
from gis_app.domain.errors import PayloadTooLarge
from gis_app.services import projects as project_service

_CHUNK = 1 << 20

#: the district (or city) a ledger view is about; default: the caller's home district
DistrictQuery = Annotated[
    str | None,
    Query(
        max_length=20,
        description="a district or city code (e.g. 330903); default: the caller's district",
    ),
]


def viewer_of(user: Principal) -> project_service.ProjectViewer:
    """The ledger's view of the caller."""
    return project_service.ProjectViewer(user.username, frozenset(user.roles))


def today() -> dt.date:
    """The date figures and milestones are checked against (the server's local date)."""
    return dt.date.today()


def read_upload(file: UploadFile | StarletteUpload, limit: int) -> tuple[bytes, str]:
    """The bytes and the bare name of an uploaded file; :class:`PayloadTooLarge` past ``limit``."""
    name = Path(file.filename or "upload.xlsx").name
    chunks, size = [], 0
    while chunk := file.file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"{name}: larger than the upload limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks), name
