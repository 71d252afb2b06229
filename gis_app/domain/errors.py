"""Domain errors raised by the core; the API maps them to HTTP status codes in one table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gis_app.domain.error_vocab import Problem


class GisAppError(Exception):
    """Base class of every error the core raises on purpose.

    Besides its English message (``str(err)``, also ``public_message``) an error carries a
    stable ``code`` of :mod:`gis_app.domain.error_vocab`, the ``field`` it is about and the
    ``params`` of its bilingual message; several ``refusals`` (one per bad field) may stand in
    for the single one. A subclass sets its default ``code``.
    """

    #: code of the error vocabulary (:data:`gis_app.domain.error_vocab.ERRORS`)
    code: str = "error"
    #: message safe to show to a user; ``str(err)`` may hold more detail for the log.
    public_message: str = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        params: Mapping[str, Any] | None = None,
        refusals: Iterable[Problem] | None = None,
    ) -> None:
        super().__init__(message)
        self.public_message = message
        if code is not None:
            self.code = code
        self.field = field
        self.params: Mapping[str, Any] = params or {}
        self._refusals = list(refusals or ())

    @property
    def refusals(self) -> list[Problem]:
        """Every problem of the refusal (at least one): code, field, params, detail."""
        if self._refusals:
            return self._refusals
        return [Problem(self.code, self.field, self.params, self.public_message)]


class NotFound(GisAppError):
    """A requested record does not exist."""

    code = "not_found"


class InvalidInput(GisAppError):
    """Input that cannot be accepted, with a message naming the record and the problem."""

    code = "invalid_input"


def range_refusal(detail: str, field: str, value: Any, low: Any, high: Any) -> InvalidInput:
    """The refusal of a number ``field`` that is not between ``low`` and ``high`` (both
    included); ``detail`` is the English detail."""
    return InvalidInput(
        detail, code="out_of_range", field=field, params={"min": low, "max": high, "value": value}
    )


class UnknownVocabularyValue(InvalidInput):
    """A value that is not a key of its controlled vocabulary."""

    code = "unknown_value"

    def __init__(self, vocabulary: str, value: object, allowed: Iterable[str]) -> None:
        self.vocabulary = vocabulary
        self.value = value
        self.allowed = tuple(allowed)
        super().__init__(
            f"unknown {vocabulary} value {value!r}; allowed: {', '.join(self.allowed)}",
            field=vocabulary,
            params={"value": value},
        )


class LoadError(InvalidInput):
    """A data file that cannot be loaded; ``problems`` lists every bad record (English).

    When the bad records are given as ``rows`` (each a coded :class:`Problem`, e.g. from
    :func:`gis_app.domain.error_vocab.at_row`), ``problems`` are their details and the
    refusals are the file's summary followed by one per row, each with its bilingual message.
    """

    code = "load_error"

    def __init__(
        self, source: str, problems: list[str] | None = None, rows: Iterable[Problem] = ()
    ) -> None:
        self.source = source
        self.rows = list(rows)
        self.problems = problems if problems is not None else [p.detail for p in self.rows]
        n = len(self.problems)
        head = "; ".join(self.problems[:20])
        more = f" (and {n - 20} more)" if n > 20 else ""
        summary = f"{source}: {n} problem(s), nothing loaded: {head}{more}"
        super().__init__(summary, params={"count": n})
        if self.rows:
            self._refusals = [Problem(self.code, None, {"count": n}, summary), *self.rows]


class DatabaseUnavailable(GisAppError):
    """The database cannot be reached or is not migrated; ``retry_after_s`` says when to retry."""

    code = "database_unavailable"

    def __init__(self, message: str, retry_after_s: int = 5, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after_s = retry_after_s


class DatabaseBusy(DatabaseUnavailable):
    """Every database connection stayed in use for longer than a request may wait."""

    code = "database_busy"


class ProvisioningError(GisAppError):
    """The local PostgreSQL/PostGIS cluster cannot be installed, created or started."""

    code = "provisioning_error"


class NotAuthenticated(GisAppError):
    """No valid session or token: the caller must log in."""

    code = "not_authenticated"


class Forbidden(GisAppError):
    """The caller is known but lacks the role for this action."""

    code = "forbidden"


class CsrfFailed(Forbidden):
    """A cookie-authenticated write without a valid CSRF token."""

    code = "csrf_failed"


class RateLimited(GisAppError):
    """Too many attempts; ``retry_after_s`` says when to try again."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int, **kw: Any) -> None:
        super().__init__(message, params={"retry_after_s": retry_after_s}, **kw)
        self.retry_after_s = retry_after_s


