"""Land-use classifications: the 2023 national land/sea classification, GB 50137-2011 and 三调.

Three code systems are held here, each as a dict from code to :class:`LandUseCode`:

* ``"2023"`` — 《国土空间调查、规划、用途管制用地用海分类指南》 (自然资源部, 2023 edition):
  all 24 first-level classes, all 111 second-level classes (4 digits) and all 40 third-level
  classes (6 digits) the guide defines (under 06, 07, 08, 09, 10, 11 and 12; 13 公用设施用地
  and the sea classes 18–24 have no third level). This is the system planned uses are stored in.
* ``"gb50137"`` — GB 50137-2011 《城市用地分类与规划建设用地标准》 (legacy): the city classes
  R A B M W S U G and the town-and-country classes H E, with all their mid (中类) and small
  (小类) classes. Older 控规 and land-grant documents carry these codes.
* ``"sandiao"`` — the 第三次全国国土调查 (三调) working classification of current use, based
  on GB/T 21010-2017: first level 00 湿地 and 01–12, their second-level classes, and the 三调
  extension codes (``K`` 可调整地类 on former cropland, ``A`` sub-classes such as 1104A
  养殖坑塘). As in 三调, 00 湿地 groups eight classes that keep their GB/T 21010 codes (0303
  红树林地, 0603 盐田, 1105 沿海滩涂 …), so those codes do not start with their parent's code.
  Codes 05H1, 08H1 and 08H2 are 三调 merged classes and contain a letter.

``MAPPING_2023_GB50137`` pairs 2023 codes with GB 50137 codes (many-to-many, each pair stated at
the most specific level where the two systems agree). There is no official correspondence
table; the pairs follow the definitions of the two standards as practitioners apply them:

* 工矿/仓储: 1001↔M, 100101..100103↔M1..M3; 11↔W, 1101↔W, 110101..110103↔W1..W3,
  1102 储备库用地↔W (GB 50137 W covers 物资储备).
* 居住: 07↔R, 070101..070103 (一类/二类/三类城镇住宅用地)↔R1..R3; 0702 城镇社区服务设施用地↔
  R12/R22/R32 (the 服务设施用地 of each residential class). 0703/0704 (rural housing) have no
  GB 50137 class and fall back to 07↔R.
* 商业: 0901↔B1 with 090101..090104↔B11..B14, 090105 公用设施营业网点用地↔B4, 0902↔B2.
  In the 2023 edition 0903 is 娱乐用地 only, so 0903↔B31 (not the whole B3 娱乐康体用地);
  B32 康体用地 has no single 2023 class and falls back to B↔09. 0904↔B9.
* 交通: 1204 港口码头用地↔H23 港口用地 (GB 50137 keeps port land, in or out of the city, in
  H23 under H2 区域交通设施用地; passenger ferry terminals are 120801↔S3 交通枢纽用地).
  1201/1202/1203/1205↔H21/H22/H24/H25, 1206↔S2, 1207↔S1, 1208↔S4 (120802/120803↔S41/S42),
  1209↔S9. There is no 12↔S pair: 12 also holds the regional classes of H2.
* 公用设施: 13↔U and 13↔H3, 1301..1312 to the U small classes (1307 邮政用地↔U15 通信用地,
  where GB 50137 puts post offices; 1311 水工设施用地↔U32 防洪用地).
* 特殊用地: 1501↔H41, 1505↔H42, 1502/1503/1504↔A8/A9/A7 (GB 50137 keeps them in A),
  1506 殡葬用地↔B9, 1507↔H9.
* Non-development land: 01/02/03/04/06↔E2, 17↔E1 (1701/1702/1706↔E11, 1703↔E12,
  1704/1705↔E13), 0505/0506 滩涂↔E11, 0501..0504↔E9, 0507 红树林地↔E2, 23 其他土地 to E2
  (2303 田坎) or E9. 16 留白用地 and the sea classes 18–24 have no GB 50137 counterpart.

Checked against sources (two independent public code tables of the 2023 guide, which agree
code for code; two public GB 50137-2011 code lists; public 三调 DLBM code lists): every
2023 code and name, every GB 50137 code and name, every 三调 code and name. Not checkable
there and written from knowledge of the standards: the English names (none of the three
standards has official English names for all classes), and the correspondence table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from gis_app.domain.errors import UnknownVocabularyValue


@dataclass(frozen=True, slots=True)
class LandUseCode:
    """One class of a land-use classification: its code, place in the hierarchy and labels."""

    system: str
    code: str
    parent: str | None
    level: int
    zh: str
    en: str

    def label(self, lang: str = "zh") -> str:
        """Return the label in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en


