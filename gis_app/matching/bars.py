"""The score the last listed match of a match reached, kept per process for the next run of
the same match.

A match lists its best ``limit`` matching sites. Run again with that score as its bar, the
barred statement (:func:`gis_app.matching.sql.match_sql`) reads the candidates once, counting
them and collecting only the near misses and the matches that can still reach the bar — at 1M
sites the broad plant request collects ~70 of its ~29,000 matching units instead of keeping
them all for the lists to sort — and says in its rows whether the bar held, that is whether
the lists it cut are the lists. When the inventory changed so that they are not, the match
runs the statement without a bar. A bar is therefore a hint, never a result: a stale, wrong
or missing one changes how long a match takes, not what it returns. Officers run the same
requirement again and again (its page, a refresh, the recommendation they send), which is
when a kept bar is there. A plant or building requirement matched for the first time on a large
inventory takes its bar from a sample of its candidates instead
(:func:`gis_app.matching.sql.bar_probe`). A bar also carries a price the cheapest match is
expected to cost at most, which bounds what a row's price can score; the barred statement
checks that too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa

from gis_app.db import scope

#: most bars a process keeps (the least recently used go first; each is two numbers)
MAX_KEPT = 4096
#: how far below the last listed match's score the bar is kept: the freshness score of every
#: site drifts down day by day and edits move single sites; a bar a point lower still spares
#: nearly every row (the any-type plant request at 1M: 68 of its 28,973 matching units
#: collected instead of 52 at the exact bar), while one too high costs a second statement
SLACK = 1.0


class Bar(NamedTuple):
    """A bar: the score the list's last match is expected to reach, and a price the cheapest
    match is expected to cost at most (None: not known)."""

    score: float
    cheapest: float | None = None


_LOCK = threading.Lock()
_KEPT: OrderedDict[int, Bar] = OrderedDict()


def _frozen(value: Any) -> Hashable:
    return tuple(value) if isinstance(value, list) else value


def key(conn: sa.Connection, query: str, params: Mapping[str, Any]) -> int:
    """What identifies a match for its bar, as a hash of the database, the caller's district
    scope (row security shows each scope its own rows), the statement and its binds (the bar
    aside). Two matches that shared a hash would only share a hint."""
    url = conn.engine.url
    binds = tuple(sorted((k, _frozen(v)) for k, v in params.items() if k != "bar"))
    return hash((url.host, url.port, url.database, scope.bound(conn), query, binds))


def kept(match: int) -> Bar | None:
    """The bar kept for ``match`` (:func:`key`), if any."""
    with _LOCK:
        bar = _KEPT.get(match)
        if bar is not None:
            _KEPT.move_to_end(match)
        return bar


def keep(match: int, rows: Sequence[Mapping[str, Any]]) -> None:
    """Keep the bar of a match's ranked ``rows`` (the statement's: ``n_fail`` 0 for a match,
    ``cheapest`` the price the price criterion scored against): the lowest score listed among
    the matches less :data:`SLACK`, and that price; none when nothing matched."""
    scores = [float(r["score"]) for r in rows if r["n_fail"] == 0]
    with _LOCK:
        if not scores:
            _KEPT.pop(match, None)
            return
        cheapest = rows[0]["cheapest"]
        _KEPT[match] = Bar(min(scores) - SLACK, None if cheapest is None else float(cheapest))
        _KEPT.move_to_end(match)
        while len(_KEPT) > MAX_KEPT:
            _KEPT.popitem(last=False)


def forget() -> None:
    """Drop every kept bar (tests; nothing else needs to: a bar is only a hint)."""
    with _LOCK:
        _KEPT.clear()
