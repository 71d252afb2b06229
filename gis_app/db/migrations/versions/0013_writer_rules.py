"""The database keeps the app's rules for every writer (the app, imports, psql, QGIS).

* **Inside the jurisdiction**: a site's outline must lie inside the jurisdiction (within
  1e-5°, as the app's geometry checks), a constraint zone must touch it. The message is the
  app's (``gis_app.io.geometry_checks``): ``site PT-X-001: lies outside the jurisdiction (near
  lon, lat; n% of its area outside)``. Nothing is checked while no jurisdiction is loaded.
* **No site is deleted**: a ``DELETE`` would take the site's history page with it; the
  error says to retire it (``retired_at``) instead. The table's owner (the app's own database
  user, migrations, maintenance) may still delete after ``SET LOCAL
  gis_app.allow_site_delete = 'on'``; a planner's login cannot, setting or not.
* **Land-use counterparts**: a GB 50137 code without a 2023 code gets the 2023 code when the
  correspondence of ``gis_app.domain.landuse`` gives exactly one (``to_2023``), and the
  reverse (``to_gb50137``). On an update, the other code follows a change when it was the
  counterpart of the old code (or empty); a code someone chose is never overwritten.
* **Vocabularies**: a coded column refuses a value outside its vocabulary with the list of
  allowed keys and their labels (the check constraints stay as the last line; these triggers
  run first and say what is allowed).

Each refusal names the rule (``CONSTRAINT`` of the error, and the message), the record (its
code) and the value. SQLSTATEs: GA003 outside the jurisdiction, GA004 site deletion, 23514
(check_violation) vocabulary.

The vocabularies, labels and land-use counterparts are frozen below (computed from
``gis_app.domain`` when this revision was written); ``tests/db/test_writer_rules.py`` checks
that they still agree with the code, so a change there ships as a new revision.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the degrees a site may reach beyond the jurisdiction (INSIDE_TOLERANCE_DEG of the app)
INSIDE_TOLERANCE_DEG = 1e-5

#: table -> coded column -> (its label, ((key, 中文, English), ...)) as of this revision
VOCABULARIES = {
    "site": {
        "availability": (
            "招商状态",
            (
                ("available", "可招商", "Available"),
                ("reserved", "预留", "Reserved"),
                ("negotiating", "洽谈中", "Under negotiation"),
                ("signed", "已签约", "Signed"),
                ("unavailable", "暂不可用", "Not available yet"),
            ),
        ),
        "geom_quality": (
            "图形精度",
            (
                ("surveyed", "实测", "Surveyed"),
                ("digitized", "矢量化", "Digitized"),
                ("approximate", "示意", "Approximate"),
            ),
        ),
        "in_ugb": (
            "城镇开发边界",
            (
                ("inside", "边界内", "Inside"),
                ("outside", "边界外", "Outside"),
                ("partly", "部分在内", "Partly inside"),
            ),
        ),
        "kind": (
            "资源类型",
            (
                ("land", "土地", "Land parcel"),
                ("standard_plant", "标准厂房", "Standard plant"),
                ("plant", "厂房", "Plant"),
                ("building", "楼宇", "Building"),
                ("island", "海岛", "Island"),
                ("shoreline", "岸线", "Shoreline"),
            ),
        ),
        "ownership": (
            "权属",
            (
                ("state", "国有", "State-owned"),
                ("collective", "集体", "Collective"),
                ("sea_area", "海域", "Sea area"),
                ("uninhabited_island", "无居民海岛", "Uninhabited island"),
            ),
        ),
        "planning_status": (
            "控规",
            (
                ("none", "未编制", "No plan"),
                ("drafting", "编制中", "Drafting"),
                ("approved", "已批复", "Approved"),
                ("amending", "修编中", "Being amended"),
                ("use_change_needed", "需调整用途", "Use change needed"),
            ),
        ),
        "policy_status": (
            "政策处理",
            (
                ("not_started", "未启动", "Not started"),
                ("surveying", "调查摸底", "Surveying"),
                ("notice", "征收公告", "Notice issued"),
                ("compensation_plan", "补偿方案", "Compensation plan"),
                ("agreements", "签订协议", "Signing agreements"),
                ("approval_pending", "报批中", "Awaiting approval"),
                ("approved", "已批准", "Approved"),
                ("clearing", "清表中", "Clearing"),
                ("delivered", "已交地", "Delivered"),
            ),
        ),
        "quota_status": (
            "用地指标",
            (
                ("not_needed", "无需指标", "Not needed"),
                ("pending", "待落实", "Pending"),
                ("applied", "已申报", "Applied"),
                ("in_annual_plan", "已列入年度计划", "In annual plan"),
                ("approved", "已落实", "Approved"),
            ),
        ),
        "readiness": (
            "土地整理",
            (
                ("raw", "毛地", "Raw land"),
                ("partly_cleared", "部分净地", "Partly cleared"),
                ("cleared", "净地", "Cleared (ready to build)"),
            ),
        ),
        "supply_mode": (
            "供应方式",
            (
                ("tender", "招标", "Tender"),
                ("auction", "拍卖", "Auction"),
                ("listing", "挂牌", "Listing"),
                ("agreement", "协议出让", "Negotiated grant"),
                ("allocation", "划拨", "Allocation"),
                ("lease", "租赁", "Lease"),
                ("lease_then_sell", "先租后让", "Lease then sell"),
            ),
        ),
        "supply_stage": (
            "供应阶段",
            (
                ("reserved_planning", "规划预留", "Reserved in planning"),
                ("approved_unsupplied", "批而未供", "Approved, not yet supplied"),
                ("land_bank", "储备", "Land bank"),
                ("supplied_unused", "供而未用", "Supplied, unused"),
                ("idle", "闲置土地", "Idle land"),
                ("inefficient", "低效用地", "Inefficiently used land"),
                ("under_construction", "在建", "Under construction"),
                ("built", "已建成", "Built"),
            ),
        ),
        "utilities": (
            "配套",
            (
                ("road", "通路", "Road"),
                ("water", "通水", "Water"),
                ("power", "通电", "Power"),
                ("gas", "通气", "Gas"),
                ("telecom", "通信", "Telecom"),
                ("sewer", "排污", "Sewer"),
                ("levelled", "场地平整", "Levelled"),
            ),
        ),
    },
    "building": {
        "building_type": (
            "建筑类型",
            (
                ("standard_plant", "标准厂房", "Standard plant"),
                ("single_storey_plant", "单层厂房", "Single-storey plant"),
                ("multi_storey_plant", "多层厂房", "Multi-storey plant"),
                ("warehouse", "仓库", "Warehouse"),
                ("office", "办公楼", "Office"),
                ("commercial", "商业", "Commercial"),
                ("mixed", "综合", "Mixed use"),
            ),
        ),
        "fire_hazard_class": (
            "火灾危险性",
            (
                ("a", "甲类", "Class A"),
                ("b", "乙类", "Class B"),
                ("c", "丙类", "Class C"),
                ("d", "丁类", "Class D"),
                ("e", "戊类", "Class E"),
            ),
        ),
        "occupancy": (
            "使用状态",
            (
                ("vacant", "空置", "Vacant"),
                ("partly_vacant", "部分空置", "Partly vacant"),
                ("let", "已出租", "Let"),
                ("under_construction", "在建", "Under construction"),
                ("refurbishing", "改造中", "Refurbishing"),
            ),
        ),
        "offer": (
            "租售",
            (
                ("lease", "出租", "Lease"),
                ("sale", "出售", "Sale"),
                ("lease_or_sale", "租售均可", "Lease or sale"),
            ),
        ),
    },
    "constraint_zone": {
        "kind": (
            "管控类型",
            (
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
            ),
        )
    },
    "infrastructure": {
        "kind": (
            "基础设施",
            (
                ("port", "港口", "Port"),
                ("wharf", "码头", "Wharf"),
                ("ferry_terminal", "客运码头", "Ferry terminal"),
                ("expressway_interchange", "高速互通", "Expressway interchange"),
                ("airport", "机场", "Airport"),
                ("rail", "铁路", "Railway"),
                ("substation", "变电站", "Substation"),
            ),
        )
    },
}

#: GB 50137 code -> its single 2023 counterpart (landuse.to_2023 gives exactly one)
GB50137_TO_2023 = {
    "A": "08",
    "A1": "0801",
    "A2": "0803",
    "A21": "080301",
    "A22": "080302",
    "A3": "0804",
    "A31": "080401",
    "A32": "080402",
    "A33": "080403",
    "A34": "080405",
    "A35": "0802",
    "A4": "0805",
    "A41": "080501",
    "A42": "080502",
    "A5": "0806",
    "A51": "080601",
    "A52": "080603",
    "A53": "0806",
    "A59": "0806",
    "A6": "0807",
    "A7": "1504",
    "A8": "1502",
    "A9": "1503",
    "B": "09",
    "B1": "0901",
    "B11": "090101",
    "B12": "090102",
    "B13": "090103",
    "B14": "090104",
    "B2": "0902",
    "B21": "0902",
    "B22": "0902",
    "B29": "0902",
    "B3": "09",
    "B31": "0903",
    "B32": "09",
    "B4": "090105",
    "B41": "090105",
    "B49": "090105",
    "E1": "17",
    "E12": "1703",
    "G": "14",
    "G1": "1401",
    "G2": "1402",
    "G3": "1403",
    "H21": "1201",
    "H22": "1202",
    "H23": "1204",
    "H24": "1203",
    "H25": "1205",
    "H3": "13",
    "H41": "1501",
    "H42": "1505",
    "H9": "1507",
    "M": "1001",
    "M1": "100101",
    "M2": "100102",
    "M3": "100103",
    "R": "07",
    "R1": "070101",
    "R11": "070101",
    "R12": "0702",
    "R2": "070102",
    "R21": "070102",
    "R22": "0702",
    "R3": "070103",
    "R31": "070103",
    "R32": "0702",
    "S1": "1207",
    "S2": "1206",
    "S3": "120801",
    "S4": "1208",
    "S41": "120802",
    "S42": "120803",
    "S9": "1209",
    "U": "13",
    "U1": "13",
    "U11": "1301",
    "U12": "1303",
    "U13": "1304",
    "U14": "1305",
    "U16": "1308",
    "U2": "13",
    "U21": "1302",
    "U22": "1309",
    "U3": "13",
    "U31": "1310",
    "U32": "1311",
    "U9": "1312",
    "W1": "110101",
    "W2": "110102",
    "W3": "110103",
}

#: 2023 code -> its single GB 50137 counterpart (landuse.to_gb50137 gives exactly one)
CODE_2023_TO_GB50137 = {
    "01": "E2",
    "0101": "E2",
    "0102": "E2",
    "0103": "E2",
    "02": "E2",
    "0201": "E2",
    "0202": "E2",
    "0203": "E2",
    "0204": "E2",
    "0205": "E2",
    "03": "E2",
    "0301": "E2",
    "0302": "E2",
    "0303": "E2",
    "0304": "E2",
    "04": "E2",
    "0401": "E2",
    "0402": "E2",
    "0403": "E2",
    "0501": "E9",
    "0502": "E9",
    "0503": "E9",
    "0504": "E9",
    "0505": "E11",
    "0506": "E11",
    "0507": "E2",
    "06": "E2",
    "0601": "E2",
    "060101": "E2",
    "060102": "E2",
    "0602": "E2",
    "060201": "E2",
    "060202": "E2",
    "060203": "E2",
    "07": "R",
    "0701": "R",
    "070101": "R1",
    "070102": "R2",
    "070103": "R3",
    "0703": "R",
    "070301": "R",
    "070302": "R",
    "0704": "R",
    "08": "A",
    "0801": "A1",
    "0802": "A35",
    "0803": "A2",
    "080301": "A21",
    "080302": "A22",
    "0804": "A3",
    "080401": "A31",
    "080402": "A32",
    "080403": "A33",
    "080404": "A3",
    "080405": "A34",
    "0805": "A4",
    "080501": "A41",
    "080502": "A42",
    "0806": "A5",
    "080601": "A51",
    "080602": "A5",
    "080603": "A52",
    "0807": "A6",
    "080701": "A6",
    "080702": "A6",
    "080703": "A6",
    "080704": "A6",
    "09": "B",
    "0901": "B1",
    "090101": "B11",
    "090102": "B12",
    "090103": "B13",
    "090104": "B14",
    "090105": "B4",
    "0902": "B2",
    "0903": "B31",
    "0904": "B9",
    "1001": "M",
    "100101": "M1",
    "100102": "M2",
    "100103": "M3",
    "1002": "H5",
    "1003": "H5",
    "11": "W",
    "1101": "W",
    "110101": "W1",
    "110102": "W2",
    "110103": "W3",
    "1102": "W",
    "1201": "H21",
    "1202": "H22",
    "1203": "H24",
    "1204": "H23",
    "1205": "H25",
    "1206": "S2",
    "1207": "S1",
    "1208": "S4",
    "120801": "S3",
    "120802": "S41",
    "120803": "S42",
    "1209": "S9",
    "1301": "U11",
    "1302": "U21",
    "1303": "U12",
    "1304": "U13",
    "1305": "U14",
    "1306": "U15",
    "1307": "U15",
    "1308": "U16",
    "1309": "U22",
    "1310": "U31",
    "1311": "U32",
    "1312": "U9",
    "14": "G",
    "1401": "G1",
    "1402": "G2",
    "1403": "G3",
    "1501": "H41",
    "1502": "A8",
    "1503": "A9",
    "1504": "A7",
    "1505": "H42",
    "1506": "B9",
    "1507": "H9",
    "17": "E1",
    "1701": "E11",
    "1702": "E11",
    "1703": "E12",
    "1704": "E13",
    "1705": "E13",
    "1706": "E11",
    "2301": "E9",
    "2302": "E9",
    "2303": "E2",
    "2304": "E9",
    "2305": "E9",
    "2306": "E9",
    "2307": "E9",
}

#: the record a message names: every table here has a unique code
_LABELS = {
    "site": "site",
    "building": "building",
    "constraint_zone": "constraint zone",
    "infrastructure": "infrastructure",
}


def _escaped(text: str) -> str:
    """``text`` for the inside of an SQL string literal that RAISE prints as is."""
    return text.replace("'", "''").replace("%", "%%")


def _vocab_function(table: str) -> str:
    """The BEFORE trigger function that checks ``table``'s coded columns, one IF each."""
    checks = []
    for column, (label, terms) in VOCABULARIES[table].items():
        keys = ", ".join(f"'{key}'" for key, _, _ in terms)
        allowed = ", ".join(f"{key} {zh}/{en}" for key, zh, en in terms)
        message = (
            f"'{_LABELS[table]} %: {column} ({_escaped(label)}) % is not an allowed value; "
            f"allowed: {_escaped(allowed)}'"
        )
        rule = f"'{table}_{column}_vocab'"
        if column == "utilities":  # a list: the first element outside the vocabulary
            checks.append(
                f"    SELECT u INTO bad FROM unnest(NEW.{column}) u\n"
                f"     WHERE u IS NULL OR u <> ALL (ARRAY[{keys}]) LIMIT 1;\n"
                f"    IF FOUND THEN\n"
                f"        RAISE EXCEPTION {message}, NEW.code, quote_nullable(bad)\n"
                f"            USING ERRCODE = 'check_violation', CONSTRAINT = {rule};\n"
                f"    END IF;"
            )
        else:
            checks.append(
                f"    IF NEW.{column} <> ALL (ARRAY[{keys}]) THEN\n"
                f"        RAISE EXCEPTION {message}, NEW.code, quote_literal(NEW.{column})\n"
                f"            USING ERRCODE = 'check_violation', CONSTRAINT = {rule};\n"
                f"    END IF;"
            )
    body = "\n".join(checks)
    return (
        f"CREATE FUNCTION gis_app_check_{table}_vocab() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"DECLARE\n    bad text;\nBEGIN\n{body}\n    RETURN NEW;\nEND $$;\n"
        f"CREATE TRIGGER {table}_check_vocab BEFORE INSERT OR UPDATE OF "
        f"{', '.join(VOCABULARIES[table])} ON {table}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION gis_app_check_{table}_vocab();\n"
    )