# --- 2023 用地用海分类 ------------------------------------------------------------------------
# (code, 中文名, English name); the parent is the code without its last two digits.
_ROWS_2023: tuple[tuple[str, str, str], ...] = (
    ("01", "耕地", "Cropland"),
    ("0101", "水田", "Paddy field"),
    ("0102", "水浇地", "Irrigated land"),
    ("0103", "旱地", "Dry land"),
    ("02", "园地", "Garden land"),
    ("0201", "果园", "Orchard"),
    ("0202", "茶园", "Tea garden"),
    ("0203", "橡胶园地", "Rubber plantation"),
    ("0204", "油料园地", "Oil-crop plantation"),
    ("0205", "其他园地", "Other garden land"),
    ("03", "林地", "Forest land"),
    ("0301", "乔木林地", "Tree forest land"),
    ("0302", "竹林地", "Bamboo forest land"),
    ("0303", "灌木林地", "Shrub land"),
    ("0304", "其他林地", "Other forest land"),
    ("04", "草地", "Grassland"),
    ("0401", "天然牧草地", "Natural pasture"),
    ("0402", "人工牧草地", "Artificial pasture"),
    ("0403", "其他草地", "Other grassland"),
    ("05", "湿地", "Wetland"),
    ("0501", "森林沼泽", "Forested swamp"),
    ("0502", "灌丛沼泽", "Shrub swamp"),
    ("0503", "沼泽草地", "Marsh grassland"),
    ("0504", "其他沼泽地", "Other marshland"),
    ("0505", "沿海滩涂", "Coastal tidal flat"),
    ("0506", "内陆滩涂", "Inland floodplain flat"),
    ("0507", "红树林地", "Mangrove land"),
    ("06", "农业设施建设用地", "Agricultural facility construction land"),
    ("0601", "农村道路", "Rural road"),
    ("060101", "村道用地", "Village road land"),
    ("060102", "田间道", "Field road"),
    ("0602", "设施农用地", "Agricultural facility land"),
    ("060201", "种植设施建设用地", "Crop-growing facility land"),
    ("060202", "畜禽养殖设施建设用地", "Livestock and poultry facility land"),
    ("060203", "水产养殖设施建设用地", "Aquaculture facility land"),
    ("07", "居住用地", "Residential land"),
    ("0701", "城镇住宅用地", "Urban housing land"),
    ("070101", "一类城镇住宅用地", "Class-1 urban housing land"),
    ("070102", "二类城镇住宅用地", "Class-2 urban housing land"),
    ("070103", "三类城镇住宅用地", "Class-3 urban housing land"),
    ("0702", "城镇社区服务设施用地", "Urban community service facility land"),
    ("0703", "农村宅基地", "Rural homestead land"),
    ("070301", "一类农村宅基地", "Class-1 rural homestead land"),
    ("070302", "二类农村宅基地", "Class-2 rural homestead land"),
    ("0704", "农村社区服务设施用地", "Rural community service facility land"),
    ("08", "公共管理与公共服务用地", "Public administration and public service land"),
    ("0801", "机关团体用地", "Government and public organisation land"),
    ("0802", "科研用地", "Scientific research land"),
    ("0803", "文化用地", "Cultural land"),
    ("080301", "图书与展览用地", "Library and exhibition land"),
    ("080302", "文化活动用地", "Cultural activity land"),
    ("0804", "教育用地", "Education land"),
    ("080401", "高等教育用地", "Higher education land"),
    ("080402", "中等职业教育用地", "Secondary vocational education land"),
    ("080403", "中小学用地", "Primary and secondary school land"),
    ("080404", "幼儿园用地", "Kindergarten land"),
    ("080405", "其他教育用地", "Other education land"),
    ("0805", "体育用地", "Sports land"),
    ("080501", "体育场馆用地", "Stadium and sports hall land"),
    ("080502", "体育训练用地", "Sports training land"),
    ("0806", "医疗卫生用地", "Medical and health land"),
    ("080601", "医院用地", "Hospital land"),
    ("080602", "基层医疗卫生设施用地", "Primary health-care facility land"),
    ("080603", "公共卫生用地", "Public health land"),
    ("0807", "社会福利用地", "Social welfare land"),
    ("080701", "老年人社会福利用地", "Elderly care land"),
    ("080702", "儿童社会福利用地", "Child welfare land"),
    ("080703", "残疾人社会福利用地", "Disability welfare land"),
    ("080704", "其他社会福利用地", "Other social welfare land"),
    ("09", "商业服务业用地", "Commercial and business service land"),
    ("0901", "商业用地", "Commercial land"),
    ("090101", "零售商业用地", "Retail land"),
    ("090102", "批发市场用地", "Wholesale market land"),
    ("090103", "餐饮用地", "Catering land"),
    ("090104", "旅馆用地", "Hotel land"),
    ("090105", "公用设施营业网点用地", "Utility service outlet land"),
    ("0902", "商务金融用地", "Business and finance land"),
    ("0903", "娱乐用地", "Entertainment land"),
    ("0904", "其他商业服务业用地", "Other commercial service land"),
    ("10", "工矿用地", "Industrial and mining land"),
    ("1001", "工业用地", "Industrial land"),
    ("100101", "一类工业用地", "Class-1 industrial land"),
    ("100102", "二类工业用地", "Class-2 industrial land"),
    ("100103", "三类工业用地", "Class-3 industrial land"),
    ("1002", "采矿用地", "Mining land"),
    ("1003", "盐田", "Salt pan"),
    ("11", "仓储用地", "Warehousing land"),
    ("1101", "物流仓储用地", "Logistics and warehousing land"),
    ("110101", "一类物流仓储用地", "Class-1 logistics and warehousing land"),
    ("110102", "二类物流仓储用地", "Class-2 logistics and warehousing land"),
    ("110103", "三类物流仓储用地", "Class-3 logistics and warehousing land"),
    ("1102", "储备库用地", "Reserve depot land"),
    ("12", "交通运输用地", "Transport land"),
    ("1201", "铁路用地", "Railway land"),
    ("1202", "公路用地", "Highway land"),
    ("1203", "机场用地", "Airport land"),
    ("1204", "港口码头用地", "Port and wharf land"),
    ("1205", "管道运输用地", "Pipeline transport land"),
    ("1206", "城市轨道交通用地", "Urban rail transit land"),
    ("1207", "城镇村道路用地", "Urban and village road land"),
    ("1208", "交通场站用地", "Transport station land"),
    ("120801", "对外交通场站用地", "Intercity transport station land"),
    ("120802", "公共交通场站用地", "Public transit station land"),
    ("120803", "社会停车场用地", "Public parking land"),
    ("1209", "其他交通设施用地", "Other transport facility land"),
    ("13", "公用设施用地", "Public utility land"),
    ("1301", "供水用地", "Water supply land"),
    ("1302", "排水用地", "Drainage land"),
    ("1303", "供电用地", "Power supply land"),
    ("1304", "供燃气用地", "Gas supply land"),
    ("1305", "供热用地", "Heat supply land"),
    ("1306", "通信用地", "Telecommunication land"),
    ("1307", "邮政用地", "Postal land"),
    ("1308", "广播电视设施用地", "Broadcasting facility land"),
    ("1309", "环卫用地", "Sanitation land"),
    ("1310", "消防用地", "Fire service land"),
    ("1311", "水工设施用地", "Hydraulic works land"),
    ("1312", "其他公用设施用地", "Other public utility land"),
    ("14", "绿地与开敞空间用地", "Green and open space land"),
    ("1401", "公园绿地", "Park"),
    ("1402", "防护绿地", "Protective green belt"),
    ("1403", "广场用地", "Public square land"),
    ("15", "特殊用地", "Special-use land"),
    ("1501", "军事设施用地", "Military facility land"),
    ("1502", "使领馆用地", "Embassy and consulate land"),
    ("1503", "宗教用地", "Religious land"),
    ("1504", "文物古迹用地", "Heritage site land"),
    ("1505", "监教场所用地", "Prison and correctional facility land"),
    ("1506", "殡葬用地", "Funeral and burial land"),
    ("1507", "其他特殊用地", "Other special-use land"),
    ("16", "留白用地", "Reserved (unassigned) land"),
    ("17", "陆地水域", "Inland water"),
    ("1701", "河流水面", "River surface"),
    ("1702", "湖泊水面", "Lake surface"),
    ("1703", "水库水面", "Reservoir surface"),
    ("1704", "坑塘水面", "Pond surface"),
    ("1705", "沟渠", "Ditch and canal"),
    ("1706", "冰川及常年积雪", "Glacier and perennial snow"),
    ("18", "渔业用海", "Fishery sea use"),
    ("1801", "渔业基础设施用海", "Fishery infrastructure sea use"),
    ("1802", "增养殖用海", "Aquaculture and stock-enhancement sea use"),
    ("1803", "捕捞海域", "Fishing sea area"),
    ("1804", "农林牧业用岛", "Island for farming, forestry or grazing"),
    ("19", "工矿通信用海", "Industrial, mining and communication sea use"),
    ("1901", "工业用海", "Industrial sea use"),
    ("1902", "盐田用海", "Salt-pan sea use"),
    ("1903", "固体矿产用海", "Solid-mineral sea use"),
    ("1904", "油气用海", "Oil and gas sea use"),
    ("1905", "可再生能源用海", "Renewable-energy sea use"),
    ("1906", "海底电缆管道用海", "Submarine cable and pipeline sea use"),
    ("20", "交通运输用海", "Transport sea use"),
    ("2001", "港口用海", "Port sea use"),
    ("2002", "航运用海", "Shipping sea use"),
    ("2003", "路桥隧道用海", "Road, bridge and tunnel sea use"),
    ("2004", "机场用海", "Airport sea use"),
    ("2005", "其他交通运输用海", "Other transport sea use"),
    ("21", "游憩用海", "Recreational sea use"),
    ("2101", "风景旅游用海", "Scenic and tourism sea use"),
    ("2102", "文体休闲娱乐用海", "Culture, sports and leisure sea use"),
    ("22", "特殊用海", "Special sea use"),
    ("2201", "军事用海", "Military sea use"),
    ("2202", "科研教育用海", "Research and education sea use"),
    (
        "2203",
        "海洋保护修复及海岸防护工程用海",
        "Marine protection, restoration and coastal defence sea use",
    ),
    ("2204", "排污倾倒用海", "Discharge and dumping sea use"),
    ("2205", "水下文物保护用海", "Underwater heritage protection sea use"),
    ("2206", "其他特殊用海", "Other special sea use"),
    ("23", "其他土地", "Other land"),
    ("2301", "空闲地", "Vacant land"),
    ("2302", "后备耕地", "Reserve cropland"),
    ("2303", "田坎", "Field bund"),
    ("2304", "盐碱地", "Saline-alkali land"),
    ("2305", "沙地", "Sandy land"),
    ("2306", "裸土地", "Bare soil"),
    ("2307", "裸岩石砾地", "Bare rock and gravel"),
    ("24", "其他海域", "Other sea area"),
)

