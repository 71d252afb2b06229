"""Application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from api import errors
from api import openapi as api_openapi
from api.deps import ConnectionGate
from api.reads import read_routing
from api.routers import (
    activities,
    activity_pages,
    admin_pages,
    alerts,
    attachments,
    auth,
    brochure_pages,
    compare_pages,
    dashboard,
    docs,
    health,
    import_pages,
    investor,
    match,
    ogc,
    pages,
    project_pages,
    projects,
    recommendations,
    referrals,
    requirement_pages,
    requirements,
    saved_searches,
    site_edits,
    sites,
    stats,
    tiles,
)
from api.schemas import refuse_nul
from api.security import SecurityMiddleware, SelectiveGZipMiddleware
from gis_app import __version__
from gis_app.db.engine import make_engine
from gis_app.db.provision import runtime_url
from gis_app.services.accounts import load_secret_key
from gis_app.services.import_jobs import ImportJobRunner
from gis_app.settings import Settings
from maps import assets as map_assets
from maps import basemaps

API_STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the engine is created at startup and disposed at shutdown.

    Raises ConfigurationError in production mode without a proper secret key.
    """
    settings = settings or Settings()
    secret_key = load_secret_key(settings.security)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # requests, import jobs and investor links run as the runtime login, which owns
        # nothing: PostgreSQL's row-level security applies to it (the owner migrates)
        log = logging.getLogger("gis_app").warning
        url = await anyio.to_thread.run_sync(lambda: runtime_url(settings.db, log=log))
        app.state.engine = make_engine(url, settings.db)
        app.state.db_gate = ConnectionGate.for_engine(app.state.engine, settings.db)
        # readiness probes get a connection of their own, so they answer while the pool is busy
        app.state.health_engine = make_engine(
            url, settings.db, application_name="gis_app health", pooled=False
        )
        # imports hold a connection for minutes: their own small pool, so that they never
        # take one of the few the request gate counts on
        jobs = settings.edit.import_job_workers
        app.state.import_engine = make_engine(
            url,
            # a job's transaction and its progress writes, and the heartbeat
            settings.db.model_copy(update={"pool_size": 2 * jobs + 1}),
            application_name="gis_app import",
        )
        app.state.import_runner = ImportJobRunner(app.state.import_engine, workers=jobs)
        app.state.reads = await anyio.to_thread.run_sync(
            lambda: read_routing(url, settings.db, app.state.db_gate, ConnectionGate.for_engine)
        )
        try:
            yield
        finally:
            if app.state.reads is not None:
                await anyio.to_thread.run_sync(app.state.reads.close)
            # joins threads and talks to the database: off the event loop
            await anyio.to_thread.run_sync(app.state.import_runner.shutdown)
            await anyio.to_thread.run_sync(app.state.import_engine.dispose)
            await anyio.to_thread.run_sync(app.state.engine.dispose)
            await anyio.to_thread.run_sync(app.state.health_engine.dispose)

    app = FastAPI(
        title="gis_app — 招商用地与厂房资源库 / Investment site inventory",
        version=__version__,
        lifespan=lifespan,
        # docs are served by api.routers.docs, behind login and without CDN assets
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # the one rule for text input: no NUL character reaches a handler
        dependencies=[Depends(refuse_nul)],
    )
    app.state.settings = settings
    app.state.secret_key = secret_key
    app.state.reads = None  # api.reads.ReadRouting when a standby is configured (lifespan)
    errors.install(app)
    errors.install_request_errors(app)
    api_openapi.install(app)
    app.add_middleware(
        SecurityMiddleware,
        max_body_bytes=settings.security.max_body_bytes,
        max_upload_bytes=settings.security.max_upload_bytes,
        image_hosts=basemaps.tile_hosts(settings.map),
    )
    app.add_middleware(SelectiveGZipMiddleware)
    app.mount("/docs-assets", StaticFiles(directory=API_STATIC), name="docs-assets")
    # map assets (Leaflet, plugins, fonts, icons): public, pinned versions, no CDN
    app.mount(map_assets.STATIC_URL, StaticFiles(directory=map_assets.STATIC_DIR), name="static")
    # routes are tried in order, and a map asks for tiles by the hundred: theirs first (matching
    # the routes before them took a tenth of a small tile's time)
    app.include_router(tiles.router)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(docs.router)
    app.include_router(sites.router)
    app.include_router(site_edits.router)
    app.include_router(requirements.router)
    app.include_router(match.router)
    app.include_router(alerts.router)
    app.include_router(saved_searches.router)
    app.include_router(ogc.router)
    app.include_router(pages.router)
    app.include_router(brochure_pages.router)
    app.include_router(attachments.router)
    app.include_router(compare_pages.router)
    app.include_router(requirement_pages.router)
    app.include_router(stats.router)
    app.include_router(dashboard.router)
    app.include_router(admin_pages.router)
    app.include_router(import_pages.router)
    # investor recommendation links: officers' API, /r/ pages, robots.txt
    app.include_router(recommendations.router)
    app.include_router(referrals.router)
    app.include_router(investor.router)
    app.include_router(investor.robots_router)
    # the project ledger: projects, monthly figures, the indicator report (issue 27)
    app.include_router(projects.router)
    app.include_router(project_pages.router)
    # promotion activities against the monthly minimum
    app.include_router(activities.router)
    app.include_router(activity_pages.router)
    return app
