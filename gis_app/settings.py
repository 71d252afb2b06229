"""Settings, one class per concern, read from ``GIS_APP_*`` environment variables and ``.env``.

Only this module reads the environment. Settings are built by ``create_app()`` and by the CLI,
never at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DatabaseSettings(BaseSettings):
    """Where the database is: an external server, or the project's private cluster."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_", env_file=".env", extra="ignore")

    #: external server (``postgresql+psycopg2://user:pw@host:port/db``); unset → private cluster
    database_url: str | None = None
    #: data folder of the private cluster
    pg_data_dir: Path = PROJECT_ROOT / "var" / "pg"
    pg_port: int = 54329
    pg_database: str = "gis_app"
    #: seconds an API write waits for a row lock before failing (QGIS may hold long locks)
    lock_timeout_s: float = 3.0
    statement_timeout_s: float = 60.0


class AppSettings(BaseSettings):
    """The web application."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
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


class Settings(BaseSettings):
    """All settings, grouped by concern."""

    model_config = SettingsConfigDict(env_prefix="GIS_APP_", env_file=".env", extra="ignore")

    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    app: AppSettings = Field(default_factory=AppSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
