"""Base of request models (unknown fields are refused: no mass assignment), the one rule for
text input (no NUL characters) and the one error body of the API."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict

#: fields the server manages; no request model may accept them
SERVER_MANAGED_FIELDS = frozenset(
    {
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "verified_by",
        "area_m2",
        "area_mu",
        "area_ha",
        "area_m2_plane",
        "plane_epsg",
        "history",
        "token_hash",
        "password_hash",
    }
)


class StrictModel(BaseModel):
    """A request body: extra fields are a 422, never silently ignored or applied."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ErrorMessage(BaseModel):
    """A refusal's message for people, in Chinese and English (gis_app.domain.error_vocab)."""

    zh: str
    en: str


class FieldError(BaseModel):
    """One refused parameter or field of a request."""

    loc: list[str | int]
    msg: str
    type: str
    code: str | None = None
    field: str | None = None
    message: ErrorMessage | None = None


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer of the API.

    ``detail`` names the record and the problem in English (for logs and API clients);
    ``code`` is the refusal's stable code, ``field`` the field it is about (or null) and
    ``message`` its words for people in Chinese and English, from the one error vocabulary;
    ``errors`` has one entry per refused parameter or field, each with its own code, field and
    message."""

    detail: str
    code: str | None = None
    field: str | None = None
    message: ErrorMessage | None = None
    errors: list[FieldError] | None = None


# --- text input: PostgreSQL text cannot hold NUL ------------------------------------------------

NUL = "\x00"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def find_nul(value: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """Where the first NUL character in ``value`` (str, or lists/dicts of them) is, else None.

    Keys count as text too: a JSON object key is stored as well (e.g. in a requirement patch).
    """
    if isinstance(value, str):
        return loc if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                return (*loc, key)
            found = find_nul(item, (*loc, key))
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = find_nul(item, (*loc, i))
            if found is not None:
                return found
    return None


def nul_error(loc: tuple[str | int, ...]) -> RequestValidationError:
    """The 422 for a NUL character at ``loc`` (same shape as any other validation error)."""
    shown = tuple(p.replace(NUL, "\\u0000") if isinstance(p, str) else p for p in loc)
    return RequestValidationError(
        [
            {
                "type": "string_nul",
                "loc": shown,
                "msg": "text may not contain NUL (\\u0000) characters",
                "input": None,
            }
        ]
    )


async def refuse_nul(request: Request) -> None:
    """The one rule for text input: a NUL character anywhere in the path, the query string, a
    JSON body, a form or a multipart field (or an uploaded file's name) is a 422 naming the
    parameter or field, before any handler or the database sees it.

    Installed as an app-wide dependency (``create_app``), so it covers every route, API and
    pages alike; FastAPI has read the body before dependencies run, so this re-reads the cached
    body. A JSON body is only parsed again when its text holds a ``\\u0000`` escape (a raw NUL
    byte is not valid JSON and is refused by the body parser itself).
    """
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            raise nul_error(("path", name))
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            raise nul_error(("query", name))
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(_FORM_TYPES):
        form = await request.form()
        for name, value in form.multi_items():
            text = value if isinstance(value, str) else (value.filename or "")
            if NUL in name or NUL in text:
                raise nul_error(("body", name))
        return
    body = await request.body()
    if b"\\u0000" in body or NUL.encode() in body:
        try:
            data = json.loads(body)
        except ValueError:
            return  # not JSON: the body parser refuses it with its own error
        found = find_nul(data, ("body",))
        if found is not None:
            raise nul_error(found)


def _iso_date(value: Any) -> Any:
    """Refuse date text that is not ``YYYY-MM-DD`` (pydantic would read ``0`` as 1970-01-01)."""
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("a date must be written YYYY-MM-DD")
    if isinstance(value, int | float):
        raise ValueError("a date must be written YYYY-MM-DD")
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: a date parameter or field as the OpenAPI description says: ``format: date``, nothing else
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
