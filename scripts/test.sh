#!/usr/bin/env bash
# The whole suite: lint, type check, migration drift, deploy check, pytest on SQLite and on
# PostgreSQL, and the browser tests. A suite whose service is missing is skipped with a printed
# reason — except under CI=true, where a missing service is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
STRICT=false
[ "${CI:-}" = "true" ] && STRICT=true
PG_URL="${SHUZHUAN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/shuzhuan}"
failed=()
skipped=()

step() { printf '\n=== %s\n' "$1"; }
run() {  # run NAME CMD...
  local name=$1; shift
  step "$name"
  if "$@"; then echo "--- $name: ok"; else echo "--- $name: FAILED"; failed+=("$name"); fi
}
missing() {  # missing NAME REASON
  if $STRICT; then
    step "$1"; echo "--- $1: FAILED — $2 (CI=true: a missing service is a failure)"; failed+=("$1")
  else
    step "$1"; echo "--- $1: SKIPPED — $2"; skipped+=("$1: $2")
  fi
}

export DJANGO_SETTINGS_MODULE=config.django.test
unset DATABASE_URL

run "ruff" $BIN/ruff check .
run "ruff format" $BIN/ruff format --check .
run "mypy" $BIN/mypy
run "makemigrations --check" $BIN/python manage.py makemigrations --check --dry-run
deploy_check() {
  SHUZHUAN_SECRET_KEY="$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
  DJANGO_SETTINGS_MODULE=config.django.production \
    $BIN/python manage.py check --deploy --fail-level WARNING
}
run "check --deploy (production settings)" deploy_check
run "pytest (SQLite)" $BIN/pytest -m "not e2e" -q -p no:cacheprovider

pg_ready() {
  $BIN/python - "$PG_URL" <<'PY'
import sys
import psycopg
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
try:
    psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, dbname="postgres", connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {u.hostname}:{u.port or 5432}: {str(exc).strip().splitlines()[0]}")
    sys.exit(1)
PY
}
if reason=$(pg_ready); then
  # Spark and the rules engine touch no database: they run once, in the SQLite pass.
  run "pytest (PostgreSQL)" env DATABASE_URL="$PG_URL" $BIN/pytest -m "not e2e and not spark" -q -p no:cacheprovider
else
  missing "pytest (PostgreSQL)" "$reason"
fi

CHROMIUM="${SHUZHUAN_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  run "browser tests (Chromium)" $BIN/pytest -m e2e tests/e2e -q -p no:cacheprovider
else
  missing "browser tests (Chromium)" "no Chromium at $CHROMIUM (apt-get install chromium)"
fi

echo
if [ ${#skipped[@]} -gt 0 ]; then echo "Skipped:"; printf '  - %s\n' "${skipped[@]}"; fi
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED:"; printf '  - %s\n' "${failed[@]}"; exit 1; fi
echo "All suites passed."
