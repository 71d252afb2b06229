"""Browser assets served by the app (``maps/static``): the vendored catalogue and its use.

Folium elements list the scripts and stylesheets they need (``default_js``/``default_css``) as
CDN URLs. :func:`localize` rewrites every one of them in a map's element tree to the copy the
app serves under ``/static`` (pinned versions, see ``static/vendor/README.md``), so a page never
asks another host for code, fonts or icons. An asset with no local copy is an error, not a
silent fall-back to the internet. :func:`inline_html` turns a rendered page into a standalone
file (scripts, styles and their images/fonts embedded) for the static export.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path

from branca.element import Element

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: URL path under which the app mounts STATIC_DIR
STATIC_URL = "/static"

#: Folium asset name → file under STATIC_DIR (pinned versions)
VENDORED: dict[str, str] = {
    # folium.Map defaults
    "leaflet": "vendor/leaflet@1.9.4/dist/leaflet.js",
    "leaflet_css": "vendor/leaflet@1.9.4/dist/leaflet.css",
    "jquery": "vendor/jquery@3.7.1/dist/jquery.min.js",
    "bootstrap": "vendor/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "bootstrap_css": "vendor/bootstrap@5.2.2/dist/css/bootstrap.min.css",
    "awesome_markers": "vendor/leaflet.awesome-markers@2.0.5/dist/leaflet.awesome-markers.js",
    "awesome_markers_css": "vendor/leaflet.awesome-markers@2.0.5/dist/leaflet.awesome-markers.css",
    "awesome_markers_font_css": "vendor/fontawesome-free@6.2.0/css/all.min.css",
    # folium.plugins.VectorGridProtobuf and this app's site layer
    "vectorGrid": "vendor/leaflet.vectorgrid@1.3.0/dist/Leaflet.VectorGrid.bundled.min.js",
    # drawing search areas on the officers' map (works under the CSP: no eval)
    "geoman": "vendor/leaflet-geoman-free@2.20.2/dist/leaflet-geoman.min.js",
    "geoman_css": "vendor/leaflet-geoman-free@2.20.2/dist/leaflet-geoman.css",
    # this app
    "gis_admin_users": "js/admin_users.js",
    "gis_api": "js/api.js",
    "gis_gcj02": "js/gcj02.js",
    "gis_imports": "js/imports.js",
    "gis_measure": "js/measure.js",
    "gis_requirements": "js/requirements.js",
    "gis_results": "js/results.js",
    "gis_results_css": "css/results.css",
    "gis_search_area": "js/search_area.js",
    "gis_sheet": "js/sheet.js",
    "gis_sitemap": "js/sitemap.js",
    "gis_sitemap_css": "css/sitemap.css",
}

#: Folium defaults that no element of this app needs; they are removed rather than vendored
DROPPED: frozenset[str] = frozenset({"glyphicons_css", "awesome_rotate_css"})

# tags that make the browser fetch something (links in text, e.g. attributions, fetch nothing)
_EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe|source|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*"""
    r"""["'](?:https?:)?//[^"']*""",
    re.IGNORECASE,
)


def asset_path(name: str) -> Path:
    """The file of a vendored asset (``KeyError`` for an unknown name)."""
    return STATIC_DIR / VENDORED[name]


def asset_url(name: str, base: str = STATIC_URL) -> str:
    """The URL the app serves a vendored asset at."""
    return f"{base.rstrip('/')}/{VENDORED[name]}"


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _localized(items: list[tuple[str, str]], base: str, owner: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, url in items:
        if name in DROPPED:
            continue
        if name in VENDORED:
            out.append((name, asset_url(name, base)))
        elif url.startswith(base.rstrip("/") + "/"):
            out.append((name, url))
        else:
            raise ValueError(
                f"{owner} needs asset {name!r} ({url}) that the app does not serve; "
                "vendor it into maps/static/vendor (maps/vendor.sh) and add it to VENDORED"
            )
    return out


def localize(root: Element, base: str = STATIC_URL) -> Element:
    """Point every script/stylesheet of ``root`` and its descendants at the app's copies."""
    for el in _walk(root):
        owner = type(el).__name__
        if "default_js" in vars(el) or hasattr(type(el), "default_js"):
            el.default_js = _localized(list(getattr(el, "default_js", [])), base, owner)
        if "default_css" in vars(el) or hasattr(type(el), "default_css"):
            el.default_css = _localized(list(getattr(el, "default_css", [])), base, owner)
    return root


def lean(m: Element) -> Element:
    """Keep only Leaflet among a Folium map's page-wide defaults (no jQuery, Bootstrap, icons).

    For pages whose elements need none of them: they would only add weight (and Bootstrap
    restyles the page). Elements added later still bring what they declare.
    """
    m.default_js = [(n, u) for n, u in m.default_js if n == "leaflet"]
    m.default_css = [(n, u) for n, u in m.default_css if n == "leaflet_css"]
    return m


def external_references(html: str) -> list[str]:
    """Tags of ``html`` that would load something from another host (should be none)."""
    return [m.group(0) for m in _EXTERNAL.finditer(html)]


# --- standalone export ----------------------------------------------------------------------

_SCRIPT_SRC = re.compile(
    r'<script(?P<attrs>[^>]*)\ssrc="(?P<src>[^"]+)"(?P<rest>[^>]*)>\s*</script>'
)
_LINK_CSS = re.compile(r'<link(?=[^>]*rel="stylesheet")[^>]*href="(?P<href>[^"]+)"[^>]*/?>')
_CSS_URL = re.compile(r"""url\((?P<q>["']?)(?P<u>(?!data:)[^)"']+)(?P=q)\)""")


def _file_for(url: str, base: str) -> Path:
    prefix = base.rstrip("/") + "/"
    if not url.startswith(prefix):
        raise ValueError(f"cannot inline {url}: not an app asset")
    path = (STATIC_DIR / url[len(prefix) :]).resolve()
    if STATIC_DIR.resolve() not in path.parents:
        raise ValueError(f"cannot inline {url}: outside maps/static")
    return path


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or (
        "font/woff2" if path.suffix == ".woff2" else "application/octet-stream"
    )
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")

    def repl(m: re.Match[str]) -> str:
        ref = m.group("u").split("#")[0].split("?")[0]
        target = (path.parent / ref).resolve()
        if not target.is_file():
            return m.group(0)
        return f'url("{_data_uri(target)}")'

    return _CSS_URL.sub(repl, css)


def inline_html(html: str, base: str = STATIC_URL) -> str:
    """Embed every app script and stylesheet (with their images and fonts) into ``html``."""

    def script(m: re.Match[str]) -> str:
        code = _file_for(m.group("src"), base).read_text(encoding="utf-8")
        # a literal "</script" inside the code would end the element early
        code = code.replace("</script", "<\\/script")
        return f"<script{m.group('attrs')}{m.group('rest')}>{code}</script>"

    def link(m: re.Match[str]) -> str:
        css = _inline_css(_file_for(m.group("href"), base))
        return f"<style>{css}</style>"

    html = _SCRIPT_SRC.sub(script, html)
    return _LINK_CSS.sub(link, html)
