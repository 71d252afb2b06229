"""Generate the ILLUSTRATIVE sample data set in ``data/parcels/``.

The files describe idle land, plants, buildings, islands and shoreline in Putuo District
(普陀区), Zhoushan, for the investment-promotion office.  Everything is invented but placed
near real coordinates and kept internally consistent; nothing here is an official figure.

Geometry is built in EPSG:4550 (CGCS2000 / 3-degree Gauss-Kruger CM 123E, metres) and written
as CGCS2000 geographic lon/lat (EPSG:4490) with 7 decimals.  The script is deterministic: the
same code always writes byte-identical files.  Data tables are kept hand-aligned between
``# fmt: off`` / ``# fmt: on`` markers.

Run from the repository root::

    .venv/bin/python data/parcels/make_sample.py
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring, unary_union

HERE = Path(__file__).resolve().parent
SEED = 20251231
M2_PER_MU = 10000.0 / 15.0
CRS_MEMBER = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}

_FWD = Transformer.from_crs(4490, 4550, always_xy=True)
_INV = Transformer.from_crs(4550, 4490, always_xy=True)


# ---------------------------------------------------------------------------------------------
# geometry helpers
# ---------------------------------------------------------------------------------------------


def to_m(lon: float, lat: float) -> tuple[float, float]:
    """Project a CGCS2000 lon/lat pair to EPSG:4550 metres."""
    x, y = _FWD.transform(lon, lat)
    return float(x), float(y)


def geom_to_ll(geom: BaseGeometry) -> BaseGeometry:
    """Transform a geometry from EPSG:4550 metres to EPSG:4490 lon/lat."""
    return shapely.transform(geom, lambda x, y: _INV.transform(x, y), interleaved=False)


def _ring(text: str) -> list[tuple[float, float]]:
    """Parse ``"lon lat, lon lat, ..."`` into coordinate pairs."""
    pairs = (p.split() for p in text.replace("\n", " ").split(",") if p.strip())
    return [(float(lon), float(lat)) for lon, lat in pairs]


def _poly_ll(text: str) -> Polygon:
    return Polygon([to_m(lon, lat) for lon, lat in _ring(text)])


def _ellipse(lon: float, lat: float, a: float, b: float, rot: float = 0.0) -> Polygon:
    """Ellipse of semi-axes ``a`` x ``b`` metres centred on lon/lat, rotated ``rot`` degrees."""
    x, y = to_m(lon, lat)
    circle = Point(x, y).buffer(1.0, quad_segs=8)
    return affinity.rotate(affinity.scale(circle, a, b), rot)


def _jagged(poly: Polygon, rng: random.Random, frac: float = 0.035) -> Polygon:
    """Densify a rough outline with small perpendicular jitter so coasts look less schematic."""
    pts = list(poly.exterior.coords)[:-1]
    out: list[tuple[float, float]] = []
    for i, (x0, y0) in enumerate(pts):
        x1, y1 = pts[(i + 1) % len(pts)]
        out.append((x0, y0))
        seg = math.hypot(x1 - x0, y1 - y0)
        nx, ny = -(y1 - y0) / seg, (x1 - x0) / seg
        for t in (1 / 3, 2 / 3):
            off = rng.uniform(-frac, frac) * seg
            out.append((x0 + (x1 - x0) * t + nx * off, y0 + (y1 - y0) * t + ny * off))
    result = Polygon(out)
    if not result.is_valid:
        result = result.buffer(0)
    if not isinstance(result, Polygon):
        raise ValueError("coast jitter split an island")
    return result


def _as_multi(geom: BaseGeometry, min_part_m2: float = 50.0) -> MultiPolygon:
    """Return ``geom`` as a MultiPolygon, dropping slivers below ``min_part_m2``."""
    if isinstance(geom, Polygon):
        parts = [geom]
    elif isinstance(geom, MultiPolygon):
        parts = list(geom.geoms)
    else:  # GeometryCollection after an overlay
        parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    parts = [p for p in parts if p.area >= min_part_m2]
    parts.sort(key=lambda p: -p.area)
    return MultiPolygon(parts)


def _round_coords(obj: Any, nd: int = 7) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), nd) for v in obj]
        return [_round_coords(v, nd) for v in obj]
    return obj


def geojson_geom(geom_m: BaseGeometry) -> dict[str, Any]:
    """GeoJSON geometry dict in lon/lat (7 decimals) for a geometry held in metres."""
    gj = mapping(geom_to_ll(geom_m))
    return {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"])}


# ---------------------------------------------------------------------------------------------
# jurisdiction: rough island outlines (lon lat), illustrative only
# ---------------------------------------------------------------------------------------------

# fmt: off
ISLANDS: dict[str, str] = {
    # eastern part of Zhoushan Island (沈家门/东港/展茅/勾山); west edge = boundary with 定海
    "舟山本岛（普陀部分）": """
        122.200 30.062, 122.215 30.066, 122.232 30.068, 122.250 30.064, 122.268 30.059,
        122.283 30.053, 122.296 30.044, 122.308 30.033, 122.320 30.021, 122.333 30.009,
        122.344 29.996, 122.352 29.983, 122.358 29.969, 122.361 29.956, 122.356 29.944,
        122.346 29.935, 122.332 29.931, 122.318 29.936, 122.305 29.943, 122.290 29.945,
        122.275 29.947, 122.258 29.950, 122.240 29.953, 122.222 29.957, 122.205 29.960,
        122.200 29.975, 122.207 29.992, 122.203 30.010, 122.210 30.028, 122.204 30.045""",
    "鲁家峙": """
        122.287 29.9375, 122.299 29.9405, 122.311 29.9365, 122.308 29.929, 122.295 29.928,
        122.286 29.932""",
    "朱家尖": """
        122.358 29.940, 122.372 29.946, 122.390 29.939, 122.405 29.931, 122.416 29.916,
        122.428 29.900, 122.435 29.880, 122.431 29.860, 122.421 29.845, 122.406 29.835,
        122.393 29.844, 122.386 29.861, 122.373 29.874, 122.363 29.891, 122.355 29.909,
        122.352 29.927""",
    "普陀山": """
        122.375 29.965, 122.390 29.962, 122.398 29.975, 122.405 29.990, 122.403 30.010,
        122.395 30.028, 122.383 30.030, 122.376 30.015, 122.372 29.995, 122.370 29.978""",
    "登步岛": """
        122.292 29.880, 122.305 29.895, 122.322 29.898, 122.335 29.888, 122.338 29.872,
        122.325 29.862, 122.305 29.862, 122.294 29.868""",
    "桃花岛": """
        122.230 29.815, 122.245 29.832, 122.265 29.840, 122.285 29.838, 122.302 29.828,
        122.310 29.812, 122.300 29.795, 122.282 29.785, 122.262 29.782, 122.245 29.790,
        122.232 29.800""",
    "虾峙岛": """
        122.240 29.758, 122.255 29.770, 122.275 29.772, 122.295 29.765, 122.302 29.752,
        122.290 29.740, 122.270 29.735, 122.250 29.740""",
    "六横岛": """
        122.072 29.728, 122.075 29.745, 122.095 29.768, 122.120 29.778, 122.148 29.775,
        122.170 29.765, 122.190 29.752, 122.198 29.735, 122.192 29.715, 122.178 29.698,
        122.160 29.690, 122.140 29.680, 122.118 29.682, 122.098 29.695, 122.082 29.710""",
    "凉潭岛": """
        122.199 29.752, 122.208 29.760, 122.216 29.755, 122.211 29.746, 122.201 29.745""",
}

# The second, ILLUSTRATIVE district: a small part of 定海区 (临城 and the hills north of it)
# west of the Putuo part of Zhoushan Island. Drawn past the Putuo west edge on purpose: the
# Putuo outline is cut away from it, so the two share that edge exactly.
DINGHAI_PART = """
    122.150 30.040, 122.162 30.052, 122.180 30.058, 122.196 30.061, 122.212 30.058,
    122.214 29.962, 122.200 29.958, 122.185 29.963, 122.170 29.972, 122.158 29.984,
    122.150 30.000, 122.147 30.020"""
DINGHAI_ISLAND = "舟山本岛（普陀部分）"

# small islands drawn as ellipses: (lon, lat, semi-axis a m, semi-axis b m, rotation deg)
SMALL_ISLANDS: dict[str, list[tuple[float, float, float, float, float]]] = {
    "葫芦岛":   [(122.2280, 29.7680, 400, 330, 20), (122.2338, 29.7738, 250, 210, 0)],
    "大双山":   [(122.2120, 29.7860, 420, 260, 30)],
    "小双山":   [(122.2190, 29.7920, 180, 130, 10)],
    "庙子湖岛": [(122.6800, 30.1850, 1100, 600, 15)],
    "青浜岛":   [(122.7010, 30.1975, 800, 450, 25)],
    "东福山岛": [(122.7750, 30.1650, 1200, 550, 10)],
}
# fmt: on


def build_islands() -> dict[str, Polygon]:
    """Island outlines in metres, keyed by Chinese name."""
    rng = random.Random(f"{SEED}-coast")
    out: dict[str, Polygon] = {}
    for name, text in ISLANDS.items():
        out[name] = _jagged(_poly_ll(text), rng)
    for name, lobes in SMALL_ISLANDS.items():
        outline = unary_union([_ellipse(*lobe) for lobe in lobes])
        if name == "葫芦岛":  # a neck between the two lobes: the gourd
            a = to_m(122.2280, 29.7680)
            b = to_m(122.2338, 29.7738)
            outline = unary_union([outline, LineString([a, b]).buffer(120)])
        outline = _jagged(outline.simplify(5), rng, 0.02)
        out[name] = outline
    return out


# ---------------------------------------------------------------------------------------------
# vocabulary-derived lookups kept local (the generator does not import the app)
# ---------------------------------------------------------------------------------------------

# planned use (2023 用地用海分类) -> most specific GB 50137-2011 class; sea and 留白 have none
LEGACY_USE = {
    "100101": "M1", "100102": "M2", "100103": "M3", "1001": "M",
    "110101": "W1", "110102": "W2", "1101": "W",
    "0901": "B1", "090101": "B11", "090104": "B14", "0902": "B2",
    "1204": "H23", "070101": "R1",
    "1901": None, "2001": None, "16": None,
}  # fmt: skip

# fmt: off
USE_TEXT = {
    "100101": ("一类工业用地，适合智能制造、电子装配等低污染项目",
               "Class-1 industrial land for clean manufacturing and electronics assembly"),
    "100102": ("二类工业用地，适合船舶配件、机械加工等项目",
               "Class-2 industrial land for marine equipment and machining"),
    "100103": ("三类工业用地，适合临港重型装备及修造船配套",
               "Class-3 industrial land for heavy port-side equipment and ship-repair supply"),
    "1001": ("工业用地，具体类别待规划明确",
             "Industrial land, class to be fixed by the regulatory plan"),
    "110101": ("一类物流仓储用地，适合电商与普通仓储",
               "Class-1 logistics land for e-commerce and general warehousing"),
    "110102": ("二类物流仓储用地，适合冷链及水产品仓储",
               "Class-2 logistics land for cold-chain and seafood storage"),
    "1101": ("物流仓储用地，适合港航物流",
             "Logistics and warehousing land for port logistics"),
    "0901": ("商业用地，适合商业综合体及配套服务",
             "Commercial land for retail and service facilities"),
    "090101": ("零售商业用地，适合城市更新类商业项目",
               "Retail land suited to urban-renewal commercial projects"),
    "090104": ("旅馆用地，适合海岛度假酒店及民宿集群",
               "Hotel land for island resorts and guesthouse clusters"),
    "0902": ("商务金融用地，适合总部办公与航运服务",
             "Business and finance land for headquarters and shipping services"),
    "1204": ("港口码头用地，临深水岸线",
             "Port and wharf land on deep-water frontage"),
    "16": ("规划留白用地，可结合项目研究确定用途",
           "Land held in planning reserve, its use to be fixed with the project"),
    "1901": ("工业用海，适合船舶修造及海工装备",
             "Industrial sea use for ship repair and offshore equipment"),
    "2001": ("港口用海，可建设码头泊位",
             "Port sea use where berths can be built"),
}
# fmt: on

READY_TEXT = {
    "cleared": ("净地，水电路讯等配套基本齐全", "cleared, with roads, water, power and telecom"),
    "partly_cleared": ("已部分清表，配套正在完善", "partly cleared, utilities being completed"),
    "raw": ("尚为毛地，政策处理推进中", "still raw land, land acquisition in progress"),
}

UNFINISHED_NOTE = "政策处理尚未完成，土地、规划等指标尚未明确"
ALL_UTILITIES = ["road", "water", "power", "gas", "telecom", "sewer", "levelled"]

POLICY_PCT = {
    "not_started": (0, 0),
    "surveying": (5, 15),
    "notice": (15, 25),
    "compensation_plan": (25, 40),
    "agreements": (40, 65),
    "approval_pending": (65, 80),
    "approved": (80, 88),
    "clearing": (88, 98),
    "delivered": (100, 100),
}

OFFICE_OF = {
    "王海燕": "区投促中心",
    "陈立军": "区自然资源和规划分局",
    "李敏": "区投促中心",
    "张晓峰": "普陀经济开发区管委会",
    "林静": "六横镇招商办",
    "虞建波": "区投促中心",
}
OFFICERS = list(OFFICE_OF)

FAKE_FIRMS = [
    "舟山海晟机械制造有限公司",
    "舟山普远水产食品有限公司",
    "浙江瀚洋船舶配套有限公司",
    "舟山东辰物流有限公司",
    "舟山蓝湾旅游开发有限公司",
    "舟山鼎海新材料有限公司",
]


# ---------------------------------------------------------------------------------------------
# blocks (区块) and sites
# ---------------------------------------------------------------------------------------------

# fmt: off
BLOCKS: dict[str, dict[str, Any]] = {
    # the illustrative 定海区 part (not Putuo): its own owner and officers
    "LC": {"zh": "临城示意区块", "en": "Lincheng Illustrative Block", "township": "临城街道",
           "platform": None, "loc_zh": "位于定海区临城街道（示意）",
           "loc_en": "in Lincheng Subdistrict of Dinghai (illustrative)",
           "addr": "定海区临城街道（示意）",
           "addr_en": "Lincheng Subdistrict, Dinghai District (illustrative)",
           "owner": "定海区土地储备中心（示意）", "officers": {"周文斌": "定海区投促中心（示意）"}},
    "TT": {"zh": "塘头佛茶园地块", "en": "Tangtou Tea Garden Block", "township": "勾山街道",
           "platform": None, "loc_zh": "位于勾山街道塘头村佛茶园一带",
           "loc_en": "in the Tangtou tea-garden area of Goushan Subdistrict",
           "addr": "普陀区勾山街道塘头村",
           "addr_en": "Tangtou Village, Goushan Subdistrict, Putuo District"},
    "SP": {"zh": "山坡地区块", "en": "Hillside Block", "township": "沈家门街道",
           "platform": None, "loc_zh": "位于沈家门城区北侧山坡地",
           "loc_en": "on the hillside north of Shenjiamen town",
           "addr": "普陀区沈家门街道北山坡",
           "addr_en": "North Hillside, Shenjiamen Subdistrict, Putuo District"},
    "CB": {"zh": "城北开山地块", "en": "Chengbei Former Quarry Block", "township": "沈家门街道",
           "platform": None, "loc_zh": "位于沈家门城北原开山宕口",
           "loc_en": "on the former quarry site north of Shenjiamen",
           "addr": "普陀区沈家门街道城北宕口"},
    "BL": {"zh": "白莲区块", "en": "Bailian Block", "township": "展茅街道",
           "platform": "普陀经济开发区", "loc_zh": "位于展茅街道白莲区块",
           "loc_en": "in the Bailian block of Zhanmao Subdistrict",
           "addr": "普陀区展茅街道白莲路",
           "addr_en": "Bailian Road, Zhanmao Subdistrict, Putuo District"},
    "KF": {"zh": "经济开发区剩余用地", "en": "Development Zone Remaining Land",
           "township": "展茅街道", "platform": "普陀经济开发区",
           "loc_zh": "位于普陀经济开发区展茅片区",
           "loc_en": "in the Zhanmao section of Putuo Economic Development Zone",
           "addr": "普陀经济开发区展茅片区",
           "addr_en": "Zhanmao Section, Putuo Economic Development Zone"},
    "ZM": {"zh": "展茅", "en": "Zhanmao", "township": "展茅街道", "platform": None,
           "loc_zh": "位于展茅街道", "loc_en": "in Zhanmao Subdistrict",
           "addr": "普陀区展茅街道",
           "addr_en": "Zhanmao Subdistrict, Putuo District"},
    "DG": {"zh": "东港", "en": "Donggang", "township": "东港街道", "platform": "普陀经济开发区",
           "loc_zh": "位于东港街道", "loc_en": "in Donggang Subdistrict",
           "addr": "普陀区东港街道",
           "addr_en": "Donggang Subdistrict, Putuo District"},
    "SJM": {"zh": "沈家门城区", "en": "Shenjiamen Town", "township": "沈家门街道",
            "platform": None, "loc_zh": "位于沈家门城区", "loc_en": "in central Shenjiamen",
            "addr": "普陀区沈家门街道",
            "addr_en": "Shenjiamen Subdistrict, Putuo District"},
    "LH": {"zh": "六横", "en": "Liuheng", "township": "六横镇", "platform": "六横临港产业园",
           "loc_zh": "位于六横临港产业园", "loc_en": "in Liuheng Port Industrial Park",
           "addr": "普陀区六横镇",
           "addr_en": "Liuheng Town, Putuo District"},
    "TH": {"zh": "桃花岛", "en": "Taohua Island", "township": "桃花镇", "platform": None,
           "loc_zh": "位于桃花岛", "loc_en": "on Taohua Island", "addr": "普陀区桃花镇",
           "addr_en": "Taohua Town, Putuo District"},
    "XZ": {"zh": "虾峙", "en": "Xiazhi", "township": "虾峙镇", "platform": None,
           "loc_zh": "位于虾峙岛北岸", "loc_en": "on the north shore of Xiazhi Island",
           "addr": "普陀区虾峙镇",
           "addr_en": "Xiazhi Town, Putuo District"},
    "HL": {"zh": "葫芦岛", "en": "Hulu Island", "township": "虾峙镇", "platform": None,
           "loc_zh": "位于葫芦岛", "loc_en": "on Hulu Island", "addr": "普陀区虾峙镇葫芦岛"},
    "SS": {"zh": "大小双山", "en": "Dashuangshan and Xiaoshuangshan", "township": "六横镇",
           "platform": None, "loc_zh": "位于大、小双山岛",
           "loc_en": "on Dashuangshan and Xiaoshuangshan islands",
           "addr": "普陀区六横镇大双山岛、小双山岛",
           "addr_en": "Dashuangshan and Xiaoshuangshan islands, Liuheng Town, Putuo District"},
    "ZJJ": {"zh": "朱家尖", "en": "Zhujiajian", "township": "朱家尖街道",
            "platform": "朱家尖旅游度假区", "loc_zh": "位于朱家尖岛",
            "loc_en": "on Zhujiajian Island", "addr": "普陀区朱家尖街道",
            "addr_en": "Zhujiajian Subdistrict, Putuo District"},
    "GS": {"zh": "勾山", "en": "Goushan", "township": "勾山街道", "platform": None,
           "loc_zh": "位于勾山街道", "loc_en": "in Goushan Subdistrict",
           "addr": "普陀区勾山街道",
           "addr_en": "Goushan Subdistrict, Putuo District"},
}

# English names of the townships (街道/镇); the blocks' are in BLOCKS. Two blocks' addresses have
# no English (CB, HL): the English pages say "Chinese only" there.
TOWNSHIP_EN: dict[str, str] = {
    "临城街道": "Lincheng Subdistrict",
    "勾山街道": "Goushan Subdistrict",
    "沈家门街道": "Shenjiamen Subdistrict",
    "展茅街道": "Zhanmao Subdistrict",
    "东港街道": "Donggang Subdistrict",
    "六横镇": "Liuheng Town",
    "桃花镇": "Taohua Town",
    "虾峙镇": "Xiazhi Town",
    "朱家尖街道": "Zhujiajian Subdistrict",
}

LEDGER = "普陀区闲置土地清查台账（2025年12月）"
# Unfinished blocks: collective land, policy handling under way, no fixed indicators.
_UNF = {"kind": "land", "own": "collective", "st": "reserved_planning", "rd": "raw",
        "pl": "none", "q": "pending", "sm": None, "av": "unavailable", "gq": "approximate",
        "note_block": UNFINISHED_NOTE, "src": LEDGER}
# Development-zone land: state land, delivered, cleared, standard land (标准地).
_KF = {"kind": "land", "own": "state", "st": "approved_unsupplied", "rd": "cleared",
       "ps": "delivered", "pl": "approved", "q": "approved", "sm": "listing", "std": True,
       "av": "available", "gq": "surveyed", "src": "普陀经济开发区剩余用地清单（2026年3月）"}
# Existing plants and buildings.
_PLANT = {"own": "state", "st": "built", "rd": "cleared", "ps": None, "pl": "approved",
          "q": "not_needed", "sm": "lease", "gq": "digitized", "cu": "0601",
          "src": "普陀区存量厂房楼宇摸排表（2026年6月）"}
_BLDG = {**_PLANT, "kind": "building", "cu": "05H1", "pu": "0902"}
# Ordinary state land with an approved plan (the defaults of most other sites).
_LND = {"kind": "land", "own": "state", "rd": "cleared", "ps": "delivered", "pl": "approved",
        "q": "approved", "sm": "listing", "gq": "digitized", "src": LEDGER}
_LHP = "六横临港产业园招商资源手册（2026年）"
# fmt: on


def _s(n: str, base: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    spec = dict(base or {})
    spec.update(kw)
    spec["n"] = n
    return spec


# Each group: block, NW anchor (lon, lat), rotation (deg, +CCW), row width (m), sites in the
# order they are packed (west to east, rows north to south).
# fmt: off
GROUPS: list[dict[str, Any]] = [
    {"block": "TT", "anchor": (122.2440, 29.9990), "rot": 10, "width": 650, "sites": [
        _s("001", _UNF, mu=45, cu="0202", pu="1001", ps="surveying"),
        _s("002", _UNF, mu=38, cu="0202", pu="1001", ps="notice", asp=1.6,
           inote="东北角压占生态保护红线，需核减或申请调整。"),
        _s("003", _UNF, mu=60, cu="0301", pu="16", ps="surveying", decl=None),
        _s("004", _UNF, mu=25, cu="0103", pu="1001", ps="notice", asp=1.1),
    ]},
    {"block": "SP", "anchor": (122.2805, 29.9725), "rot": -5, "width": 600, "sites": [
        _s("001", _UNF, mu=52, cu="0301", pu="100101", ps="notice", pl="drafting"),
        _s("002", _UNF, mu=30, cu="0702", pu="16", ps="compensation_plan", pl="drafting"),
        _s("003", _UNF, mu=68, cu="0103", pu="100101", ps="notice", pl="drafting", asp=1.8),
        _s("004", _UNF, mu=22, cu="0301", pu="16", ps="surveying", av="reserved",
           inote="区政府拟预留给城市更新安置项目。"),
    ]},
    {"block": "CB", "anchor": (122.3010, 29.9790), "rot": 0, "width": 700, "sites": [
        _s("001", _UNF, mu=88, cu="1202", pu="1101", ps="compensation_plan", pl="drafting",
           own="state", asp=1.5, inote="原宕口边坡需治理，地质灾害危险性评估未做。"),
        _s("002", _UNF, mu=42, cu="0301", pu="1101", ps="agreements", pl="none"),
        _s("003", _UNF, mu=33, cu="1202", pu="100101", ps="compensation_plan", pl="drafting",
           own="state", av="reserved", decl=None,
           inote="拟作为重点项目备选用地，暂不对外推介。"),
    ]},
    {"block": "BL", "anchor": (122.2890, 30.0255), "rot": -20, "width": 800, "sites": [
        _s("001", _KF, mu=56, cu="1202", pu="100101", ps="clearing", rd="partly_cleared",
           q="in_annual_plan", av="negotiating", gq="digitized", st="land_bank",
           neg="与一家海洋电子企业洽谈，意向用地约50亩，已完成两轮现场考察。"),
        _s("002", _KF, mu=40, cu="0601", pu="100101", ps="approved", rd="partly_cleared",
           q="applied", av="reserved", gq="digitized", st="land_bank",
           inote="预留给区重点招引的新材料项目，2026年底前不对外推介。"),
        _s("003", _KF, mu=72, cu="1202", pu="100102", q="in_annual_plan", asp=1.6),
        _s("004", _KF, mu=28, cu="0601", pu="110101", std=False),
    ]},
    {"block": "KF", "anchor": (122.2500, 30.0520), "rot": -10, "width": 1800, "sites": [
        _s("001", _KF, mu=118, pu="100102", cu="1202", asp=1.7, photos=2),
        _s("002", _KF, mu=64, pu="100101", cu="1202"),
        _s("003", _KF, mu=46, pu="100101", cu="0601", parts=2, st="land_bank", av="reserved",
           inote="两宗地之间为规划支路，预留给已签约企业二期。"),
        _s("004", _KF, mu=85, pu="100102", cu="1202", av="negotiating",
           neg="某船舶电气企业意向受让，待其完成投资决策（预计2027年一季度）。"),
        _s("005", _KF, mu=36, pu="100101", cu="0601", st="supplied_unused", av="signed",
           owner=3, neg="已签订投资协议，计划2027年3月挂牌。"),
        _s("006", _KF, mu=24, pu="100101", cu="0601", st="idle", av="negotiating",
           owner=5, decl_bias=0.08,
           inote="原受让企业超过约定开工期两年未开工，已认定闲置，正协商收回。"),
        _s("007", _KF, mu=12, pu="100101", cu="1202", std=False, lease=20,
           sm="lease_then_sell"),
        _s("008", _KF, mu=98, pu="110102", cu="1202", std=False, asp=1.4,
           inote="西侧有220千伏高压线走廊穿越，退让后净用地略减。"),
        _s("009", _PLANT, kind="standard_plant", ha=2.4, pu="100101", av="available"),
        _s("010", _PLANT, kind="standard_plant", ha=1.8, pu="100101", av="available"),
        _s("011", _PLANT, kind="plant", ha=1.3, pu="100102", av="available", st="inefficient",
           sm="agreement", owner=0, inote="业主有意整体转让，价格待评估。"),
    ]},
    {"block": "ZM", "anchor": (122.2220, 30.0470), "rot": 0, "width": 900, "sites": [
        _s("001", _LND, mu=34, pu="100101", cu="1202", av="available", st="land_bank"),
        _s("002", _LND, mu=50, pu="110101", cu="0103", av="available", st="approved_unsupplied",
           q="in_annual_plan",
           inote="台账显示可供；叠加永久基本农田后发现北侧部分重叠，待核实。"),
        _s("003", _LND, mu=18, pu="100101", cu="0601", av="signed", st="supplied_unused",
           owner=1, neg="水产品精深加工项目已签约，2026年12月开工。"),
        _s("004", _UNF, mu=27, pu="1001", cu="0103", ps="notice", pl="use_change_needed",
           inote="现状为耕地，需调整规划用途后方可报批。"),
        _s("005", _LND, mu=15, pu="100101", cu="0601", av="available", st="inefficient",
           rd="partly_cleared", owner=2, sm="agreement", ver="2025-06-20",
           inote="低效用地再开发，原企业愿意合作开发。"),
        _s("006", _PLANT, kind="plant", ha=2.1, pu="100101", av="available",
           st="inefficient", owner=0, inote="原机械加工厂，设备已清空。"),
    ]},
    {"block": "DG", "anchor": (122.3180, 29.9575), "rot": 12, "width": 1100, "sites": [
        _s("001", _LND, mu=35, pu="0902", cu="1202", av="negotiating", st="land_bank",
           neg="航运服务企业拟建区域总部，正在比选。"),
        _s("003", _PLANT, kind="standard_plant", ha=2.6, pu="100101", av="available",
           photos=1),
        _s("004", _PLANT, kind="standard_plant", ha=1.5, pu="100101", av="negotiating",
           neg="电子元件企业拟租一层，租期谈判中。"),
        _s("005", _PLANT, kind="plant", ha=1.1, pu="110102", av="reserved", owner=1,
           inote="原水产加工厂，业主正与冷链企业谈整体租赁。"),
        _s("006", _BLDG, ha=0.6, av="available"),
        _s("007", _BLDG, ha=0.45, av="available", ver="2025-04-22"),
        _s("008", _LND, mu=48, pu="110102", cu="1202", av="signed", st="approved_unsupplied",
           neg="冷链物流项目已签约，待挂牌。"),
    ]},
    {"block": "DG", "anchor": (122.3325, 29.9338), "rot": 8, "width": 400, "sites": [
        _s("002", _LND, mu=80, pu="1204", cu="1202", av="negotiating", st="land_bank",
           coastal=True,
           marine=(420, 10000, 12.5), neg="港航物流企业意向，需与码头经营权一并谈。"),
    ]},
    {"block": "SJM", "anchor": (122.2965, 29.9515), "rot": 0, "width": 520, "sites": [
        _s("001", _BLDG, ha=0.35, av="available"),
        _s("002", _BLDG, ha=0.5, av="available", pu="0901"),
        _s("003", _BLDG, ha=0.28, av="negotiating", pu="0901",
           neg="某连锁酒店集团洽谈整体租赁。"),
        _s("004", _UNF, mu=22, pu="090101", cu="0702", own="state", ps="agreements",
           pl="approved", st="land_bank", q="not_needed", ver="2024-11-15",
           note_block="城中村改造征迁尚未完成。"),
    ]},
    {"block": "LH", "anchor": (122.0820, 29.7500), "rot": 5, "width": 1500, "sites": [
        _s("001", _LND, mu=148, pu="100103", cu="1202", st="approved_unsupplied", std=True,
           av="available", asp=1.8, src=_LHP),
        _s("002", _LND, mu=120, pu="100102", cu="1202", st="land_bank", std=True,
           av="negotiating", src=_LHP, neg="海工装备企业意向，已提交项目可研。"),
        _s("004", _LND, mu=66, pu="100102", cu="1202", st="supplied_unused", av="signed",
           owner=2, src=_LHP, neg="海工装备配套项目已签约。"),
        _s("005", _LND, mu=40, pu="100101", cu="0601", st="idle", av="available", owner=2,
           src=_LHP, decl=None, inote="原受让企业已同意有偿收回，收回后可重新出让。"),
        _s("006", _LND, mu=75, pu="100103", cu="1202", st="approved_unsupplied",
           av="negotiating", rd="partly_cleared", ps="clearing", q="in_annual_plan",
           src=_LHP, neg="修船配套企业洽谈中，对岸线配套有要求。"),
        _s("007", _PLANT, kind="standard_plant", ha=2.8, pu="100102", av="available",
           src=_LHP),
        _s("008", _PLANT, kind="plant", ha=2.2, pu="100103", av="available", owner=2,
           src=_LHP),
    ]},
    {"block": "LH", "anchor": (122.0898, 29.7602), "rot": -37, "width": 400, "sites": [
        _s("003", _LND, mu=95, pu="1204", cu="1105", st="approved_unsupplied", av="reserved",
           marine=(380, 50000, 15.0), src=_LHP, asp=0.5, coastal=True,
           inote="预留给港口集团，暂不单独推介。"),
    ]},
    {"block": "LH", "anchor": (122.1660, 29.7330), "rot": 0, "width": 700, "sites": [
        _s("009", _LND, mu=55, pu="1101", cu="1202", st="land_bank", av="available",
           src=_LHP),
        _s("010", _LND, mu=30, pu="100101", cu="0103", st="approved_unsupplied",
           av="negotiating", rd="partly_cleared", ps="approval_pending", q="applied",
           src=_LHP, neg="电子元件企业意向，但地块南侧与基本农田重叠，需先核减。"),
    ]},
    {"block": "TH", "anchor": (122.2410, 29.8080), "rot": 0, "width": 900, "sites": [
        _s("001", _LND, mu=28, pu="090104", cu="0301", st="land_bank", av="available",
           q="applied"),
        _s("003", _LND, mu=16, pu="0901", cu="0702", st="land_bank", av="reserved",
           ver="2025-03-10"),
        _s("004", _LND, mu=20, pu="100101", cu="0601", st="inefficient", av="unavailable",
           owner=1, sm="agreement", q="not_needed",
           note_block="原企业尚未同意退出，盘活方案待定。"),
        _s("002", _UNF, mu=35, pu="090104", cu="0301", own="state", ps="surveying",
           note_block="地块东侧涉及生态保护红线，需先调整边界。"),
    ]},
    {"block": "XZ", "anchor": (122.2570, 29.7704), "rot": 3, "width": 700, "sites": [
        _s("001", _LND, mu=60, pu="1204", cu="1202", st="land_bank", av="negotiating",
           coastal=True,
           marine=(300, 50000, 16.0), neg="LNG加注配套企业意向，需海事论证。"),
        _s("002", _LND, mu=35, pu="100102", cu="0601", st="approved_unsupplied",
           av="reserved", q="in_annual_plan", coastal=True,
           inote="与5万吨级码头配套，预留给码头运营方的临港加工项目。"),
    ]},
    {"block": "ZJJ", "anchor": (122.3720, 29.9155), "rot": -8, "width": 1200, "sites": [
        _s("001", _LND, mu=45, pu="090104", cu="0301", st="land_bank", av="available",
           photos=1),
        _s("002", _LND, mu=30, pu="0901", cu="1202", st="approved_unsupplied", av="signed",
           neg="文旅综合体项目已签约。"),
        _s("004", _LND, mu=40, pu="110101", cu="1202", st="land_bank", av="reserved",
           inote="机场扩建可能需要，暂缓推介。"),
        _s("003", _UNF, mu=60, pu="090104", cu="0301", own="state", ps="notice",
           pl="amending", note_block="部分位于生态保护红线内，控规修编中。"),
    ]},
    {"block": "GS", "anchor": (122.2260, 29.9740), "rot": 6, "width": 800, "sites": [
        _s("001", _LND, mu=42, pu="100101", cu="1202", st="land_bank", av="signed",
           neg="智能装备企业已签约，2027年一季度挂牌。"),
        _s("002", _LND, mu=26, pu="1101", cu="0601", st="approved_unsupplied",
           av="available", ver="2025-08-30"),
        _s("003", _LND, mu=58, pu="100101", cu="0103", st="approved_unsupplied",
           av="reserved", rd="raw", ps="approval_pending", q="applied",
           inote="北侧与永久基本农田重叠，需调整地块边界后才能报批。"),
        _s("004", _LND, mu=9, pu="100101", cu="0601", st="inefficient", av="available",
           sm="agreement", owner=4),
        _s("005", _PLANT, kind="plant", ha=1.6, pu="100101", av="available", owner=5,
           sm="agreement", st="inefficient"),
    ]},
]

# The illustrative 定海区 part: a handful of sites in 临城 (codes ZS-DH-LC-…).
DH_SRC = "定海区示意数据（非官方，仅供多辖区演示）"
DINGHAI_GROUPS: list[dict[str, Any]] = [
    {"block": "LC", "anchor": (122.1700, 30.0180), "rot": 0, "width": 900, "sites": [
        _s("001", _LND, mu=40, pu="100101", cu="1202", st="land_bank", av="available",
           src=DH_SRC),
        _s("002", _LND, mu=25, pu="110101", cu="0601", st="approved_unsupplied",
           av="available", src=DH_SRC),
        _s("003", _PLANT, kind="standard_plant", ha=1.6, pu="100101", av="available",
           src=DH_SRC),
        _s("004", _LND, mu=30, pu="0902", cu="1202", st="land_bank", av="negotiating",
           src=DH_SRC, neg="航运服务企业在普陀与定海两地比选总部用地（示意）。"),
    ]},
]

# Sites whose geometry does not come from a block grid.
SPECIAL_SITES: list[dict[str, Any]] = [
    _s("011", _LND, block="LH", kind="shoreline",
       special=("coast", "六横岛", 122.0735, 29.7330, 700, 30), own="sea_area", pu="2001",
       cu="1105", st="reserved_planning", rd="raw", ps="approval_pending", q="not_needed",
       av="reserved", marine=(680, 100000, 18.5), src=_LHP,
       inote="双屿门深水岸线，海域使用论证报告在审。"),
    _s("001", _LND, block="HL", kind="island", special=("hulu_dev",), pu="16", cu="0301",
       st="reserved_planning", rd="raw", ps="surveying", pl="drafting", q="pending", sm=None,
       av="reserved", gq="approximate",
       note_block="海岛保护与利用规划编制中，开发范围尚未最终确定。"),
    _s("002", _LND, block="HL", kind="shoreline",
       special=("coast", "葫芦岛", 122.2352, 29.7759, 480, 25), own="sea_area", pu="1901",
       cu="1105", st="reserved_planning", rd="raw", ps="approval_pending", pl="drafting",
       q="not_needed", av="available", marine=(460, 30000, 14.0), gq="approximate"),
    _s("001", _LND, block="SS", kind="island", special=("islands", "大双山", "小双山"),
       own="uninhabited_island", pu="16", cu="0301", st="reserved_planning", rd="raw",
       ps=None, pl="none", q="not_needed", av="available", gq="approximate",
       marine=(2300, None, 8.0),
       inote="无居民海岛使用权可挂牌出让，需编制开发利用具体方案。"),
]
# fmt: on


# ---------------------------------------------------------------------------------------------
# site geometry
# ---------------------------------------------------------------------------------------------


def _cell_polygon(x: float, y: float, w: float, h: float, rng: random.Random) -> Polygon:
    """An irregular polygon inside the cell with NW corner (x, y): corners pulled inward."""
    jx, jy = 0.07 * w, 0.07 * h
    nw = (x + rng.uniform(0, jx), y - rng.uniform(0, jy))
    ne = (x + w - rng.uniform(0, jx), y - rng.uniform(0, jy))
    se = (x + w - rng.uniform(0, jx), y - h + rng.uniform(0, jy))
    sw = (x + rng.uniform(0, jx), y - h + rng.uniform(0, jy))
    pts = [nw, ne, se, sw]
    if rng.random() < 0.5:  # a fifth vertex: a bent southern boundary
        pts.insert(3, (x + w * rng.uniform(0.35, 0.65), y - h + rng.uniform(0, jy * 1.8)))
    return Polygon(pts)


def layout_group(group: dict[str, Any]) -> dict[str, BaseGeometry]:
    """Pack a group's sites in rows east of / south of the anchor; return number → geometry."""
    ax, ay = to_m(*group["anchor"])
    gap = 28.0  # a road between neighbouring parcels
    cx, cy, row_h = ax, ay, 0.0
    out: dict[str, BaseGeometry] = {}
    for spec in group["sites"]:
        rng = random.Random(f"{SEED}-geom-{group['block']}-{spec['n']}")
        area = spec["mu"] * M2_PER_MU if "mu" in spec else spec["ha"] * 10000.0
        area /= 0.9  # corners are pulled inward; compensate roughly
        w = math.sqrt(area * spec.get("asp", 1.3))
        h = area / w
        if cx > ax and cx + w > ax + group["width"]:
            cx, cy, row_h = ax, cy - row_h - gap, 0.0
        if spec.get("parts", 1) == 2:
            half = (w - 14.0) / 2
            geom: BaseGeometry = MultiPolygon(
                [
                    _cell_polygon(cx, cy, half, h, rng),
                    _cell_polygon(cx + half + 14, cy, half, h, rng),
                ]
            )
        else:
            geom = _cell_polygon(cx, cy, w, h, rng)
        out[spec["n"]] = affinity.rotate(geom, group["rot"], origin=(ax, ay))
        cx += w + gap
        row_h = max(row_h, h)
    return out


