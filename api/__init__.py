"""FastAPI application of gis_app: routers, dependencies, error table and pages."""

from api.app import create_app

__all__ = ["create_app"]
