"""Settings, one class per concern, read from ``GIS_APP_*`` environment variables and ``.env``.

Only this module reads the environment. Settings are built by ``create_app()`` and by the CLI,
never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DatabaseSettings(BaseSettings):
    """Where the database is: an external server, or the project's private cluster."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_", env_file=".env", extra="ignore")

    #: external server (``postgresql+psycopg2://user:pw@host:port/db``); unset → private cluster
    database_url: str | None = None
    #: the login the web app serves requests with (``gis-app serve``: requests, import jobs,
    #: investor links), on the server and database of ``database_url``; it owns nothing and is
    #: no superuser, so PostgreSQL's row-level security applies to it. ``database_url``'s
    #: user, the tables' owner, runs migrations and maintenance (the CLI). Unset with the
    #: private cluster → ``gis_app_runtime``, made by the app with a password kept beside
    #: the cluster's; unset with an external server → the app serves as the owner (and says
    #: so at start-up; README, "Owner and runtime login", says how to make one).
    runtime_user: str | None = None
    runtime_password: str | None = None
    #: data folder of the private cluster
    pg_data_dir: Path = PROJECT_ROOT / "var" / "pg"
    pg_port: int = 54329
    pg_database: str = "gis_app"
    #: where ``gis-app db backup`` writes when not told a file
    backup_dir: Path = PROJECT_ROOT / "var" / "backups"
    #: the private cluster copies every finished WAL segment here (takes effect at its next
    #: start); with base backups (``gis-app db backup --base``) it allows restoring the
    #: database as it was at any moment since (``gis-app db restore --base … --until …``)
    wal_archive_dir: Path | None = None
    #: seconds an API write waits for a row lock before failing (QGIS may hold long locks)
    lock_timeout_s: float = 3.0
    statement_timeout_s: float = 60.0
    #: connections a server process keeps open; it admits as many requests to the database at
    #: once, the others wait in line. The database does best with about two active connections
    #: per core it has (all processes together): on this 2-core machine, with the app beside
    #: it, 2 processes x 2 connections served 50 officers at ~1.5x the requests/s of 2 x 10 and
    #: with half the p95 (bench/results/load_pool_size.md): fewer threads fight over the GIL
    #: and fewer backends over the cores. ``max_overflow`` adds connections opened for a burst
    #: and closed after it (each a new PostgreSQL backend), so it stays 0.
    pool_size: int = Field(default=2, ge=1)
    max_overflow: int = Field(default=0, ge=0)
    #: seconds a request waits for a free database connection before it is refused with 503
    #: and ``Retry-After`` (the server stays responsive instead of queueing without bound)
    queue_timeout_s: float = Field(default=10.0, gt=0)
    #: a pooled connection idle longer than this many seconds is checked with a round trip
    #: before use (a restarted server or a firewall may have dropped it); one busy with
    #: requests is not, which saves a round trip on almost every request under load
    ping_idle_s: float = Field(default=5.0, ge=0)
    #: what sits between the app and PostgreSQL: ``none`` (direct), or ``transaction`` for a
    #: pooler in transaction mode (PgBouncer ``pool_mode = transaction``): each transaction may
    #: then run on another server connection, so the timeouts are set per transaction instead
    #: of per session (PgBouncer refuses the ``options`` start-up parameter)
    pooler: Literal["none", "transaction"] = "none"
    #: ``gis-app db cluster``: folder of the pg_auto_failover formation (a monitor and two
    #: nodes, gis_app/db/failover.py) and its first port (monitor; the nodes take the next two)
    formation_dir: Path = PROJECT_ROOT / "var" / "formation"
    formation_port: int = Field(default=54340, ge=1024, le=65533)
    #: a hot standby for reads (``postgresql+psycopg2://…``, e.g. the one ``gis-app db replica
    #: up`` makes): searches, tiles, investor pages, matches of unsaved requirements and the
    #: dashboard read there, everything else goes to the primary; unset → no standby
    replica_url: str | None = None
    #: data folder and port of the private cluster's standby (``gis-app db replica up``)
    replica_data_dir: Path = PROJECT_ROOT / "var" / "pg-replica"
    replica_port: int = 54330
    #: reads go to the primary while the standby is further behind than this (seconds or bytes
    #: of WAL not yet replayed), and while it is down or unreachable
    replica_max_lag_s: float = Field(default=5.0, ge=0)
    replica_max_lag_bytes: int = Field(default=16 * 1024 * 1024, ge=0)
    #: connections a server process keeps open to the standby (its own request gate)
    replica_pool_size: int = Field(default=2, ge=1)
    #: how often each process asks the standby how far it has replayed (seconds)
    replica_check_s: float = Field(default=1.0, gt=0)