def special_geometry(spec: dict[str, Any], islands: dict[str, Polygon]) -> BaseGeometry:
    """Geometry of a shoreline strip or island site."""
    what = spec["special"]
    if what[0] == "coast":  # a strip along the coast, ``width`` metres deep on the land side
        _, island, lon, lat, length, width = what
        ring = islands[island].exterior
        d = ring.project(Point(to_m(lon, lat)))
        seg = substring(ring, max(d - length / 2, 0.0), min(d + length / 2, ring.length))
        strip = seg.buffer(width, cap_style="flat")
        return strip.intersection(islands[island].buffer(-2.0))
    if what[0] == "islands":  # whole small islands
        return unary_union([islands[name].buffer(-8.0) for name in what[1:]])
    if what[0] == "hulu_dev":  # southern half of 葫芦岛's big lobe, away from the shoreline
        lobe = _ellipse(*SMALL_ISLANDS["葫芦岛"][0]).buffer(40.0)
        x, y = to_m(122.2280, 29.7683)
        cut = affinity.rotate(box(x - 1000, y - 1000, x + 1000, y), 15, origin=(x, y))
        return islands["葫芦岛"].buffer(-8.0).intersection(lobe).intersection(cut)
    raise ValueError(what)


# ---------------------------------------------------------------------------------------------
# constraint zones, UGB and infrastructure
# ---------------------------------------------------------------------------------------------

