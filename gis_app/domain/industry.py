"""GB/T 4754-2017 《国民经济行业分类》 and the land uses each industry is compatible with.

The classification is held at its two upper levels: all 20 sections (门类 A–T) and all 97
divisions (大类 01–97), each with its official Chinese name and an English name (the standard
is published in Chinese only; the English names are translations kept close to the Chinese
wording). Codes are accepted as a section letter (``C``), a division (``26``), section plus
division (``C26``) or a group or class (``261``, ``2614``, ``C2614``); lower case and blanks
around the code are accepted. The canonical form is the section letter followed by the digits
given (``26`` → ``C26``, ``c2614`` → ``C2614``). Group and class digits below a known division
are not checked one by one (the table stops at divisions): they resolve to their division, except
for the few groups and classes listed in ``_REFINEMENTS`` below, which carry a rule of their own.

Land-use compatibility (:func:`land_use_codes`) names classes of the 2023
《国土空间调查、规划、用途管制用地用海分类指南》 held by :mod:`gis_app.domain.landuse`; the
matcher expands them like codes an officer states (descendants and GB 50137 equivalents). The
table says on which land the industry's own operations sit, at the most specific class where the
guide names that use; a site recorded only at a coarser level (``1001`` without its class) does
not meet it — state the coarser code to accept such sites. The reasoning:

* Manufacturing (C) is placed by nuisance class. Most divisions → 100101/100102 一类/二类工业.
  Divisions whose core processes pollute or carry a hazard → 100102/100103 二类/三类: 26
  chemicals, 28 chemical fibres, 30 non-metallic mineral products (kilns, dust), 31/32 ferrous
  and non-ferrous smelting, 42 waste recycling, 37 transport equipment (hull welding, blasting
  and painting). 25 petroleum, coal and other fuels (refining, coking, coal conversion) →
  100103 only. Within otherwise light divisions, the heavy groups and classes get 100102/100103:
  textile dyeing and finishing (1713, 1723, 1733, 1743, 1752, 1762), leather and fur tanning (191,
  1931), pulp and paper making (221, 222), pharmaceutical raw materials (271), metal surface
  treatment and electroplating (336). Shipbuilding (373) and ship repair (4342) add 1901 工业用海,
  the sea use the guide gives to coastal industry such as shipyards; 1204 港口码头用地 is port
  operation, not shipbuilding, and is not included.
* Mining (B) → 1002 采矿用地; oil and gas extraction also 1904 油气用海; non-metallic minerals
  also 1003 盐田 (salt is division 10) and 1903 固体矿产用海 (sea sand).
* Utilities (D): power plants are industrial land in the 2023 guide (1303 供电用地 is for
  substations), so 44 → 100102/100103 plus 1303 供电, 1305 供热 and 1905 可再生能源用海
  (offshore wind, tidal); 45 gas → 1304 供燃气 and 110103 三类物流仓储 (LPG/LNG depots);
  46 water → 1301 供水, 1302 排水 (sewage treatment is in 46).
* Transport and storage (G): 58 forwarding and multimodal transport → 110101/110102 物流仓储;
  59 handling and warehousing → 1101 物流仓储 (all three classes: dangerous-goods storage is in
  59) and 1102 储备库 (grain and oil reserves); 55 water transport → 1204 港口码头, 120801
  (ferry terminals) and 2001 港口用海; 53 rail, 54 road, 56 air, 57 pipeline → their transport
  land (road haulage also 110101 depots); 60 post → 1307 邮政 and 110101 (parcel hubs).
* Trade and hospitality (F, H): 51 wholesale → 090102 批发市场 and 0902 (trading offices);
  52 retail → 0901 商业用地; 61 accommodation → 090104 旅馆; 62 catering → 090103 餐饮 and
  090101 零售 (restaurants in shopping streets).
* Office industries → 0902 商务金融用地: construction firms (E, whose works are on their
  clients' land), internet, software, finance, leasing and business services, professional and
  technical services, technology promotion, news, publishing and film, land management services.
  65 software and IT services also 100101 (data centres sit on class-1 industrial land); 73
  research and experimental development → 0802 科研, 0902 and 100101 (pilot lines). 63 telecoms
  and broadcasting → 1306 通信 and 1308 广播电视设施. 70 real estate → 0701 城镇住宅, 0901, 0902.
* Public and social services → their 08 classes: 83 education 0804, 84 health 0806, 85 social
  work 0807 (elderly care), 88 culture and arts 0803, 89 sports 0805; 90 entertainment → 0903
  娱乐用地; O resident and repair services → 0904 其他商业服务业 (the guide's class for repair
  shops, barbers, laundries and the like); N: 76 → 1311 水工设施, 77 → 1309 环卫 (waste
  treatment), 78 → 1309 and 1401 公园绿地, 79 → 0902; S public administration → 0801 机关团体;
  T international organisations → 1502 使领馆用地 (which includes their offices).
* Agriculture (A): facility land and the land the activity itself uses — 01 crops → 01 耕地,
  02 园地, 060201 种植设施; 02 forestry → 03 林地; 03 livestock → 04 草地, 060202 畜禽养殖设施;
  04 fishery → 060203 水产养殖设施, 1704 坑塘水面, 1801 渔业基础设施用海, 1802 增养殖用海;
  05 support activities → 0602 设施农用地.

A section given without a division is compatible with the union of its divisions' classes.
Every division has at least one class; a check at import refuses a class the 2023 table lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gis_app.domain import landuse
from gis_app.domain.errors import UnknownVocabularyValue

VOCABULARY = "industry"

# (section, 中文名, English name, first division, last division)
_SECTIONS: tuple[tuple[str, str, str, int, int], ...] = (
    ("A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery", 1, 5),
    ("B", "采矿业", "Mining", 6, 12),
    ("C", "制造业", "Manufacturing", 13, 43),
    (
        "D",
        "电力、热力、燃气及水生产和供应业",
        "Production and supply of electricity, heat, gas and water",
        44,
        46,
    ),
    ("E", "建筑业", "Construction", 47, 50),
    ("F", "批发和零售业", "Wholesale and retail trade", 51, 52),
    ("G", "交通运输、仓储和邮政业", "Transport, storage and postal services", 53, 60),
    ("H", "住宿和餐饮业", "Accommodation and catering", 61, 62),
    (
        "I",
        "信息传输、软件和信息技术服务业",
        "Information transmission, software and information technology services",
        63,
        65,
    ),
    ("J", "金融业", "Finance", 66, 69),
    ("K", "房地产业", "Real estate", 70, 70),
    ("L", "租赁和商务服务业", "Leasing and business services", 71, 72),
    ("M", "科学研究和技术服务业", "Scientific research and technical services", 73, 75),
    (
        "N",
        "水利、环境和公共设施管理业",
        "Water conservancy, environment and public facilities management",
        76,
        79,
    ),
    ("O", "居民服务、修理和其他服务业", "Resident services, repair and other services", 80, 82),
    ("P", "教育", "Education", 83, 83),
    ("Q", "卫生和社会工作", "Health and social work", 84, 85),
    ("R", "文化、体育和娱乐业", "Culture, sports and entertainment", 86, 90),
    (
        "S",
        "公共管理、社会保障和社会组织",
        "Public administration, social security and social organisations",
        91,
        96,
    ),
    ("T", "国际组织", "International organisations", 97, 97),
)

# Land-use sets used by many divisions (2023 codes).
_M12 = ("100101", "100102")  # 一类、二类工业用地
_M23 = ("100102", "100103")  # 二类、三类工业用地
_OFFICE = ("0902",)  # 商务金融用地
_ORGAN = ("0801",)  # 机关团体用地

# (division, 中文名, English name, compatible 2023 land-use codes)
_DIVISIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # A
    ("01", "农业", "Agriculture", ("01", "02", "060201")),
    ("02", "林业", "Forestry", ("03",)),
    ("03", "畜牧业", "Animal husbandry", ("04", "060202")),
    ("04", "渔业", "Fishery", ("060203", "1704", "1801", "1802")),
    (
        "05",
        "农、林、牧、渔专业及辅助性活动",
        "Professional and support activities for agriculture, forestry, animal husbandry "
        "and fishery",
        ("0602",),
    ),
    # B
    ("06", "煤炭开采和洗选业", "Mining and washing of coal", ("1002",)),
    ("07", "石油和天然气开采业", "Extraction of petroleum and natural gas", ("1002", "1904")),
    ("08", "黑色金属矿采选业", "Mining and processing of ferrous metal ores", ("1002",)),
    ("09", "有色金属矿采选业", "Mining and processing of non-ferrous metal ores", ("1002",)),
    (
        "10",
        "非金属矿采选业",
        "Mining and processing of non-metallic minerals",
        ("1002", "1003", "1903"),
    ),
    ("11", "开采专业及辅助性活动", "Professional and support activities for mining", ("1002",)),
    ("12", "其他采矿业", "Other mining", ("1002",)),
    # C
    ("13", "农副食品加工业", "Processing of food from agricultural products", _M12),
    ("14", "食品制造业", "Manufacture of foods", _M12),
    ("15", "酒、饮料和精制茶制造业", "Manufacture of liquor, beverages and refined tea", _M12),
    ("16", "烟草制品业", "Manufacture of tobacco products", _M12),
    ("17", "纺织业", "Manufacture of textiles", _M12),
    ("18", "纺织服装、服饰业", "Manufacture of textile garments and apparel", _M12),
    (
        "19",
        "皮革、毛皮、羽毛及其制品和制鞋业",
        "Manufacture of leather, fur, feathers and related products, and footwear",
        _M12,
    ),
    (
        "20",
        "木材加工和木、竹、藤、棕、草制品业",
        "Processing of timber and manufacture of wood, bamboo, rattan, palm and straw products",
        _M12,
    ),
    ("21", "家具制造业", "Manufacture of furniture", _M12),
    ("22", "造纸和纸制品业", "Manufacture of paper and paper products", _M12),
    ("23", "印刷和记录媒介复制业", "Printing and reproduction of recording media", _M12),
    (
        "24",
        "文教、工美、体育和娱乐用品制造业",
        "Manufacture of articles for culture, education, arts and crafts, sport and entertainment",
        _M12,
    ),
    (
        "25",
        "石油、煤炭及其他燃料加工业",
        "Processing of petroleum, coal and other fuels",
        ("100103",),
    ),
    (
        "26",
        "化学原料和化学制品制造业",
        "Manufacture of chemical raw materials and chemical products",
        _M23,
    ),
    ("27", "医药制造业", "Manufacture of medicines", _M12),
    ("28", "化学纤维制造业", "Manufacture of chemical fibres", _M23),
    ("29", "橡胶和塑料制品业", "Manufacture of rubber and plastic products", _M12),
    ("30", "非金属矿物制品业", "Manufacture of non-metallic mineral products", _M23),
    ("31", "黑色金属冶炼和压延加工业", "Smelting and pressing of ferrous metals", _M23),
    ("32", "有色金属冶炼和压延加工业", "Smelting and pressing of non-ferrous metals", _M23),
    ("33", "金属制品业", "Manufacture of metal products", _M12),
    ("34", "通用设备制造业", "Manufacture of general-purpose machinery", _M12),
    ("35", "专用设备制造业", "Manufacture of special-purpose machinery", _M12),
    ("36", "汽车制造业", "Manufacture of motor vehicles", _M12),
    (
        "37",
        "铁路、船舶、航空航天和其他运输设备制造业",
        "Manufacture of railway, ship, aerospace and other transport equipment",
        _M23,
    ),
    ("38", "电气机械和器材制造业", "Manufacture of electrical machinery and equipment", _M12),
    (
        "39",
        "计算机、通信和其他电子设备制造业",
        "Manufacture of computers, communication and other electronic equipment",
        _M12,
    ),
    ("40", "仪器仪表制造业", "Manufacture of instruments and meters", _M12),
    ("41", "其他制造业", "Other manufacturing", _M12),
    ("42", "废弃资源综合利用业", "Comprehensive utilisation of waste resources", _M23),
    (
        "43",
        "金属制品、机械和设备修理业",
        "Repair of metal products, machinery and equipment",
        _M12,
    ),
    # D
    (
        "44",
        "电力、热力生产和供应业",
        "Production and supply of electricity and heat",
        ("100102", "100103", "1303", "1305", "1905"),
    ),
    ("45", "燃气生产和供应业", "Production and supply of gas", ("1304", "110103")),
    ("46", "水的生产和供应业", "Production and supply of water", ("1301", "1302")),
    # E
    ("47", "房屋建筑业", "Construction of buildings", _OFFICE),
    ("48", "土木工程建筑业", "Civil engineering", _OFFICE),
    ("49", "建筑安装业", "Building installation", _OFFICE),
    (
        "50",
        "建筑装饰、装修和其他建筑业",
        "Building decoration, renovation and other construction",
        _OFFICE,
    ),
    # F
    ("51", "批发业", "Wholesale trade", ("090102", "0902")),
    ("52", "零售业", "Retail trade", ("0901",)),
    # G
    ("53", "铁路运输业", "Rail transport", ("1201", "120801")),
    ("54", "道路运输业", "Road transport", ("1208", "110101")),
    ("55", "水上运输业", "Water transport", ("1204", "120801", "2001")),
    ("56", "航空运输业", "Air transport", ("1203",)),
    ("57", "管道运输业", "Pipeline transport", ("1205", "1906")),
    (
        "58",
        "多式联运和运输代理业",
        "Multimodal transport and transport agency",
        ("110101", "110102"),
    ),
    ("59", "装卸搬运和仓储业", "Loading, unloading and warehousing", ("1101", "1102")),
    ("60", "邮政业", "Postal services", ("1307", "110101")),
    # H
    ("61", "住宿业", "Accommodation", ("090104",)),
    ("62", "餐饮业", "Catering", ("090103", "090101")),
    # I
    (
        "63",
        "电信、广播电视和卫星传输服务",
        "Telecommunications, broadcasting and satellite transmission services",
        ("1306", "1308"),
    ),
    ("64", "互联网和相关服务", "Internet and related services", _OFFICE),
    (
        "65",
        "软件和信息技术服务业",
        "Software and information technology services",
        ("0902", "100101"),
    ),
    # J
    ("66", "货币金融服务", "Monetary and financial services", _OFFICE),
    ("67", "资本市场服务", "Capital market services", _OFFICE),
    ("68", "保险业", "Insurance", _OFFICE),
    ("69", "其他金融业", "Other financial services", _OFFICE),
    # K
    ("70", "房地产业", "Real estate", ("0701", "0901", "0902")),
    # L
    ("71", "租赁业", "Leasing", _OFFICE),
    ("72", "商务服务业", "Business services", _OFFICE),
    # M
    (
        "73",
        "研究和试验发展",
        "Research and experimental development",
        ("0802", "0902", "100101"),
    ),
    ("74", "专业技术服务业", "Professional and technical services", _OFFICE),
    ("75", "科技推广和应用服务业", "Technology promotion and application services", _OFFICE),
    # N
    ("76", "水利管理业", "Water conservancy management", ("1311",)),
    (
        "77",
        "生态保护和环境治理业",
        "Ecological protection and environmental governance",
        ("1309",),
    ),
    ("78", "公共设施管理业", "Public facilities management", ("1309", "1401")),
    ("79", "土地管理业", "Land management", _OFFICE),
    # O
    ("80", "居民服务业", "Resident services", ("0904",)),
    (
        "81",
        "机动车、电子产品和日用产品修理业",
        "Repair of motor vehicles, electronic products and household goods",
        ("0904",),
    ),
    ("82", "其他服务业", "Other services", ("0904",)),
    # P
    ("83", "教育", "Education", ("0804",)),
    # Q
    ("84", "卫生", "Health", ("0806",)),
    ("85", "社会工作", "Social work", ("0807",)),
    # R
    ("86", "新闻和出版业", "News and publishing", _OFFICE),
    (
        "87",
        "广播、电视、电影和录音制作业",
        "Radio, television, film and sound recording production",
        _OFFICE,
    ),
    ("88", "文化艺术业", "Culture and arts", ("0803",)),
    ("89", "体育", "Sports", ("0805",)),
    ("90", "娱乐业", "Entertainment", ("0903",)),
    # S
    ("91", "中国共产党机关", "Organs of the Communist Party of China", _ORGAN),
    ("92", "国家机构", "State organs", _ORGAN),
    ("93", "人民政协、民主党派", "CPPCC and democratic parties", _ORGAN),
    ("94", "社会保障", "Social security", _ORGAN),
    (
        "95",
        "群众团体、社会团体和其他成员组织",
        "Mass organisations, social organisations and other membership organisations",
        _ORGAN,
    ),
    (
        "96",
        "基层群众自治组织及其他组织",
        "Grassroots self-governing organisations and other organisations",
        _ORGAN,
    ),
    # T
    ("97", "国际组织", "International organisations", ("1502",)),
)

# Groups (3 digits) and classes (4 digits) whose land use differs from their division's.
# (code, 中文名, English name, compatible 2023 land-use codes)
_REFINEMENTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("1713", "棉印染精加工", "Cotton printing and dyeing", _M23),
    ("1723", "毛染整精加工", "Wool dyeing and finishing", _M23),
    ("1733", "麻染整精加工", "Bast-fibre dyeing and finishing", _M23),
    ("1743", "丝印染精加工", "Silk printing and dyeing", _M23),
    ("1752", "化纤织物染整精加工", "Dyeing and finishing of chemical-fibre fabrics", _M23),
    (
        "1762",
        "针织或钩针编织物印染精加工",
        "Printing and dyeing of knitted or crocheted fabrics",
        _M23,
    ),
    ("191", "皮革鞣制加工", "Leather tanning", _M23),
    ("1931", "毛皮鞣制加工", "Fur tanning", _M23),
    ("221", "纸浆制造", "Manufacture of pulp", _M23),
    ("222", "造纸", "Manufacture of paper", _M23),
    ("271", "化学药品原料药制造", "Manufacture of chemical pharmaceutical raw materials", _M23),
    (
        "336",
        "金属表面处理及热处理加工",
        "Metal surface treatment and heat treatment",
        _M23,
    ),
    ("373", "船舶及相关装置制造", "Manufacture of ships and related equipment", (*_M23, "1901")),
    ("4342", "船舶修理", "Ship repair", (*_M23, "1901")),
)


@dataclass(frozen=True, slots=True)
class Section:
    """One section (门类) of GB/T 4754-2017."""

    code: str
    zh: str
    en: str
    divisions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Division:
    """One division (大类) of GB/T 4754-2017 and the land uses it is compatible with."""

    code: str
    section: str
    zh: str
    en: str
    land_use: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IndustryCode:
    """A parsed industry code: canonical form, section, division and names.

    ``name_zh``/``name_en`` are the division's names (the section's for a section-only code).
    ``detail_code`` is set when the code falls in a group or class with a land-use rule of its
    own (``_REFINEMENTS``), with that group's or class's names.
    """

    code: str
    section: str
    division: str | None
    name_zh: str
    name_en: str
    section_zh: str
    section_en: str
    detail_code: str | None = None
    detail_zh: str | None = None
    detail_en: str | None = None

    def label(self, lang: str = "zh") -> str:
        """Return the code and its name in ``lang`` ("zh" or "en")."""
        zh = lang == "zh"
        text = f"{self.code} {self.name_zh if zh else self.name_en}"
        if self.detail_code:
            detail = f"{self.detail_code} {self.detail_zh if zh else self.detail_en}"
            text += f"（{detail}）" if zh else f" ({detail})"
        return text


def _check_land_use(table: Mapping[str, Iterable[str]]) -> None:
    """Raise ValueError if ``table`` (industry code → 2023 codes) names an unknown 2023 class."""
    for code, uses in table.items():
        for use in uses:
            if not landuse.is_valid("2023", use):
                raise ValueError(f"industry {code}: {use!r} is not a 2023 land-use class")


def _build() -> tuple[dict[str, Section], dict[str, Division]]:
    divisions: dict[str, Division] = {}
    sections: dict[str, Section] = {}
    rows = {row[0]: row for row in _DIVISIONS}
    if len(rows) != len(_DIVISIONS):
        raise ValueError("duplicate GB/T 4754 division")
    for letter, zh, en, first, last in _SECTIONS:
        codes = tuple(f"{n:02d}" for n in range(first, last + 1))
        for code in codes:
            _, dzh, den, uses = rows.pop(code)
            divisions[code] = Division(code, letter, dzh, den, uses)
        sections[letter] = Section(letter, zh, en, codes)
    if rows:
        raise ValueError(f"GB/T 4754 divisions outside every section: {sorted(rows)}")
    return sections, divisions


SECTIONS, DIVISIONS = _build()
_REFINED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    code: (zh, en, uses) for code, zh, en, uses in _REFINEMENTS
}


def _check_refinements() -> None:
    for code in _REFINED:
        if len(code) not in (3, 4) or code[:2] not in DIVISIONS:
            raise ValueError(f"GB/T 4754 refinement {code} is not a group or class of a division")


# Refuse at import a land-use class the 2023 table lacks, or a refinement under no division.
_check_land_use({code: d.land_use for code, d in DIVISIONS.items()})
_check_land_use({code: uses for code, (_, _, uses) in _REFINED.items()})
_check_refinements()

_PATTERN = re.compile(r"([A-T])?(\d{2}|\d{3}|\d{4})?")


def _suggestions(value: object) -> tuple[str, ...]:
    """Codes to list as allowed for an unknown ``value``: the nearest ones, else the sections."""
    if isinstance(value, str):
        text = value.strip().upper()
        m = re.fullmatch(r"([A-Z])?(\d*)", text)
        if m is None and len(text) >= 2:  # a name, or part of one
            by_name = tuple(
                f"{d.section}{d.code}"
                for d in DIVISIONS.values()
                if text in d.zh or text.lower() in d.en.lower()
            )
            if by_name:
                return by_name
        if m and 2 <= len(m.group(2)) <= 4 and m.group(2)[:2] in DIVISIONS:
            right = DIVISIONS[m.group(2)[:2]].section
            return (f"{right}{m.group(2)}",)
        if m and m.group(1) in SECTIONS:
            return tuple(f"{m.group(1)}{d}" for d in SECTIONS[m.group(1)].divisions)
    return tuple(SECTIONS)


def lookup(code: str) -> IndustryCode:
    """Parse an industry code or raise :class:`UnknownVocabularyValue` with suggestions."""
    text = code.strip().upper() if isinstance(code, str) else None
    m = _PATTERN.fullmatch(text) if text else None
    letter, digits = (m.group(1), m.group(2)) if m else (None, None)
    division = DIVISIONS.get(digits[:2]) if digits else None
    if (
        m is None
        or (digits and division is None)
        or (letter and division and letter != division.section)
    ):
        raise UnknownVocabularyValue(VOCABULARY, code, _suggestions(code))
    if division is None:
        section = SECTIONS[str(letter)]
        return IndustryCode(
            section.code, section.code, None, section.zh, section.en, section.zh, section.en
        )
    section = SECTIONS[division.section]
    detail = next((c for c in (digits[:4], digits[:3]) if len(c) > 2 and c in _REFINED), None)
    dzh, den, _ = _REFINED[detail] if detail else (None, None, ())
    return IndustryCode(
        f"{section.code}{digits}",
        section.code,
        division.code,
        division.zh,
        division.en,
        section.zh,
        section.en,
        detail,
        dzh,
        den,
    )


def normalise(code: str) -> str:
    """Return the canonical form of ``code`` (section letter then the digits given)."""
    return lookup(code).code


def land_use_codes(code: str) -> tuple[str, ...]:
    """Return the 2023 land-use classes compatible with the industry ``code`` (not expanded).

    A group or class listed in ``_REFINEMENTS`` has its own set; any other group or class takes
    its division's; a section alone takes the union of its divisions' sets.
    """
    entry = lookup(code)
    if entry.detail_code:
        return _REFINED[entry.detail_code][2]
    if entry.division:
        return DIVISIONS[entry.division].land_use
    uses = (u for d in SECTIONS[entry.section].divisions for u in DIVISIONS[d].land_use)
    return tuple(dict.fromkeys(uses))


def label(code: str, lang: str = "zh") -> str:
    """Return the code and its name in ``lang``, e.g. "C26 化学原料和化学制品制造业"."""
    return lookup(code).label(lang)