# --- GB 50137-2011 城市用地分类 ---------------------------------------------------------------
# (code, 中文名, English name); the parent is the code without its last character.
_ROWS_GB50137: tuple[tuple[str, str, str], ...] = (
    ("R", "居住用地", "Residential land"),
    ("R1", "一类居住用地", "Class-1 residential land"),
    ("R11", "住宅用地", "Housing land (class 1)"),
    ("R12", "服务设施用地", "Residential service facility land (class 1)"),
    ("R2", "二类居住用地", "Class-2 residential land"),
    ("R21", "住宅用地", "Housing land (class 2)"),
    ("R22", "服务设施用地", "Residential service facility land (class 2)"),
    ("R3", "三类居住用地", "Class-3 residential land"),
    ("R31", "住宅用地", "Housing land (class 3)"),
    ("R32", "服务设施用地", "Residential service facility land (class 3)"),
    ("A", "公共管理与公共服务设施用地", "Administration and public service facility land"),
    ("A1", "行政办公用地", "Administrative office land"),
    ("A2", "文化设施用地", "Cultural facility land"),
    ("A21", "图书展览用地", "Library and exhibition land"),
    ("A22", "文化活动用地", "Cultural activity land"),
    ("A3", "教育科研用地", "Education and research land"),
    ("A31", "高等院校用地", "Higher education land"),
    ("A32", "中等专业学校用地", "Secondary vocational school land"),
    ("A33", "中小学用地", "Primary and secondary school land"),
    ("A34", "特殊教育用地", "Special education land"),
    ("A35", "科研用地", "Research land"),
    ("A4", "体育用地", "Sports land"),
    ("A41", "体育场馆用地", "Stadium and sports hall land"),
    ("A42", "体育训练用地", "Sports training land"),
    ("A5", "医疗卫生用地", "Medical and health land"),
    ("A51", "医院用地", "Hospital land"),
    ("A52", "卫生防疫用地", "Epidemic prevention land"),
    ("A53", "特殊医疗用地", "Special medical land"),
    ("A59", "其他医疗卫生用地", "Other medical and health land"),
    ("A6", "社会福利用地", "Social welfare land"),
    ("A7", "文物古迹用地", "Heritage site land"),
    ("A8", "外事用地", "Foreign affairs land"),
    ("A9", "宗教用地", "Religious land"),
    ("B", "商业服务业设施用地", "Commercial and business facility land"),
    ("B1", "商业用地", "Commercial land"),
    ("B11", "零售商业用地", "Retail land"),
    ("B12", "批发市场用地", "Wholesale market land"),
    ("B13", "餐饮用地", "Catering land"),
    ("B14", "旅馆用地", "Hotel land"),
    ("B2", "商务用地", "Business office land"),
    ("B21", "金融保险用地", "Finance and insurance land"),
    ("B22", "艺术传媒用地", "Arts and media land"),
    ("B29", "其他商务用地", "Other business office land"),
    ("B3", "娱乐康体用地", "Entertainment and recreation land"),
    ("B31", "娱乐用地", "Entertainment land"),
    ("B32", "康体用地", "Recreation and fitness land"),
    ("B4", "公用设施营业网点用地", "Utility service outlet land"),
    ("B41", "加油加气站用地", "Fuel and gas station land"),
    ("B49", "其他公用设施营业网点用地", "Other utility service outlet land"),
    ("B9", "其他服务设施用地", "Other service facility land"),
    ("M", "工业用地", "Industrial land"),
    ("M1", "一类工业用地", "Class-1 industrial land"),
    ("M2", "二类工业用地", "Class-2 industrial land"),
    ("M3", "三类工业用地", "Class-3 industrial land"),
    ("W", "物流仓储用地", "Logistics and warehousing land"),
    ("W1", "一类物流仓储用地", "Class-1 logistics and warehousing land"),
    ("W2", "二类物流仓储用地", "Class-2 logistics and warehousing land"),
    ("W3", "三类物流仓储用地", "Class-3 logistics and warehousing land"),
    ("S", "道路与交通设施用地", "Road and transport facility land"),
    ("S1", "城市道路用地", "Urban road land"),
    ("S2", "城市轨道交通用地", "Urban rail transit land"),
    ("S3", "交通枢纽用地", "Transport hub land"),
    ("S4", "交通场站用地", "Transport station land"),
    ("S41", "公共交通场站用地", "Public transit station land"),
    ("S42", "社会停车场用地", "Public parking land"),
    ("S9", "其他交通设施用地", "Other transport facility land"),
    ("U", "公用设施用地", "Public utility land"),
    ("U1", "供应设施用地", "Supply facility land"),
    ("U11", "供水用地", "Water supply land"),
    ("U12", "供电用地", "Power supply land"),
    ("U13", "供燃气用地", "Gas supply land"),
    ("U14", "供热用地", "Heat supply land"),
    ("U15", "通信用地", "Telecommunication land"),
    ("U16", "广播电视用地", "Broadcasting land"),
    ("U2", "环境设施用地", "Environmental facility land"),
    ("U21", "排水用地", "Drainage land"),
    ("U22", "环卫用地", "Sanitation land"),
    ("U3", "安全设施用地", "Safety facility land"),
    ("U31", "消防用地", "Fire service land"),
    ("U32", "防洪用地", "Flood control land"),
    ("U9", "其他公用设施用地", "Other public utility land"),
    ("G", "绿地与广场用地", "Green space and square land"),
    ("G1", "公园绿地", "Park"),
    ("G2", "防护绿地", "Protective green belt"),
    ("G3", "广场用地", "Public square land"),
    ("H", "建设用地", "Development land"),
    ("H1", "城乡居民点建设用地", "Urban and rural settlement land"),
    ("H11", "城市建设用地", "City development land"),
    ("H12", "镇建设用地", "Town development land"),
    ("H13", "乡建设用地", "Township development land"),
    ("H14", "村庄建设用地", "Village development land"),
    ("H2", "区域交通设施用地", "Regional transport facility land"),
    ("H21", "铁路用地", "Railway land"),
    ("H22", "公路用地", "Highway land"),
    ("H23", "港口用地", "Port land"),
    ("H24", "机场用地", "Airport land"),
    ("H25", "管道运输用地", "Pipeline transport land"),
    ("H3", "区域公用设施用地", "Regional utility land"),
    ("H4", "特殊用地", "Special-use land"),
    ("H41", "军事用地", "Military land"),
    ("H42", "安保用地", "Security land"),
    ("H5", "采矿用地", "Mining land"),
    ("H9", "其他建设用地", "Other development land"),
    ("E", "非建设用地", "Non-development land"),
    ("E1", "水域", "Water area"),
    ("E11", "自然水域", "Natural water"),
    ("E12", "水库", "Reservoir"),
    ("E13", "坑塘沟渠", "Ponds and ditches"),
    ("E2", "农林用地", "Agricultural and forestry land"),
    ("E9", "其他非建设用地", "Other non-development land"),
)