def _counterpart_function(name: str, pairs: dict[str, str]) -> str:
    cases = "".join(f"        WHEN '{a}' THEN '{b}'\n" for a, b in pairs.items())
    return (
        f"CREATE FUNCTION {name}(code text) RETURNS text\n"
        f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$\n"
        f"    SELECT CASE code\n{cases}    END\n$$;\n"
    )


LAND_USE = (
    _counterpart_function("gis_app_land_use_2023_of", GB50137_TO_2023)
    + _counterpart_function("gis_app_land_use_gb50137_of", CODE_2023_TO_GB50137)
    + r"""
-- Fills the other classification's code when the correspondence gives exactly one.
CREATE FUNCTION gis_app_fill_land_use() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_planned text := CASE WHEN TG_OP = 'UPDATE' THEN OLD.planned_use END;
    old_legacy text := CASE WHEN TG_OP = 'UPDATE' THEN OLD.legacy_use END;
    planned_moved boolean := NEW.planned_use IS DISTINCT FROM old_planned;
    legacy_moved boolean := NEW.legacy_use IS DISTINCT FROM old_legacy;
BEGIN
    -- The code not given follows the one given when it is empty, or when it was left as it
    -- was and had been the old code's counterpart; a code someone chose is kept, and
    -- clearing a code clears only that code.
    IF legacy_moved AND NEW.legacy_use IS NOT NULL
       AND (NEW.planned_use IS NULL
            OR (NOT planned_moved
                AND old_planned IS NOT DISTINCT FROM gis_app_land_use_2023_of(old_legacy))) THEN
        NEW.planned_use := COALESCE(gis_app_land_use_2023_of(NEW.legacy_use), NEW.planned_use);
    ELSIF planned_moved AND NEW.planned_use IS NOT NULL
       AND (NEW.legacy_use IS NULL
            OR (NOT legacy_moved
                AND old_legacy IS NOT DISTINCT FROM gis_app_land_use_gb50137_of(old_planned))) THEN
        NEW.legacy_use := COALESCE(gis_app_land_use_gb50137_of(NEW.planned_use), NEW.legacy_use);
    END IF;
    RETURN NEW;
END $$;

-- named to run before site_bump_version and site_check_land_use (triggers fire in name order)
CREATE TRIGGER site_autofill_land_use BEFORE INSERT OR UPDATE OF planned_use, legacy_use ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_fill_land_use();
"""
)

