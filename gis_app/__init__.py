"""gis_app: PostGIS inventory of idle land, plants and buildings for investment promotion."""

__version__ = "0.1.0"
