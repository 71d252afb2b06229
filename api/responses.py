"""Responses the default path would make slowly."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
from fastapi.responses import Response

from gis_app.services.attachments import FileData


def fast_json(content: Any, status_code: int = 200) -> Response:
    """JSON of dataclasses, dicts, lists, dates … serialised in one native call.

    A match result with its per-criterion explanations is ~300 KB; FastAPI's default path
    (``dataclasses.asdict``, ``jsonable_encoder``, ``json.dumps``) took 40–80 ms for it on the
    2-core test machine, orjson ~1 ms. Same JSON: UTF-8 text, dates as ISO strings.
    """
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


def file_response(f: FileData, *, private: bool) -> Response:
    """A stored file as a response: the type its content was checked to be, shown inline
    (the security middleware adds ``nosniff``)."""
    disposition = f"inline; filename*=UTF-8''{quote(f.filename, safe='')}"
    headers = {
        "Content-Disposition": disposition,
        "ETag": f'"{f.etag}"',
    }
    if private:
        headers["Cache-Control"] = "private, max-age=300"
    return Response(f.data, media_type=f.media_type, headers=headers)
