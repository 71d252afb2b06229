"""Controlled vocabularies: stable English keys with Chinese and English labels.

Every enumerated column in the database stores one of these keys; the UI shows the labels.
This module is the single source of labels — templates, maps, PDFs and API explanations all
read them from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from gis_app.domain.errors import UnknownVocabularyValue


@dataclass(frozen=True, slots=True)
class Term:
    """One vocabulary entry: the stored key and its labels."""

    key: str
    zh: str
    en: str

    def label(self, lang: str = "zh") -> str:
        """Return the label in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en


class Vocabulary:
    """An ordered set of terms; order is the natural order of the domain (e.g. a pipeline)."""

    def __init__(self, name: str, zh: str, en: str, terms: list[Term]) -> None:
        self.name = name
        self.zh = zh
        self.en = en
        self._terms = {t.key: t for t in terms}
        if len(self._terms) != len(terms):
            raise ValueError(f"duplicate key in vocabulary {name}")

    def __contains__(self, key: object) -> bool:
        return key in self._terms

    def __iter__(self) -> Iterator[Term]:
        return iter(self._terms.values())

    def __len__(self) -> int:
        return len(self._terms)

    @property
    def keys(self) -> tuple[str, ...]:
        """Stored keys in domain order."""
        return tuple(self._terms)

    def term(self, key: str) -> Term:
        """Return the term for ``key`` or raise :class:`UnknownVocabularyValue`."""
        try:
            return self._terms[key]
        except KeyError:
            raise UnknownVocabularyValue(self.name, key, self.keys) from None

    def label(self, key: str | None, lang: str = "zh") -> str:
        """Label for ``key`` in ``lang``; empty string for ``None``."""
        return "" if key is None else self.term(key).label(lang)

    def bilingual(self, key: str | None) -> str:
        """Chinese label first, English after a slash (for one-line UI strings)."""
        if key is None:
            return ""
        t = self.term(key)
        return f"{t.zh} / {t.en}"

    def rank(self, key: str) -> int:
        """Position of ``key`` in domain order (used to compare pipeline stages)."""
        self.term(key)
        return self.keys.index(key)


def _v(name: str, zh: str, en: str, *terms: tuple[str, str, str]) -> Vocabulary:
    return Vocabulary(name, zh, en, [Term(*t) for t in terms])


SITE_KIND = _v(
    "site_kind",
    "资源类型",
    "Site kind",
    ("land", "土地", "Land parcel"),
    ("standard_plant", "标准厂房", "Standard plant"),
    ("plant", "厂房", "Plant"),
    ("building", "楼宇", "Building"),
    ("island", "海岛", "Island"),
    ("shoreline", "岸线", "Shoreline"),
)

GEOM_QUALITY = _v(
    "geom_quality",
    "图形精度",
    "Geometry quality",
    ("surveyed", "实测", "Surveyed"),
    ("digitized", "矢量化", "Digitized"),
    ("approximate", "示意", "Approximate"),
)

OWNERSHIP = _v(
    "ownership",
    "权属",
    "Ownership",
    ("state", "国有", "State-owned"),
    ("collective", "集体", "Collective"),
    ("sea_area", "海域", "Sea area"),
    ("uninhabited_island", "无居民海岛", "Uninhabited island"),
)

SUPPLY_STAGE = _v(
    "supply_stage",
    "供应阶段",
    "Supply stage",
    ("reserved_planning", "规划预留", "Reserved in planning"),
    ("approved_unsupplied", "批而未供", "Approved, not yet supplied"),
    ("land_bank", "储备", "Land bank"),
    ("supplied_unused", "供而未用", "Supplied, unused"),
    ("idle", "闲置土地", "Idle land"),
    ("inefficient", "低效用地", "Inefficiently used land"),
    ("under_construction", "在建", "Under construction"),
    ("built", "已建成", "Built"),
)

READINESS = _v(
    "readiness",
    "土地整理",
    "Site readiness",
    ("raw", "毛地", "Raw land"),
    ("partly_cleared", "部分净地", "Partly cleared"),
    ("cleared", "净地", "Cleared (ready to build)"),
)

UTILITY = _v(
    "utility",
    "配套",
    "Utilities",
    ("road", "通路", "Road"),
    ("water", "通水", "Water"),
    ("power", "通电", "Power"),
    ("gas", "通气", "Gas"),
    ("telecom", "通信", "Telecom"),
    ("sewer", "排污", "Sewer"),
    ("levelled", "场地平整", "Levelled"),
)

