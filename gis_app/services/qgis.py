"""QGIS in the database: default styles with Chinese aliases and a ready project.

``publish`` writes, for the sites, buildings, constraint zones and the jurisdiction, a default
style into ``layer_styles`` (QGIS applies it to a layer added from the browser) and one
project into ``qgis_projects`` (QGIS: 项目 → 打开自 → PostgreSQL). Both come from the field
registry: every field's alias is its Chinese label, coded fields get a value-map widget with
the vocabulary's labels (so a planner picks a value instead of typing a key), and sites are
coloured by availability with the web map's colours (given by the caller, who owns them).
The project's layers carry host, port and database but no user: each planner logs in as
themselves (``gis-app user db-login``), which is what makes history name them.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import sqlalchemy as sa

from gis_app.db import qgis_queries
from gis_app.db.models import SRID
from gis_app.domain import fields, vocab
from gis_app.domain.fields import Field

PROJECT_NAME = "gis_app"
PROJECT_TITLE = "招商用地与厂房资源库 / Site inventory"
STYLE_NAME = "gis_app 默认样式"
QGIS_VERSION = "3.22.0"


@dataclass(frozen=True)
class Layer:
    """One table as a QGIS layer."""

    table: str
    title: str
    geometry: str | None  # "MultiPolygon", or None for a table without geometry
    registry: dict[str, Field]


LAYERS: tuple[Layer, ...] = (
    Layer("site", "地块与厂房 Sites", "MultiPolygon", fields.SITE),
    Layer("building", "厂房楼宇 Buildings", None, fields.BUILDING),
    Layer("constraint_zone", "管控区 Constraint zones", "MultiPolygon", fields.ZONE),
    Layer("jurisdiction", "辖区 Jurisdiction", "MultiPolygon", {}),
)

_EXTRA_ALIASES = {
    "id": "内部编号",
    "geom": "图形",
    "retired_at": "退出时间",
    "parent_ids": "来源地块",
}


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _fill_symbol(name: str, fill: str, outline: str, width: float = 0.4) -> str:
    return (
        f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleFill" pass="0" locked="0" enabled="1"><Option type="Map">'
        f'<Option name="color" value="{fill}" type="QString"/>'
        f'<Option name="outline_color" value="{outline}" type="QString"/>'
        f'<Option name="outline_width" value="{width}" type="QString"/>'
        '<Option name="outline_width_unit" value="MM" type="QString"/>'
        f'<Option name="style" value="{"no" if fill.endswith(",0") else "solid"}"'
        ' type="QString"/>'
        '<Option name="outline_style" value="solid" type="QString"/>'
        "</Option></layer></symbol>"
    )


def _renderer(layer: Layer, colours: dict[str, str]) -> str:
    if layer.geometry is None:
        return ""
    if layer.table == "site":
        cats, symbols = [], []
        for i, term in enumerate(vocab.AVAILABILITY):
            cats.append(
                f'<category render="true" symbol="{i}" value={quoteattr(term.key)}'
                f" label={quoteattr(term.zh)}/>"
            )
            symbols.append(_fill_symbol(str(i), _rgba(colours[term.key], 178), "35,35,35,255"))
        return (
            '<renderer-v2 type="categorizedSymbol" attr="availability" symbollevels="0"'
            ' enableorderby="0" forceraster="0">'
            f"<categories>{''.join(cats)}</categories><symbols>{''.join(symbols)}</symbols>"
            "</renderer-v2>"
        )
    fill, outline = (
        ("230,85,13,60", "230,85,13,255")
        if layer.table == "constraint_zone"
        else ("0,0,0,0", "80,80,80,255")
    )
    return (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{_fill_symbol('0', fill, outline, 0.6)}</symbols></renderer-v2>"
    )


def _field_configuration(layer: Layer) -> str:
    out = []
    for name, f in layer.registry.items():
        if f.vocabulary is None or f.type == "text_list" or not f.stored:
            continue
        entries = "".join(
            f'<Option type="Map"><Option name={quoteattr(t.zh)} value={quoteattr(t.key)}'
            ' type="QString"/></Option>'
            for t in f.vocabulary
        )
        out.append(
            f'<field name="{name}" configurationFlags="None"><editWidget type="ValueMap">'
            f'<config><Option type="Map"><Option name="map" type="List">{entries}</Option>'
            "</Option></config></editWidget></field>"
        )
    return f"<fieldConfiguration>{''.join(out)}</fieldConfiguration>"


def aliases(layer: Layer) -> dict[str, str]:
    """Field name → Chinese label of ``layer`` (the registry's, plus a few kept columns)."""
    out = {name: f.zh for name, f in layer.registry.items() if f.zh and f.stored}
    if layer.table == "jurisdiction":
        out.update({"code": "代码", "name_zh": "名称", "name_en": "英文名称"})
    for name, label in _EXTRA_ALIASES.items():
        out.setdefault(name, label)
    return out


def _aliases(layer: Layer) -> str:
    items = "".join(
        f'<alias field="{name}" index="{i}" name={quoteattr(label)}/>'
        for i, (name, label) in enumerate(aliases(layer).items())
    )
    return f"<aliases>{items}</aliases>"


def _style_body(layer: Layer, colours: dict[str, str]) -> str:
    return _renderer(layer, colours) + _field_configuration(layer) + _aliases(layer)


def layer_qml(layer: Layer, colours: dict[str, str]) -> str:
    """The QML document of ``layer``'s default style."""
    return (
        f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories">'
        f"{_style_body(layer, colours)}</qgis>"
    )


def _datasource(layer: Layer, host: str, port: int, dbname: str) -> str:
    base = f"dbname='{dbname}' host={host} port={port} sslmode=prefer key='id'"
    if layer.geometry is None:
        return f'{base} checkPrimaryKeyUnicity=\'0\' table="public"."{layer.table}"'
    return (
        f"{base} srid={SRID} type={layer.geometry} checkPrimaryKeyUnicity='0'"
        f' table="public"."{layer.table}" (geom)'
    )


def _srs(wkt: str, proj4: str) -> str:
    return (
        f"<spatialrefsys><wkt>{_text(wkt)}</wkt><proj4>{_text(proj4)}</proj4>"
        f"<srid>{SRID}</srid><authid>EPSG:{SRID}</authid>"
        "<description>China Geodetic Coordinate System 2000</description>"
        "<projectionacronym>longlat</projectionacronym><geographicflag>true</geographicflag>"
        "</spatialrefsys>"
    )


def _text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def project_xml(
    host: str, port: int, dbname: str, crs: tuple[str, str], colours: dict[str, str]
) -> str:
    """The ``.qgs`` document of the project: the layers in drawing order, styled, in EPSG:4490."""
    srs = _srs(*crs)
    tree, maplayers = [], []
    for layer in LAYERS:
        lid = f"{layer.table}_gis_app"
        source = _datasource(layer, host, port, dbname)
        tree.append(
            f'<layer-tree-layer id="{lid}" name={quoteattr(layer.title)} providerKey="postgres"'
            f' checked="Qt::Checked" expanded="1" source={quoteattr(source)}/>'
        )
        geometry = (
            'geometry="No geometry" wkbType="NoGeometry"'
            if layer.geometry is None
            else 'geometry="Polygon" wkbType="MultiPolygon"'
        )
        maplayers.append(
            f'<maplayer type="vector" {geometry} readOnly="0">'
            f"<id>{lid}</id><datasource>{_text(source)}</datasource>"
            f"<layername>{_text(layer.title)}</layername>"
            f"<srs>{srs}</srs>"
            '<provider encoding="">postgres</provider>'
            f"{_style_body(layer, colours)}</maplayer>"
        )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        f'<qgis projectname={quoteattr(PROJECT_TITLE)} version="{QGIS_VERSION}">'
        f"<title>{_text(PROJECT_TITLE)}</title>"
        f"<projectCrs>{srs}</projectCrs>"
        f"<layer-tree-group><customproperties/>{''.join(tree)}</layer-tree-group>"
        f"<projectlayers>{''.join(maplayers)}</projectlayers>"
        "</qgis>"
    )


