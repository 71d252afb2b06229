"""The OpenAPI description the app serves (at ``/openapi.json``, behind login; see
:mod:`api.routers.docs`), completed from what the routes really do.

FastAPI documents a 200 and its own validation error. This adds, for every operation:

- who may call it: a ``bearerToken`` (``Authorization: Bearer gat_…``) or ``sessionCookie``
  security requirement, none for public routes (from the route's declared policy);
- every refusal it can answer with, each a reference to one shared response whose body is the
  one error body of the API, ``ErrorBody`` (``{"detail", "code", "field", "message", "errors"}``):
  400/413 where there is a request body, 401/403 where a login and a role are needed, 404 where a
  record is named, 409 for writes, 412/428 where ``If-Match`` is read, 422 and 503 everywhere;
- a schema for 2xx bodies that FastAPI leaves open (GeoJSON, tiles, files);
- the site search parameters of routes that read them without declaring them (the tiles).

Statuses a route declares itself (``responses=`` on the decorator) are kept as declared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.auth import SESSION_COOKIE, iter_api_routes, route_policy
from api.deps import SEARCH_PARAMETERS, quick_site_filter
from api.schemas import ErrorBody

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorBody"}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}

#: the shared error responses: status → (component name, description, headers)
ERROR_RESPONSES: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: ("BadRequest", "the request body could not be read (malformed JSON or form)", {}),
    401: (
        "Unauthorized",
        "no login, or an invalid, expired or revoked API token",
        {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    ),
    403: ("Forbidden", "the caller lacks the role, or a browser write lacks its CSRF token", {}),
    404: ("NotFound", "a record named by the request does not exist (or is not visible)", {}),
    409: ("Conflict", "conflicts with the stored state, or waited too long behind a lock", {}),
    412: ("PreconditionFailed", "If-Match names a version that is no longer current", {}),
    413: ("PayloadTooLarge", "the request body is larger than the configured limit", {}),
    422: ("Unprocessable", "a parameter or field was refused; `errors` names each one", {}),
    428: ("PreconditionRequired", "the write needs If-Match with the ETag you read", {}),
    429: ("TooManyRequests", "rate limited", _RETRY_AFTER),
    503: ("Unavailable", "the database is unavailable or busy; retry later", _RETRY_AFTER),
}

#: refusals that the generic rules below cannot see (a record named in the body, a version
#: given in the body)
EXTRA: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/api/recommendations"): (404,),
    ("POST", "/api/sites/merge"): (404, 412),
    ("POST", "/api/users"): (409,),
}

#: 2xx bodies by media type, where the route leaves the schema open
_BODY_BY_MEDIA: dict[str, dict[str, Any]] = {
    "application/json": {},
    "application/geo+json": {"type": "object", "description": "GeoJSON (RFC 7946), WGS84"},
    "text/csv": {"type": "string"},
    "text/html": {"type": "string"},
}
_BINARY = {"type": "string", "format": "binary"}


def _statuses(route: APIRoute, method: str, op: dict[str, Any]) -> set[int]:
    policy = route_policy(route)
    has_body = "requestBody" in op
    params = op.get("parameters", [])
    out = {422, 503}
    if has_body:
        out |= {400, 413}
    if policy is not None and policy.roles is not None:
        out |= {401, 403}
    if any(p.get("in") == "path" for p in params):
        out.add(404)
    if method != "GET":
        out.add(409)
    if any(p.get("in") == "header" and p.get("name", "").lower() == "if-match" for p in params):
        out |= {412, 428}
    out |= set(EXTRA.get((method, route.path_format), ()))
    return out


def complete(schema: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """Add security, error responses and open 2xx schemas to FastAPI's ``schema`` (in place)."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorBody"] = error_schema
    components["responses"] = {
        name: {
            "description": text,
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
            **({"headers": headers} if headers else {}),
        }
        for name, text, headers in ERROR_RESPONSES.values()
    }
    components["securitySchemes"] = {
        "bearerToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "an API token (`gis-app token create` or POST /api/tokens)",
        },
        "sessionCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": SESSION_COOKIE,
            "description": "the browser session set by POST /login (writes need X-CSRF-Token)",
        },
    }
    paths = schema.get("paths", {})
    for route in iter_api_routes(app):
        if not route.include_in_schema or route.path_format not in paths:
            continue
        for method in sorted(route.methods or ()):
            op = paths[route.path_format].get(method.lower())
            if op is None:
                continue
            policy = route_policy(route)
            anonymous = policy is not None and policy.roles is None
            op["security"] = [] if anonymous else [{"bearerToken": []}, {"sessionCookie": []}]
            _require_if_match(op)
            _search_parameters(route, op, paths)
            responses = op.setdefault("responses", {})
            for status in sorted(_statuses(route, method, op)):
                if status == 422 or str(status) not in responses:
                    name = ERROR_RESPONSES[status][0]
                    responses[str(status)] = {"$ref": f"#/components/responses/{name}"}
            for status, response in responses.items():
                if status.startswith("2"):
                    _close_open_bodies(response)
    return schema


def _search_parameters(route: APIRoute, op: dict[str, Any], paths: dict[str, Any]) -> None:
    """A route reading the site search through :func:`api.deps.quick_site_filter` declares
    none of its parameters to FastAPI; it takes them as ``GET /api/sites`` does, so they are
    documented as there."""
    calls = {d.call for d in route.dependant.dependencies}
    if quick_site_filter not in calls:
        return
    have = {(p.get("in"), p.get("name")) for p in op.get("parameters", [])}
    op.setdefault("parameters", []).extend(
        p
        for p in paths["/api/sites"]["get"]["parameters"]
        if p.get("in") == "query"
        and p.get("name") in SEARCH_PARAMETERS
        and ("query", p["name"]) not in have
    )


def _require_if_match(op: dict[str, Any]) -> None:
    """If-Match is required where it is read: handlers take it as optional only to answer its
    absence with 428 (a domain error) rather than FastAPI's 422."""
    for param in op.get("parameters", []):
        if param.get("in") == "header" and param.get("name", "").lower() == "if-match":
            param["required"] = True
            param["schema"] = {"type": "string", "minLength": 1, "examples": ['"7"']}


def _close_open_bodies(response: dict[str, Any]) -> None:
    for media, content in response.get("content", {}).items():
        if content.get("schema"):
            continue
        base = media.split(";")[0].strip()
        content["schema"] = dict(_BODY_BY_MEDIA.get(base, _BINARY))


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed description (built once, then cached)."""
    generate: Callable[[], dict[str, Any]] = app.openapi
    done: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if "schema" not in done:
            done["schema"] = complete(generate(), app)
        return done["schema"]

    app.openapi = openapi  # type: ignore[method-assign]
