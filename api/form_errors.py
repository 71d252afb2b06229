"""A refusal as a server-rendered form shows it: each message in the page's language next to
the field it names, the rest above the form, and a file's bad rows as a list."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field

from gis_app.domain.error_vocab import message
from gis_app.domain.errors import GisAppError, LoadError


@dataclass(frozen=True)
class FormErrors:
    """What a page shows of a refusal (templates: ``_project_macros.html``)."""

    #: form field name → its message
    fields: dict[str, str] = field(default_factory=dict)
    #: messages about no field of the page (shown above the forms)
    general: list[str] = field(default_factory=list)
    #: a refused file's bad rows, one message each
    rows: list[str] = field(default_factory=list)


def form_errors(error: GisAppError | None, lang: str, shown: Container[str]) -> FormErrors | None:
    """The messages of ``error`` in ``lang``; a problem about a field in ``shown`` (the names
    of the page's form fields) goes next to that field."""
    if error is None:
        return None
    if isinstance(error, LoadError):
        summary, *rows = error.refusals
        listed = [message(p)[lang] for p in rows] or list(error.problems)
        return FormErrors(general=[message(summary)[lang]], rows=listed)
    out = FormErrors()
    for p in error.refusals:
        text = message(p)[lang]
        if p.field and p.field in shown and p.field not in out.fields:
            out.fields[p.field] = text
        else:
            out.general.append(text)
    return out