class AppSettings(BaseSettings):
    """The web application."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    #: server processes ``gis-app serve`` starts; unset → one per CPU core. Processes share
    #: nothing but the database, so they may also run on several hosts behind a proxy.
    workers: int | None = Field(default=None, ge=1)
    #: seconds an idle keep-alive connection stays open (uvicorn's own default, 5 s, closed
    #: the connection of an officer reading an answer for longer, and a client that sent its
    #: next request just then saw it reset)
    keep_alive_s: float = Field(default=75.0, gt=0, le=3600)
    #: hard cap on ``limit`` for list endpoints
    max_page_size: int = Field(default=1000, ge=1)
    default_page_size: int = Field(default=100, ge=1)
    #: public base URL used in links sent to investors (e.g. https://zs.example.gov.cn)
    public_base_url: str | None = None


class SecuritySettings(BaseSettings):
    """Accounts, sessions, tokens and request limits."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_", env_file=".env", extra="ignore")

    #: production mode: refuse to start with a missing or default secret key
    production: bool = False
    #: signs CSRF tokens; in development a random key is kept in var/secret_key
    secret_key: str | None = None
    secret_key_file: Path = PROJECT_ROOT / "var" / "secret_key"
    #: password of the first admin created by set-up (random and printed once when unset)
    admin_password: str | None = None
    session_hours: float = 8.0
    session_idle_minutes: float = 120.0
    #: None: Secure cookie when the request came over HTTPS
    cookie_secure: bool | None = None
    login_max_failures_per_account: int = 5
    login_max_failures_per_client: int = 20
    login_window_minutes: float = 15.0
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 50_000_000


class MapSettings(BaseSettings):
    """The officers' web map and static exports: basemaps and limits."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_MAP_", env_file=".env", extra="ignore")

    #: basemap shown first: "none" (offline, from the database), "tianditu_vec", "tianditu_img",
    #: "amap", "osm"; "none" makes no request to any other host
    default_basemap: str = "none"
    #: basemaps offered on the page (those needing a key are left out while it is unset)
    basemaps: list[str] = Field(
        default_factory=lambda: ["none", "tianditu_vec", "tianditu_img", "amap", "osm"]
    )
    #: Tianditu (天地图) browser key; without it the Tianditu basemaps are not offered
    tianditu_key: str | None = None
    #: override of a basemap's tile URL template, e.g. an intranet tile mirror:
    #: GIS_APP_MAP_TILE_URLS='{"osm": "http://tiles.intranet/{z}/{x}/{y}.png"}'
    tile_urls: dict[str, str] = Field(default_factory=dict)
    #: a vector tile with more sites than this is drawn as clusters (counts per cell)
    tile_max_features: int = Field(default=2000, ge=1)
    #: from this zoom on, site outlines are drawn; below, one point per site
    polygon_min_zoom: int = Field(default=13, ge=0, le=22)
    #: rows of the results list per request
    list_page_size: int = Field(default=200, ge=1, le=1000)
    #: the static export refuses selections above this many sites
    export_max_sites: int = Field(default=5000, ge=1)
    #: a vector tile that took at least this many seconds to cut is kept in the process's
    #: memory until the data version changes (crowded low-zoom clusters); faster ones are not
    tile_cache_min_s: float = Field(default=0.25, ge=0)


class EditSettings(BaseSettings):
    """Planners' edits and file imports: geometry limits and upload limits."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_EDIT_", env_file=".env", extra="ignore")

    #: a site geometry with more vertices than this is refused (digitising noise, or a bomb)
    max_vertices: int = Field(default=100_000, ge=4)
    #: site area limits in m² (a parcel below 1 m² or above 200 km² is a unit or CRS mistake)
    min_area_m2: float = Field(default=1.0, ge=0)
    max_area_m2: float = Field(default=200_000_000.0, gt=0)
    #: an unpacked upload (zip) may not exceed this many bytes, nor this compression ratio
    max_unzipped_bytes: int = Field(default=1_000_000_000, ge=1)
    max_zip_ratio: float = Field(default=200.0, gt=1)
    #: features per import file
    max_import_features: int = Field(default=1_000_000, ge=1)
    #: an import file with at least this many rows takes the bulk path: staged with COPY, and
    #: the sites' history and derived tables (areas, distances, zone overlaps, match units,
    #: reverse matches, alerts) computed once per statement instead of once per row
    bulk_import_min_features: int = Field(default=5_000, ge=1)
    #: an API upload at least this large runs as a background job (202 and a job to poll)
    import_job_min_bytes: int = Field(default=2_000_000, ge=0)
    #: imports one app process runs at once (more wait, queued)
    import_job_workers: int = Field(default=1, ge=1, le=16)
    #: a queued or running job whose process has not been heard of for this long is failed
    #: (its process stopped; its transaction died with it, so nothing was written)
    import_job_stale_s: float = Field(default=60.0, gt=0)


