#!/usr/bin/env bash
# One command from a fresh machine to the whole test suite: install (with test tools), start
# PostGIS, lint, then run every test against the real database. Fails when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# start PostGIS for the tests; stop it again afterwards if it was not running before
if .venv/bin/gis-app db status >/dev/null 2>&1; then was_running=1; else was_running=0; fi
.venv/bin/gis-app db up
if [ $was_running -eq 0 ] && [ -z "${GIS_APP_DATABASE_URL:-}" ]; then
  trap '.venv/bin/gis-app db down || true' EXIT
fi
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "test.sh: pytest collected no tests — failing" >&2
  exit 1
fi
exit $rc
