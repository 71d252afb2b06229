"""Run by Debian's python3 (with ``python3-qgis``), not the project's venv: open the OGC API
layer and a PostGIS layer in headless QGIS and print their feature counts as JSON.

Usage: ``python3 qgis_probe.py BASE_URL TOKEN LIBPQ_CONNINFO``.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    """Print ``{"oapif_ogr": n, "oapif_native": n|error, "postgres": n}``."""
    base, token, conninfo = sys.argv[1:4]
    from osgeo import gdal
    from qgis.core import QgsApplication, QgsDataSourceUri, QgsVectorLayer

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    out: dict[str, object] = {}
    # QGIS's ogr provider reads OGC API Features through GDAL's OAPIF driver
    gdal.SetConfigOption("GDAL_HTTP_HEADERS", f"Authorization: Bearer {token}")
    lyr = QgsVectorLayer(f"OAPIF:{base}/ogc|layername=sites", "sites", "ogr")
    out["oapif_ogr_valid"] = lyr.isValid()
    out["oapif_ogr"] = sum(1 for _ in lyr.getFeatures()) if lyr.isValid() else None
    uri = QgsDataSourceUri(conninfo)
    uri.setDataSource("public", "site", "geom", "retired_at IS NULL", "id")
    pg = QgsVectorLayer(uri.uri(False), "site", "postgres")
    out["postgres_valid"] = pg.isValid()
    out["postgres"] = sum(1 for _ in pg.getFeatures()) if pg.isValid() else None
    print(json.dumps(out), flush=True)
    app.exitQgis()


if __name__ == "__main__":
    main()