POLICY_STATUS = _v(
    "policy_status",
    "政策处理",
    "Policy handling",
    ("not_started", "未启动", "Not started"),
    ("surveying", "调查摸底", "Surveying"),
    ("notice", "征收公告", "Notice issued"),
    ("compensation_plan", "补偿方案", "Compensation plan"),
    ("agreements", "签订协议", "Signing agreements"),
    ("approval_pending", "报批中", "Awaiting approval"),
    ("approved", "已批准", "Approved"),
    ("clearing", "清表中", "Clearing"),
    ("delivered", "已交地", "Delivered"),
)

PLANNING_STATUS = _v(
    "planning_status",
    "控规状态",
    "Regulatory plan",
    ("none", "未编制", "No plan"),
    ("drafting", "编制中", "Drafting"),
    ("approved", "已批复", "Approved"),
    ("amending", "修编中", "Being amended"),
    ("use_change_needed", "需调整用途", "Use change needed"),
)

IN_UGB = _v(
    "in_ugb",
    "城镇开发边界",
    "Urban growth boundary",
    ("inside", "边界内", "Inside"),
    ("outside", "边界外", "Outside"),
    ("partly", "部分在内", "Partly inside"),
)

QUOTA_STATUS = _v(
    "quota_status",
    "用地指标",
    "Land-use quota",
    ("not_needed", "无需指标", "Not needed"),
    ("pending", "待落实", "Pending"),
    ("applied", "已申报", "Applied"),
    ("in_annual_plan", "已列入年度计划", "In annual plan"),
    ("approved", "已落实", "Approved"),
)

SUPPLY_MODE = _v(
    "supply_mode",
    "供应方式",
    "Supply mode",
    ("tender", "招标", "Tender"),
    ("auction", "拍卖", "Auction"),
    ("listing", "挂牌", "Listing"),
    ("agreement", "协议出让", "Negotiated grant"),
    ("allocation", "划拨", "Allocation"),
    ("lease", "租赁", "Lease"),
    ("lease_then_sell", "先租后让", "Lease then sell"),
)

AVAILABILITY = _v(
    "availability",
    "招商状态",
    "Availability",
    ("available", "可招商", "Available"),
    ("reserved", "预留", "Reserved"),
    ("negotiating", "洽谈中", "Under negotiation"),
    ("signed", "已签约", "Signed"),
    ("unavailable", "暂不可用", "Not available yet"),
)

BUILDING_TYPE = _v(
    "building_type",
    "建筑类型",
    "Building type",
    ("standard_plant", "标准厂房", "Standard plant"),
    ("single_storey_plant", "单层厂房", "Single-storey plant"),
    ("multi_storey_plant", "多层厂房", "Multi-storey plant"),
    ("warehouse", "仓库", "Warehouse"),
    ("office", "办公楼", "Office"),
    ("commercial", "商业", "Commercial"),
    ("mixed", "综合", "Mixed use"),
)

OCCUPANCY = _v(
    "occupancy",
    "使用状态",
    "Occupancy",
    ("vacant", "空置", "Vacant"),
    ("partly_vacant", "部分空置", "Partly vacant"),
    ("let", "已出租", "Let"),
    ("under_construction", "在建", "Under construction"),
    ("refurbishing", "改造中", "Refurbishing"),
)

OFFER = _v(
    "offer",
    "供应方式",
    "Offered for",
    ("lease", "出租", "Lease"),
    ("sale", "出售", "Sale"),
    ("lease_or_sale", "租售均可", "Lease or sale"),
)

FIRE_HAZARD_CLASS = _v(
    "fire_hazard_class",
    "火灾危险性类别",
    "Fire hazard class",
    ("a", "甲类", "Class A"),
    ("b", "乙类", "Class B"),
    ("c", "丙类", "Class C"),
    ("d", "丁类", "Class D"),
    ("e", "戊类", "Class E"),
)

CONSTRAINT_KIND = _v(
    "constraint_kind",
    "管控区",
    "Constraint zone",
    ("ecological_redline", "生态保护红线", "Ecological protection redline"),
    ("basic_farmland", "永久基本农田", "Permanent basic farmland"),
    ("ugb", "城镇开发边界", "Urban growth boundary"),
    ("public_welfare_forest", "生态公益林", "Public-welfare forest"),
    ("protected_shoreline", "严格保护岸线", "Protected shoreline"),
    ("water_source_protection", "饮用水源保护区", "Water-source protection area"),
    ("scenic_core", "风景名胜区核心区", "Scenic-area core"),
    ("heritage", "文物保护范围", "Heritage protection"),
    ("geohazard", "地质灾害隐患区", "Geohazard area"),
    ("military", "军事管理区", "Military zone"),
    ("hv_corridor", "高压走廊", "High-voltage corridor"),
)

