"""The error vocabulary: every refusal's stable code with its message in Chinese and English.

Like the labels of :mod:`gis_app.domain.vocab`, the words people read when something is refused
live here and nowhere else. A domain error (:mod:`gis_app.domain.errors`) carries a ``code``
from :data:`ERRORS`, the ``field`` it is about (a name of the field registry, or None) and the
``params`` its message needs; the API sends ``{code, field, message: {zh, en}}`` and the pages
show the message of their language next to the field it names. The English ``detail`` of an
error (``str(err)``) stays what it was: precise, for logs and API clients.

A message template may use ``{field}`` (the field's label in the message's language, from the
field registry) and the error's params; a param that is a :class:`~gis_app.domain.vocab.Term`
(or a list of them) is written in the message's language too.
``tests/domain/test_error_vocab.py`` checks that every code has both languages with the same
placeholders and that every code the code base raises is declared here.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # vocab imports errors, which imports this module
    from gis_app.domain.vocab import Term

LANGS: tuple[str, ...] = ("zh", "en")


@dataclass(frozen=True, slots=True)
class ErrorTerm:
    """One refusal: its stable code and its message templates (Chinese first)."""

    code: str
    zh: str
    en: str

    def template(self, lang: str) -> str:
        """The message template in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en

    def placeholders(self, lang: str) -> frozenset[str]:
        """The names the template of ``lang`` fills in."""
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(self.template(lang)) if name
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request: its code, the field it is about, the message's params
    and an English detail (for logs and API clients)."""

    code: str
    field: str | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    detail: str = ""


def _e(code: str, zh: str, en: str) -> ErrorTerm:
    return ErrorTerm(code, zh, en)


ERRORS: dict[str, ErrorTerm] = {
    t.code: t
    for t in (
        # --- generic, one per kind of domain error ---------------------------------------------
        _e("error", "操作未完成，请稍后重试。", "The operation did not complete; please retry."),
        _e(
            "invalid_input",
            "输入的内容无法接受，请检查后重试。",
            "The input was not accepted; please check it.",
        ),
        _e(
            "not_found",
            "找不到该记录（可能已被删除）。",
            "This record does not exist (it may have been deleted).",
        ),
        _e(
            "load_error",
            "文件中有 {count} 处问题，未导入任何内容。",
            "The file has {count} problem(s); nothing was loaded.",
        ),
        _e(
            "database_unavailable",
            "数据库暂时不可用，请稍后重试。",
            "The database is unavailable; retry shortly.",
        ),
        _e("database_busy", "系统繁忙，请稍后重试。", "The system is busy; retry shortly."),
        _e("provisioning_error", "无法启动数据库。", "The database could not be started."),
        _e("not_authenticated", "请先登录。", "Please log in."),
        _e("forbidden", "您的账号没有此操作的权限。", "Your account may not do this."),
        _e(
            "csrf_failed",
            "页面已过期，请刷新后重试。",
            "This page has expired; reload it and try again.",
        ),
        _e(
            "rate_limited",
            "尝试次数过多，请 {retry_after_s} 秒后再试。",
            "Too many attempts; try again in {retry_after_s} s.",
        ),
        _e(
            "conflict",
            "与现有数据冲突，未保存。",
            "This conflicts with existing data; nothing was saved.",
        ),
        _e("duplicate", "{field}“{value}”已存在。", "{field} “{value}” already exists."),
        _e(
            "district_key_taken",
            "行政区代码“{value}”与另一行政区代码的匹配索引键相同（罕见的哈希碰撞），请换一个代码。",
            "District code “{value}” has the same match-index key as another district's code"
            " (a rare hash collision); use another code.",
        ),
        _e("user_exists", "用户名“{value}”已存在。", "User “{value}” already exists."),
        _e(
            "own_account_disable",
            "不能停用自己的账号。",
            "You cannot disable your own account.",
        ),
        _e(
            "own_admin_role",
            "不能取消自己的管理员角色。",
            "You cannot remove your own admin role.",
        ),
        _e(
            "configuration_error",
            "系统配置有误，请联系管理员。",
            "The system is misconfigured; contact an administrator.",
        ),
        _e(
            "precondition_required",
            "请求缺少版本号（If-Match），未保存。",
            "The request does not say which version it changes (If-Match); nothing was saved.",
        ),
        _e(
            "precondition_failed",
            "该记录已被他人修改，请重新加载后再改。",
            "Someone else changed this record meanwhile; reload it and apply your change again.",
        ),
        _e(
            "edit_conflict",
            "修改与当前数据冲突，未保存。",
            "The change conflicts with the current data; nothing was saved.",
        ),
        _e(
            "lock_timeout",
            "该记录正被他人编辑（可能在 QGIS 中），请稍后重试。",
            "Someone else is editing this record (maybe in QGIS); try again shortly.",
        ),
        _e("payload_too_large", "上传的文件过大。", "The upload is too large."),
        _e(
            "try_again",
            "有人同时在修改这些数据，未保存：请稍后重试。",
            "Someone changed the same data at the same moment; nothing was saved — try again.",
        ),
        _e(
            "job_already_ended",
            "该导入任务已结束（{value}），无法取消。",
            "This import job has already ended ({value}); it cannot be cancelled.",
        ),
        _e(
            "link_revoked",
            "该链接已于 {value} 撤销，不能延长；请新建链接。",
            "This link was revoked on {value}; it cannot be extended — create a new link.",
        ),
        # --- photos and documents of sites (issue 21) ----------------------------------------
        _e(
            "file_type_unsupported",
            "“{value}”不是 JPEG、PNG 或 PDF 文件（内容看起来是{looks}），未保存。",
            "“{value}” is not a JPEG, PNG or PDF file (its content looks like {looks}); "
            "nothing was saved.",
        ),
        _e(
            "file_damaged",
            "“{value}”无法读取：文件已损坏，或不是真正的图片。",
            "“{value}” cannot be read: it is damaged, or not a real image.",
        ),
        _e(
            "pdf_truncated",
            "“{value}”不完整（PDF 缺少结尾），请重新导出后上传。",
            "“{value}” is incomplete (the PDF has no end); export it again and upload it.",
        ),
        _e("file_empty", "“{value}”是空文件。", "“{value}” is empty."),
        _e(
            "file_too_large",
            "“{value}”过大（上限 {max} MB）。",
            "“{value}” is too large (the limit is {max} MB).",
        ),
        _e(
            "image_too_many_pixels",
            "“{value}”像素过多（上限 {max} 像素）。",
            "“{value}” has too many pixels (the limit is {max}).",
        ),
        _e(
            "too_many_files",
            "该资源已有 {count} 个文件，请先删除不需要的。",
            "This site already has {count} files; delete one first.",
        ),
        _e(
            "building_of_other_site",
            "楼宇 {value} 不在该地块上。",
            "Building {value} is not on this site.",
        ),
        _e(
            "link_unavailable",
            "该链接无效、已过期或已被撤销。",
            "This link is unknown, expired or revoked.",
        ),
        _e(
            "geometry_rejected",
            "图形不符合要求：{count} 处问题。",
            "The geometry was refused: {count} problem(s).",
        ),
        _e(
            "outside_own_district",
            "地块 {value} 位于{other}，不在其所属的{district}范围内：地块须位于本行政区内。",
            "Site {value} lies in {other}, not in its district {district}: a site must lie in "
            "its own district.",
        ),
        _e(
            "outside_write_scope",
            "地块 {value} 位于{district}，不在您可编辑的行政区范围内。",
            "Site {value} lies in {district}, a district you may not change.",
        ),
        _e(
            "district_not_writable",
            "该记录所在的行政区不在您可编辑的范围内。",
            "This record lies in a district you may not change.",
        ),
        _e(
            "site_other_district",
            "地块 {value} 位于{other}，不在本项目所属的{district}范围内："
            "项目只取用本行政区的地块。",
            "Site {value} lies in {other}, outside the project's district {district}: a project "
            "takes sites of its own district.",
        ),
        _e(
            "no_district",
            "尚未配置任何行政区：请先载入行政区（jurisdiction.geojson）。",
            "No district is configured: load the districts first (jurisdiction.geojson).",
        ),
        _e(
            "crosses_district_boundary",
            "地块 {value} 跨越{district}与{other}的行政区界线：地块须完整位于一个行政区内，"
            "请沿区界拆分。",
            "Site {value} crosses the boundary between {district} and {other}: a site must lie "
            "within one district; split it at the boundary.",
        ),
        # --- a value of one field --------------------------------------------------------------
        _e("required", "请填写{field}。", "{field} is required."),
        _e(
            "below_min",
            "{field}不能小于 {min}（填写的是 {value}）。",
            "{field} cannot be below {min} (you entered {value}).",
        ),
        _e(
            "above_max",
            "{field}不能大于 {max}（填写的是 {value}）。",
            "{field} cannot be above {max} (you entered {value}).",
        ),
        _e("not_a_number", "{field}应为数字。", "{field} must be a number."),
        _e("not_an_integer", "{field}应为整数。", "{field} must be a whole number."),
        _e("not_finite", "{field}应为有限的数字。", "{field} must be a finite number."),
        _e("not_a_bool", "{field}应为“是”或“否”。", "{field} must be yes or no."),
        _e(
            "not_a_date",
            "{field}应为日期（如 2026-08-21）。",
            "{field} must be a date (e.g. 2026-08-21).",
        ),
        _e(
            "no_such_date",
            "{field}：没有这一天（{value}）。",
            "{field}: there is no such day ({value}).",
        ),
        _e("not_text", "{field}应为文字。", "{field} must be text."),
        _e("not_a_list", "{field}应为列表。", "{field} must be a list."),
        _e("not_an_object", "{field}应为 JSON 对象。", "{field} must be a JSON object."),
        _e(
            "text_nul",
            "{field}含有不允许的空字符（NUL）。",
            "{field} contains a NUL character, which is not allowed.",
        ),
        _e(
            "too_long",
            "{field}太长（最多 {max_length}）。",
            "{field} is too long (at most {max_length}).",
        ),
        _e(
            "too_short",
            "{field}太短（至少 {min_length}）。",
            "{field} is too short (at least {min_length}).",
        ),
        _e(
            "unknown_value",
            "{field}：“{value}”不是可选的值。",
            "{field}: “{value}” is not one of the choices.",
        ),
        _e("unknown_field", "无法识别的字段：{field}。", "Unknown field: {field}."),
        _e(
            "read_only",
            "{field}由系统计算或维护，不能修改。",
            "{field} is derived or kept by the database and cannot be changed.",
        ),
        _e("not_editable_here", "{field}不能在此修改。", "{field} cannot be changed here."),
        _e("invalid_value", "{field}的值无效。", "{field}: the value is not valid."),
        _e(
            "unknown_land_use",
            "{field}：“{value}”不是有效的用地分类代码。",
            "{field}: “{value}” is not a valid land-use code.",
        ),
        _e(
            "unknown_industry",
            "{field}：“{value}”不是有效的国民经济行业代码（GB/T 4754）。",
            "{field}: “{value}” is not a valid GB/T 4754 industry code.",
        ),
        _e(
            "range_inverted",
            "{range}的下限（{value}）不能大于上限（{upper_value}）。",
            "{range}: the minimum ({value}) cannot be greater than the maximum ({upper_value}).",
        ),
        _e("bad_request", "请求无法处理。", "The request cannot be processed."),
        _e(
            "method_not_allowed",
            "此地址不支持该操作。",
            "This address does not support this method.",
        ),
        _e(
            "not_acceptable",
            "无法以所要求的格式回答。",
            "The answer cannot be given in the format asked for.",
        ),
        _e("unsupported_media_type", "不支持此内容格式。", "This content type is not supported."),
        _e("malformed_json", "请求内容不是有效的 JSON。", "The request body is not valid JSON."),
        _e(
            "bad_etag",
            "版本号（If-Match）格式不对。",
            "The version (If-Match) is not in the right form.",
        ),
        # --- status moves of a site (gis_app.domain.transitions) -------------------------------
        _e(
            "reason_required",
            "{field}从“{old}”改为“{new}”属于回退，请在“备注 / 理由”中说明原因。",
            "{field} goes back from “{old}” to “{new}”: give the reason in “Note / reason”.",
        ),
        _e(
            "delivered_needs_full_progress",
            "政策处理为“已交地”时，进度必须是 100%（填写的是 {value}%）。",
            "Policy handling “Delivered” means a progress of 100 % (you entered {value} %).",
        ),
        _e(
            "not_started_with_progress",
            "政策处理为“未启动”时，进度应为 0（填写的是 {value}%）。",
            "Policy handling “Not started” cannot have a progress of {value} %.",
        ),
        _e(
            "far_min_above_max",
            "容积率下限（{value}）不能大于上限（{max}）。",
            "FAR minimum ({value}) cannot exceed the maximum ({max}).",
        ),
        _e(
            "date_in_future",
            "{field}不能晚于今天（填写的是 {value}）。",
            "{field} cannot be in the future ({value}).",
        ),
        _e(
            "availability_blocked",
            "与生态保护红线或永久基本农田重叠，不能设为“可招商”。",
            "It overlaps an ecological redline or basic farmland: it cannot be available.",
        ),
        _e(
            "retired_site",
            "该地块已被分割或合并，请修改其后继地块。",
            "This site was split or merged; edit its successors.",
        ),
        _e(
            "vacant_above_gfa",
            "空置面积（{value}）不能大于建筑面积（{max}）。",
            "Vacant floor area ({value}) cannot exceed the floor area ({max}).",
        ),
        # --- requirements, recommendations and links -------------------------------------------
        _e(
            "status_move_refused",
            "状态不能从“{old}”改为“{new}”。",
            "The status cannot move from “{old}” to “{new}”.",
        ),
        _e(
            "status_change_elsewhere",
            "状态请通过“状态”表单修改。",
            "Change the status with the status form.",
        ),
        _e(
            "server_managed",
            "{field}由系统维护，不能填写。",
            "{field} is kept by the system and cannot be set.",
        ),
        _e(
            "recipient_required",
            "请填写接收人姓名或单位。",
            "Give the recipient's name or organisation.",
        ),
        _e(
            "not_suitable_needs_reason",
            "请说明不合适的原因。",
            "Please say why the site is not suitable.",
        ),
        _e("question_empty", "请填写问题。", "Please write your question."),
        _e(
            "form_not_from_page",
            "此表单不是来自推荐页面，请刷新页面后重试。",
            "This form is not from the recommendation page; reload it and try again.",
        ),
        _e("no_sites_chosen", "请至少选择一处资源。", "Choose at least one site."),
        # --- the officers' map: exports, comparison, saved searches ----------------------------
        _e(
            "too_many_sites",
            "所选资源共 {count} 处，超过上限 {max} 处，请缩小查询范围。",
            "The selection holds {count} sites, more than the limit of {max}; narrow the search.",
        ),
        _e(
            "compare_count",
            "请选择 {min}–{max} 处不同的资源进行对比（现为 {count} 处）。",
            "Choose {min} to {max} different sites to compare (got {count}).",
        ),
        _e("not_a_site_id", "“{value}”不是资源编号。", "“{value}” is not a site id."),
        _e("site_not_found", "找不到资源 {value}。", "Site {value} not found."),
        _e(
            "saved_search_name",
            "请为保存的查询起一个名称（1–100 个字，不含控制字符）。",
            "Give the saved search a name (1–100 characters, no control characters).",
        ),
        _e(
            "saved_search_exists",
            "你已有名为“{value}”的保存查询。",
            "You already have a saved search called “{value}”.",
        ),
        _e(
            "saved_search_limit",
            "你已保存 {max} 个查询，请先删除一个。",
            "You keep {max} saved searches already; delete one first.",
        ),
        _e(
            "not_a_search_parameter",
            "“{value}”不是查询条件（见 GET /api/sites）。",
            "“{value}” is not a search parameter of GET /api/sites.",
        ),
        # --- search areas (gis_app/domain/search_area.py) -------------------------------------
        _e(
            "area_crosses_itself",
            "所画范围的边线自相交（{value}），请重新绘制，边线不要交叉。",
            "The area's outline crosses itself ({value}); draw it again without crossing lines.",
        ),
        _e(
            "area_too_large",
            "范围过大：约 {value} 平方公里，最多 {max} 平方公里（半径 500 公里的圆）。",
            "The area is too large: about {value} km²; at most {max} km² (a 500 km circle).",
        ),
        _e(
            "area_wrong_crs",
            "范围的坐标系是 {value}，请使用经纬度（WGS84 EPSG:4326 或 CGCS2000 EPSG:4490）。",
            "The area is in {value}; send lon/lat (WGS84 EPSG:4326 or CGCS2000 EPSG:4490).",
        ),
        _e(
            "area_not_degrees",
            "坐标 {value} 不是经纬度，像是投影坐标（米）；请使用经纬度。",
            "{value} is not lon/lat: it looks like projected metres; send lon/lat.",
        ),
        _e(
            "area_needs_buffer",
            "线或点没有面积：请填写缓冲距离（公里）。",
            "A line or point has no area: give buffer_km (the distance around it).",
        ),
        _e(
            "area_not_understood",
            "无法识别的范围（应为 GeoJSON 或 WKT 的面、线或点）。",
            "The area is not understood (expected a GeoJSON or WKT polygon, line or point).",
        ),
        _e(
            "not_in_range",
            "{field}应大于 {min} 且不超过 {max}（填写的是 {value}）。",
            "{field} must be above {min} and at most {max} (you entered {value}).",
        ),
        # --- request parameters: numbers, choices, text, boxes (every API and page) ----------
        _e(
            "out_of_range",
            "{field}应在 {min} 到 {max} 之间（填写的是 {value}）。",
            "{field} must be between {min} and {max} (you entered {value}).",
        ),
        _e(
            "text_not_acceptable",
            "{field}：“{value}”不是可接受的文字（1–{max_length} 个字，不含空字符）。",
            "{field}: “{value}” is not acceptable text (1 to {max_length} characters, no NUL).",
        ),
        _e(
            "one_line_text",
            "{field}须为一行文字，不含换行或控制字符。",
            "{field} must be one line of text, without line breaks or control characters.",
        ),
        _e(
            "too_many_values",
            "{field}最多 {max} 项（填写了 {count} 项）。",
            "{field} takes at most {max} values (you gave {count}).",
        ),
        _e(
            "bad_bbox",
            "{field}应为“西,南,东,北”四个经纬度数字，且西不大于东、南不大于北"
            "（填写的是 {value}）。",
            "{field} must be four lon/lat numbers “west,south,east,north” with west ≤ east and "
            "south ≤ north (you entered {value}).",
        ),
        _e(
            "bbox_outside_crs",
            "{field}（{value}）超出了该坐标系的适用范围。",
            "{field} ({value}) lies outside the area where its coordinate system is defined.",
        ),
        _e(
            "bad_point",
            "{field}应为“经度,纬度”（填写的是 {value}）。",
            "{field} must be “lon,lat” in degrees (you entered {value}).",
        ),
        _e(
            "params_together",
            "{field}与{other}须同时填写，或都不填。",
            "{field} and {other} go together: give both or neither.",
        ),
        _e(
            "not_applicable",
            "{field}不适用于此处（{value}）。",
            "{field} does not apply here ({value}).",
        ),
        _e(
            "area_needs_post",
            "绘制的范围须用 POST 查询提交，不能写在网址中。",
            "A drawn area goes in the body of a POST search, not in the URL.",
        ),
        _e(
            "needs_time_zone",
            "{field}须带时区（如 +08:00），或只填日期（填写的是 {value}）。",
            "{field} needs a time zone (e.g. +08:00), or give a date (you entered {value}).",
        ),
        _e(
            "bad_weight",
            "权重“{value}”应写成“条件:数值”（0–1000），条件须为匹配条件之一。",
            "Weight “{value}” must be “criterion:number” (0–1000) with a known criterion.",
        ),
        _e(
            "status_unchanged",
            "状态已经是“{new}”。",
            "The status is already “{new}”.",
        ),
        _e(
            "status_final",
            "“{old}”是最终状态，不能再改为“{new}”。",
            "“{old}” is a final status; it cannot move to “{new}”.",
        ),
        # --- referrals between districts (issue 26, item 3) -----------------------------------
        _e(
            "referral_not_a_district",
            "“{value}”不是区县，需求只能转介给区县。",
            "“{value}” is not a district; a requirement is referred to a district.",
        ),
        _e(
            "referral_own_district",
            "需求已属于{value}，请转介给其他区县。",
            "The requirement belongs to {value} already; refer it to another district.",
        ),
        _e(
            "referral_exists",
            "该需求已转介给{value}。",
            "This requirement was referred to {value} already.",
        ),
        _e(
            "referral_not_referring",
            "只有需求所属区县的专员可以转介或关闭转介。",
            "Only officers of the requirement's district may refer it or close a referral.",
        ),
        _e(
            "referral_not_receiving",
            "只有接收转介的区县的专员可以受理、婉拒或匹配。",
            "Only officers of the receiving district may accept, decline or match it.",
        ),
        _e(
            "requirement_other_district",
            "该需求属于{value}，只有其所属区县的专员可以修改。",
            "This requirement belongs to {value}; only its officers change it.",
        ),
        _e(
            "referral_move_refused",
            "转介状态不能从“{old}”改为“{new}”。",
            "A referral cannot move from “{old}” to “{new}”.",
        ),
        # --- coordinate systems and the search filter (OGC API, exports, imports) -------------
        _e(
            "unknown_crs",
            "坐标系“{value}”无法识别或不支持；请填写 EPSG 代码，如 EPSG:4490（CGCS2000）、"
            "EPSG:4326（WGS84）或 EPSG:4550。",
            "The coordinate system “{value}” is unknown or not supported; give an EPSG code "
            "such as EPSG:4490 (CGCS2000), EPSG:4326 (WGS84) or EPSG:4550.",
        ),
        _e(
            "crs_without_epsg",
            "坐标系“{value}”没有 EPSG 代码，请指明坐标系（如 EPSG:4550）。",
            "The coordinate system “{value}” has no EPSG code; name one (e.g. EPSG:4550).",
        ),
        _e(
            "file_crs_missing",
            "“{value}”没有注明坐标系，请选择坐标系"
            "（如 EPSG:4490、EPSG:4326、EPSG:4550 或 gcj02）。",
            "“{value}” declares no coordinate system; choose one (e.g. EPSG:4490, EPSG:4326, "
            "EPSG:4550 or gcj02).",
        ),
        _e(
            "file_crs_mismatch",
            "“{value}”注明的坐标系是 {old}，与所选的 {new} 不同：请不选坐标系，或修正文件。",
            "“{value}” declares {old} but {new} was chosen: leave the choice empty or fix the "
            "file.",
        ),
        _e(
            "bad_filter",
            "筛选条件（filter）无法执行，请检查写法（支持 and、or、not、比较、like、between、in、"
            "is null）。",
            "The filter cannot be run; check how it is written (supported: and, or, not, "
            "comparisons, like, between, in, is null).",
        ),
        _e(
            "filter_unknown_property",
            "筛选条件中的属性“{value}”不存在或不可查询。",
            "The filter's property “{value}” does not exist or cannot be queried.",
        ),
        _e(
            "filter_bad_value",
            "筛选条件中的值“{value}”与其属性不符（日期写作 2026-08-21）。",
            "A value of the filter, “{value}”, does not suit its property (a date is 2026-08-21).",
        ),
        _e(
            "filter_type_mismatch",
            "筛选条件中有值与其属性的类型不符（如数字属性填了文字）。",
            "A value of the filter does not suit its property (e.g. text for a number).",
        ),
        _e(
            "filter_too_complex",
            "筛选条件过长或过于复杂（上限 {max}），请简化。",
            "The filter is too long or too complex (limit {max}); simplify it.",
        ),
        # --- files: imports, exports, monthly sheets ------------------------------------------
        _e(
            "import_file_type",
            "“{value}”不是可导入的文件，请上传 .gpkg、.zip（Shapefile）、.geojson、.csv 或 "
            ".xlsx 文件。",
            "“{value}” cannot be imported; send a .gpkg, .zip (Shapefile), .geojson, .csv or "
            ".xlsx file.",
        ),
        _e(
            "file_unreadable",
            "“{value}”无法读取，请检查文件是否完整、类型是否正确。",
            "“{value}” cannot be read; check that the file is complete and of the right type.",
        ),
        _e(
            "file_encoding_unknown",
            "“{value}”的文字编码无法识别（不是 UTF-8，也不是 GBK），请选择编码。",
            "The text of “{value}” is in an encoding that could not be recognised (neither UTF-8 "
            "nor GBK); choose the encoding.",
        ),
        _e(
            "zip_no_data_file",
            "压缩包“{value}”中没有 .shp、.gpkg、.geojson、.csv 或 .xlsx 文件。",
            "The zip “{value}” holds no .shp, .gpkg, .geojson, .csv or .xlsx file.",
        ),
        _e(
            "zip_several_files",
            "压缩包“{value}”中有多个数据文件（{choices}），请每次只上传一个。",
            "The zip “{value}” holds several data files ({choices}); send one at a time.",
        ),
        _e(
            "zip_too_many_files",
            "压缩包“{value}”中有 {count} 个文件（最多 {max} 个）。",
            "The zip “{value}” holds {count} files (at most {max}).",
        ),
        _e(
            "file_several_layers",
            "“{value}”含有多个图层（{choices}），请填写要导入的图层名。",
            "“{value}” holds several layers ({choices}); name the one to import.",
        ),
        _e("file_no_header", "“{value}”中找不到表头行。", "“{value}” has no header row."),
        _e(
            "month_sheet_no_header",
            "“{value}”的前 {max} 行中找不到含“项目编号”“月份”和至少一项指标的表头。",
            "“{value}” has no header row with the project code, the month and a figure in its "
            "first {max} rows.",
        ),
        _e("file_no_rows", "“{value}”的表头下没有数据行。", "“{value}” has no data rows."),
        _e(
            "file_too_many_rows",
            "“{value}”超过 {max} 行，请拆分文件。",
            "“{value}” has more than {max} rows; split the file.",
        ),
        _e(
            "bad_mapping",
            "列对应关系应写成 JSON 对象 {{列名: 字段}}，或逐项写“列名=字段”（有误的是：{value}）。",
            "The column mapping must be a JSON object {{column: field}} or “COLUMN=FIELD” items "
            "(wrong: {value}).",
        ),
        _e(
            "bad_set_value",
            "统一赋值应逐行写“字段=值”（如 kind=land），或写成 JSON 对象（有误的是：{value}）。",
            "Values for every row are “FIELD=VALUE” lines (e.g. kind=land) or a JSON object "
            "(wrong: {value}).",
        ),
        _e(
            "set_code_not_allowed",
            "编号不能统一赋值：每一行须有自己的编号。",
            "The code cannot be set for every row: each row needs its own.",
        ),
        _e(
            "gbk_cannot_encode",
            "有些文字无法以 GBK 编码保存（{value}），请以 UTF-8 导出，或修改这些文字。",
            "Some text cannot be written in GBK ({value}); export in UTF-8 or correct it.",
        ),
        # --- accounts ---------------------------------------------------------------------------
        _e("role_required", "请至少选择一个角色。", "Choose at least one role."),
        _e(
            "bad_username",
            "用户名应为 2–64 个字符，只含小写字母、数字和 . _ -（填写的是 {value}）。",
            "A username is 2–64 of a-z 0-9 . _ - (you entered {value}).",
        ),
        # --- recommendations and links ----------------------------------------------------------
        _e(
            "sites_repeated",
            "资源 {value} 被重复选择。",
            "Site(s) {value} listed more than once.",
        ),
        _e(
            "site_retired",
            "资源 {value} 已被分割或合并，请改选其后继资源。",
            "Site {value} was split or merged; choose its successors.",
        ),
        _e(
            "site_signed",
            "资源 {value} 已签约，不能再推荐。",
            "Site {value} is already signed; it cannot be recommended.",
        ),
        _e(
            "no_matches_to_recommend",
            "该需求没有匹配的资源可推荐：请手动选择资源，或放宽需求条件。",
            "This requirement has no matching sites; pick sites by hand or widen the requirement.",
        ),
        _e(
            "link_expiry_too_late",
            "链接最多有效到今天起 {max} 天（延长后为 {value}）。",
            "A link may stay valid at most {max} days from today (it would be {value}).",
        ),
        _e(
            "site_not_in_link",
            "资源 {value} 不在此推荐中。",
            "Site {value} is not part of this recommendation.",
        ),
        _e(
            "feedback_needs_site",
            "请指明这条答复针对哪一处资源。",
            "Say which site this answer is about.",
        ),
        # --- splitting and merging sites --------------------------------------------------------
        _e(
            "split_line_or_parts",
            "请只给出分割线或各部分图形中的一种。",
            "Give either a cutting line or the parts, not both.",
        ),
        _e(
            "split_line_not_cutting",
            "分割线没有把地块分开（须从边界一侧穿到另一侧）。",
            "The line does not cut the site into pieces (it must cross the outline from edge to "
            "edge).",
        ),
        _e(
            "split_needs_two",
            "分割后至少要有两块。",
            "A split needs at least two parts.",
        ),
        _e(
            "split_children_count",
            "分割为 {count} 块，但填写了 {value} 块的信息。",
            "The split has {count} parts but {value} part descriptions.",
        ),
        _e(
            "split_codes_repeat",
            "子地块编号重复：{value}。",
            "The parts' codes repeat: {value}.",
        ),
        _e(
            "split_building_target",
            "地块上有楼宇 {value}：请说明每栋楼宇归入哪一块（子地块序号或编号）。",
            "The site has buildings {value}: say which part each goes to (part number or code).",
        ),
        _e(
            "split_building_target_unknown",
            "楼宇 {value} 的去向“{new}”不是分割后的地块。",
            "Building {value} → “{new}” is not one of the parts.",
        ),
        _e(
            "merge_needs_two",
            "合并至少需要两个不同的地块。",
            "A merge needs at least two different sites.",
        ),
        _e(
            "merge_needs_reason",
            "待合并的地块不相邻（分成 {count} 组，相距超过 {max} 米）：请在备注中说明合并理由。",
            "The sites are not adjacent ({count} groups more than {max} m apart): give the "
            "reason to merge them in the note.",
        ),
        _e(
            "merge_kinds_differ",
            "待合并地块的类型不同（{value}），请指定合并后的类型。",
            "The sites are of different kinds ({value}); say which kind the result is.",
        ),
        _e(
            "db_check_failed",
            "有值不符合数据库的规则，未保存。",
            "A value breaks a rule of the database; nothing was saved.",
        ),
        # --- projects, monthly figures and targets ----------------------------------------------
        _e(
            "not_a_requirement_id",
            "找不到需求 {value}。",
            "Requirement {value} not found.",
        ),
        _e(
            "requirement_not_signed",
            "需求 {value} 的状态是“{old}”：只有已签约的需求才能转为项目。",
            "Requirement {value} is “{old}”: only a signed requirement becomes a project.",
        ),
        _e(
            "cannot_be_emptied",
            "{field}不能清空。",
            "{field} cannot be emptied.",
        ),
        _e(
            "building_not_found",
            "找不到楼宇 {value}。",
            "Building {value} not found.",
        ),
        _e(
            "period_inverted",
            "统计期间的开始（{value}）晚于结束（{max}）。",
            "The period starts ({value}) after it ends ({max}).",
        ),
        _e(
            "period_two_years",
            "统计期间须在同一年内（年度目标按年下达），填写的是 {value}–{max}。",
            "A period lies within one year (targets are annual); you entered {value}–{max}.",
        ),
        _e(
            "not_a_month",
            "{field}应为月份，如 2026-03（填写的是 {value}）。",
            "{field} must be a month such as 2026-03 (you entered {value}).",
        ),
        _e(
            "row_problem",
            "第 {row} 行{record}：{problem}",
            "Row {row}{record}: {problem}",
        ),
        _e("project_code_empty", "项目编号为空。", "The project code is empty."),
        _e("project_unknown", "项目编号“{value}”不存在。", "There is no project “{value}”."),
        _e(
            "project_not_yours",
            "项目 {value} 由招商专员 {officer} 负责：只能填报自己负责项目的数据。",
            "Project {value} is officer {officer}'s: you enter figures for your own projects only.",
        ),
        _e(
            "month_repeated",
            "{value} 的 {month} 在文件中出现两次（另见第 {other_row} 行）。",
            "{value} {month} is in the file twice (also row {other_row}).",
        ),
        _e(
            "month_recorded",
            "{value} 的 {month} 已填报；请在项目页面上更正。",
            "{value} {month} is already recorded; correct it on the project's page.",
        ),
        _e(
            "target_scope_key",
            "请填写平台或招商专员（全区目标不填）。",
            "Name the platform or the officer (leave it empty for the district).",
        ),
        # --- rows of an imported site, building or zone file (gis_app.io.imports) -------------
        _e("column_problem", "列“{column}”：{problem}", "Column {column}: {problem}"),
        _e("part_problem", "第 {part} 部分：{problem}", "Part {part}: {problem}"),
        _e(
            "import_no_code_column",
            "文件中没有编号列（DKBH / 地块编号 / code），请指定哪一列是编号。文件的列：{value}",
            "The file has no code column (DKBH or code); say which column holds the code. Its "
            "columns: {value}",
        ),
        _e("import_no_rows", "文件 {value} 中没有数据行。", "{value} holds no rows."),
        _e(
            "mapping_column_missing",
            "列对应中指定的列“{value}”在文件中不存在。",
            "The column mapping names column “{value}”, which the file does not have.",
        ),
        _e(
            "mapping_field_unknown",
            "列对应“{value}”→“{other}”：{layer}没有这个字段。",
            "Column mapping “{value}” → “{other}”: {layer} have no such field.",
        ),
        _e(
            "columns_same_field",
            "列“{value}”和“{other}”都对应到{field}，只能保留一列。",
            "Columns “{value}” and “{other}” both map to {field}; keep one.",
        ),
        _e(
            "binary_value",
            "该单元格是二进制数据，不是文字或数字。",
            "The cell holds binary data, not text or a number.",
        ),
        _e(
            "label_disagrees",
            "“{value}”与编码列“{other}”（{code} = {name}）不一致；"
            "请同时修改两列，或清空编码只填名称。",
            "“{value}” disagrees with column {other} ({code} = {name}); change both, or clear "
            "the code to use the name.",
        ),
        _e("import_no_code", "该行没有编号。", "The row has no code."),
        _e("preset_not_a_number", "“{value}”不是数字。", "“{value}” is not a number."),
        _e(
            "preset_unknown_land_use",
            "“{value}”既不是 2023 用地用海分类的代码或名称，也不是 GB 50137 的。",
            "“{value}” is no land-use code or name of the 2023 classification nor of GB 50137.",
        ),
        _e(
            "preset_planning_class",
            "地类名称“{value}”是规划分类，不是三调现状地类。",
            "Land class name “{value}” is a planning class, not a current use of the third "
            "national land survey.",
        ),
        _e(
            "preset_unknown_dlmc",
            "地类名称“{value}”不是三调的地类名称。",
            "“{value}” is no land class name of the third national land survey.",
        ),
        _e(
            "duplicate_code",
            "编号“{value}”在文件中重复（另见第 {other_row} 行）。",
            "Code “{value}” is in the file twice (also row {other_row}).",
        ),
        _e(
            "code_zeros_ambiguous",
            "编号“{value}”丢失了前导零，可能是 {other} 中的任一个；请把编号列设为文本格式。",
            "Code “{value}” lost its leading zeros and could be any of {other}; type the code "
            "as text.",
        ),
        _e(
            "code_zeros_collide",
            "编号“{value}”丢失了前导零，而“{other}”也在文件中{where}。",
            "Code “{value}” lost its leading zeros; “{other}” is also in the file{where}.",
        ),
        _e(
            "site_code_unknown",
            "{field}“{value}”：没有这个地块（或它已被分割或合并）。",
            "{field} “{value}”: no such site (or it was retired by a split or merge).",
        ),
        _e(
            "new_record_needs",
            "新增的{layer}必须填写：{value}。",
            "A new {layer} record needs {value}.",
        ),
        _e(
            "new_record_needs_polygon",
            "新增记录需要多边形图形（GIS 文件或 WKT 列）；{reason}",
            "A new record needs a polygon (a GIS file or a WKT column); {reason}",
        ),
        _e(
            "import_site_retired",
            "该地块已被分割或合并，请导入其后继地块。",
            "The site was retired (split or merged); import its successors.",
        ),
        _e(
            "point_far_from_site",
            "经纬度点距该地块 {value} 米（超过 {max} 米）：坐标系错误或经纬度列颠倒？",
            "The lon/lat lies {value} m from the site (more than {max} m): wrong coordinate "
            "system or swapped columns?",
        ),
        _e(
            "lonlat_not_transformable",
            "经纬度无法转换到 CGCS2000。",
            "The lon/lat cannot be transformed to CGCS2000.",
        ),
        _e(
            "blocked_by_zone",
            "与{kind}“{name}”（{value}）重叠 {area} 平方米，不能设为“可招商”；"
            "请改用其他招商状态或修正图形。",
            "It overlaps {kind} zone {value} ({name}) by {area} m²: it cannot be available; "
            "import it with another availability or fix the geometry.",
        ),
        # --- geometry checks (gis_app.io.geometry_checks) --------------------------------------
        _e("geom_missing", "没有图形。", "There is no geometry."),
        _e("geom_unreadable", "图形无法读取：{reason}", "The geometry cannot be read: {reason}"),
        _e("wkt_unreadable", "WKT 无法读取：{reason}", "The WKT cannot be read: {reason}"),
        _e(
            "lonlat_not_numbers",
            "经纬度（{value}）不是数字。",
            "The lon/lat ({value}) are not numbers.",
        ),
        _e("geom_empty", "图形为空。", "The geometry is empty."),
        _e(
            "geom_too_many_vertices",
            "图形有 {value} 个节点，超过上限 {max} 个。",
            "The geometry has {value} vertices, more than the limit of {max}.",
        ),
        _e(
            "geom_not_finite",
            "有坐标不是有限数值（NaN 或无穷大）：第 {vertex} 个节点为 {value}。",
            "A coordinate is not a finite number (NaN or infinity): vertex #{vertex} is {value}.",
        ),
        _e(
            "geom_not_polygon",
            "应为面（Polygon 或 MultiPolygon），而不是 {value}。",
            "Expected a Polygon or MultiPolygon, got {value}.",
        ),
        _e(
            "geom_not_degrees",
            "坐标如 {value} 不是经纬度，但声明的坐标系是 {crs}{hint}",
            "Coordinates such as {value} are not degrees although {crs} was declared{hint}",
        ),
        _e(
            "geom_not_transformable",
            "坐标无法从 {crs} 转换{hint}",
            "The coordinates cannot be transformed from {crs}{hint}",
        ),
        _e(
            "geom_invalid",
            "多边形无效：{reason}（可勾选“修复”，用 make_valid 修复并保留面状部分）。",
            "Invalid polygon: {reason} (send repair=true to fix it with make_valid, keeping the "
            "polygonal part).",
        ),
        _e(
            "geom_nothing_left",
            "多边形无效：{reason}；修复后不剩任何面状部分。",
            "Invalid polygon: {reason}; nothing polygonal is left.",
        ),
        _e(
            "geom_too_small",
            "面积 {value} 平方米，小于下限 {min} 平方米。",
            "The area, {value} m², is below the minimum of {min} m².",
        ),
        _e(
            "geom_too_large",
            "面积 {value} 平方米，大于上限 {max} 平方米{hint}",
            "The area, {value} m², is above the maximum of {max} m²{hint}",
        ),
        _e(
            "geom_outside",
            "位于辖区范围之外（在 {value} 附近；{share}% 的面积在辖区外）{hint}",
            "It lies outside the jurisdiction (near {value}; {share}% of its area outside){hint}",
        ),
        _e(
            "geom_entirely_outside",
            "完全位于辖区范围之外{hint}",
            "It lies entirely outside the jurisdiction{hint}",
        ),
        _e(
            "geojson_not_geometry",
            "应为 GeoJSON 图形对象（带 type 的 Polygon 或 MultiPolygon）。",
            "Expected a GeoJSON geometry object with 'type' (Polygon or MultiPolygon).",
        ),
        _e("polygon_no_rings", "第 {value} 个多边形没有环。", "Polygon {value} has no rings."),
        _e(
            "ring_too_short",
            "{value}：一个环至少需要 4 个坐标点。",
            "{value}: a ring needs at least 4 positions.",
        ),
        _e(
            "ring_has_measures",
            "{value}：坐标含 4 个数（x, y, z, m），不接受 M 值；"
            "请使用 [x, y] 或 [x, y, z]（高程会被去掉）。",
            "{value}: 4 numbers (x, y, z, m) — measures are refused; send [x, y] or [x, y, z] "
            "(heights are dropped).",
        ),
        _e(
            "ring_bad_position",
            "{value}：应为 [x, y]，收到的是 {other}。",
            "{value}: expected [x, y], got {other}.",
        ),
        _e(
            "ring_not_finite",
            "{value}：坐标不是有限数值（NaN 或无穷大）。",
            "{value}: a coordinate is not a finite number (NaN or infinity).",
        ),
        _e(
            "ring_not_closed",
            "{value} 没有闭合（首点 {first} 与末点 {last} 不同）。",
            "{value} is not closed (first {first} and last {last} differ).",
        ),
        _e(
            "geom_outside_jurisdiction",
            "位于辖区范围之外。",
            "It lies outside the jurisdiction.",
        ),
        _e(
            "part_outside_site",
            "第 {part} 部分有 {area} 平方米超出原地块。",
            "Part {part} reaches {area} m² outside the site.",
        ),
        _e(
            "parts_overlap",
            "第 {part} 与第 {other} 部分重叠 {area} 平方米。",
            "Parts {part} and {other} overlap by {area} m².",
        ),
        _e(
            "parts_leave_gap",
            "各部分留下 {area} 平方米未覆盖原地块。",
            "The parts leave {area} m² of the site uncovered.",
        ),
        _e(
            "cut_line_invalid",
            "分割线无效：{reason}",
            "The cutting line is not usable: {reason}",
        ),
    )
}


# --- rendering ----------------------------------------------------------------------------------


#: labels of request parameters and form fields that no field registry, search parameter or
#: vocabulary declares (zh, en): what a refusal calls them
PARAMETER_LABELS: dict[str, tuple[str, str]] = {
    "limit": ("每页条数", "Page size"),
    "offset": ("起始位置", "Offset"),
    "sort": ("排序", "Sort order"),
    "format": ("格式", "Format"),
    "headers": ("表头", "Headers"),
    "encoding": ("文字编码", "Text encoding"),
    "crs": ("坐标系", "Coordinate system"),
    "bbox-crs": ("范围坐标系", "Box coordinate system"),
    "filter": ("筛选条件", "Filter"),
    "filter-lang": ("筛选语言", "Filter language"),
    "layer": ("图层", "Layer"),
    "area_unit": ("面积单位", "Area unit"),
    "mapping": ("列对应关系", "Column mapping"),
    "set": ("统一赋值", "Value for every row"),
    "note": ("备注 / 理由", "Note / reason"),
    "to_district": ("转介至", "Refer to"),
    "doc_ref": ("依据文件", "Document reference"),
    "status": ("状态", "Status"),
    "top": ("推荐数量", "Number of sites"),
    "sites": ("资源", "Sites"),
    "expires_days": ("有效天数", "Valid for (days)"),
    "days": ("延长天数", "Days to extend"),
    "zoom": ("缩放级别", "Zoom level"),
    "frame": ("底图框架", "Frame"),
    "source": ("来源", "Source"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "roles": ("角色", "Roles"),
    "contact": ("联系方式", "Contact"),
    "as_of": ("查询时点", "As of"),
    "period": ("统计期间", "Period"),
    "start": ("开始月份", "From month"),
    "end": ("结束月份", "To month"),
    "month": ("月份", "Month"),
    "year": ("年度", "Year"),
    "scope": ("目标范围", "Scope"),
    "scope_key": ("平台或招商专员", "Platform or officer"),
    "indicator": ("指标", "Indicator"),
    "value": ("数值", "Value"),
    "margin_pct": ("接近匹配容差（%）", "Near-miss margin (%)"),
    "near_miss_limit": ("接近匹配条数", "Near misses shown"),
    "weight": ("权重", "Weights"),
    "kind": ("类型", "Kind"),
    "site": ("资源", "Site"),
    "site_codes": ("资源编号", "Site codes"),
    "milestones": ("节点", "Milestones"),
    "requirement_id": ("需求", "Requirement"),
    "planned_date": ("计划日期", "Planned date"),
    "actual_date": ("实际日期", "Actual date"),
    "building_id": ("楼宇", "Building"),
    "buildings": ("楼宇去向", "Buildings' parts"),
    "children": ("分割后的地块", "Parts"),
    "line": ("分割线", "Cutting line"),
    "parts": ("分割后的图形", "Parts' outlines"),
    "site_ids": ("待合并的地块", "Sites to merge"),
    "If-Match": ("版本号（If-Match）", "Version (If-Match)"),
    "title_zh": ("标题（中文）", "Title (Chinese)"),
    "title_en": ("标题（英文）", "Title (English)"),
    "intro_zh": ("致客商（中文）", "Message to the investor (Chinese)"),
    "intro_en": ("致客商（英文）", "Message to the investor (English)"),
    "internal_note": ("内部备注", "Internal note"),
    "note_zh": ("推荐理由（中文）", "Note (Chinese)"),
    "note_en": ("推荐理由（英文）", "Note (English)"),
    "recipient_name": ("收件人", "Recipient"),
    "recipient_org": ("收件单位", "Organisation"),
    "message": ("留言", "Message"),
    "reason": ("原因", "Reason"),
    "question": ("问题", "Question"),
    "file": ("文件", "File"),
    "body": ("请求内容", "The request body"),
    "z": ("缩放级别", "Zoom level"),
}


def field_label(name: str) -> Term:
    """The label of a field (or a vocabulary) by its name: from the field registries, the
    search parameters, the vocabularies or :data:`PARAMETER_LABELS`; the name itself when
    nothing declares it."""
    from gis_app.domain import fields, filters, projects, vocab

    registries = (fields.SITE, fields.REQUIREMENT, fields.BUILDING, fields.ZONE)
    for registry in (*registries, projects.PROJECT, projects.MONTH):
        f = registry.get(name)
        if f is not None and f.zh and f.en:
            return f.term
    for p in filters.SEARCH_PARAMETERS:
        if p.name == name:
            return vocab.Term(name, p.zh, p.en)
    v = getattr(vocab, name.upper(), None)
    if isinstance(v, vocab.Vocabulary):
        return vocab.Term(name, v.zh, v.en)
    if name in PARAMETER_LABELS:
        return vocab.Term(name, *PARAMETER_LABELS[name])
    return vocab.Term(name, name, name)


def _show(value: Any, lang: str) -> str:
    from gis_app.domain.vocab import Term

    if isinstance(value, Term):
        return value.label(lang)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ("、" if lang == "zh" else ", ").join(_show(v, lang) for v in value)
    return str(value)


class _Defaulted(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def render(code: str, lang: str, field: str | None = None, params: Mapping[str, Any] = {}) -> str:
    """The message of ``code`` in ``lang`` for ``field`` with ``params`` filled in.

    An unknown code raises ``KeyError`` (a programming error the vocabulary test finds).
    """
    term = ERRORS[code]
    values = _Defaulted({k: _show(v, lang) for k, v in params.items()})
    if "field" not in values:
        values["field"] = field_label(field).label(lang) if field else ""
    if "range" not in values:
        values["range"] = _RANGE_SIGNS.sub(" ", values["field"]).strip().replace(" （", "（")
    return term.template(lang).format_map(values)


#: the comparison a bound's label carries ("用地面积 ≥"): a range's name is the label without it
_RANGE_SIGNS = re.compile(r"\s*[≥≤]\s*")


def message(problem: Problem) -> dict[str, str]:
    """``{"zh": …, "en": …}``: the problem's message in both languages."""
    return {lang: render(problem.code, lang, problem.field, problem.params) for lang in LANGS}