# --- 三调 工作分类 (GB/T 21010-2017 as used in the third national land survey) ---------------
# (code, 中文名, English name); the parent of a 4-character code is its first two characters,
# of a 5-character extension code (K/A suffix) its first four, except the members of 00 湿地.
_ROWS_SANDIAO: tuple[tuple[str, str, str], ...] = (
    ("00", "湿地", "Wetland"),
    ("0303", "红树林地", "Mangrove land"),
    ("0304", "森林沼泽", "Forested swamp"),
    ("0306", "灌丛沼泽", "Shrub swamp"),
    ("0402", "沼泽草地", "Marsh grassland"),
    ("0603", "盐田", "Salt pan"),
    ("1105", "沿海滩涂", "Coastal tidal flat"),
    ("1106", "内陆滩涂", "Inland floodplain flat"),
    ("1108", "沼泽地", "Marshland"),
    ("01", "耕地", "Cropland"),
    ("0101", "水田", "Paddy field"),
    ("0102", "水浇地", "Irrigated land"),
    ("0103", "旱地", "Dry land"),
    ("02", "种植园用地", "Plantation land"),
    ("0201", "果园", "Orchard"),
    ("0201K", "可调整果园", "Orchard (adjustable, former cropland)"),
    ("0202", "茶园", "Tea garden"),
    ("0202K", "可调整茶园", "Tea garden (adjustable, former cropland)"),
    ("0203", "橡胶园", "Rubber plantation"),
    ("0203K", "可调整橡胶园", "Rubber plantation (adjustable, former cropland)"),
    ("0204", "其他园地", "Other plantation"),
    ("0204K", "可调整其他园地", "Other plantation (adjustable, former cropland)"),
    ("03", "林地", "Forest land"),
    ("0301", "乔木林地", "Tree forest land"),
    ("0301K", "可调整乔木林地", "Tree forest land (adjustable, former cropland)"),
    ("0302", "竹林地", "Bamboo forest land"),
    ("0302K", "可调整竹林地", "Bamboo forest land (adjustable, former cropland)"),
    ("0305", "灌木林地", "Shrub land"),
    ("0307", "其他林地", "Other forest land"),
    ("0307K", "可调整其他林地", "Other forest land (adjustable, former cropland)"),
    ("04", "草地", "Grassland"),
    ("0401", "天然牧草地", "Natural pasture"),
    ("0403", "人工牧草地", "Artificial pasture"),
    ("0403K", "可调整人工牧草地", "Artificial pasture (adjustable, former cropland)"),
    ("0404", "其他草地", "Other grassland"),
    ("05", "商业服务业用地", "Commercial service land"),
    ("05H1", "商业服务业设施用地", "Commercial service facility land"),
    ("0508", "物流仓储用地", "Logistics and warehousing land"),
    ("06", "工矿用地", "Industrial and mining land"),
    ("0601", "工业用地", "Industrial land"),
    ("0602", "采矿用地", "Mining land"),
    ("07", "住宅用地", "Residential land"),
    ("0701", "城镇住宅用地", "Urban housing land"),
    ("0702", "农村宅基地", "Rural homestead land"),
    ("08", "公共管理与公共服务用地", "Public administration and public service land"),
    ("08H1", "机关团体新闻出版用地", "Government, organisation and press land"),
    ("08H2", "科教文卫用地", "Science, education, culture and health land"),
    ("08H2A", "高教用地", "Higher education land"),
    ("0809", "公用设施用地", "Public utility land"),
    ("0810", "公园与绿地", "Park and green space"),
    ("0810A", "广场用地", "Public square land"),
    ("09", "特殊用地", "Special-use land"),
    ("10", "交通运输用地", "Transport land"),
    ("1001", "铁路用地", "Railway land"),
    ("1002", "轨道交通用地", "Rail transit land"),
    ("1003", "公路用地", "Highway land"),
    ("1004", "城镇村道路用地", "Urban and village road land"),
    ("1005", "交通服务场站用地", "Transport service station land"),
    ("1006", "农村道路", "Rural road"),
    ("1007", "机场用地", "Airport land"),
    ("1008", "港口码头用地", "Port and wharf land"),
    ("1009", "管道运输用地", "Pipeline transport land"),
    ("11", "水域及水利设施用地", "Water and water-conservancy facility land"),
    ("1101", "河流水面", "River surface"),
    ("1102", "湖泊水面", "Lake surface"),
    ("1103", "水库水面", "Reservoir surface"),
    ("1104", "坑塘水面", "Pond surface"),
    ("1104A", "养殖坑塘", "Aquaculture pond"),
    ("1104K", "可调整养殖坑塘", "Aquaculture pond (adjustable, former cropland)"),
    ("1107", "沟渠", "Ditch and canal"),
    ("1107A", "干渠", "Main canal"),
    ("1109", "水工建筑用地", "Hydraulic structure land"),
    ("1110", "冰川及永久积雪", "Glacier and permanent snow"),
    ("12", "其他土地", "Other land"),
    ("1201", "空闲地", "Vacant land"),
    ("1202", "设施农用地", "Agricultural facility land"),
    ("1203", "田坎", "Field bund"),
    ("1204", "盐碱地", "Saline-alkali land"),
    ("1205", "沙地", "Sandy land"),
    ("1206", "裸土地", "Bare soil"),
    ("1207", "裸岩石砾地", "Bare rock and gravel"),
)

