"""Base of request models: unknown fields are refused (no mass assignment)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: fields the server manages; no request model may accept them
SERVER_MANAGED_FIELDS = frozenset(
    {
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "verified_by",
        "area_m2",
        "area_mu",
        "area_ha",
        "history",
        "token_hash",
        "password_hash",
    }
)


class StrictModel(BaseModel):
    """A request body: extra fields are a 422, never silently ignored or applied."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