def _qgz(name: str, qgs: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{name}.qgs", qgs)
    return buf.getvalue()


def publish(
    conn: sa.Connection,
    colours: dict[str, str],
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    user: str = "gis-app",
) -> str:
    """Write the default styles and the project into the database; commit; return its name.

    ``colours`` maps each availability key to the web map's colour (``#rrggbb``); ``host``
    and ``port`` are the server as planners' QGIS reaches it (the port defaults to the
    server's own).
    """
    missing = [t.key for t in vocab.AVAILABILITY if t.key not in colours]
    if missing:
        raise ValueError(f"no colour for availability {missing}")
    dbname, server_port = qgis_queries.connection_facts(conn)
    for layer in LAYERS:
        qgis_queries.replace_default_style(
            conn,
            layer.table,
            "geom" if layer.geometry else "",
            STYLE_NAME,
            layer_qml(layer, colours),
            f"{layer.title}: 中文别名、代码值标签"
            + ("、按招商状态着色" if layer.table == "site" else ""),
        )
    qgs = project_xml(
        host, port or server_port, dbname, qgis_queries.crs_definition(conn, SRID), colours
    )
    at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    qgis_queries.save_project(conn, PROJECT_NAME, _qgz(PROJECT_NAME, qgs), user, at)
    conn.commit()
    return PROJECT_NAME
