#!/usr/bin/env bash
# Run the whole app for development: web server, Celery worker and Celery beat.
# Ctrl-C stops all three. With no REDIS_URL the broker is a folder in var/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 &
pids+=($!)
.venv/bin/celery -A config beat --loglevel=INFO &
pids+=($!)
$PY manage.py runserver "127.0.0.1:${PORT}" &
pids+=($!)

sleep 3
# One sweep now, so the demo's overdue referrals are chased at once (beat repeats it).
.venv/bin/celery -A config call referrals.tasks.sweep_clocks >/dev/null
$PY manage.py seed_demo | sed -n '2,$p'
cat <<MSG

  CIRS is running at http://127.0.0.1:${PORT}/
  Web server, Celery worker and Celery beat are up (Ctrl-C stops them all).
  Sign in with any demo login above (password: cirs-demo-2026).
  E-mails are printed here, in this console.

MSG
wait -n "${pids[@]}"