JURISDICTION = rf"""
-- A site lies inside the jurisdiction (within the app's tolerance); a zone touches it.
CREATE FUNCTION gis_app_check_in_jurisdiction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    outline geometry;
    p geometry;
    share double precision;
    what text := CASE TG_TABLE_NAME WHEN 'site' THEN 'site' ELSE 'constraint zone' END;
BEGIN
    IF TG_OP = 'UPDATE' AND ST_AsEWKB(OLD.geom) = ST_AsEWKB(NEW.geom) THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'site' THEN
        -- most outlines lie well inside one jurisdiction row: no union, no buffer
        IF EXISTS (SELECT 1 FROM jurisdiction j WHERE ST_Covers(j.geom, NEW.geom)) THEN
            RETURN NEW;
        END IF;
    ELSIF EXISTS (SELECT 1 FROM jurisdiction j WHERE ST_Intersects(j.geom, NEW.geom)) THEN
        RETURN NEW;
    END IF;
    SELECT ST_Buffer(ST_Union(geom), {INSIDE_TOLERANCE_DEG}) INTO outline FROM jurisdiction;
    IF outline IS NULL THEN
        RETURN NEW;  -- no jurisdiction loaded yet
    END IF;
    IF TG_TABLE_NAME = 'site' AND NOT ST_Covers(outline, NEW.geom) THEN
        p := ST_PointOnSurface(NEW.geom);
        share := CASE WHEN ST_Area(NEW.geom) > 0
                      THEN 100 * ST_Area(ST_Difference(NEW.geom, outline)) / ST_Area(NEW.geom)
                      ELSE 100 END;
        RAISE EXCEPTION '% %: lies outside the jurisdiction (near %, %; % of its area outside)',
            what, NEW.code, round(ST_X(p)::numeric, 5), round(ST_Y(p)::numeric, 5),
            round(share::numeric, 1) || '%'
            USING ERRCODE = 'GA003', CONSTRAINT = 'site_inside_jurisdiction',
                  HINT = 'rule: a site lies inside the jurisdiction; coordinates are CGCS2000 '
                         '(EPSG:4490) longitude/latitude — check the layer''s CRS';
    ELSIF TG_TABLE_NAME <> 'site' AND NOT ST_Intersects(outline, NEW.geom) THEN
        RAISE EXCEPTION '% %: lies entirely outside the jurisdiction', what, NEW.code
            USING ERRCODE = 'GA003', CONSTRAINT = 'zone_touches_jurisdiction',
                  HINT = 'rule: a constraint zone touches the jurisdiction; coordinates are '
                         'CGCS2000 (EPSG:4490) longitude/latitude — check the layer''s CRS';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER site_check_jurisdiction BEFORE INSERT OR UPDATE OF geom ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_check_in_jurisdiction();
CREATE TRIGGER zone_check_jurisdiction BEFORE INSERT OR UPDATE OF geom ON constraint_zone
    FOR EACH ROW EXECUTE FUNCTION gis_app_check_in_jurisdiction();
"""

