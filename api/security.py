"""Response hardening and request limits, as plain ASGI middleware.

- Pages (text/html) get a Content-Security-Policy that allows scripts, styles and fonts only
  from the app itself; inline scripts (Folium writes its map set-up inline) are allowed by a
  per-request nonce (``request.state.csp_nonce``). Only scripts the app writes get it: the
  ``<script>`` tags of the page templates themselves (:mod:`api.templating`) and of Folium's
  header (:func:`maps.parts.render_parts`), never a page after data went into it. Images may
  also come from configured basemap hosts.
- Every response gets nosniff, a referrer policy and frame denial.
- Request bodies above the configured size are refused with 413 before the app reads them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maps.parts import add_script_nonce

#: a body up to this size is read to its end before an early response (see ``drain``)
DRAIN_MAX = 1_000_000
DRAIN_TIMEOUT_S = 5.0


def add_csp_nonce(html: str, nonce: str) -> str:
    """Add ``nonce`` to every ``<script`` tag of ``html`` that lacks one.

    Only for markup with no data in it (Swagger UI's page): a script smuggled in by a stored
    value would get the nonce too. Pages with data get theirs from :mod:`api.templating`.
    """
    return add_script_nonce(html, nonce)


def content_security_policy(nonce: str, image_hosts: Iterable[str] = ()) -> str:
    """The CSP of pages: own origin only, plus basemap tile hosts for images."""
    img = " ".join(["'self'", "data:", "blob:", *sorted(set(image_hosts))])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            # Leaflet and Folium set inline styles on map elements.
            "style-src 'self' 'unsafe-inline'",
            "font-src 'self' data:",
            f"img-src {img}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityMiddleware:
    """Set security headers, a CSP nonce per request, and enforce body size limits."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        image_hosts: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_upload = max_upload_bytes
        self.image_hosts = tuple(image_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").decode("latin-1")
        limit = self.max_upload if ctype.startswith("multipart/form-data") else self.max_body
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return

        received = 0
        # A response sent before the request's body was read (a refusal by the access policy,
        # a busy or unavailable database) closes the connection: the rest of the body may
        # still be on its way, and a client reusing the connection would be reset.
        body_read = (declared in (None, b"0")) and b"transfer-encoding" not in headers

        async def limited_receive() -> Message:
            nonlocal received, body_read
            message = await receive()
            if message["type"] == "http.request":
                if not message.get("more_body", False):
                    body_read = True
                received += len(message.get("body", b""))
                if received > limit:
                    # an HTTPException passes through FastAPI's body parsing unchanged
                    raise HTTPException(413, f"request body larger than {limit} bytes")
            return message

        async def drain() -> None:
            # read what is left of a small body, so that closing or reusing the connection
            # never meets unread bytes (the kernel would answer them with a reset that can
            # destroy the response before the client reads it)
            nonlocal body_read
            with anyio.move_on_after(DRAIN_TIMEOUT_S):
                while not body_read:
                    message = await receive()
                    if message["type"] != "http.request":
                        break
                    if not message.get("more_body", False):
                        body_read = True

        async def send_with_headers(message: Message) -> None:
            small = declared is not None and declared.isdigit() and int(declared) <= DRAIN_MAX
            if message["type"] == "http.response.start" and not body_read and small:
                await drain()
            if message["type"] == "http.response.start":
                hdrs = list(message.get("headers", []))
                names = {k.lower() for k, _ in hdrs}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                ]
                if b"referrer-policy" not in names:
                    extra.append((b"referrer-policy", b"same-origin"))
                if not body_read and b"connection" not in names:
                    extra.append((b"connection", b"close"))
                ctype_out = next((v for k, v in hdrs if k.lower() == b"content-type"), b"")
                if ctype_out.startswith(b"text/html") and b"content-security-policy" not in names:
                    csp = content_security_policy(nonce, self.image_hosts)
                    extra.append((b"content-security-policy", csp.encode()))
                message["headers"] = hdrs + extra
            await send(message)

        await self.app(scope, limited_receive, send_with_headers)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body larger than {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SelectiveGZipMiddleware:
    """Gzip assets, tiles and API responses, but not HTML pages.

    Pages carry CSRF tokens next to reflected input; compressing them would open them to
    BREACH-style length attacks, and they are small anyway. Leaflet, tiles and GeoJSON are where
    the bytes are.
    """

    PREFIXES = ("/static/", "/docs-assets/", "/tiles/", "/api/")
    #: zlib level 4, not Starlette's 9: a 500-site GeoJSON page (1 MB) took ~100 ms to compress
    #: at 9 and ~16 ms at 4, for 4 % more bytes
    COMPRESS_LEVEL = 4

    def __init__(self, app: ASGIApp, minimum_size: int = 1000) -> None:
        from starlette.middleware.gzip import GZipMiddleware

        self.app = app
        self.gzip = GZipMiddleware(
            app, minimum_size=minimum_size, compresslevel=self.COMPRESS_LEVEL
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route the request through gzip when its path is compressible."""
        if scope["type"] == "http" and scope["path"].startswith(self.PREFIXES):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