class FileSettings(BaseSettings):
    """Photos and documents planners attach to sites and buildings."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_FILES_", env_file=".env", extra="ignore")

    #: largest photo (JPEG/PNG) accepted, in bytes, before it is re-encoded
    max_photo_bytes: int = Field(default=15_000_000, ge=1_000)
    #: largest document (PDF) accepted, in bytes
    max_document_bytes: int = Field(default=20_000_000, ge=1_000)
    #: a photo with more pixels than this is refused (a decompression bomb or a scan)
    max_pixels: int = Field(default=60_000_000, ge=10_000)
    #: stored photos are scaled down to this longest side (pixels)
    max_side_px: int = Field(default=3200, ge=200)
    #: longest side of thumbnails (pixels)
    thumb_side_px: int = Field(default=480, ge=64)
    #: files per site (photos and documents together)
    max_per_site: int = Field(default=40, ge=1)


class LinkSettings(BaseSettings):
    """Investor recommendation links under ``/r/``: expiry, rate limit, PDF font."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_LINK_", env_file=".env", extra="ignore")

    #: days a new link stays valid unless the officer says otherwise
    default_expiry_days: int = Field(default=30, ge=1, le=365)
    #: longest validity an officer may give (or extend) a link, in days from now
    max_expiry_days: int = Field(default=365, ge=1, le=3650)
    #: requests per client (IP address) to ``/r/`` within the window; then 429 with Retry-After
    #: (counted in the database: one limit across every app process and host)
    rate_limit_requests: int = Field(default=60, ge=1)
    rate_limit_window_s: float = Field(default=60.0, gt=0)
    #: feedback entries one link may record per day (a bound against flooding)
    feedback_max_per_day: int = Field(default=100, ge=1)
    #: sites per recommendation
    max_sites: int = Field(default=30, ge=1, le=200)
    #: TrueType font with CJK glyphs for PDFs; unset → the first of the usual Debian paths
    pdf_font_path: Path | None = None


class Settings(BaseSettings):
    """All settings, grouped by concern."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_", env_file=".env", extra="ignore")

    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    app: AppSettings = Field(default_factory=AppSettings)
    map: MapSettings = Field(default_factory=MapSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    edit: EditSettings = Field(default_factory=EditSettings)
    links: LinkSettings = Field(default_factory=LinkSettings)
    files: FileSettings = Field(default_factory=FileSettings)
