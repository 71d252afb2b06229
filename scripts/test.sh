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
# two workers by default (GIS_APP_TEST_WORKERS=0 runs in one process); a test file's tests stay
# together on one worker, so module fixtures (served apps, clusters) are made once
.venv/bin/python -m pytest -n "${GIS_APP_TEST_WORKERS:-2}" --dist loadfile "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "test.sh: pytest collected no tests — failing" >&2
  exit 1
fi
exit $rc