def at_row(row: int, record: str | None, problem: Problem) -> Problem:
    """``problem`` found in row ``row`` of a file (about ``record``, e.g. a project code): a
    ``row_problem`` whose message says where, then the problem's own message."""
    from gis_app.domain.vocab import Term

    inner = message(problem)
    where = Term(record, f"（{record}）", f" ({record})") if record else ""
    return Problem(
        "row_problem",
        problem.field,
        {"row": row, "record": where, "problem": Term(problem.code, inner["zh"], inner["en"])},
        f"row {row}" + (f" ({record})" if record else "") + f": {problem.detail}",
    )


def at_part(part: int, problem: Problem) -> Problem:
    """``problem`` of part ``part`` of a split: a ``part_problem`` naming the part."""
    return _wrapped("part_problem", {"part": part}, problem, f"part {part}: {problem.detail}")


def in_column(column: str, problem: Problem, detail: str | None = None) -> Problem:
    """``problem`` of a value read from the file's column ``column`` (as the person sees the
    column: a header such as 地块面积 rather than the field's name)."""
    return _wrapped("column_problem", {"column": column}, problem, detail or problem.detail)


def _wrapped(code: str, params: Mapping[str, Any], problem: Problem, detail: str) -> Problem:
    from gis_app.domain.vocab import Term

    inner = message(problem)
    return Problem(
        code,
        problem.field,
        {**params, "problem": Term(problem.code, inner["zh"], inner["en"])},
        detail,
    )