class Conflict(GisAppError):
    """The request conflicts with the current state (e.g. a duplicate username)."""

    code = "conflict"


class ConfigurationError(GisAppError):
    """Settings that make it unsafe or impossible to start."""

    code = "configuration_error"


# --- planners' workflow -----------------------------------------------------------------------


class PreconditionRequired(GisAppError):
    """A write that must name the version it was based on (``If-Match``) did not."""

    code = "precondition_required"


class PreconditionFailed(GisAppError):
    """The record changed since the version the write was based on (another edit won)."""

    code = "precondition_failed"

    def __init__(self, message: str, current_version: int | None = None, **kw: Any) -> None:
        self.current_version = current_version
        super().__init__(message, **kw)


class EditConflict(Conflict):
    """A write that conflicts with the current state of the data (not with the input alone)."""

    code = "edit_conflict"


class LockTimeout(EditConflict):
    """A row is locked by another transaction (e.g. a QGIS edit session) for too long."""

    code = "lock_timeout"


class AvailabilityBlocked(EditConflict):
    """A site that overlaps 生态保护红线 or 永久基本农田 cannot be made available."""

    code = "availability_blocked"


class RetiredSite(EditConflict):
    """A split or merged (retired) site cannot be edited; its successors can."""

    code = "retired_site"


class TransitionRefused(InvalidInput):
    """A status change that makes no sense (e.g. progress going backwards without a reason)."""

    code = "invalid_input"


class ReasonRequired(TransitionRefused):
    """A status change that is allowed only with a reason (a note)."""

    code = "reason_required"


class GeometryRejected(InvalidInput):
    """A geometry that fails the checks: ``checks`` are its problems, each coded
    (``problems`` their English details); the refusals are the summary and then each."""

    code = "geometry_rejected"

    def __init__(self, where: str, checks: Iterable[Problem]) -> None:
        self.where = where
        self.checks = list(checks)
        self.problems = [p.detail for p in self.checks]
        n = len(self.checks)
        super().__init__(f"{where}: " + "; ".join(self.problems), params={"count": n})
        summary = Problem(self.code, "geom", {"count": n}, self.public_message)
        self._refusals = [summary, *self.checks]


class OutsideOwnDistrict(GeometryRejected):
    """A site outline that lies in another district than the site's own (issue 26).

    ``site`` is the site's code; ``district`` (its own) and ``found`` (where the outline
    lies) are vocabulary terms, so the message names each in the reader's language (params
    ``value``, ``district`` and ``other``).
    """

    code = "outside_own_district"

    def __init__(self, where: str, site: str, district: Any, found: Any) -> None:
        params = {"value": site, "district": district, "other": found}
        detail = f"lies in {found.en}, not in its district {district.en}"
        super().__init__(where, [Problem(self.code, "geom", params, detail)])
        self.params = params
        self._refusals = self.checks


class CrossesDistrictBoundary(GeometryRejected):
    """A site outline that reaches into two districts (beyond the inside tolerance); ``a``
    and ``b`` are the two districts as vocabulary terms."""

    code = "crosses_district_boundary"

    def __init__(self, where: str, site: str, a: Any, b: Any) -> None:
        params = {"value": site, "district": a, "other": b}
        detail = f"crosses the boundary between {a.en} and {b.en}"
        super().__init__(where, [Problem(self.code, "geom", params, detail)])
        self.params = params
        self._refusals = self.checks


class PayloadTooLarge(InvalidInput):
    """An upload (or its unpacked content) above the configured limit."""

    code = "payload_too_large"


# --- investor recommendation links -------------------------------------------------------------


class LinkUnavailable(NotFound):
    """A ``/r/`` token that is unknown, expired or revoked (deliberately indistinguishable)."""

    code = "link_unavailable"