# 三调 puts these GB/T 21010 classes under 00 湿地 instead of their own first-level class.
_SANDIAO_WETLAND = frozenset({"0303", "0304", "0306", "0402", "0603", "1105", "1106", "1108"})


#: the 三大类 of 《土地管理法》 (GB/T 21010-2017 附录 A) for 三调 classes, with 耕地 apart from the
#: other agricultural land since it is what 占补平衡 and 农转用 turn on: code prefix → group.
#: The longest prefix decides (1006 农村道路 is agricultural, the rest of 10 construction); the
#: K (可调整) and A sub-classes follow their class. First-level classes that span groups (00, 04,
#: 11, 12) have none of their own.
SANDIAO_GROUP_PREFIXES: dict[str, str] = {
    "01": "cultivated",
    **dict.fromkeys(
        ("02", "03", "0401", "0402", "0403", "1006", "1104", "1107", "1202", "1203"), "agricultural"
    ),
    **dict.fromkeys(("05", "06", "07", "08", "09", "10", "1103", "1109", "1201"), "construction"),
    **dict.fromkeys(
        ("0404", "1101", "1102", "1105", "1106", "1108", "1110", "1204", "1205", "1206", "1207"),
        "unused",
    ),
}


def sandiao_group(code: str) -> str | None:
    """The group (``cultivated``, ``agricultural``, ``construction``, ``unused``; keys of
    :data:`gis_app.domain.vocab.CURRENT_USE_GROUP`) of a 三调 code; None for a first-level
    class that spans groups."""
    hits = [p for p in SANDIAO_GROUP_PREFIXES if code.startswith(p)]
    return SANDIAO_GROUP_PREFIXES[max(hits, key=len)] if hits else None