ZONE_SOURCE = "普陀区国土空间总体规划（2021—2035年）（示意）"

# fmt: off
ZONES: list[dict[str, Any]] = [
    {"code": "CZ-EPR-001", "kind": "ecological_redline", "date": "2024-10-31",
     "name_zh": "黄杨尖—塘头山地生态保护红线",
     "name_en": "Huangyangjian–Tangtou hills ecological redline", "parts": ["""
        122.2150 30.0210, 122.2330 30.0230, 122.2470 30.0150, 122.2540 30.0060,
        122.2540 30.0010, 122.2490 29.9984, 122.2466 29.9995, 122.2420 30.0003,
        122.2330 29.9960,
        122.2200 30.0000, 122.2120 30.0120"""]},
    {"code": "CZ-EPR-002", "kind": "ecological_redline", "date": "2024-10-31",
     "name_zh": "朱家尖大青山及南部海岸生态保护红线",
     "name_en": "Zhujiajian Daqingshan and southern coast ecological redline", "parts": ["""
        122.3900 29.8900, 122.4100 29.8980, 122.4300 29.8950, 122.4360 29.8750,
        122.4300 29.8550, 122.4150 29.8420, 122.3980 29.8450, 122.3880 29.8650,
        122.3845 29.8810""", """
        122.3805 29.9100, 122.3810 29.9170, 122.3900 29.9200, 122.4000 29.9150,
        122.4020 29.9050, 122.3900 29.9000"""]},
    {"code": "CZ-EPR-003", "kind": "ecological_redline", "date": "2024-10-31",
     "name_zh": "桃花岛安期峰生态保护红线",
     "name_en": "Taohua Island Anqi Peak ecological redline", "parts": ["""
        122.2475 29.8060, 122.2472 29.8090, 122.2530 29.8150, 122.2600 29.8200,
        122.2780 29.8260, 122.2900 29.8180, 122.2880 29.8040, 122.2740 29.7960,
        122.2580 29.7990, 122.2500 29.8030"""]},
    {"code": "CZ-EPR-004", "kind": "ecological_redline", "date": "2024-10-31",
     "name_zh": "中街山列岛海洋特别保护区（陆域）",
     "name_en": "Zhongjieshan Islands marine special protected area (land part)", "parts": ["""
        122.7600 30.1700, 122.7900 30.1700, 122.7900 30.1600, 122.7600 30.1600"""]},
    {"code": "CZ-BF-001", "kind": "basic_farmland", "date": "2023-12-20",
     "name_zh": "展茅平原永久基本农田", "name_en": "Zhanmao plain permanent basic farmland",
     "parts": ["""
        122.2150 30.0560, 122.2300 30.0590, 122.2330 30.0520, 122.2260 30.0478,
        122.2255 30.0462, 122.2245 30.0474, 122.2160 30.0480, 122.2100 30.0500"""]},
    {"code": "CZ-BF-002", "kind": "basic_farmland", "date": "2023-12-20",
     "name_zh": "勾山永久基本农田", "name_en": "Goushan permanent basic farmland", "parts": ["""
        122.2060 29.9760, 122.2150 29.9800, 122.2260 29.9810, 122.2340 29.9790,
        122.2330 29.9760, 122.2318 29.9738, 122.2306 29.9752, 122.2280 29.9752,
        122.2200 29.9752, 122.2080 29.9705"""]},
    {"code": "CZ-BF-003", "kind": "basic_farmland", "date": "2023-12-20",
     "name_zh": "六横中部永久基本农田", "name_en": "Central Liuheng permanent basic farmland",
     "parts": ["""
        122.1350 29.7300, 122.1500 29.7320, 122.1640 29.7298, 122.1690 29.7298,
        122.1696 29.7323, 122.1712 29.7323, 122.1720 29.7290, 122.1720 29.7180,
        122.1550 29.7150, 122.1400 29.7180"""]},
    {"code": "CZ-UGB-001", "kind": "ugb", "date": "2024-10-31",
     "name_zh": "沈家门—东港—勾山城镇开发边界",
     "name_en": "Shenjiamen–Donggang–Goushan urban growth boundary", "parts": ["""
        122.2250 29.9540, 122.2600 29.9490, 122.2900 29.9420, 122.3180 29.9330,
        122.3460 29.9310, 122.3620 29.9500, 122.3560 29.9700,
        122.3400 29.9720, 122.3120 29.9750, 122.3040 29.9766, 122.2960 29.9740,
        122.2880 29.9712, 122.2720 29.9712, 122.2600 29.9880, 122.2520 29.9975,
        122.2440 29.9970, 122.2400 29.9880, 122.2375 29.9748, 122.2329 29.9748,
        122.2327 29.9733, 122.2304 29.9733, 122.2302 29.9749, 122.2250 29.9749,
        122.2240 29.9700"""]},
    {"code": "CZ-UGB-002", "kind": "ugb", "date": "2024-10-31",
     "name_zh": "展茅—普陀经济开发区城镇开发边界",
     "name_en": "Zhanmao – Putuo Economic Development Zone urban growth boundary",
     "parts": ["""
        122.2212 30.0476, 122.2243 30.0472, 122.2248 30.0458, 122.2262 30.0458,
        122.2264 30.0475, 122.2282 30.0475, 122.2282 30.0450, 122.2350 30.0450,
        122.2400 30.0500, 122.2480 30.0560, 122.2600 30.0570, 122.2700 30.0555,
        122.2900 30.0470, 122.3080 30.0320, 122.3120 30.0200, 122.2950 30.0120,
        122.2700 30.0230, 122.2500 30.0300, 122.2300 30.0320, 122.2205 30.0420"""]},
    {"code": "CZ-UGB-003", "kind": "ugb", "date": "2024-10-31",
     "name_zh": "六横临港产业园城镇开发边界",
     "name_en": "Liuheng Port Industrial Park urban growth boundary", "parts": ["""
        122.0760 29.7480, 122.0840 29.7600, 122.0900 29.7640, 122.0980 29.7650,
        122.1100 29.7560, 122.1080 29.7330, 122.0900 29.7260, 122.0760 29.7320""", """
        122.1600 29.7380, 122.1800 29.7420, 122.1900 29.7330, 122.1850 29.7280,
        122.1725 29.7305, 122.1722 29.7326, 122.1692 29.7326, 122.1688 29.7303,
        122.1640 29.7303, 122.1600 29.7320"""]},
    {"code": "CZ-UGB-004", "kind": "ugb", "date": "2024-10-31",
     "name_zh": "朱家尖城镇开发边界", "name_en": "Zhujiajian urban growth boundary",
     "parts": ["""
        122.3600 29.9420, 122.3790 29.9420, 122.3795 29.9300, 122.3795 29.9100,
        122.3750 29.9000, 122.3650 29.9000, 122.3570 29.9200"""]},
    {"code": "CZ-PWF-001", "kind": "public_welfare_forest", "date": "2022-06-30",
     "name_zh": "沈家门北山生态公益林",
     "name_en": "Shenjiamen north hills public-welfare forest", "parts": ["""
        122.2700 29.9800, 122.2850 29.9880, 122.3100 29.9920, 122.3300 29.9880,
        122.3350 29.9800, 122.3150 29.9785, 122.3050 29.9782, 122.3000 29.9800,
        122.2870 29.9760, 122.2750 29.9740"""]},
    {"code": "CZ-SCN-001", "kind": "scenic_core", "date": "2021-12-31",
     "name_zh": "普陀山风景名胜区核心景区",
     "name_en": "Mount Putuo scenic area, core zone", "parts": "普陀山"},
    {"code": "CZ-WSP-001", "kind": "water_source_protection", "date": "2022-06-30",
     "name_zh": "勾山水库饮用水水源保护区（一级）",
     "name_en": "Goushan reservoir drinking-water source protection area (grade 1)",
     "parts": ["""
        122.2260 29.9880, 122.2340 29.9900, 122.2375 29.9850, 122.2320 29.9815,
        122.2250 29.9830"""]},
]