# Overlap with these zones is a hard fail in matching and blocks availability.
BLOCKING_CONSTRAINT_KINDS: frozenset[str] = frozenset({"ecological_redline", "basic_farmland"})

INFRA_KIND = _v(
    "infra_kind",
    "基础设施",
    "Infrastructure",
    ("port", "港口", "Port"),
    ("wharf", "码头", "Wharf"),
    ("ferry_terminal", "客运码头", "Ferry terminal"),
    ("expressway_interchange", "高速互通", "Expressway interchange"),
    ("airport", "机场", "Airport"),
    ("rail", "铁路", "Railway"),
    ("substation", "变电站", "Substation"),
)

NEED = _v(
    "need",
    "需求类型",
    "Need",
    ("land", "土地", "Land"),
    ("plant", "厂房", "Plant"),
    ("building", "楼宇", "Building"),
    ("island", "海岛", "Island"),
    ("shoreline", "岸线", "Shoreline"),
)

TENURE = _v(
    "tenure",
    "取得方式",
    "Tenure",
    ("lease", "租赁", "Lease"),
    ("buy", "购买/出让", "Buy"),
    ("either", "均可", "Either"),
    ("lease_then_sell", "先租后让", "Lease then buy"),
)

REQUIREMENT_STATUS = _v(
    "requirement_status",
    "项目进展",
    "Project status",
    ("new", "新登记", "New"),
    ("matching", "匹配中", "Matching"),
    ("recommended", "已推荐", "Recommended"),
    ("visiting", "考察中", "Visiting"),
    ("negotiating", "洽谈中", "Negotiating"),
    ("signed", "已签约", "Signed"),
    ("landed", "已落地", "Landed"),
    ("dropped", "已放弃", "Dropped"),
)

# Where a requirement referred to another district stands (issue 26, item 3): open until the
# receiving district answers (accepted: it takes the requirement up; declined: it has nothing
# that fits); closed by the referring district.
REFERRAL_STATUS = _v(
    "referral_status",
    "转介状态",
    "Referral status",
    ("open", "待处理", "Open"),
    ("accepted", "已受理", "Accepted"),
    ("declined", "已婉拒", "Declined"),
    ("closed", "已关闭", "Closed"),
)

FEEDBACK_KIND = _v(
    "feedback_kind",
    "客商反馈",
    "Investor feedback",
    ("interested", "感兴趣", "Interested"),
    ("not_suitable", "不合适", "Not suitable"),
    ("visit_request", "申请考察", "Request a visit"),
    ("question", "咨询", "Question"),
)

ROLE = _v(
    "role",
    "角色",
    "Role",
    ("officer", "招商专员", "Investment officer"),
    ("planner", "规划员", "Planner"),
    ("admin", "管理员", "Administrator"),
    # reads every page, ledger and report an officer or planner reads; writes nothing
    ("leader", "领导", "Leader"),
)
#: the roles a user may hold in a district beyond their home one (``district_role``; an admin
#: holds every district already): a ``leader`` grant reads, the others read and write
GRANT_ROLES: tuple[str, ...] = ("officer", "planner", "leader")

# --- districts (issue 26) -----------------------------------------------------------------------
#: the level of a jurisdiction; sites lie in district-level ones (区/县, or a platform run as one)
DISTRICT_LEVEL = _v(
    "district_level",
    "行政层级",
    "Level",
    ("province", "省", "Province"),
    ("city", "市", "City"),
    ("district", "区/县", "District"),
)

# --- project ledger (issue 27) --------------------------------------------------------------
SECTOR = _v(
    "sector",
    "产业类型",
    "Sector",
    ("manufacturing", "制造业", "Manufacturing"),
    ("tourism", "文旅", "Tourism"),
    ("health", "大健康", "Health"),
    ("culture", "文化创意", "Culture"),
    ("trade", "商贸", "Trade"),
    ("finance", "金融", "Finance"),
    ("maritime_services", "海事服务", "Maritime services"),
)

#: a project's milestones in the order they are reached
MILESTONE = _v(
    "milestone",
    "项目节点",
    "Milestone",
    ("signed", "签约", "Signed"),
    ("registered", "注册", "Registered"),
    ("land", "拿地/租赁", "Land or lease"),
    ("construction_start", "开工", "Construction start"),
    ("completion", "竣工", "Completion"),
    ("production_start", "投产", "Production start"),
    ("full_output", "达产/达效", "Full output"),
)

