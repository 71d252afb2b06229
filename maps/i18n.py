"""Words of the map pages (Chinese first, English second) and the label tables sent to them.

Vocabulary and land-use labels come from ``gis_app.domain.vocab`` and ``landuse``; this module
only holds the pages' own words (buttons, headings, field names) and packs everything the
browser needs to label sites in either language.
"""

from __future__ import annotations

from gis_app.domain import landuse, vocab
from gis_app.domain.error_vocab import PARAMETER_LABELS
from gis_app.domain.vocab import Term


def _t(key: str, zh: str, en: str) -> Term:
    return Term(key, zh, en)


def _p(key: str) -> Term:
    """The label of a form field that the error vocabulary names too (one text for the field
    and for the refusals that name it)."""
    return Term(key, *PARAMETER_LABELS[key])


UI: dict[str, Term] = {
    t.key: t
    for t in (
        _t("app_title", "招商资源地图", "Investment site map"),
        _t("filters", "筛选", "Filters"),
        _t("apply", "查询", "Search"),
        _t("reset", "重置", "Reset"),
        _t("any", "不限", "Any"),
        _t("q", "名称/编号", "Name or code"),
        _t("kind", "资源类型", "Kind"),
        _t("block", "区块", "Block"),
        _t("township", "街道/镇", "Township"),
        _t("land_use", "规划用途", "Planned land use"),
        _t("area_mu", "面积（亩）", "Area (mu)"),
        _t("min", "最小", "min"),
        _t("max", "最大", "max"),
        _t("availability", "招商状态", "Availability"),
        _t("readiness", "土地整理", "Readiness"),
        _t("policy_status", "政策处理", "Policy handling"),
        _t("max_price_wan_per_mu", "出让底价上限（万元/亩）", "Max. price (10k CNY/mu)"),
        _t("building_specs", "厂房/楼宇条件", "Building specs"),
        _t("vacant_gfa_min_m2", "空置面积 ≥（㎡）", "Vacant floor area ≥ (m²)"),
        _t("floor_height_min_m", "层高 ≥（米）", "Floor height ≥ (m)"),
        _t("floor_load_min_kg_m2", "楼面荷载 ≥（kg/㎡）", "Floor load ≥ (kg/m²)"),
        _t("crane_min_t", "行车 ≥（吨）", "Crane ≥ (t)"),
        _t("power_min_kva", "供电 ≥（kVA）", "Power ≥ (kVA)"),
        _t("results", "结果", "Results"),
        _t("in_view", "视野内", "in view"),
        _t("on_map", "图上", "on map"),
        _t("sites_unit", "处", "sites"),
        _t("showing_first", "显示前", "showing the first"),
        _t("loading", "加载中…", "Loading…"),
        _t("no_results", "视野内没有符合条件的资源", "No matching site in view"),
        _t("zoom_in_for_more", "放大查看更多", "zoom in to see more"),
        _t("code", "编号", "Code"),
        _t("name", "名称", "Name"),
        _t("area", "面积", "Area"),
        _t("mu", "亩", "mu"),
        _t("m2", "㎡", "m²"),
        _t("planned_use", "规划用途", "Planned use"),
        _t("legacy_use", "用地分类（GB 50137）", "Land use (GB 50137)"),
        _t("indicators", "规划指标", "Planning indicators"),
        _t("far", "容积率", "FAR"),
        _t("coverage_min_pct", "建筑密度 ≥", "Coverage ≥"),
        _t("green_max_pct", "绿地率 ≤", "Green ratio ≤"),
        _t("height_limit_m", "限高", "Height limit"),
        _p("status"),
        _t("supply_stage", "供应阶段", "Supply stage"),
        _t("planning_status", "控规状态", "Regulatory plan"),
        _t("quota_status", "用地指标", "Land-use quota"),
        _t("price", "出让底价", "Reserve price"),
        _t("wan_per_mu", "万元/亩", "10k CNY/mu"),
        _t("rent", "租金", "Rent"),
        _t("yuan_m2_month", "元/㎡·月", "CNY/m²/month"),
        _t("verified_at", "核实日期", "Verified"),
        _t("stale", "信息可能已过期", "may be out of date"),
        _t("buildings", "楼栋/厂房", "Buildings"),
        _t("open_sheet", "查看详情", "Open sheet"),
        _t("project", "落地项目", "Project"),
        _t("late", "滞后", "Behind"),
        _t("start_match", "发起匹配", "Start a match"),
        _t("add_to_recommendation", "加入推荐", "Add to recommendation"),
        _t("cluster", "处资源，放大查看", "sites here, zoom in"),
        _t("clusters", "聚合（数字越大圆越大）", "Clusters (size by count)"),
        _t("cluster_available", "含可招商资源", "with available sites"),
        _t("yes", "是", "yes"),
        _t("no", "否", "no"),
        _t("choose", "请选择", "Choose"),
        _t("near_place", "或以设施为圆心", "or centre on a place"),
        _t("pick_centre", "在图上点选圆心", "Click a centre"),
        _t("draw_circle", "画圆", "Draw a circle"),
        _t("draw_polygon", "画多边形", "Draw a polygon"),
        _t("draw_line", "画线（加缓冲）", "Draw a line (buffered)"),
        _t("clear_area", "清除范围", "Clear the area"),
        _t(
            "draw_hint",
            "在地图上点击画出范围，点击起点结束",
            "Click on the map; click the first point to finish",
        ),
        _t(
            "line_hint",
            "点击画线，点击最后一点结束",
            "Click to draw; click the last point to finish",
        ),
        _t("circle_hint", "按住拖动画圆", "Click the centre, then the edge"),
        _t("pick_hint", "点击地图选择圆心", "Click the map to choose the centre"),
        _t("area_polygon", "多边形范围", "Polygon area"),
        _t("area_line", "沿线范围", "Along a line"),
        _t("area_circle", "圆形范围", "Circle"),
        _t("search_area", "搜索范围", "Search area"),
        _t("problems", "链接或输入有误", "Problem with the link or input"),
        _t("unknown_parameter", "未知参数（已忽略）", "unknown parameter (ignored)"),
        _t("invalid_value", "不是有效的数值（已忽略）", "not a valid number (ignored)"),
        _t("value_not_offered", "筛选面板中没有此值", "value not offered by the panel"),
        _t(
            "not_applied",
            "未执行此查询，地图和列表保持原样",
            "the search was not run; map and list are unchanged",
        ),
        _t(
            "list_kept",
            "列表保持不变，已定位到所选资源",
            "List kept; the map shows the chosen site",
        ),
        _t("constraint_zones", "管控区", "Constraint zones"),
        _t("cluster_other", "无可招商资源", "none available"),
        _t("of_which_available", "其中可招商", "available"),
        _t("legend", "图例", "Legend"),
        _t("kind_outline", "类型（轮廓）", "Kind (outline)"),
        _t("sites_layer", "招商资源", "Sites"),
        _t("jurisdiction", "行政区界", "Jurisdiction outline"),
        _t("infrastructure", "基础设施", "Infrastructure"),
        _t("other_zones", "其他管控区", "Other constraint zones"),
        _t("language", "English", "中文"),
        _t("basemap_reload", "切换坐标系，正在重新加载…", "Switching coordinate frame, reloading…"),
        _t("frame_gcj02", "显示坐标已偏移至 GCJ-02（高德）", "Display shifted to GCJ-02 (Gaode)"),
        _t("site_sheet", "资源详情", "Site sheet"),
        _t("attributes", "基本信息", "Attributes"),
        _t("distances", "交通区位（至最近设施）", "Distances (to the nearest)"),
        _t("constraints", "管控区重叠", "Constraint-zone overlaps"),
        _t("no_overlap", "未与管控区重叠", "No overlap with constraint zones"),
        _t("current_use", "现状用地（三调）", "Current land use (survey)"),
        _t("no_current_use", "三调图斑未覆盖本地块", "The land survey does not reach this site"),
        _t("land_class", "地类", "Land class"),
        _t("piece_m2", "面积（㎡）", "Area (m²)"),
        _t("history", "变更记录", "Status history"),
        _t("no_history", "暂无记录", "No history yet"),
        _t("changed_at", "时间", "When"),
        _t("changed_by", "修改人", "By"),
        _t("change", "变更", "Change"),
        _t("back_to_map", "返回地图", "Back to map"),
        _t("logout", "退出登录", "Log out"),
        _t("overlap_m2", "重叠面积（㎡）", "Overlap (m²)"),
        _t("overlap_pct", "占地块比例", "Share of site"),
        _t("blocking", "禁止开发", "blocks development"),
        _t("distance_km", "距离（公里）", "Distance (km)"),
        _t("description", "简介", "Description"),
        _t("blocking_note", "制约说明", "Blocking note"),
        _t("source_doc", "资料来源", "Source"),
        _t("provenance", "数据来源", "Provenance"),
        _t("internal", "内部信息（不对客商公开）", "Internal (never shown to investors)"),
        _t("owner", "权属人/联系人", "Owner / contact"),
        _t("notes", "备注", "Notes"),
        _t("price_floor", "内部底价", "Internal price floor"),
        _t("version", "版本", "Version"),
        _t("exported", "导出于", "Exported"),
        _t("export_filter", "筛选条件", "Filter"),
        _t("matching_requirements", "本资源满足的在谈需求", "Open requirements it meets"),
        _t("no_matching_requirements", "暂无满足条件的在谈需求", "No open requirement fits"),
        _t("project", "项目", "Project"),
        _t("need", "需求类型", "Need"),
        _t("officer", "招商专员", "Officer"),
        _t("recommendation_created", "已创建推荐", "Recommendation created"),
        # requirement pages
        _t("requirements", "项目需求", "Requirements"),
        _t("new_requirement", "登记新需求", "Record a requirement"),
        _t("save_requirement", "保存并匹配", "Save and match"),
        _t("save_changes", "保存修改并重新匹配", "Save changes and match again"),
        _t("edit_requirement", "修改需求", "Change the requirement"),
        _t("required_field", "必填", "required"),
        _t("list_hint", "逗号分隔", "comma-separated"),
        _t("search_requirements", "筛选", "Filter"),
        _t("q_requirements", "项目名称/行业/类型", "Project, industry or type"),
        _t("all", "全部", "All"),
        _t("created_at", "登记日期", "Recorded"),
        _t("matching_sites", "满足条件的资源", "Sites that fit"),
        _t("no_requirements", "暂无需求", "No requirement yet"),
        _t("previous", "上一页", "Previous"),
        _t("next", "下一页", "Next"),
        _t("page", "页", "page"),
        _t("requirement", "需求", "Requirement"),
        _t("stated", "需求内容", "What the investor needs"),
        _t("matches", "匹配结果", "Matches"),
        _t(
            "near_misses",
            "接近匹配（仅一项硬性条件未满足）",
            "Near misses (fail one hard constraint)",
        ),
        _t("no_matches", "没有满足全部硬性条件的资源", "No site meets every hard constraint"),
        _t("no_near_misses", "没有接近匹配的资源", "No near miss"),
        _t(
            "match_total", "共有 {n} 处资源满足全部硬性条件", "{n} sites meet every hard constraint"
        ),
        _t("near_total", "{n} 处资源仅差一项", "{n} sites miss by one constraint"),
        _t("rank", "排名", "Rank"),
        _t("score", "得分", "Score"),
        _t("building", "楼栋", "Building"),
        _t("why", "理由", "Why"),
        _t("what_to_change", "需调整", "What would have to change"),
        _t("all_criteria", "逐项说明", "Every criterion"),
        _t("criterion", "条件", "Criterion"),
        _t("site_value", "资源情况", "Site"),
        _t("requirement_value", "要求", "Required"),
        _t("verdict", "结果", "Result"),
        _p("margin_pct"),
        _t("list_length", "列出前", "List the first"),
        _t("rematch", "重新匹配", "Match again"),
        _t("select", "选入推荐", "Recommend"),
        _t("recommend", "生成推荐链接", "Create a recommendation link"),
        _t(
            "recommend_hint",
            "勾选要推荐的资源（按排名顺序）",
            "Tick the sites to recommend (in rank order)",
        ),
        _p("title_zh"),
        _p("title_en"),
        _p("intro_zh"),
        _p("intro_en"),
        _p("recipient_name"),
        _p("recipient_org"),
        _t("link_language", "页面语言", "Page language"),
        _p("expires_days"),
        _t(
            "link_created",
            "推荐链接已生成（仅此一次显示，请复制）",
            "Link created (shown only now; copy it)",
        ),
        _t("copy", "复制", "Copy"),
        _t("copied", "已复制", "Copied"),
        _t("none_selected", "请至少勾选一处资源", "Tick at least one site"),
        _t(
            "recipient_required",
            "请填写收件人或收件单位（recipient_name / recipient_org）",
            "Give the recipient or the organisation (recipient_name / recipient_org)",
        ),
        _t("recommendations", "已发送的推荐", "Recommendations sent"),
        _t("no_recommendations", "尚未发送推荐", "No recommendation yet"),
        _t("sites_count", "资源数", "Sites"),
        _t("links", "链接数", "Links"),
        _t("views", "浏览次数", "Views"),
        _t("move_status", "变更状态", "Move status"),
        _t("move", "确认", "Move"),
        _t("status_note", "说明", "Note"),
        _t("final_status", "已是最终状态", "Final status"),
        _t("cannot_match", "无法匹配", "Cannot match"),
        _t("read_only", "规划人员可查看，不能修改", "Planners can read, not change"),
        _t("saving", "保存中…", "Saving…"),
        _t(
            "see_fields",
            "未保存，请按字段旁的提示修改。",
            "Not saved: see the messages next to the fields.",
        ),
        _t("alerts", "新提醒：资源新近满足需求", "New alerts: sites that now fit"),
        # results of the map: compare, export, saved searches
        _t("saved_search", "保存的查询", "Saved search"),
        _t("saved_searches", "保存的查询", "Saved searches"),
        _t("save_search", "保存当前查询", "Save this search"),
        _t("search_name", "查询名称", "Name of the search"),
        _t("no_saved_search", "还没有保存的查询", "No saved search yet"),
        _t("delete", "删除", "Delete"),
        _t("search_alerts", "新进入保存查询的资源", "Sites that newly entered your searches"),
        _t("export_results", "导出结果", "Export the results"),
        _t("export_scope", "当前筛选与绘制区域的全部资源", "all sites of the filters and area"),
        _t("exporting", "正在导出…", "Exporting…"),
        _t("export_done", "已导出", "Exported"),
        _t("search_saved", "已保存", "Saved"),
        _t("compare", "对比", "Compare"),
        _t("add_to_compare", "加入对比", "Add to comparison"),
        _t("open_compare", "打开对比", "Open comparison"),
        _t("clear", "清空", "Clear"),
        _t("compare_at_most", "最多对比 4 处资源", "Compare at most 4 sites"),
        _t("compare_choose", "勾选 2–4 处资源进行对比", "Tick 2–4 sites to compare"),
        _t("compare_title", "资源对比", "Site comparison"),
        _t("only_differences", "只看不同项", "Only differences"),
        _t("print", "打印", "Print"),
        _t("differs", "有差异", "differs"),
        _t("item", "项目", "Item"),
        _t("building_count", "楼栋数", "Number of buildings"),
        _t("vacant_total", "空置面积合计（㎡）", "Vacant floor area in total (m²)"),
        _t("min_rent", "最低租金（元/㎡·月）", "Lowest rent (CNY/m²/month)"),
        _t("min_sale", "最低售价（元/㎡）", "Lowest sale price (CNY/m²)"),
        _t("sites_now", "现有资源", "sites now"),
        _t("mark_seen", "已读", "Seen"),
        _t("alert_site", "资源", "Site"),
        _t("link_active", "有效", "active"),
        _t("link_expired", "已过期", "expired"),
        _t("link_revoked", "已撤销", "revoked"),
        _t("expires_at", "有效期至", "Valid until"),
        _t("last_viewed", "最近浏览", "Last viewed"),
        _t("feedback", "客商反馈", "Investor feedback"),
        _t("no_links", "尚未生成链接", "No link yet"),
        _t("revoke", "撤销", "Revoke"),
        _t("extend_14", "延长14天", "Extend 14 days"),
        _t(
            "edit_conflict",
            "保存失败：您打开此页面后，他人已修改了这条需求。您填写的内容仍保留在表单中；"
            "请重新加载页面查看最新内容，再重新修改。",
            "Not saved: someone else changed this requirement after you opened this page. "
            "What you typed is still in the form; reload the page to see the current version, "
            "then apply your change again.",
        ),
        _t("reload", "重新加载", "Reload"),
        _t("link_url", "推荐链接", "Recommendation link"),
        _t("copy_link", "复制链接", "Copy link"),
        _t("open_link", "打开链接", "Open the link"),
        _t("new_answers", "新反馈", "New answers"),
        _t("new_badge", "新", "New"),
        _t("mark_answers_read", "标为已读", "Mark as read"),
        # referrals between districts (issue 26, item 3)
        _t("referrals", "跨区转介", "Referrals to other districts"),
        _t("refer", "转介给其他区县", "Refer to another district"),
        _t("refer_to", "转介至", "Refer to"),
        _t("refer_note", "转介说明", "Note for their officers"),
        _t("refer_send", "转介", "Refer"),
        _t("referred", "已转介", "Referred"),
        _t("referred_in", "转介给本区的需求", "Requirements referred to our district"),
        _t("referred_from", "转介自", "Referred by"),
        _t("referral_district", "区县", "District"),
        _t("referral_note", "说明", "Note"),
        _t("referred_at", "转介时间", "Referred on"),
        _t("matched_sites", "匹配资源数", "Sites matched"),
        _t("matched_at", "匹配时间", "Matched on"),
        _t("link_sent", "已发推荐链接", "Link sent"),
        _t("not_yet", "尚未", "not yet"),
        _t("no_referrals", "尚未转介", "Not referred yet"),
        _t("match_for_district", "按本区资源匹配", "Match against our district's sites"),
        _t("referral_matched", "已按本区资源匹配", "Matched against our district's sites"),
        _t("site_district", "所在区县", "District"),
        _t("referral_answer", "答复转介", "Answer the referral"),
        _t("referral_answer_send", "提交答复", "Send answer"),
        _t("referral_close", "关闭转介", "Close"),
        _t("referral_reopen", "重新开启", "Reopen"),
    )
}


