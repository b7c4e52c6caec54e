#!/usr/bin/env bash
# Container entrypoint: compute workers, print the configuration (no secrets),
# wait for the database by applying migrations (bounded retry), seed in
# production, then exec the server.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/db_url.sh
source "$SCRIPT_DIR/lib/db_url.sh"

APP_DIR="${APP_DIR:-$(dirname "$SCRIPT_DIR")}"
NODE_BIN="${NODE_BIN:-node}"
SERVER_ENTRY="${SERVER_ENTRY:-$APP_DIR/dist/apps/api/src/main.js}"
MIGRATE_JS="$APP_DIR/dist/apps/api/src/cli/migrate.js"
SEED_JS="$APP_DIR/dist/apps/api/src/cli/seed.js"
MIGRATE_CMD="${MIGRATE_CMD:-$(printf '%q %q run' "$NODE_BIN" "$MIGRATE_JS")}"
SEED_CMD="${SEED_CMD:-$(printf '%q %q' "$NODE_BIN" "$SEED_JS")}"
DB_WAIT_RETRIES="${DB_WAIT_RETRIES:-30}"
DB_WAIT_INTERVAL="${DB_WAIT_INTERVAL:-2}"
MIGRATE_TIMEOUT_SECONDS="${MIGRATE_TIMEOUT_SECONDS:-600}"
WORKER_MEMORY_MB="${WORKER_MEMORY_MB:-150}"
ENV_NAME="${ENVIRONMENT:-development}"