# 220 kV corridor from 展茅变 north-west to the coast: centre line and half width (m)
HV_LINE = "122.2605 30.0290, 122.2540 30.0400, 122.2496 30.0480, 122.2470 30.0580"
HV_HALF_WIDTH_M = 35.0

INFRA: list[dict[str, Any]] = [
    {"code": "INF-PORT-001", "kind": "port", "dwt": 3000, "at": (122.3000, 29.9432),
     "name_zh": "沈家门渔港", "name_en": "Shenjiamen Fishing Port"},
    {"code": "INF-PORT-002", "kind": "port", "dwt": 100000, "at": (122.0725, 29.7380),
     "name_zh": "六横港区双屿门作业区", "name_en": "Liuheng Port Area, Shuangyumen Terminal"},
    {"code": "INF-PORT-003", "kind": "port", "dwt": 50000, "at": (122.2100, 29.7600),
     "name_zh": "六横港区凉潭作业区", "name_en": "Liuheng Port Area, Liangtan Terminal"},
    {"code": "INF-WHF-001", "kind": "wharf", "dwt": 10000, "at": (122.3400, 29.9330),
     "name_zh": "东港万吨级通用码头", "name_en": "Donggang 10,000-DWT General Cargo Wharf"},
    {"code": "INF-WHF-002", "kind": "wharf", "dwt": 50000, "at": (122.2640, 29.7715),
     "name_zh": "虾峙5万吨级散货码头", "name_en": "Xiazhi 50,000-DWT Bulk Wharf"},
    {"code": "INF-WHF-003", "kind": "wharf", "dwt": 30000, "at": (122.0800, 29.7530),
     "name_zh": "六横小郭巨修造船码头", "name_en": "Liuheng Xiaoguoju Shipyard Wharf"},
    {"code": "INF-FT-001", "kind": "ferry_terminal", "at": (122.3120, 29.9400),
     "name_zh": "半升洞客运码头", "name_en": "Banshengdong Passenger Terminal"},
    {"code": "INF-FT-002", "kind": "ferry_terminal", "at": (122.3270, 29.9320),
     "name_zh": "墩头客运码头", "name_en": "Duntou Passenger Terminal"},
    {"code": "INF-FT-003", "kind": "ferry_terminal", "at": (122.4030, 29.9330),
     "name_zh": "朱家尖蜈蚣峙码头", "name_en": "Zhujiajian Wugongzhi Ferry Terminal"},
    {"code": "INF-FT-004", "kind": "ferry_terminal", "at": (122.1950, 29.7420),
     "name_zh": "六横台门客运码头", "name_en": "Liuheng Taimen Passenger Terminal"},
    {"code": "INF-FT-005", "kind": "ferry_terminal", "at": (122.1200, 29.7790),
     "name_zh": "六横峧头客运码头", "name_en": "Liuheng Jiaotou Passenger Terminal"},
    {"code": "INF-FT-006", "kind": "ferry_terminal", "at": (122.3770, 29.9660),
     "name_zh": "普陀山客运码头", "name_en": "Putuoshan Passenger Terminal"},
    {"code": "INF-FT-007", "kind": "ferry_terminal", "at": (122.2440, 29.8330),
     "name_zh": "桃花岛茅草屋码头", "name_en": "Taohua Maocaowu Ferry Terminal"},
    {"code": "INF-FT-008", "kind": "ferry_terminal", "at": (122.6760, 30.1800),
     "name_zh": "东极庙子湖码头", "name_en": "Dongji Miaozihu Ferry Terminal"},
    {"code": "INF-IC-001", "kind": "expressway_interchange", "at": (122.2380, 30.0330),
     "name_zh": "甬舟高速延伸段展茅互通（示意）",
     "name_en": "Zhanmao Interchange, G9211 Extension (illustrative)"},
    {"code": "INF-IC-002", "kind": "expressway_interchange", "at": (122.3340, 29.9640),
     "name_zh": "甬舟高速延伸段东港互通（示意）",
     "name_en": "Donggang Interchange, G9211 Extension (illustrative)"},
    {"code": "INF-AIR-001", "kind": "airport", "at": (122.3620, 29.9342),
     "name_zh": "舟山普陀山机场", "name_en": "Zhoushan Putuoshan Airport"},
    {"code": "INF-SUB-001", "kind": "substation", "at": (122.2600, 30.0285),
     "name_zh": "220千伏展茅变电站", "name_en": "Zhanmao 220 kV Substation"},
    {"code": "INF-SUB-002", "kind": "substation", "at": (122.3400, 29.9560),
     "name_zh": "110千伏东港变电站", "name_en": "Donggang 110 kV Substation"},
    {"code": "INF-SUB-003", "kind": "substation", "at": (122.1450, 29.7420),
     "name_zh": "110千伏六横变电站", "name_en": "Liuheng 110 kV Substation"},
]
# fmt: on


