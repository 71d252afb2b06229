"""Request dependencies: settings, a database connection per request, query parsing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request

from gis_app.settings import Settings


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_conn(request: Request) -> Iterator[sa.Connection]:
    """A connection in a transaction for the request; committed by the service that writes."""
    engine: sa.Engine = request.app.state.engine
    with engine.connect() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings)]
ConnDep = Annotated[sa.Connection, Depends(get_conn)]