NO_DELETE = r"""
-- A deleted site would take its history page with it: sites are retired instead.
CREATE FUNCTION gis_app_refuse_site_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('gis_app.allow_site_delete', true) = 'on'
       AND pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID),
                       'MEMBER') THEN
        RETURN OLD;  -- the owner's deliberate maintenance
    END IF;
    RAISE EXCEPTION 'site % (%): a site is not deleted, so that its history stays readable; '
                    'retire it instead (retired_at)', OLD.code, OLD.name_zh
        USING ERRCODE = 'GA004', CONSTRAINT = 'site_not_deleted',
              HINT = format('rule: sites are retired, not deleted: UPDATE site SET '
                            'availability = ''unavailable'', retired_at = now() WHERE id = %s',
                            OLD.id);
END $$;

CREATE TRIGGER site_refuse_delete BEFORE DELETE ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_refuse_site_delete();
"""


def upgrade() -> None:
    op.execute(JURISDICTION)
    op.execute(NO_DELETE)
    op.execute(LAND_USE)
    for table in VOCABULARIES:
        op.execute(_vocab_function(table))


def downgrade() -> None:
    for table in VOCABULARIES:
        op.execute(f"DROP TRIGGER {table}_check_vocab ON {table}")
        op.execute(f"DROP FUNCTION gis_app_check_{table}_vocab()")
    op.execute("""
        DROP TRIGGER site_autofill_land_use ON site;
        DROP FUNCTION gis_app_fill_land_use();
        DROP FUNCTION gis_app_land_use_gb50137_of(text);
        DROP FUNCTION gis_app_land_use_2023_of(text);
        DROP TRIGGER site_refuse_delete ON site;
        DROP FUNCTION gis_app_refuse_site_delete();
        DROP TRIGGER zone_check_jurisdiction ON constraint_zone;
        DROP TRIGGER site_check_jurisdiction ON site;
        DROP FUNCTION gis_app_check_in_jurisdiction();
    """)