# ---------------------------------------------------------------------------------------------
# site attributes
# ---------------------------------------------------------------------------------------------


def _pick(rng: random.Random, seq: list[Any]) -> Any:
    return seq[rng.randrange(len(seq))]


def _date(rng: random.Random) -> str:
    """A verification date in 2026 (before the data were cut on 2026-11-28)."""
    month = rng.randint(1, 11)
    day = rng.randint(1, 20 if month == 11 else 28)
    return f"2026-{month:02d}-{day:02d}"


def _phone(rng: random.Random) -> str:
    """A fake Zhoushan landline (0580-8xxxxxx) or mobile number."""
    if rng.random() < 0.6:
        return f"0580-8{rng.randint(0, 999999):06d}"
    head = _pick(rng, ["35", "38", "39", "58", "87"])
    return f"1{head}-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"


def _indicators(pu: str, rng: random.Random) -> dict[str, Any]:
    """Planning indicators (容积率, 建筑密度下限, 绿地率上限, 限高) by planned-use family."""
    out: dict[str, Any] = {
        "far_min": None,
        "far_max": None,
        "coverage_min_pct": None,
        "green_max_pct": None,
        "height_limit_m": None,
    }
    if pu.startswith("10"):
        out.update(
            far_min=_pick(rng, [1.0, 1.2, 1.2, 1.5]),
            far_max=_pick(rng, [2.0, 2.2, 2.5, 3.0]),
            coverage_min_pct=_pick(rng, [40, 40, 45]),
            green_max_pct=_pick(rng, [10, 15, 15, 20]),
            height_limit_m=_pick(rng, [24, 30, 40, 50]),
        )
    elif pu.startswith("11"):
        out.update(
            far_min=1.0,
            far_max=_pick(rng, [2.0, 2.5]),
            coverage_min_pct=40,
            green_max_pct=15,
            height_limit_m=_pick(rng, [24, 30]),
        )
    elif pu == "1204":
        out.update(
            far_min=0.3, far_max=1.5, coverage_min_pct=30, green_max_pct=10, height_limit_m=40
        )
    elif pu == "090104":
        out.update(far_min=0.5, far_max=_pick(rng, [1.0, 1.2, 1.5]), height_limit_m=24)
    elif pu in ("0901", "090101", "0902"):
        out.update(
            far_min=1.0,
            far_max=_pick(rng, [2.5, 3.0, 3.5, 4.0]),
            height_limit_m=_pick(rng, [50, 60, 80, 100]),
        )
    return out