log() { printf '[start] %s\n' "$*"; }
die() { printf '[start] ERROR: %s\n' "$*" >&2; exit 1; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
is_number() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

is_positive() { is_uint "$1" && (("$1" >= 1)); }

# A missing build would otherwise look like an unreachable database.
[[ -f $SERVER_ENTRY ]] || die "server entry $SERVER_ENTRY not found: run 'npm run build' (or set APP_DIR)"
if [[ $MIGRATE_CMD == *"$MIGRATE_JS"* && ! -f $MIGRATE_JS ]]; then
  die "migrate CLI $MIGRATE_JS not found: run 'npm run build' (or set APP_DIR)"
fi

is_positive "$DB_WAIT_RETRIES" || die "DB_WAIT_RETRIES must be a positive integer (got '$DB_WAIT_RETRIES')"
is_number "$DB_WAIT_INTERVAL" || die "DB_WAIT_INTERVAL must be a number of seconds (got '$DB_WAIT_INTERVAL')"
is_uint "$MIGRATE_TIMEOUT_SECONDS" || die "MIGRATE_TIMEOUT_SECONDS must be a non-negative integer (got '$MIGRATE_TIMEOUT_SECONDS')"
is_positive "$WORKER_MEMORY_MB" || die "WORKER_MEMORY_MB must be a positive integer (got '$WORKER_MEMORY_MB')"

# --- secrets: never printed; scrubbed from any captured output ---
DB_URL_EFFECTIVE="${DATABASE_URL:-${DB_URL:-}}"
SECRETS=()
add_secret() { [[ -n ${1:-} ]] && SECRETS+=("$1"); return 0; }
for name in SECRET_KEY POSTGRES_PASSWORD REDIS_PASSWORD ADMIN_PASSWORD OPENAI_API_KEY METRICS_TOKEN; do
  add_secret "${!name:-}"
done
DB_TARGET="embedded database (no DATABASE_URL)"
if [[ -n $DB_URL_EFFECTIVE ]]; then
  if parse_db_url "$DB_URL_EFFECTIVE"; then
    add_secret "$DBURL_PASSWORD"
    add_secret "$DBURL_PASSWORD_RAW"
    DB_TARGET="$DBURL_HOSTPORT/${DBURL_DBNAME}"
  else
    DB_TARGET="(unrecognised URL scheme: ${DB_URL_EFFECTIVE%%://*})"
  fi
elif [[ -n ${POSTGRES_SERVER:-} ]]; then
  DB_TARGET="${POSTGRES_SERVER}:${POSTGRES_PORT:-5432}/${POSTGRES_DB:-}"
fi
if [[ -n ${REDIS_URL:-} && ${REDIS_URL} =~ ^[a-z]+://[^@/]*:([^@/]*)@ ]]; then
  add_secret "${BASH_REMATCH[1]}"
  add_secret "$(urldecode "${BASH_REMATCH[1]}")"
fi

scrub() {
  local text=$1 s
  for s in "${SECRETS[@]+"${SECRETS[@]}"}"; do
    text=${text//"$s"/***}
  done
  printf '%s' "$text"
}

# --- workers: gunicorn's rule (2 x CPUs + 1), capped by memory ---
cpu_count() {
  local n quota period
  n=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
  if [[ -r /sys/fs/cgroup/cpu.max ]]; then
    read -r quota period < /sys/fs/cgroup/cpu.max || true
    if [[ ${quota:-max} != max ]] && is_uint "${quota:-}" && is_uint "${period:-}" && ((period > 0)); then
      local q=$(((quota + period - 1) / period))
      ((q >= 1 && q < n)) && n=$q
    fi
  fi
  echo "$n"
}

memory_mb() {
  local limit="" avail_kb
  if [[ -r /sys/fs/cgroup/memory.max ]]; then
    limit=$(< /sys/fs/cgroup/memory.max)
  elif [[ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]]; then
    limit=$(< /sys/fs/cgroup/memory/memory.limit_in_bytes)
  fi
  avail_kb=$(awk '/^MemAvailable:/ {print $2; exit}' /proc/meminfo 2>/dev/null || true)
  [[ -n $avail_kb ]] || avail_kb=$(awk '/^MemTotal:/ {print $2; exit}' /proc/meminfo 2>/dev/null || true)
  local mb=""
  is_uint "${avail_kb:-}" && mb=$((avail_kb / 1024))
  # cgroup v1 reports "no limit" as a huge number; keep the smaller of the two
  if is_uint "${limit:-}"; then
    local limit_mb=$((limit / 1024 / 1024))
    if [[ -z $mb ]] || ((limit_mb < mb)); then mb=$limit_mb; fi
  fi
  echo "${mb:-0}"
}

WORKERS_SOURCE="set"
if [[ -z ${WORKERS:-} ]]; then
  if [[ $ENV_NAME == development ]]; then
    WORKERS=1
    WORKERS_SOURCE="development default"
  else
    cpus=$(cpu_count)
    by_cpu=$((cpus * 2 + 1))
    mem=$(memory_mb)
    if ((mem > 0)); then
      by_mem=$((mem / WORKER_MEMORY_MB))
      ((by_mem >= 1)) || by_mem=1
    else
      by_mem=$by_cpu
    fi
    WORKERS=$((by_cpu < by_mem ? by_cpu : by_mem))
    WORKERS_SOURCE="computed: 2x${cpus} CPUs+1=${by_cpu}, ${mem} MB / ${WORKER_MEMORY_MB} MB per worker=${by_mem}"
  fi
fi
is_positive "$WORKERS" || die "WORKERS must be a positive integer (got '$WORKERS')"
export WORKERS

# --- effective configuration, secrets masked ---
set_or_unset() { if [[ -n ${!1:-} ]]; then echo "set"; else echo "not set"; fi; }
log "GRUPO_GAD API starting"
log "effective configuration:"
printf '  %-26s %s\n' \
  ENVIRONMENT "$ENV_NAME" \
  NODE_ENV "${NODE_ENV:-(unset)}" \
  node "$("$NODE_BIN" --version 2>/dev/null || echo "not found: $NODE_BIN")" \
  APP_DIR "$APP_DIR" \
  HOST "${HOST:-0.0.0.0}" \
  PORT "${PORT:-8000}" \
  WORKERS "$WORKERS ($WORKERS_SOURCE)" \
  LOG_LEVEL "${LOG_LEVEL:-(app default)}" \
  DATABASE "$(scrub "$(mask_url "${DB_URL_EFFECTIVE:-$DB_TARGET}")")" \
  REDIS_URL "$(scrub "$(mask_url "${REDIS_URL:-not set (in-memory cache)}")")" \
  REDIS_PASSWORD "$(set_or_unset REDIS_PASSWORD)" \
  SECRET_KEY "$(set_or_unset SECRET_KEY)" \
  ADMIN_EMAIL "${ADMIN_EMAIL:-not set}" \
  ADMIN_PASSWORD "$(set_or_unset ADMIN_PASSWORD)" \
  SHUTDOWN_TIMEOUT_SECONDS "${SHUTDOWN_TIMEOUT_SECONDS:-30}" \
  BACKUP_DIR "${BACKUP_DIR:-./backups}" \
  DB_WAIT "${DB_WAIT_RETRIES} tries, ${DB_WAIT_INTERVAL}s apart"

cd "$APP_DIR"

run_captured() {
  # $1 = command string; prints scrubbed output; returns the command's status
  local cmd=$1 out status=0
  if ((MIGRATE_TIMEOUT_SECONDS > 0)) && command -v timeout > /dev/null; then
    out=$(timeout --kill-after=10 "$MIGRATE_TIMEOUT_SECONDS" bash -c "$cmd" 2>&1) || status=$?
  else
    out=$(bash -c "$cmd" 2>&1) || status=$?
  fi
  LAST_OUTPUT=$(scrub "$out")
  return "$status"
}

# --- migrations double as the wait for the database ---
LAST_OUTPUT=""
attempt=1
while :; do
  if run_captured "$MIGRATE_CMD"; then
    [[ -n $LAST_OUTPUT ]] && printf '%s\n' "$LAST_OUTPUT"
    log "migrations applied (database $DB_TARGET)"
    break
  fi
  if ((attempt >= DB_WAIT_RETRIES)); then
    [[ -n $LAST_OUTPUT ]] && printf '%s\n' "$LAST_OUTPUT" | tail -n 20 >&2
    die "database at $DB_TARGET is unreachable (or migrations failed) after $DB_WAIT_RETRIES attempts, ${DB_WAIT_INTERVAL}s apart; check DATABASE_URL and that the server accepts connections"
  fi
  log "database at $DB_TARGET not ready (attempt $attempt/$DB_WAIT_RETRIES); retrying in ${DB_WAIT_INTERVAL}s"
  attempt=$((attempt + 1))
  sleep "$DB_WAIT_INTERVAL"
done

if [[ $ENV_NAME == production ]]; then
  log "seeding initial data (idempotent)"
  if run_captured "$SEED_CMD"; then
    [[ -n $LAST_OUTPUT ]] && printf '%s\n' "$LAST_OUTPUT"
  else
    [[ -n $LAST_OUTPUT ]] && printf '%s\n' "$LAST_OUTPUT" | tail -n 20 >&2
    die "seeding failed (see above)"
  fi
fi

# A 4 MB young generation (V8's default is 16) keeps idle RSS ~20 MB lower. No memory reducer: V8 would
# shrink an idle heap, and the first burst after a quiet spell then paid a third more CPU per request
# (bench/README.md); a pod's memory is sized for its peak anyway.
DEFAULT_NODE_FLAGS="--max-semi-space-size=4 --no-memory-reducer"
log "starting server: $NODE_BIN ${NODE_FLAGS:-$DEFAULT_NODE_FLAGS} $SERVER_ENTRY (WORKERS=$WORKERS)"
# shellcheck disable=SC2086 # NODE_FLAGS is a list of flags
exec "$NODE_BIN" ${NODE_FLAGS:-$DEFAULT_NODE_FLAGS} "$SERVER_ENTRY" "$@"