def _parent_2023(code: str) -> str | None:
    return code[:-2] if len(code) > 2 else None


def _parent_gb50137(code: str) -> str | None:
    return code[:-1] if len(code) > 1 else None


def _parent_sandiao(code: str) -> str | None:
    if code in _SANDIAO_WETLAND:
        return "00"
    if len(code) == 5:
        return code[:4]
    return code[:2] if len(code) == 4 else None


def _build(
    system: str,
    rows: Iterable[tuple[str, str, str]],
    parent_of: Callable[[str], str | None],
) -> dict[str, LandUseCode]:
    table: dict[str, LandUseCode] = {}
    for code, zh, en in rows:
        if code in table:
            raise ValueError(f"duplicate {system} land-use code {code}")
        parent = parent_of(code)
        if parent is not None and parent not in table:
            raise ValueError(f"{system} land-use code {code}: parent {parent} not listed before it")
        level = 1 if parent is None else table[parent].level + 1
        table[code] = LandUseCode(system, code, parent, level, zh, en)
    return table


CLASSIFICATION_2023: dict[str, LandUseCode] = _build("2023", _ROWS_2023, _parent_2023)
GB50137: dict[str, LandUseCode] = _build("gb50137", _ROWS_GB50137, _parent_gb50137)
SANDIAO: dict[str, LandUseCode] = _build("sandiao", _ROWS_SANDIAO, _parent_sandiao)