def _reserve_price(pu: str, block: str, rng: random.Random) -> float | None:
    """Reserve price in 万元/亩 (industrial 15–40 in Zhoushan, commercial far higher)."""
    if pu.startswith("10"):
        lo, hi = (22, 34) if block in ("KF", "BL", "DG", "GS", "ZM") else (15, 24)
    elif pu.startswith("11"):
        lo, hi = (24, 42)
    elif pu == "1204":
        lo, hi = (28, 40)
    elif pu == "090104":
        lo, hi = (60, 150)
    elif pu in ("0901", "090101"):
        lo, hi = (90, 220)
    elif pu == "0902":
        lo, hi = (120, 240)
    else:
        return None
    return float(round(rng.uniform(lo, hi), 1))


_KIND_ZH = {
    "standard_plant": "标准厂房",
    "plant": "厂房",
    "building": "商务楼宇",
    "island": "海岛开发区块",
    "shoreline": "岸线",
}
_KIND_EN = {
    "standard_plant": "Standard Plant",
    "plant": "Plant",
    "building": "Office Building",
    "island": "Island Development Area",
    "shoreline": "Shoreline",
}


def _texts(spec: dict[str, Any], blk: dict[str, Any]) -> tuple[str, str]:
    """One-sentence investor-facing descriptions (zh, en)."""
    kind = spec["kind"]
    use_zh, use_en = USE_TEXT[spec["pu"]]
    ready_zh, ready_en = READY_TEXT[spec.get("rd") or "raw"]
    if kind in ("standard_plant", "plant"):
        what = "标准厂房" if kind == "standard_plant" else "工业厂房"
        use_zh = f"现有{what}，可整栋或分层出租"
        use_en = "Existing " + ("standard plant" if kind == "standard_plant" else "factory")
        use_en += " available whole or by floor"
        ready_zh, ready_en = "水电、道路及消防设施齐全", "with utilities and fire systems in place"
    elif kind == "building":
        use_zh, use_en = "现有商务楼宇，可整层或分割出租", "Existing office building let by floor"
        ready_zh, ready_en = "交通便利，配套成熟", "with good access and mature amenities"
    elif kind == "island":
        ready_zh, ready_en = "需结合海岛保护规划开发", "to be developed under the island plan"
    elif kind == "shoreline":
        ready_zh, ready_en = "可配套建设码头泊位", "suitable for berths"
    en = f"{use_en} {blk['loc_en']}, {ready_en}."
    return f"{blk['loc_zh']}的{use_zh}，{ready_zh}。", en[0].upper() + en[1:]


def _owner(spec: dict[str, Any], blk: dict[str, Any]) -> str:
    if spec.get("owner") is not None:
        return FAKE_FIRMS[spec["owner"]]
    if blk.get("owner"):
        return blk["owner"]
    if spec["own"] == "collective":
        town = blk["township"].removesuffix("街道").removesuffix("镇")
        return f"{town}某村股份经济合作社"
    if spec["kind"] == "building":
        return "舟山市普陀区国有资产投资经营有限公司"
    if spec["own"] in ("sea_area", "uninhabited_island"):
        return "国家所有（普陀区自然资源和规划分局代管）"
    return "普陀区土地储备中心"


def site_properties(
    spec: dict[str, Any], code: str, geom_m: BaseGeometry, in_ugb: str
) -> dict[str, Any]:
    """Build the property dict of one site from its spec and its geometry (in metres)."""
    rng = random.Random(f"{SEED}-attr-{code}")
    blk = BLOCKS[spec["block"]]
    kind, pu, pl, ps, av = spec["kind"], spec["pu"], spec.get("pl"), spec.get("ps"), spec["av"]
    num = int(spec["n"])

    short = blk["zh"].removesuffix("区块").removesuffix("地块")
    if kind == "land":
        name_zh, name_en = f"{short}{num}号地块", f"{blk['en']} – Plot {num}"
    else:
        name_zh = f"{short}{_KIND_ZH[kind]}（{spec['n']}）"
        name_en = f"{blk['en']} – {_KIND_EN[kind]} {spec['n']}"

    # planning indicators exist only where a regulatory plan fixes them
    fixed = pl in ("approved", "amending") and kind not in (
        "island",
        "shoreline",
    )
    ind = _indicators(pu if fixed else "", rng)

    # standard land (标准地): investment, tax and energy thresholds
    std = bool(spec.get("std", False)) and kind == "land" and pu.startswith("10")
    invest = float(rng.randrange(300, 601, 10)) if std else None
    tax = float(rng.randrange(25, 51)) if std else None
    energy = round(rng.uniform(0.05, 0.3), 2) if std else None

    # supply terms: 50-year grant by default for industrial/logistics land with a fixed plan
    default_lease = 50 if kind == "land" and fixed and pu.startswith(("10", "11")) else None
    lease = spec.get("lease", default_lease) if fixed else None
    price = floor = None
    if kind == "land" and fixed and av != "unavailable":
        price = _reserve_price(pu, spec["block"], rng)
    if price is not None and rng.random() < 0.6:
        floor = float(round(price * rng.uniform(0.85, 0.95), 1))

    # area stated in the source document: usually within ±2.5 % of the drawn geometry
    declared = None
    if not ("decl" in spec and spec["decl"] is None):
        bias = spec.get("decl_bias", rng.uniform(-0.025, 0.025))
        declared = round(geom_m.area / M2_PER_MU * (1 + bias), 2)

    pct = None
    if ps is not None:
        pct = rng.randint(*POLICY_PCT[ps])

    rd = spec.get("rd")
    if kind == "island":
        utilities: list[str] = []
    elif kind == "shoreline":
        utilities = ["road", "power"] if spec["block"] == "LH" else []
    elif rd == "cleared":
        utilities = list(ALL_UTILITIES)
        if rng.random() < 0.3:
            utilities.remove("gas")
    elif rd == "partly_cleared":
        utilities = ["road", "water", "power", "telecom"]
    else:
        utilities = ["road"] if rng.random() < 0.5 else []

    shore_m = berth = depth = None
    if "marine" in spec:
        shore_m, berth, depth = spec["marine"]

    note = spec.get("note_block") if av != "available" else None
    if note is None and av == "reserved":
        note = "已列入重点项目预留，暂不对外推介"

    ver = spec.get("ver") or _date(rng)
    office_of = blk.get("officers", OFFICE_OF)
    officer = _pick(rng, list(office_of))
    desc_zh, desc_en = _texts(spec, blk)
    # No photo files ship with the sample, and links to other hosts would break the
    # no-third-party-requests rule of the investor pages.
    photos: list[str] = []

    return {
        "code": code,
        "name_zh": name_zh,
        "name_en": name_en,
        "kind": kind,
        "block": blk["zh"],
        "township": blk["township"],
        "platform": blk["platform"],
        "address": blk["addr"],
        "block_en": blk["en"],
        "township_en": TOWNSHIP_EN[blk["township"]],
        "address_en": blk.get("addr_en"),
        "geom_quality": spec["gq"],
        "declared_area_mu": declared,
        "planned_use": pu,
        "legacy_use": LEGACY_USE[pu],
        "current_use": spec["cu"],
        **ind,
        "ownership": spec["own"],
        "supply_stage": spec["st"],
        "readiness": rd,
        "utilities": utilities,
        "policy_status": ps,
        "policy_progress_pct": pct,
        "planning_status": pl,
        "in_ugb": in_ugb,
        "quota_status": spec["q"],
        "supply_mode": spec.get("sm"),
        "standard_land": std,
        "invest_intensity_wan_per_mu": invest,
        "tax_wan_per_mu_yr": tax,
        "energy_tce_per_wan": energy,
        "lease_years": lease,
        "reserve_price_wan_per_mu": price,
        "shoreline_m": None if shore_m is None else float(shore_m),
        "berth_dwt": berth,
        "water_depth_m": depth,
        "availability": av,
        "blocking_note": note,
        "source_doc": spec["src"],
        "verified_at": ver,
        "verified_by": f"{officer}（{office_of[officer]}）",
        "description_zh": desc_zh,
        "description_en": desc_en,
        "photo_urls": photos,
        "owner_name": _owner(spec, blk),
        "owner_contact": _phone(rng),
        "internal_note": spec.get("inote"),
        "negotiation_note": spec.get("neg"),
        "price_floor_wan_per_mu": floor,
    }


