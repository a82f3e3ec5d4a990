#!/usr/bin/env bash
# The load test against a production-like GovReach: gunicorn, production settings (no DEBUG, a real
# secret), a throwaway PostgreSQL (scripts/with-postgres.sh), on 127.0.0.1 only, bounded in time.
# See loadtest/README.md. Settings by environment:
#   USERS (200) SPAWN_RATE (20) RUN_TIME (60s)  the mixed run of citizens and probes (seconds, "s" optional)
#   PROBE_USERS (8) PROBE_TIME (15s)            then each capacity probe alone (healthz, eligibility API)
#   WORKERS (4)                                 gunicorn workers
#   CHECK_ARGS                                  extra arguments for loadtest/check.py
#   LOADTEST_OUT (var/loadtest)                 where the CSV files and logs go
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ]; then
  exec scripts/with-postgres.sh "$0" "$@"
fi
case "$DATABASE_URL" in
  postgres://*@127.0.0.1:*|postgresql://*@127.0.0.1:*) ;;
  *) echo "loadtest: DATABASE_URL must be a throwaway PostgreSQL on 127.0.0.1 (unset it to get one)" >&2; exit 2 ;;
esac

USERS=${USERS:-200} SPAWN_RATE=${SPAWN_RATE:-20} RUN_TIME=${RUN_TIME:-60s}
PROBE_USERS=${PROBE_USERS:-8} PROBE_TIME=${PROBE_TIME:-15s} WORKERS=${WORKERS:-4}
OUT=${LOADTEST_OUT:-$PWD/var/loadtest}
RUN="uv run --frozen --no-sync"
rm -rf "$OUT" && mkdir -p "$OUT"
instance=$(mktemp -d /tmp/govreach-loadtest.XXXXXX)

# Production settings: GOVREACH_DEBUG unset, a fresh random secret, persistent database connections.
# Plain HTTP on loopback stands for the TLS front end that terminates HTTPS in production, hence no
# redirect to HTTPS. Static files are not requested: in production the front end serves STATIC_ROOT
# (after collectstatic), never Django, so they are no part of what this measures.
unset GOVREACH_DEBUG GOVREACH_ALLOW_INSECURE_KEY
export GOVREACH_SECRET_KEY
GOVREACH_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
export GOVREACH_VAR_DIR=$instance GOVREACH_SSL_REDIRECT=0 GOVREACH_ALLOWED_HOSTS=127.0.0.1,localhost
export GOVREACH_DB_CONN_MAX_AGE=60 GOVREACH_LOG_LEVEL=WARNING DJANGO_SETTINGS_MODULE=govreach.config.settings
export LOADTEST_DATABASE_URL=$DATABASE_URL LOADTEST_REFERENCES=$OUT/references.jsonl

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$instance"
}
trap cleanup EXIT

echo "loadtest: preparing the instance ($(uptime | sed 's/.*load/load/'))"
$RUN python loadtest/prepare.py "$OUT"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# --preload: Django is imported once, then the workers fork from it.
$RUN gunicorn govreach.config.wsgi:application --preload --bind "127.0.0.1:$port" --workers "$WORKERS" \
  --timeout 60 --graceful-timeout 5 --error-logfile "$OUT/gunicorn.log" &
server_pid=$!
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/healthz/" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "gunicorn did not start:" >&2; tail -n 30 "$OUT/gunicorn.log" >&2; exit 1; }
  sleep 0.2
done
# Warm every worker up (URL resolver, templates, the catalogue) so the first seconds measure GovReach,
# not Python importing it.
for _ in $(seq 1 $((WORKERS * 3))); do
  curl -s -o /dev/null "http://127.0.0.1:$port/login/?lang=en" &
  curl -s -o /dev/null "http://127.0.0.1:$port/services/bd-land-mutation/apply/?lang=en" &
done
wait_jobs=$(jobs -p | grep -v "^$server_pid$" || true)
[ -z "$wait_jobs" ] || wait $wait_jobs

echo "loadtest: $USERS users for $RUN_TIME, then each probe alone ($PROBE_USERS users, $PROBE_TIME each)"
locust() {
  $RUN locust -f loadtest/locustfile.py --headless --host "http://127.0.0.1:$port" --only-summary \
    --loglevel WARNING "$@"
}
locust -u "$USERS" -r "$SPAWN_RATE" -t "$RUN_TIME" --csv "$OUT/mixed" Citizen HealthProbe EligibilityProbe \
  >"$OUT/locust-mixed.log" 2>&1 || true
LOADTEST_PHASE=health locust -u "$PROBE_USERS" -r "$PROBE_USERS" -t "$PROBE_TIME" --csv "$OUT/health" \
  HealthProbe >"$OUT/locust-health.log" 2>&1 || true
LOADTEST_PHASE=eligibility locust -u "$PROBE_USERS" -r "$PROBE_USERS" -t "$PROBE_TIME" --csv "$OUT/eligibility" \
  EligibilityProbe >"$OUT/locust-eligibility.log" 2>&1 || true

kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""
grep -E "Traceback|ERROR" "$OUT/gunicorn.log" | head -n 5 || true
# shellcheck disable=SC2086
$RUN python loadtest/check.py --references "$LOADTEST_REFERENCES" --stats "$OUT/mixed_stats.csv" "$OUT/health_stats.csv" "$OUT/eligibility_stats.csv" \
  --media "$instance/media" ${CHECK_ARGS:-} | tee "$OUT/report.txt"