# (2023 code, GB 50137 code); see the module docstring for the reasoning behind each group.
MAPPING_2023_GB50137: tuple[tuple[str, str], ...] = (
    # 居住
    ("07", "R"),
    ("070101", "R1"),
    ("070102", "R2"),
    ("070103", "R3"),
    ("0702", "R12"),
    ("0702", "R22"),
    ("0702", "R32"),
    # 公共管理与公共服务
    ("08", "A"),
    ("0801", "A1"),
    ("0802", "A35"),
    ("0803", "A2"),
    ("080301", "A21"),
    ("080302", "A22"),
    ("0804", "A3"),
    ("080401", "A31"),
    ("080402", "A32"),
    ("080403", "A33"),
    ("080405", "A34"),
    ("0805", "A4"),
    ("080501", "A41"),
    ("080502", "A42"),
    ("0806", "A5"),
    ("080601", "A51"),
    ("080603", "A52"),
    ("0807", "A6"),
    ("1504", "A7"),
    ("1502", "A8"),
    ("1503", "A9"),
    # 商业服务业
    ("09", "B"),
    ("0901", "B1"),
    ("090101", "B11"),
    ("090102", "B12"),
    ("090103", "B13"),
    ("090104", "B14"),
    ("090105", "B4"),
    ("0902", "B2"),
    ("0903", "B31"),
    ("0904", "B9"),
    ("1506", "B9"),
    # 工矿
    ("1001", "M"),
    ("100101", "M1"),
    ("100102", "M2"),
    ("100103", "M3"),
    ("1002", "H5"),
    ("1003", "H5"),
    # 仓储
    ("11", "W"),
    ("1101", "W"),
    ("110101", "W1"),
    ("110102", "W2"),
    ("110103", "W3"),
    ("1102", "W"),
    # 交通运输
    ("1201", "H21"),
    ("1202", "H22"),
    ("1203", "H24"),
    ("1204", "H23"),
    ("1205", "H25"),
    ("1206", "S2"),
    ("1207", "S1"),
    ("1208", "S4"),
    ("120801", "S3"),
    ("120802", "S41"),
    ("120803", "S42"),
    ("1209", "S9"),
    # 公用设施
    ("13", "U"),
    ("13", "H3"),
    ("1301", "U11"),
    ("1302", "U21"),
    ("1303", "U12"),
    ("1304", "U13"),
    ("1305", "U14"),
    ("1306", "U15"),
    ("1307", "U15"),
    ("1308", "U16"),
    ("1309", "U22"),
    ("1310", "U31"),
    ("1311", "U32"),
    ("1312", "U9"),
    # 绿地与开敞空间
    ("14", "G"),
    ("1401", "G1"),
    ("1402", "G2"),
    ("1403", "G3"),
    # 特殊用地
    ("1501", "H41"),
    ("1505", "H42"),
    ("1507", "H9"),
    # 水域
    ("17", "E1"),
    ("1701", "E11"),
    ("1702", "E11"),
    ("1703", "E12"),
    ("1704", "E13"),
    ("1705", "E13"),
    ("1706", "E11"),
    ("0505", "E11"),
    ("0506", "E11"),
    # 农林用地
    ("01", "E2"),
    ("02", "E2"),
    ("03", "E2"),
    ("04", "E2"),
    ("06", "E2"),
    ("0507", "E2"),
    ("2303", "E2"),
    # 其他非建设用地
    ("0501", "E9"),
    ("0502", "E9"),
    ("0503", "E9"),
    ("0504", "E9"),
    ("2301", "E9"),
    ("2302", "E9"),
    ("2304", "E9"),
    ("2305", "E9"),
    ("2306", "E9"),
    ("2307", "E9"),
)

_TABLES: dict[str, dict[str, LandUseCode]] = {
    "2023": CLASSIFICATION_2023,
    "gb50137": GB50137,
    "sandiao": SANDIAO,
}

# Vocabulary names used in error messages.
_VOCABULARY_NAMES: dict[str, str] = {
    "2023": "planned_use (2023)",
    "gb50137": "planned_use (GB 50137)",
    "sandiao": "current_use (sandiao)",
}


def _children_index(table: dict[str, LandUseCode]) -> dict[str, tuple[str, ...]]:
    children: dict[str, list[str]] = {}
    for entry in table.values():
        if entry.parent is not None:
            children.setdefault(entry.parent, []).append(entry.code)
    return {parent: tuple(codes) for parent, codes in children.items()}


_CHILDREN: dict[str, dict[str, tuple[str, ...]]] = {
    system: _children_index(table) for system, table in _TABLES.items()
}


