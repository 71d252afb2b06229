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
            "{field}（{value}）不能大于{upper}（{upper_value}）。",
            "{field} ({value}) cannot be greater than {upper} ({upper_value}).",
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
    )
}


# --- rendering ----------------------------------------------------------------------------------


def field_label(name: str) -> Term:
    """The label of a field (or a vocabulary) by its name, from the field registry; the name
    itself when nothing declares it."""
    from gis_app.domain import fields, vocab

    for registry in (fields.SITE, fields.REQUIREMENT, fields.BUILDING, fields.ZONE):
        f = registry.get(name)
        if f is not None and f.zh and f.en:
            return f.term
    v = getattr(vocab, name.upper(), None)
    if isinstance(v, vocab.Vocabulary):
        return vocab.Term(name, v.zh, v.en)
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
    return term.template(lang).format_map(values)


def message(problem: Problem) -> dict[str, str]:
    """``{"zh": …, "en": …}``: the problem's message in both languages."""
    return {lang: render(problem.code, lang, problem.field, problem.params) for lang in LANGS}


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
