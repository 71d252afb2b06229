"""Paging: the one check of a page's size and start that every listing applies."""

from __future__ import annotations

from gis_app.domain.errors import InvalidInput, range_refusal

#: deepest page start accepted; beyond it a client should narrow its filters, not page on
MAX_OFFSET = 10_000_000


def check_page(
    limit: int, offset: int, max_limit: int, *, max_offset: int | None = MAX_OFFSET
) -> None:
    """Refuse a page size outside 1..``max_limit`` or a start outside 0..``max_offset``
    (``None``: no upper bound), naming the parameter."""
    if not 1 <= limit <= max_limit:
        raise range_refusal(
            f"limit must be between 1 and {max_limit}, got {limit}", "limit", limit, 1, max_limit
        )
    if max_offset is None:
        if offset < 0:
            raise InvalidInput(
                f"offset must be 0 or more, got {offset}",
                code="below_min",
                field="offset",
                params={"min": 0, "value": offset},
            )
    elif not 0 <= offset <= max_offset:
        raise range_refusal(
            f"offset must be between 0 and {max_offset}, got {offset}",
            "offset",
            offset,
            0,
            max_offset,
        )
