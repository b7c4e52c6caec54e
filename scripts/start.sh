#!/usr/bin/env bash
# Container entrypoint: print the configuration the server will run with (checked
# by the app's own schema, secrets masked), wait for the database by applying
# migrations (bounded retry), seed in production, then exec the server.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/db_url.sh
source "$SCRIPT_DIR/lib/db_url.sh"

APP_DIR="${APP_DIR:-$(dirname "$SCRIPT_DIR")}"
NODE_BIN="${NODE_BIN:-node}"
SERVER_ENTRY="${SERVER_ENTRY:-$APP_DIR/dist/apps/api/src/main.js}"
CONFIG_JS="$APP_DIR/dist/apps/api/src/cli/effective-config.js"
MIGRATE_JS="$APP_DIR/dist/apps/api/src/cli/migrate.js"
SEED_JS="$APP_DIR/dist/apps/api/src/cli/seed.js"
CONFIG_CMD="${CONFIG_CMD:-$(printf '%q %q' "$NODE_BIN" "$CONFIG_JS")}"
MIGRATE_CMD="${MIGRATE_CMD:-$(printf '%q %q run' "$NODE_BIN" "$MIGRATE_JS")}"
SEED_CMD="${SEED_CMD:-$(printf '%q %q' "$NODE_BIN" "$SEED_JS")}"
# NAME's value with surrounding blanks dropped, or DEFAULT when blank: what the app's schema reads too
setting() {
  local value
  read -r value <<< "${!1:-}"
  printf '%s' "${value:-$2}"
}
# validated, with the same defaults, by the app's schema (the Startup variables) before they are used
DB_WAIT_RETRIES=$(setting DB_WAIT_RETRIES 30)
DB_WAIT_INTERVAL=$(setting DB_WAIT_INTERVAL 2)
MIGRATE_TIMEOUT_SECONDS=$(setting MIGRATE_TIMEOUT_SECONDS 600)
ENV_NAME="${ENVIRONMENT:-development}"

log() { printf '[start] %s\n' "$*"; }
die() { printf '[start] ERROR: %s\n' "$*" >&2; exit 1; }

# A missing build would otherwise look like an unreachable database.
[[ -f $SERVER_ENTRY ]] || die "server entry $SERVER_ENTRY not found: run 'npm run build' (or set APP_DIR)"
if [[ $CONFIG_CMD == *"$CONFIG_JS"* && ! -f $CONFIG_JS ]]; then
  die "config CLI $CONFIG_JS not found: run 'npm run build' (or set APP_DIR)"
fi
if [[ $MIGRATE_CMD == *"$MIGRATE_JS"* && ! -f $MIGRATE_JS ]]; then
  die "migrate CLI $MIGRATE_JS not found: run 'npm run build' (or set APP_DIR)"
fi

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
    for password in "${DBURL_PASSWORDS_RAW[@]+"${DBURL_PASSWORDS_RAW[@]}"}"; do
      add_secret "$password"
      add_secret "$(urldecode "$password")"
    done
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

cd "$APP_DIR"

# --- the configuration the server will run with: the app's own schema and rules, secrets masked ---
log "GRUPO_GAD API starting ($("$NODE_BIN" --version 2> /dev/null || echo "node not found: $NODE_BIN"))"
if config_out=$(bash -c "$CONFIG_CMD" 2>&1); then
  printf '%s\n' "$(scrub "$config_out")"
else
  printf '%s\n' "$(scrub "$config_out")" >&2
  die "the configuration is refused (see above): nothing was started"
fi
log "database: $DB_TARGET; waiting up to ${DB_WAIT_RETRIES} tries, ${DB_WAIT_INTERVAL}s apart"

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
# (bench/README.md); a pod's memory is sized for its peak anyway. --expose-gc lets the server hand back
# what booting left behind, once, before it listens (main.ts): ~25 MB less RSS, idle and after load.
# One list for start.sh, npm start, the bench and the tests that run the built server.
DEFAULT_NODE_FLAGS="$(<"$SCRIPT_DIR/lib/node-flags")"
log "starting server: $NODE_BIN ${NODE_FLAGS:-$DEFAULT_NODE_FLAGS} $SERVER_ENTRY"
# shellcheck disable=SC2086 # NODE_FLAGS is a list of flags
exec "$NODE_BIN" ${NODE_FLAGS:-$DEFAULT_NODE_FLAGS} "$SERVER_ENTRY" "$@"