def _mapping_index(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for source, target in pairs:
        index.setdefault(source, []).append(target)
    return {source: tuple(targets) for source, targets in index.items()}


_TO_GB50137 = _mapping_index(MAPPING_2023_GB50137)
_TO_2023 = _mapping_index((gb, c2023) for c2023, gb in MAPPING_2023_GB50137)


def _table(system: str) -> dict[str, LandUseCode]:
    try:
        return _TABLES[system]
    except (KeyError, TypeError):
        raise UnknownVocabularyValue("land_use_system", system, tuple(_TABLES)) from None


def _suggestions(system: str, code: object) -> tuple[str, ...]:
    """Codes to list as allowed in an error: those of the same first-level class, if any."""
    table = _TABLES[system]
    if isinstance(code, str) and code:
        head = code[:1] if system == "gb50137" else code[:2]
        near = tuple(c for c in table if c.startswith(head))
        if near:
            return near
    return tuple(entry.code for entry in table.values() if entry.level == 1)


def lookup(system: str, code: str) -> LandUseCode:
    """Return the class ``code`` of ``system`` or raise :class:`UnknownVocabularyValue`."""
    table = _table(system)
    try:
        return table[code]
    except (KeyError, TypeError):
        raise UnknownVocabularyValue(
            _VOCABULARY_NAMES[system], code, _suggestions(system, code)
        ) from None


def is_valid(system: str, code: str) -> bool:
    """Tell whether ``code`` is a class of ``system`` (exact match, no normalisation)."""
    table = _table(system)
    return isinstance(code, str) and code in table


def descendants(system: str, code: str) -> frozenset[str]:
    """Return ``code`` and every class below it in ``system``."""
    lookup(system, code)
    children = _CHILDREN[system]
    found = {code}
    stack = [code]
    while stack:
        for child in children.get(stack.pop(), ()):
            found.add(child)
            stack.append(child)
    return frozenset(found)


def ancestors(system: str, code: str) -> tuple[str, ...]:
    """Return the chain of classes from the first level down to ``code`` itself."""
    entry = lookup(system, code)
    table = _TABLES[system]
    chain = [entry.code]
    while entry.parent is not None:
        entry = table[entry.parent]
        chain.append(entry.code)
    return tuple(reversed(chain))


def _translate(
    system: str, target_system: str, code: str, index: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    target_table = _TABLES[target_system]
    for candidate in reversed(ancestors(system, code)):
        targets = index.get(candidate)
        if targets:
            # most specific first; ties keep the order of MAPPING_2023_GB50137
            return tuple(sorted(targets, key=lambda t: -target_table[t].level))
    return ()


def to_gb50137(code_2023: str) -> tuple[str, ...]:
    """Return the GB 50137 classes a 2023 class corresponds to, most specific first.

    When ``code_2023`` itself is not mapped, the mapping of its nearest mapped ancestor is
    returned; an empty tuple means no GB 50137 class corresponds (e.g. the sea classes).
    """
    return _translate("2023", "gb50137", code_2023, _TO_GB50137)


def to_2023(code_gb: str) -> tuple[str, ...]:
    """Return the 2023 classes a GB 50137 class corresponds to, most specific first.

    When ``code_gb`` itself is not mapped, the mapping of its nearest mapped ancestor is
    returned; an empty tuple means no 2023 class corresponds.
    """
    return _translate("gb50137", "2023", code_gb, _TO_2023)


def expand_query(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """Return the (2023 codes, GB 50137 codes) a site may carry to match search code ``code``.

    ``code`` is a 2023 code (all digits) or a GB 50137 code (starts with a letter); surrounding
    blanks are ignored and GB 50137 letters may be lower case. The result holds the code's
    descendants in its own system plus the descendants of every class that the code or one of
    its descendants maps to; when none of them is mapped, the mapping of the nearest mapped
    ancestor is used instead. Raises :class:`UnknownVocabularyValue` for an unknown code.
    """
    if isinstance(code, str):
        return _expand(code.strip().upper())
    return _expand(code if isinstance(code, int | float | None) else repr(code))


# every match expands its requirement's codes; the classifications are constants
@lru_cache(maxsize=4096)
def _expand(query: object) -> tuple[frozenset[str], frozenset[str]]:
    if isinstance(query, str) and query.isascii() and query.isdigit():
        system, other, index = "2023", "gb50137", _TO_GB50137
    elif isinstance(query, str) and query[:1].isascii() and query[:1].isalpha():
        system, other, index = "gb50137", "2023", _TO_2023
    else:
        allowed = tuple(
            entry.code
            for table in (CLASSIFICATION_2023, GB50137)
            for entry in table.values()
            if entry.level == 1
        )
        raise UnknownVocabularyValue("planned_use", query, allowed)
    own = descendants(system, query)
    targets = {target for c in own for target in index.get(c, ())}
    if not targets:
        targets = set(_translate(system, other, query, index))
    matched = frozenset(c for target in targets for c in descendants(other, target))
    return (own, matched) if system == "2023" else (matched, own)


def legacy_codes_implied() -> dict[str, frozenset[str]]:
    """For each GB 50137 class, the 2023 classes that imply it for matching.

    A site whose 2023 class is in ``legacy_codes_implied()[gb]`` and whose GB 50137 class is
    ``gb`` is accepted by every search code (:func:`expand_query`) that accepts ``gb`` through
    its 2023 class already. A search by several codes takes the union of their sets, so the
    same holds for it. The matcher then looks for sites matching by their GB 50137 class alone
    only among the others (revision 0011 keeps them in a small partial index).
    """
    implied: dict[str, set[str]] = {}
    for table in (CLASSIFICATION_2023, GB50137):
        for entry in table.values():
            codes_2023, codes_gb = expand_query(entry.code)
            for gb in codes_gb:
                implied[gb] = set(codes_2023) if gb not in implied else implied[gb] & codes_2023
    return {gb: frozenset(codes) for gb, codes in implied.items() if codes}


def label(system: str, code: str | None, lang: str = "zh") -> str:
    """Label of ``code`` in ``system`` and ``lang``; empty string for ``None``."""
    return "" if code is None else lookup(system, code).label(lang)