def check_codes(codes: Iterable[str]) -> list[str]:
    """The codes among ``codes`` that the vocabulary does not declare."""
    return sorted({c for c in codes if c not in ERRORS})


# --- validation errors of pydantic (request bodies, query parameters, requirement specs) --------

#: pydantic's error types → codes of :data:`ERRORS` (a validator that raises
#: ``PydanticCustomError(code, …)`` with a code of the vocabulary keeps its own)
PYDANTIC_CODES: dict[str, str] = {
    "missing": "required",
    "greater_than": "below_min",
    "greater_than_equal": "below_min",
    "less_than": "above_max",
    "less_than_equal": "above_max",
    "int_type": "not_an_integer",
    "int_parsing": "not_an_integer",
    "int_from_float": "not_an_integer",
    "float_type": "not_a_number",
    "float_parsing": "not_a_number",
    "finite_number": "not_finite",
    "decimal_parsing": "not_a_number",
    "bool_type": "not_a_bool",
    "bool_parsing": "not_a_bool",
    "date_type": "not_a_date",
    "date_parsing": "not_a_date",
    "date_from_datetime_parsing": "not_a_date",
    "date_from_datetime_inexact": "not_a_date",
    "datetime_type": "not_a_date",
    "datetime_parsing": "not_a_date",
    "string_type": "not_text",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "too_long": "too_long",
    "too_short": "too_short",
    "list_type": "not_a_list",
    "dict_type": "not_an_object",
    "model_type": "not_an_object",
    "model_attributes_type": "not_an_object",
    "extra_forbidden": "unknown_field",
    "enum": "unknown_value",
    "literal_error": "unknown_value",
    "json_invalid": "malformed_json",
    "json_type": "malformed_json",
    "string_nul": "text_nul",
    "value_error": "invalid_value",
}