# ---------------------------------------------------------------------------------------------
# buildings (lettable spaces)
# ---------------------------------------------------------------------------------------------

# code suffix, site, name_zh, name_en, type, floors, gfa m², vacant m², min split m², occupancy,
# offer, rent 元/m²/month, sale 元/m², floor height m, floor load kg/m², crane t, crane count,
# power kVA, fire hazard class, has title certificate, built year
# fmt: off
BUILDING_ROWS: list[tuple[Any, ...]] = [
    ("B1", "PT-KF-009", "1号标准厂房一层", "Standard Plant No.1, ground floor", "standard_plant",
     1, 3800, 3800, 1000, "vacant", "lease", 16, None, 9.0, 2000, 10, 2, 630, "c", True, 2021),
    ("B2", "PT-KF-009", "1号标准厂房二至四层", "Standard Plant No.1, floors 2–4",
     "standard_plant", 3, 11400, 7600, 500, "partly_vacant", "lease", 13, None, 5.4, 800, 0, 0,
     800, "c", True, 2021),
    ("B3", "PT-KF-009", "2号单层厂房", "Single-storey Plant No.2", "single_storey_plant",
     1, 3200, 0, 3200, "let", "lease", 17, None, 10.0, 2500, 16, 1, 500, "d", True, 2021),
    ("B1", "PT-KF-010", "A幢标准厂房一层", "Block A standard plant, ground floor",
     "standard_plant", 1, 2600, 2600, 800, "vacant", "lease", 17, None, 8.5, 2000, 10, 1, 400,
     "c", True, 2019),
    ("B2", "PT-KF-010", "A幢标准厂房二至三层", "Block A standard plant, floors 2–3",
     "standard_plant", 2, 5200, 5200, 600, "vacant", "lease_or_sale", 12, 4200, 4.8, 650, 0, 0,
     400, "c", True, 2019),
    ("B1", "PT-KF-011", "主厂房", "Main workshop", "single_storey_plant",
     1, 6200, 6200, 6200, "vacant", "sale", None, 3800, 12.0, 3000, 20, 2, 1250, "d", True, 2012),
    ("B2", "PT-KF-011", "综合楼", "Office block", "office",
     4, 1800, 1800, 450, "vacant", "lease_or_sale", 25, 5200, 3.6, 250, 0, 0, 200, None, True,
     2012),
    ("B1", "PT-DG-003", "1号标准厂房一层", "Standard Plant No.1, ground floor", "standard_plant",
     1, 4200, 4200, 1400, "vacant", "lease_or_sale", 18, 4500, 8.5, 1500, 16, 1, 800, "c", True,
     2018),
    ("B2", "PT-DG-003", "1号标准厂房二至五层", "Standard Plant No.1, floors 2–5",
     "standard_plant", 4, 16800, 9000, 600, "partly_vacant", "lease", 14, None, 4.5, 650, 0, 0,
     1000, "c", True, 2018),
    ("B3", "PT-DG-003", "2号标准厂房一层", "Standard Plant No.2, ground floor", "standard_plant",
     1, 3300, 3300, 1100, "vacant", "lease", 18, None, 9.0, 2000, 5, 1, 500, "c", True, 2018),
    ("B1", "PT-DG-004", "标准厂房一层", "Standard plant, ground floor", "standard_plant",
     1, 3100, 3100, 1000, "vacant", "lease", 17, None, 7.5, 2000, 10, 1, 500, "c", True, 2016),
    ("B2", "PT-DG-004", "标准厂房二至四层", "Standard plant, floors 2–4", "standard_plant",
     3, 9300, 3100, 500, "partly_vacant", "lease", 13, None, 4.2, 500, 0, 0, 630, "d", True,
     2016),
    ("B1", "PT-DG-005", "冷库及加工车间", "Cold store and processing hall", "single_storey_plant",
     1, 5400, 5400, 5400, "vacant", "lease_or_sale", 15, 3000, 7.0, 1500, 0, 0, 1600, "c", False,
     2006),
    ("B2", "PT-DG-005", "附属办公楼", "Ancillary office block", "office",
     3, 1200, 1200, 400, "vacant", "lease_or_sale", 25, 5000, 3.6, 200, 0, 0, 160, None, False,
     2006),
    ("B1", "PT-DG-006", "东港商务楼", "Donggang Business Tower", "office",
     18, 26000, 9800, 150, "partly_vacant", "lease", 38, None, 3.9, 250, 0, 0, 2500, None, True,
     2015),
    ("B1", "PT-DG-007", "海洋科技大厦", "Marine Technology Building", "office",
     12, 15500, 15500, 200, "vacant", "lease_or_sale", 30, 12000, 4.2, 300, 0, 0, 2000, None,
     True, 2019),
    ("B1", "PT-SJM-001", "渔港商务大厦", "Fishing Port Business Tower", "office",
     22, 32000, 7200, 120, "partly_vacant", "lease", 45, None, 3.9, 250, 0, 0, 3150, None, True,
     2013),
    ("B1", "PT-SJM-002", "滨港商业裙楼", "Harbourfront retail podium", "commercial",
     4, 9800, 9800, 300, "refurbishing", "lease", 48, None, 4.5, 350, 0, 0, 1600, None, True,
     2010),
    ("B2", "PT-SJM-002", "滨港写字楼", "Harbourfront office tower", "office",
     10, 12000, 4000, 150, "partly_vacant", "lease", 32, None, 3.8, 250, 0, 0, 1250, None, True,
     2010),
    ("B1", "PT-SJM-003", "原渔需物资大楼", "Former fishery-supplies building", "mixed",
     6, 7600, 7600, 500, "vacant", "lease_or_sale", 28, 11000, 4.0, 300, 0, 0, 630, None, True,
     2004),
    ("B1", "PT-LH-007", "1号厂房", "Plant No.1", "standard_plant",
     1, 3200, 3200, 3200, "vacant", "lease", 15, None, 10.0, 3000, 20, 2, 1000, "d", True, 2022),
    ("B2", "PT-LH-007", "2号厂房", "Plant No.2", "standard_plant",
     1, 3600, 3600, 1800, "under_construction", "lease", 15, None, 10.0, 3000, 10, 2, 1000, "d",
     False, None),
    ("B3", "PT-LH-007", "3号厂房", "Plant No.3", "standard_plant",
     1, 4800, 0, 4800, "let", "lease", 14, None, 10.0, 3000, 20, 2, 1250, "d", True, 2022),
    ("B1", "PT-LH-008", "船舶配套车间", "Marine outfitting workshop", "single_storey_plant",
     1, 8600, 8600, 8600, "vacant", "lease_or_sale", 14, 3200, 14.0, 3000, 20, 3, 2000, "e",
     True, 2014),
    ("B1", "PT-ZM-006", "原机加工车间", "Former machining hall", "single_storey_plant",
     1, 5000, 5000, 2500, "vacant", "lease", 13, None, 7.8, 1500, 10, 1, 630, "d", True, 2009),
    ("B1", "PT-GS-005", "主厂房", "Main plant", "single_storey_plant",
     1, 3500, 3500, 3500, "vacant", "sale", None, 3200, 9.0, 2000, 10, 1, 500, "d", True, 2011),
    ("B2", "PT-GS-005", "丙类仓库", "Class-C warehouse", "warehouse",
     1, 2000, 2000, 1000, "vacant", "lease", 14, None, 8.0, 3000, 0, 0, 100, "c", True, 2011),
]

_EIA = {
    "KF": "园区规划环评已覆盖（一般机械加工、电子装配、海洋装备配套）",
    "DG": "区域环评已覆盖，限丙类及以下生产",
    "LH": "六横临港产业园规划环评已覆盖（船舶修造配套、海工装备）",
    "ZM": "原项目环评已失效，新项目需单独环评",
    "GS": "原项目环评已失效，新项目需单独环评",
}
# fmt: on


def _building_note(occupancy: str, offer: str) -> str | None:
    if occupancy == "let":
        return "整栋已出租，租期至2028年。"
    if occupancy == "under_construction":
        return "主体结构已封顶，预计2027年6月交付。"
    if occupancy == "refurbishing":
        return "业主正在改造外立面及消防，预计2027年初可交付。"
    if offer == "sale":
        return "业主只接受整体出售，价格可谈。"
    return None


