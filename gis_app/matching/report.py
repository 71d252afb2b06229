"""Plain-text tables for the command line (match results, site lists), CJK-width aware."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from gis_app.domain import vocab
from gis_app.matching.engine import MatchResult


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    out, used = "", 0
    for ch in text:
        w = _width(ch)
        if used + w > width:
            return out[:-1] + "…" if out else "…"
        out += ch
        used += w
    return out + " " * (width - used)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], max_col: int = 60) -> str:
    """Rows under headers, columns padded to their widest cell (wide characters count 2)."""
    widths = [
        min(max_col, max([_width(h)] + [_width(str(r[i])) for r in rows]))
        for i, h in enumerate(headers)
    ]
    lines = [
        "  ".join(_fit(h, w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for r in rows:
        lines.append("  ".join(_fit(str(c), w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def match_report(result: MatchResult, lang: str = "zh") -> str:
    """The ranked matches with their top reasons, then the near misses with what to change."""
    zh = lang == "zh"
    title = result.project_name or ("未命名需求" if zh else "unnamed requirement")
    need = vocab.NEED.label(result.need, lang)
    out = [
        f"{title} — {need}: "
        + (
            f"{result.total_matches} 处符合，{result.total_near_misses} 处差一项"
            f"（容差 {result.margin_pct:g}%）"
            if zh
            else f"{result.total_matches} match(es), {result.total_near_misses} near miss(es) "
            f"(margin {result.margin_pct:g}%)"
        )
    ]
    headers = (
        ["名次", "编号", "建筑", "名称", "得分", "主要理由"]
        if zh
        else ["#", "code", "building", "name", "score", "top reasons"]
    )

    def rows(items: list) -> list[list[str]]:
        return [
            [
                str(m.rank),
                m.code,
                m.building_code or "",
                m.name_zh if zh else (m.name_en or m.name_zh),
                f"{m.score:.1f}",
                "；".join(m.reasons_zh) if zh else "; ".join(m.reasons_en),
            ]
            for m in items
        ]

    if result.matches:
        out += ["", text_table(headers, rows(result.matches), max_col=90)]
    else:
        out += ["", "没有完全符合的地块。" if zh else "No site meets every hard constraint."]
    if result.near_misses:
        out += ["", "差一项 / near misses:" if zh else "Near misses:"]
        out += [text_table(headers, rows(result.near_misses), max_col=90)]
    return "\n".join(out)