#: what an officer logs against the monthly minimum (责任状): trips out to investors,
#: delegations received, promotion events held or attended
ACTIVITY_KIND = _v(
    "activity_kind",
    "活动类型",
    "Activity",
    ("trip_out", "外出招商", "Trip out to investors"),
    ("delegation", "接待来访", "Delegation received"),
    ("promotion_event", "推介活动", "Promotion event"),
)

LANGUAGE = _v(
    "language",
    "语言",
    "Language",
    ("zh", "中文", "Chinese"),
    ("en", "英文", "English"),
)

#: files planners attach to a site or building (photos shown to investors when public)
ATTACHMENT_KIND = _v(
    "attachment_kind",
    "附件类型",
    "File kind",
    ("photo", "照片", "Photo"),
    ("document", "文件", "Document"),
)

VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (
        SITE_KIND,
        GEOM_QUALITY,
        OWNERSHIP,
        SUPPLY_STAGE,
        READINESS,
        UTILITY,
        POLICY_STATUS,
        PLANNING_STATUS,
        IN_UGB,
        QUOTA_STATUS,
        SUPPLY_MODE,
        AVAILABILITY,
        BUILDING_TYPE,
        OCCUPANCY,
        OFFER,
        FIRE_HAZARD_CLASS,
        CONSTRAINT_KIND,
        INFRA_KIND,
        NEED,
        TENURE,
        REQUIREMENT_STATUS,
        REFERRAL_STATUS,
        FEEDBACK_KIND,
        LANGUAGE,
        SECTOR,
        MILESTONE,
    )
}

# The groups a site's 三调 current-use composition is summed in (gis_app.domain.landuse
# .sandiao_group): 耕地, the other 农用地, 建设用地, 未利用地.
CURRENT_USE_GROUP = _v(
    "current_use_group",
    "现状地类（三调）",
    "Current use (survey)",
    ("cultivated", "耕地", "Cropland"),
    ("agricultural", "其他农用地", "Other agricultural land"),
    ("construction", "建设用地", "Construction land"),
    ("unused", "未利用地", "Unused land"),
)

# Where an import that runs as a background job stands.
IMPORT_JOB_STATUS = _v(
    "import_job_status",
    "导入任务状态",
    "Import job status",
    ("queued", "排队中", "queued"),
    ("running", "进行中", "running"),
    ("done", "已完成", "finished"),
    ("failed", "失败", "failed"),
    ("cancelled", "已取消", "cancelled"),
)
#: the phases an import reports (gis_app.services.imports), as the import page names them
IMPORT_PHASE = _v(
    "import_phase",
    "导入阶段",
    "Import phase",
    ("queued", "等待开始", "waiting to start"),
    ("reading", "读取文件", "reading the file"),
    ("checking", "检查数值与图形", "checking values and geometry"),
    ("staging", "暂存", "staging"),
    ("comparing", "与现有记录比对", "comparing with the records"),
    ("writing", "写入", "writing"),
    ("committing", "提交", "committing"),
    ("done", "完成", "done"),
)

# 1 亩 = 10000/15 m² exactly (so that 1 ha = 15 亩); often quoted as 666.67 m².
M2_PER_MU = 10000.0 / 15.0
MU_PER_HA = 15.0

# --- matching ----------------------------------------------------------------------------------
# MATCH_CRITERION (the criteria's labels) is declared with each criterion in
# gis_app.domain.match_criteria and read through this module's __getattr__ below.
MATCH_OUTCOME = _v(
    "match_outcome",
    "匹配结果",
    "Match outcome",
    ("pass", "符合", "meets"),
    ("fail", "不符合", "fails"),
    ("match", "符合全部硬性条件", "meets every hard constraint"),
    ("near_miss", "差一项", "near miss"),
    ("unknown", "未登记", "not recorded"),
)

# Requirements in these states are still looking for a site (reverse match and alerts).
OPEN_REQUIREMENT_STATUSES: tuple[str, ...] = (
    "new",
    "matching",
    "recommended",
    "visiting",
    "negotiating",
)


def __getattr__(name: str) -> Vocabulary:
    """``MATCH_CRITERION``: the match criteria's labels, derived from their registry
    (:mod:`gis_app.domain.match_criteria`, which reads this module, hence the late import)."""
    if name == "MATCH_CRITERION":
        from gis_app.domain.match_criteria import MATCH_CRITERION

        return MATCH_CRITERION
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