def building_records() -> list[dict[str, Any]]:
    """Lettable spaces in plants and buildings, linked to sites by ``site_code``."""
    out = []
    for row in BUILDING_ROWS:
        (suffix, site, name_zh, name_en, btype, floors, gfa, vacant, split, occ, offer, rent,
         sale, fh, load, crane, ncrane, kva, fire, title, year) = row  # fmt: skip
        code = f"{site}-{suffix}"
        rng = random.Random(f"{SEED}-bldg-{code}")
        eia = None if btype in ("office", "commercial", "mixed") else _EIA.get(site.split("-")[1])
        if site == "PT-DG-005" and btype != "office":
            eia = "原水产品加工项目环评，改变用途需重新评价"
        out.append(
            {
                "code": code,
                "site_code": site,
                "name_zh": name_zh,
                "name_en": name_en,
                "building_type": btype,
                "floors": floors,
                "gfa_m2": float(gfa),
                "vacant_gfa_m2": float(vacant),
                "min_split_m2": float(split),
                "occupancy": occ,
                "offer": offer,
                "rent_yuan_m2_month": None if rent is None else float(rent),
                "sale_yuan_m2": None if sale is None else float(sale),
                "floor_height_m": fh,
                "floor_load_kg_m2": float(load),
                "crane_t": crane,
                "crane_count": ncrane,
                "power_kva": kva,
                "fire_hazard_class": fire,
                "eia_coverage": eia,
                "has_title_cert": title,
                "built_year": year,
                "owner_contact": _phone(rng),
                "internal_note": _building_note(occ, offer),
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# assembly
# ---------------------------------------------------------------------------------------------


def _ugb_status(geom: BaseGeometry, ugb: BaseGeometry) -> str:
    """inside / outside / partly, from the share of the site inside the UGB."""
    share = geom.intersection(ugb).area / geom.area
    if share >= 0.995:
        return "inside"
    if share <= 0.005:
        return "outside"
    return "partly"


def _code_key(code: str) -> tuple[str, int]:
    prefix, num = code.rsplit("-", 1)
    return prefix, int(num)


def build_sites(
    islands: dict[str, Polygon], land: BaseGeometry, ugb: BaseGeometry
) -> list[tuple[MultiPolygon, dict[str, Any]]]:
    """All site geometries (metres) with their properties, sorted by code."""
    inner = land.buffer(-10.0)
    sites: list[tuple[str, dict[str, Any], BaseGeometry]] = []
    for group in GROUPS:
        geoms = layout_group(group)
        for spec in group["sites"]:
            spec = {**spec, "block": group["block"]}
            code = f"PT-{group['block']}-{spec['n']}"
            raw = geoms[spec["n"]]
            clipped = raw.intersection(inner)
            # waterfront parcels may be cut by the coast; the others must lie on land
            if clipped.area < (0.6 if spec.get("coastal") else 0.97) * raw.area:
                raise ValueError(f"{code} sticks out of the land outline")
            sites.append((code, spec, clipped))
    taken = unary_union([g for _, _, g in sites])
    for spec in SPECIAL_SITES:
        code = f"PT-{spec['block']}-{spec['n']}"
        geom = special_geometry(spec, islands).intersection(inner)
        geom = geom.difference(taken.buffer(15.0))  # keep clear of every other site
        sites.append((code, spec, geom))
        taken = unary_union([taken, geom])
    out = []
    for code, spec, geom in sorted(sites, key=lambda s: _code_key(s[0])):
        multi = _as_multi(geom)
        out.append((multi, site_properties(spec, code, multi, _ugb_status(multi, ugb))))
    return out


def build_dinghai_sites(
    dinghai: BaseGeometry, ugb: BaseGeometry
) -> list[tuple[MultiPolygon, dict[str, Any]]]:
    """The handful of sites of the illustrative 定海区 part (codes ZS-DH-…), inside its
    outline."""
    inner = dinghai.buffer(-10.0)
    out = []
    for group in DINGHAI_GROUPS:
        geoms = layout_group(group)
        for spec in group["sites"]:
            spec = {**spec, "block": group["block"]}
            # the city's prefix (舟山) before the district's: ZS-DH-LC-001
            code = f"ZS-DH-{group['block']}-{spec['n']}"
            raw = geoms[spec["n"]]
            if not inner.covers(raw):
                raise ValueError(f"{code} sticks out of the Dinghai outline")
            multi = _as_multi(raw)
            out.append((multi, site_properties(spec, code, multi, _ugb_status(multi, ugb))))
    return out


def build_zones(islands: dict[str, Polygon], land: BaseGeometry) -> list[dict[str, Any]]:
    """Constraint zones (metres) clipped to the jurisdiction, with their properties."""
    out = []
    for z in ZONES:
        if isinstance(z["parts"], str):  # a whole island
            geom = islands[z["parts"]]
        else:
            geom = unary_union([_poly_ll(p) for p in z["parts"]])
        props = {k: z[k] for k in ("code", "kind", "name_zh", "name_en")}
        props.update(source=ZONE_SOURCE, version_date=z["date"])
        out.append({"geom": _as_multi(geom.intersection(land)), "props": props})
    line = LineString([to_m(lon, lat) for lon, lat in _ring(HV_LINE)])
    hv = _as_multi(line.buffer(HV_HALF_WIDTH_M, cap_style="flat").intersection(land))
    props = {
        "code": "CZ-HV-001",
        "kind": "hv_corridor",
        "name_zh": "220千伏展茅变出线高压走廊",
        "name_en": "Zhanmao 220 kV substation outgoing-line corridor",
        "source": "电力线路走廊资料（示意）",
        "version_date": "2025-05-31",
    }
    out.append({"geom": hv, "props": props})
    return out


def build_infra(land: BaseGeometry) -> list[tuple[Point, dict[str, Any]]]:
    """Infrastructure points, moved onto land (30 m inside the coast) where needed."""
    inner = land.buffer(-30.0)
    boundary = inner.boundary
    out = []
    for item in INFRA:
        pt = Point(to_m(*item["at"]))
        if not inner.contains(pt):
            pt = boundary.interpolate(boundary.project(pt))
        dwt = item.get("dwt") if item["kind"] in ("port", "wharf") else None
        props = {k: item[k] for k in ("code", "kind", "name_zh", "name_en")}
        props["berth_dwt"] = dwt
        out.append((pt, props))
    return out


def _feature(geom_m: BaseGeometry, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geojson_geom(geom_m)}


def _write_fc(path: Path, name: str, features: list[dict[str, Any]]) -> None:
    """Write a FeatureCollection with one feature per line (readable diffs)."""
    head = json.dumps({"type": "FeatureCollection", "name": name, "crs": CRS_MEMBER})
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    text = head[:-1] + ',\n"features": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


#: Investor requirements to try the matcher on (the two examples of the matching issue):
#: ``gis-app setup`` records them for the first admin; the test fixtures do not load them.
EXAMPLE_REQUIREMENTS: list[dict[str, Any]] = [
    {
        "project_name": "海工装备制造基地（示例）",
        "industry": "C37",
        "project_type": "新建制造",
        "need": "land",
        "tenure": "buy",
        "land_use_codes": ["100102"],
        "land_mu_min": 50,
        "land_mu_max": 80,
        "readiness_min": "cleared",
        "max_km_port": 10,
        "port_berth_dwt_min": 10000,
        "power_kva": 5000,
        "preferred_townships": ["展茅街道", "东港街道"],
        "notes": "示例需求：二类工业用地 50–80 亩，净地，10 公里内有万吨级泊位，用电 5000 kVA。",
    },
    {
        "project_name": "精密机械标准厂房（示例）",
        "industry": "C34",
        "project_type": "租赁厂房",
        "need": "plant",
        "tenure": "lease",
        "building_types": ["standard_plant"],
        "gfa_m2_min": 3000,
        "height_min_m": 8,
        "floor_load_min_kg_m2": 1500,
        "crane_min_t": 10,
        "notes": "示例需求：空置标准厂房 3000 ㎡，层高 ≥ 8 米，荷载 ≥ 1500 kg/㎡，"
        "10 吨行车，租赁。",
    },
]


def build_dinghai(islands: dict[str, Polygon]) -> MultiPolygon:
    """The illustrative part of 定海区 (metres): its own coast, the Putuo west edge as its east
    edge (the two outlines share it exactly, no gap and no overlap)."""
    rng = random.Random(f"{SEED}-coast-dinghai")
    raw = _jagged(_poly_ll(DINGHAI_PART), rng)
    part = raw.difference(islands[DINGHAI_ISLAND])
    parts = getattr(part, "geoms", [part])
    return _as_multi(max(parts, key=lambda g: g.area))


#: the city above both districts (no outline: its districts carry theirs)
CITY: dict[str, Any] = {
    "code": "330900",
    "name_zh": "舟山市",
    "name_en": "Zhoushan City",
    "default_epsg": 4550,
    "level": "city",
    "parent_code": None,
    "illustrative": False,
    "note": "上级城市：范围由所辖区县组成，本示例只含普陀区与定海区的一部分",
}
PUTUO: dict[str, Any] = {
    "code": "330903",
    "name_zh": "普陀区",
    "name_en": "Putuo District",
    "default_epsg": 4550,
    "level": "district",
    "parent_code": "330900",
    "illustrative": False,
    "note": None,
}
DINGHAI: dict[str, Any] = {
    "code": "330902",
    "name_zh": "定海区（示意范围）",
    "name_en": "Dinghai District (illustrative part)",
    "default_epsg": 4550,
    "level": "district",
    "parent_code": "330900",
    "illustrative": True,
    "note": "示意数据：仅为定海区临城一带的一小部分，边界为示意，不是官方行政区界；"
    "Illustrative: a small made-up part of Dinghai around Lincheng, not the official boundary",
}


def main() -> None:
    """Generate every file in ``data/parcels/``."""
    islands = build_islands()
    land = _as_multi(unary_union(list(islands.values())))
    dinghai = build_dinghai(islands)
    city = {"type": "Feature", "properties": CITY, "geometry": None}
    _write_fc(
        HERE / "jurisdiction.geojson",
        "jurisdiction",
        [city, _feature(land, PUTUO), _feature(dinghai, DINGHAI)],
    )

    zones = build_zones(islands, land)
    ugb = unary_union([z["geom"] for z in zones if z["props"]["kind"] == "ugb"])
    sites = build_sites(islands, land, ugb) + build_dinghai_sites(dinghai, ugb)
    infra = build_infra(land)
    buildings = building_records()
    _write_fc(HERE / "sites.geojson", "sites", [_feature(g, p) for g, p in sites])
    _write_fc(
        HERE / "constraint_zones.geojson",
        "constraint_zones",
        [_feature(z["geom"], z["props"]) for z in zones],
    )
    _write_fc(HERE / "infrastructure.geojson", "infrastructure", [_feature(g, p) for g, p in infra])
    text = json.dumps(buildings, ensure_ascii=False, indent=2) + "\n"
    (HERE / "buildings.json").write_text(text, encoding="utf-8")
    text = json.dumps(EXAMPLE_REQUIREMENTS, ensure_ascii=False, indent=2) + "\n"
    (HERE / "requirements.json").write_text(text, encoding="utf-8")
    print(
        f"wrote {len(sites)} sites, {len(zones)} constraint zones, {len(infra)} infrastructure "
        f"points, {len(buildings)} building spaces and {len(EXAMPLE_REQUIREMENTS)} example "
        f"requirements to {HERE}"
    )


if __name__ == "__main__":
    main()