def ui_labels() -> dict[str, dict[str, str]]:
    """The pages' words as ``{key: {"zh": …, "en": …}}``."""
    return {k: {"zh": t.zh, "en": t.en} for k, t in UI.items()}


def vocab_labels() -> dict[str, dict[str, dict[str, str]]]:
    """Every vocabulary as ``{name: {key: {"zh": …, "en": …}}}`` plus its own title (key "")."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for name, voc in vocab.VOCABULARIES.items():
        entries = {t.key: {"zh": t.zh, "en": t.en} for t in voc}
        entries[""] = {"zh": voc.zh, "en": voc.en}
        out[name] = entries
    return out


def land_use_labels() -> dict[str, dict[str, dict[str, str]]]:
    """Land-use labels of the 2023 classification and GB 50137 by code."""
    return {
        "2023": {c.code: {"zh": c.zh, "en": c.en} for c in landuse.CLASSIFICATION_2023.values()},
        "gb50137": {c.code: {"zh": c.zh, "en": c.en} for c in landuse.GB50137.values()},
    }


def land_use_options() -> list[dict[str, object]]:
    """Codes of the 2023 classification offered by the land-use filter (levels 1–3)."""
    return [
        {"code": c.code, "level": c.level, "zh": c.zh, "en": c.en}
        for c in landuse.CLASSIFICATION_2023.values()
    ]


#: the words of the users page (admins)
#: the planners' import page
IMPORT_UI: dict[str, Term] = {
    t.key: t
    for t in (
        _t("imports", "导入文件", "Import files"),
        _t(
            "file",
            "文件（.zip Shapefile、.gpkg、.geojson、.csv、.xlsx）",
            "File (.zip Shapefile, .gpkg, .geojson, .csv, .xlsx)",
        ),
        _t("layer", "图层", "Layer"),
        _t("layer_sites", "招商资源（地块、厂房…）", "Sites (parcels, plants …)"),
        _t(
            "layer_buildings",
            "现有地块的厂房/楼宇（无需图形）",
            "Buildings of existing sites (no geometry)",
        ),
        _t("layer_constraint_zones", "管控区", "Constraint zones"),
        _t("layer_current_use", "三调现状图斑（DLTB）", "三调 current-use parcels (DLTB)"),
        _t("crs", "坐标系（文件未声明时）", "CRS (when the file declares none)"),
        _t(
            "set",
            "每行统一取值（每行一个 字段=值）",
            "Values for every row (FIELD=VALUE, one a line)",
        ),
        _t("encoding", "编码（文件未声明时）", "Encoding (when the file declares none)"),
        _t("dry_run", "仅检查（不写入）", "Check only (write nothing)"),
        _t("note", "说明（写入变更记录）", "Note (goes into the history)"),
        _t("doc_ref", "文件依据", "Document reference"),
        _t("submit", "导入", "Import"),
        _t(
            "template",
            "下载导入模板（XLSX，含下拉选项）",
            "Download the import template (XLSX, dropdowns)",
        ),
        _t("progress", "进度", "Progress"),
        _t("cancel", "取消导入", "Cancel the import"),
        _t("cancelling", "正在取消…", "Cancelling…"),
        _t("report", "导入报告", "Import report"),
        _t("uploading", "正在上传…", "Uploading…"),
        _t("committed", "已全部写入", "Everything was written"),
        _t("not_loaded", "未写入任何记录", "Nothing was written"),
        _t("checked_only", "仅检查，未写入", "Checked only; nothing was written"),
        _t("cancelled", "已取消，未写入任何记录", "Cancelled; nothing was written"),
        _t("failed", "导入失败，未写入任何记录", "The import failed; nothing was written"),
        _t("row", "行", "Row"),
        _t("code", "编号", "Code"),
        _t("outcome", "结果", "Outcome"),
        _t("details", "说明", "Details"),
        _t("insert", "新增", "new"),
        _t("update", "更新", "updated"),
        _t("unchanged", "未变", "unchanged"),
        _t("rejected", "退回", "rejected"),
        _t("warnings", "提示", "warnings"),
        _t("file_problems", "文件问题", "Problems with the file"),
        _t("notes", "备注", "Notes"),
    )
}

ADMIN_UI: dict[str, Term] = {
    t.key: t
    for t in (
        _t("users", "用户管理", "Users"),
        _t("new_user", "新建用户", "New user"),
        _t("username", "用户名", "Username"),
        _t("display_name", "姓名", "Display name"),
        _t("roles", "角色", "Roles"),
        _t("password_optional", "初始密码（留空则自动生成）", "Password (blank: generated)"),
        _t("create", "创建", "Create"),
        _t("state", "状态", "State"),
        _t("enabled", "启用", "Enabled"),
        _t("disabled", "已停用", "Disabled"),
        _t("disable", "停用", "Disable"),
        _t("enable", "启用", "Enable"),
        _t("save_roles", "保存角色", "Save roles"),
        _t("reset_password", "重置密码", "Reset password"),
        _t("created_at", "创建时间", "Created"),
        _t("actions", "操作", "Actions"),
        _t("tokens", "API 令牌", "API tokens"),
        _t("token_name", "令牌名称", "Token name"),
        _t("token_prefix", "前缀", "Prefix"),
        _t("user", "用户", "User"),
        _t("expires_at", "到期", "Expires"),
        _t("never", "不过期", "never"),
        _t("last_used", "最近使用", "Last used"),
        _t("revoked_at", "撤销时间", "Revoked"),
        _t("revoke", "撤销", "Revoke"),
        _t("no_tokens", "暂无令牌", "No tokens"),
        _t("token_active", "有效", "active"),
        _t("created_user", "已创建用户", "User created"),
        _t(
            "new_password",
            "新密码（仅显示一次，请转交本人）",
            "New password (shown once; pass it on)",
        ),
        _t("saved", "已保存", "Saved"),
        _t(
            "confirm_disable",
            "确定停用该用户？其会话将立即结束。",
            "Disable this user? Their sessions end now.",
        ),
        _t("back_to_map", "返回地图", "Back to the map"),
        _t("language", "English", "中文"),
        _t("you", "（当前登录）", "(you)"),
    )
}