#: the first element of a request error's ``loc`` says where the value was
_LOC_PREFIX = frozenset({"body", "query", "path", "header", "cookie"})


def _field_of(loc: Iterable[Any], code: str) -> str | None:
    names = [p for p in loc if isinstance(p, str)]
    if names and names[0] in _LOC_PREFIX:
        names = names[1:]
    if not names:
        return None
    # an unknown field is named by the last part; a bad value by the field that holds it
    return names[-1] if code == "unknown_field" else names[0]


def _scalar(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return "true" if value is True else "false" if value is False else "—"
    if isinstance(value, int | float):
        return value
    text = value if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 40 else text[:39] + "…"


def problem_from_pydantic(error: Mapping[str, Any], detail: str) -> Problem:
    """The :class:`Problem` of one pydantic error (``ValidationError.errors()`` item)."""
    kind = str(error.get("type", ""))
    code = kind if kind in ERRORS else PYDANTIC_CODES.get(kind, "invalid_value")
    ctx = dict(error.get("ctx") or {})
    params: dict[str, Any] = {k: v for k, v in ctx.items() if k in _CTX_PARAMS}
    for ours, theirs in (("min", "ge"), ("min", "gt"), ("max", "le"), ("max", "lt")):
        if theirs in ctx:
            params[ours] = ctx[theirs]
    if "value" not in params:
        params["value"] = _scalar(error.get("input"))
    if isinstance(params.get("upper"), str):  # the other field of a range, by its label
        params["upper"] = field_label(params["upper"])
    field = _field_of(error.get("loc", ()), code) or ctx.get("field_name")
    return Problem(code, field, params, detail)


#: context values of pydantic errors (and of our custom ones) a message may show
_CTX_PARAMS = frozenset({"max_length", "min_length", "value", "upper", "upper_value", "max"})
