"""Domain errors raised by the core; the API maps them to HTTP status codes in one table."""

from __future__ import annotations

from collections.abc import Iterable


class GisAppError(Exception):
    """Base class of every error the core raises on purpose."""

    #: message safe to show to a user; ``str(err)`` may hold more detail for the log.
    public_message: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.public_message = message


class NotFound(GisAppError):
    """A requested record does not exist."""


class InvalidInput(GisAppError):
    """Input that cannot be accepted, with a message naming the record and the problem."""


class UnknownVocabularyValue(InvalidInput):
    """A value that is not a key of its controlled vocabulary."""

    def __init__(self, vocabulary: str, value: object, allowed: Iterable[str]) -> None:
        self.vocabulary = vocabulary
        self.value = value
        self.allowed = tuple(allowed)
        super().__init__(
            f"unknown {vocabulary} value {value!r}; allowed: {', '.join(self.allowed)}"
        )


class LoadError(InvalidInput):
    """A data file that cannot be loaded; ``problems`` lists every bad record."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        head = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"{source}: {len(problems)} problem(s), nothing loaded: {head}{more}")


class DatabaseUnavailable(GisAppError):
    """The database cannot be reached or is not migrated; ``retry_after_s`` says when to retry."""

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DatabaseBusy(DatabaseUnavailable):
    """Every database connection stayed in use for longer than a request may wait."""


class ProvisioningError(GisAppError):
    """The local PostgreSQL/PostGIS cluster cannot be installed, created or started."""


class NotAuthenticated(GisAppError):
    """No valid session or token: the caller must log in."""


class Forbidden(GisAppError):
    """The caller is known but lacks the role for this action."""


class CsrfFailed(Forbidden):
    """A cookie-authenticated write without a valid CSRF token."""


class RateLimited(GisAppError):
    """Too many attempts; ``retry_after_s`` says when to try again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Conflict(GisAppError):
    """The request conflicts with the current state (e.g. a duplicate username)."""


class ConfigurationError(GisAppError):
    """Settings that make it unsafe or impossible to start."""


# --- planners' workflow -----------------------------------------------------------------------


class PreconditionRequired(GisAppError):
    """A write that must name the version it was based on (``If-Match``) did not."""


class PreconditionFailed(GisAppError):
    """The record changed since the version the write was based on (another edit won)."""

    def __init__(self, message: str, current_version: int | None = None) -> None:
        self.current_version = current_version
        super().__init__(message)


class EditConflict(Conflict):
    """A write that conflicts with the current state of the data (not with the input alone)."""


class LockTimeout(EditConflict):
    """A row is locked by another transaction (e.g. a QGIS edit session) for too long."""


class AvailabilityBlocked(EditConflict):
    """A site that overlaps 生态保护红线 or 永久基本农田 cannot be made available."""


class RetiredSite(EditConflict):
    """A split or merged (retired) site cannot be edited; its successors can."""


class TransitionRefused(InvalidInput):
    """A status change that makes no sense (e.g. progress going backwards without a reason)."""


class ReasonRequired(TransitionRefused):
    """A status change that is allowed only with a reason (a note)."""


class GeometryRejected(InvalidInput):
    """A geometry that fails the checks; ``problems`` names each one."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems
        super().__init__(f"{where}: " + "; ".join(problems))


class PayloadTooLarge(InvalidInput):
    """An upload (or its unpacked content) above the configured limit."""


# --- investor recommendation links -------------------------------------------------------------


class LinkUnavailable(NotFound):
    """A ``/r/`` token that is unknown, expired or revoked (deliberately indistinguishable)."""
