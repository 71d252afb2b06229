"""API documentation for logged-in users, with Swagger UI served by the app itself."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from api.auth import allow
from api.deps import DbRoute
from api.security import add_csp_nonce

router = APIRouter(tags=["docs"], include_in_schema=False, route_class=DbRoute)
SWAGGER = "/docs-assets/swagger-ui-dist@5.35.0"


@router.get("/openapi.json", dependencies=[allow("officer", "planner", "admin")])
def openapi(request: Request) -> JSONResponse:
    """Return the OpenAPI description of the API."""
    return JSONResponse(request.app.openapi())


@router.get("/docs", dependencies=[allow("officer", "planner", "admin")])
def docs(request: Request) -> HTMLResponse:
    """Show the interactive API documentation."""
    html = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=request.app.title + " — API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},
    )
    body = add_csp_nonce(html.body.decode(), request.state.csp_nonce)
    return HTMLResponse(body)
