"""Application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.routers import health, sites
from gis_app import __version__
from gis_app.db.engine import make_engine
from gis_app.db.provision import database_url
from gis_app.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the engine is created at startup and disposed at shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = make_engine(database_url(settings.db), settings.db)
        try:
            yield
        finally:
            app.state.engine.dispose()

    app = FastAPI(
        title="gis_app — 招商用地与厂房资源库 / Investment site inventory",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    app.include_router(health.router)
    app.include_router(sites.router)
    return app
