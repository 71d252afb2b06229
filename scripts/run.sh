#!/usr/bin/env bash
# One command from a fresh machine to a running app: install, start PostGIS, migrate, load the
# sample data and serve (the URL is printed). Host/port: GIS_APP_HOST / GIS_APP_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/gis-app setup
exec .venv/bin/gis-app serve
