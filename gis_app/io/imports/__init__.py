"""File imports of sites (and constraint zones) for planners: read, map, check, apply.

Import reads GeoPackage, (zipped) Shapefile, GeoJSON, CSV with a WKT column or lon/lat columns
and XLSX with lon/lat columns, in a declared CRS: the file's own (``.prj``, GeoPackage, GeoJSON)
or the one given (``EPSG:4490``, ``EPSG:4326``, the CGCS2000 Gauss-Krüger zones 4513–4554 such
as 4550, or ``gcj02`` — GCJ-02 has no EPSG code, so it must be named).

- :mod:`.options` — :class:`ImportOptions` (what the CLI and the API ask for, checked once),
  the layers and the upload limits;
- :mod:`.readers` — files to a table of raw values and geometries, safely unzipped;
- :mod:`.columns` — columns to fields (own names, export names, Chinese planning presets);
- :mod:`.checks` — every value, geometry and code checked before the database is touched;
- :mod:`.apply` — staged, compared with the current rows, written in the caller's transaction;
- :mod:`.report` — the per-row report.

None of these modules commits: :func:`gis_app.services.imports.import_file` owns the
transaction (only a clean file is written, all rows or none; killing the process at any point
leaves the database as it was).
"""

from gis_app.io.imports.options import LAYERS, ImportOptions, UploadLimits
from gis_app.io.imports.report import ImportReport, RowReport, report_json

__all__ = ["LAYERS", "ImportOptions", "ImportReport", "RowReport", "UploadLimits", "report_json"]
