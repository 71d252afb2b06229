#!/usr/bin/env bash
# Install what gis_app needs on a Debian/Ubuntu machine: Debian packages (PostgreSQL 15 +
# PostGIS 3, pg_auto_failover, Python venv support, and with --test the Chromium browser for page tests),
# a virtual environment in .venv and the project in it. Safe to run again: it only installs
# what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

log() { printf 'bootstrap: %s\n' "$*" >&2; }

need_pkgs=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
PKGS=(postgresql postgresql-15-postgis-3)
# a TrueType font with Chinese glyphs for the investor PDFs (gis_app/io/pdf_export.py)
PKGS+=(fonts-wqy-zenhei)
# pg_auto_failover: `gis-app db cluster up` / `db failover` (gis_app/db/failover.py) and the
# failover drill (tests/db/test_failover.py)
PKGS+=(pg-auto-failover-cli postgresql-15-auto-failover)
# the browser tests (tests/e2e) drive Debian's Chromium through Playwright
[ $WITH_TEST -eq 1 ] && PKGS+=(chromium)
# the OGC API tests (tests/ogc) read the service with GDAL's OAPIF and MVT drivers
[ $WITH_TEST -eq 1 ] && PKGS+=(gdal-bin)
# the app behind a transaction-mode pooler (tests/db/test_pooler.py, bench/pooler_bench.py)
[ $WITH_TEST -eq 1 ] && PKGS+=(pgbouncer)
# headless QGIS opens the PostGIS layers and the stored project (tests/ogc)
[ $WITH_TEST -eq 1 ] && PKGS+=(python3-qgis)
# the load client of bench/load_bench.py (a C client leaves the 2 cores to the server)
[ $WITH_TEST -eq 1 ] && PKGS+=(wrk)
PY=""
for cand in python3.11 python3.12 python3.13 python3; do
  if command -v "$cand" >/dev/null && "$cand" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PY=$(command -v "$cand"); break
  fi
done
[ -z "$PY" ] && PKGS+=(python3 python3-venv python3-dev)

if command -v dpkg-query >/dev/null; then
  for p in "${PKGS[@]}"; do have_pkg "$p" || need_pkgs+=("$p"); done
  if [ ${#need_pkgs[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null; then
      log "missing Debian packages: ${need_pkgs[*]} and no apt-get"; exit 1
    fi
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    log "installing Debian packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q "${need_pkgs[@]}"
  fi
else
  log "not a Debian/Ubuntu system: install PostgreSQL 15 server + PostGIS 3 and Python >= 3.11"
  log "yourself, or set GIS_APP_DATABASE_URL to a PostGIS server; continuing with Python set-up"
fi

if [ -z "$PY" ]; then
  for cand in python3.11 python3.12 python3.13 python3; do
    command -v "$cand" >/dev/null && PY=$(command -v "$cand") && break
  done
fi
[ -z "$PY" ] && { log "no Python >= 3.11 found"; exit 1; }

if [ ! -x .venv/bin/python ]; then
  log "creating virtual environment with $PY"
  "$PY" -m venv .venv
fi

EXTRAS=""
[ $WITH_TEST -eq 1 ] && EXTRAS="[test]"
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)${EXTRAS:+-test}"
if [ ! -f "$stamp" ]; then
  log "installing the project into .venv ${EXTRAS}"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${EXTRAS}"
  touch "$stamp"
fi
log "ready"
