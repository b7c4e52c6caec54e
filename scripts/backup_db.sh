#!/usr/bin/env bash
# Back up the database named by DATABASE_URL:
#   ${BACKUP_DIR}/${DB_NAME}_${TIMESTAMP}.sql.gz  plus  .sql.gz.sha256
# then delete this database's backups older than BACKUP_RETENTION_DAYS (0 keeps all).
# The dump uses --clean --if-exists --no-owner so restore_db.sh can load it into
# an existing database.
set -euo pipefail
umask 077

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/db_url.sh
source "$SCRIPT_DIR/lib/db_url.sh"

die() { printf 'backup_db: ERROR: %s\n' "$*" >&2; exit 1; }
log() { printf 'backup_db: %s\n' "$*"; }

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  echo "usage: DATABASE_URL=postgresql://user:pass@host:5432/db [BACKUP_DIR=./backups] [BACKUP_RETENTION_DAYS=7] $0"
  exit 0
fi

URL="${DATABASE_URL:-${DB_URL:-}}"
[[ -n $URL ]] || die "DATABASE_URL is not set; nothing to back up (expected postgresql://user:password@host:5432/dbname)"
parse_db_url "$URL" || die "DATABASE_URL must be a postgresql:// URL (got scheme '${URL%%://*}')"
[[ -n $DBURL_DBNAME ]] || die "DATABASE_URL names no database ($(mask_url "$URL"))"

BACKUP_DIR="${BACKUP_DIR:-./backups}"
RETENTION_DAYS="${BACKUP_RETENTION_DAYS:-7}"
[[ $RETENTION_DAYS =~ ^[0-9]+$ ]] || die "BACKUP_RETENTION_DAYS must be a whole number of days (got '$RETENTION_DAYS')"
command -v pg_dump > /dev/null || die "pg_dump not found; install the PostgreSQL client (postgresql-client)"

# The directory must exist (or be creatable) and be writable by us.
if [[ -e $BACKUP_DIR && ! -d $BACKUP_DIR ]]; then
  die "BACKUP_DIR '$BACKUP_DIR' exists but is not a directory"
fi
mkdir -p -- "$BACKUP_DIR" 2> /dev/null || die "BACKUP_DIR '$BACKUP_DIR' does not exist and cannot be created"
probe=$(mktemp "$BACKUP_DIR/.write-test.XXXXXX" 2> /dev/null) || die "BACKUP_DIR '$BACKUP_DIR' is not writable"
rm -f -- "$probe"
BACKUP_DIR="$(cd "$BACKUP_DIR" && pwd)"

SAFE_NAME=$(printf '%s' "$DBURL_DBNAME" | tr -c 'A-Za-z0-9_.-' '_')
TIMESTAMP=$(date -u +%Y%m%d_%H%M%S)
FILE_NAME="${SAFE_NAME}_${TIMESTAMP}.sql.gz"
BACKUP_FILE="$BACKUP_DIR/$FILE_NAME"
PARTIAL="$BACKUP_FILE.partial"
[[ ! -e $BACKUP_FILE ]] || die "$BACKUP_FILE already exists; try again in a second"

cleanup() { rm -f -- "$PARTIAL"; }
trap cleanup EXIT

log "dumping $DBURL_HOSTPORT/$DBURL_DBNAME to $BACKUP_FILE"
# The password travels in PGPASSWORD, never on a command line.
if [[ -n $DBURL_PASSWORD ]]; then export PGPASSWORD="$DBURL_PASSWORD"; fi
if ! pg_dump --dbname="$DBURL_LIBPQ" --clean --if-exists --no-owner --format=plain \
  | gzip -c > "$PARTIAL"; then
  die "pg_dump of $DBURL_HOSTPORT/$DBURL_DBNAME failed (see the message above); no backup written"
fi
mv -- "$PARTIAL" "$BACKUP_FILE"
(cd "$BACKUP_DIR" && sha256sum -- "$FILE_NAME" > "$FILE_NAME.sha256")

size=$(wc -c < "$BACKUP_FILE")
log "backup written: $BACKUP_FILE ($size bytes), checksum $BACKUP_FILE.sha256"

if ((RETENTION_DAYS > 0)); then
  pruned=0
  while IFS= read -r -d '' old; do
    rm -f -- "$old" "$old.sha256"
    log "deleted old backup: $old"
    pruned=$((pruned + 1))
  done < <(find "$BACKUP_DIR" -maxdepth 1 -type f -name "${SAFE_NAME}_*.sql.gz" -mmin +$((RETENTION_DAYS * 1440)) -print0)
  log "retention ${RETENTION_DAYS} days: $pruned old backup(s) deleted"
fi
