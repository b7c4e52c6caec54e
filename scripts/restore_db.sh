#!/usr/bin/env bash
# Restore a backup made by backup_db.sh into the database named by DATABASE_URL.
#   restore_db.sh [--yes] path/to/db_YYYYmmdd_HHMMSS.sql.gz
# Verifies the .sha256 beside the file, then loads it with psql ON_ERROR_STOP=1 in
# one transaction (a failed restore leaves the database as it was). Objects in the
# dump are dropped and recreated; other objects are left alone.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/db_url.sh
source "$SCRIPT_DIR/lib/db_url.sh"

die() { printf 'restore_db: ERROR: %s\n' "$*" >&2; exit 1; }
log() { printf 'restore_db: %s\n' "$*"; }
usage="usage: DATABASE_URL=postgresql://user:pass@host:5432/db $0 [--yes] BACKUP_FILE.sql.gz"

ASSUME_YES=false
FILE="${BACKUP_FILE:-}"
while (($#)); do
  case $1 in
    -y | --yes) ASSUME_YES=true ;;
    -h | --help) echo "$usage"; exit 0 ;;
    -*) die "unknown option '$1'; $usage" ;;
    *) FILE=$1 ;;
  esac
  shift
done

URL="${DATABASE_URL:-${DB_URL:-}}"
[[ -n $URL ]] || die "DATABASE_URL is not set; refusing to guess which database to overwrite"
parse_db_url "$URL" || die "DATABASE_URL must be a postgresql:// URL (got scheme '${URL%%://*}')"
[[ -n $DBURL_DBNAME ]] || die "DATABASE_URL names no database ($(mask_url "$URL"))"
[[ -n $FILE ]] || die "no backup file given; $usage"
[[ -e $FILE ]] || die "backup file '$FILE' does not exist"
[[ -f $FILE && -r $FILE ]] || die "backup file '$FILE' is not a readable file"
[[ $FILE == *.sql.gz ]] || die "backup file '$FILE' is not a .sql.gz made by backup_db.sh"
command -v psql > /dev/null || die "psql not found; install the PostgreSQL client (postgresql-client)"

SUM_FILE="$FILE.sha256"
[[ -f $SUM_FILE ]] || die "checksum file '$SUM_FILE' is missing; refusing to restore an unverified backup"
expected=$(awk 'NR == 1 { print tolower($1) }' "$SUM_FILE")
actual=$(sha256sum -- "$FILE" | awk '{ print $1 }')
[[ $expected =~ ^[0-9a-f]{64}$ ]] || die "checksum file '$SUM_FILE' is malformed"
[[ $expected == "$actual" ]] || die "checksum mismatch for '$FILE' (expected $expected, got $actual); the backup is corrupt or was modified"
gzip -t -- "$FILE" 2> /dev/null || die "'$FILE' is not a valid gzip file"
log "checksum OK: $FILE"

target="$DBURL_HOSTPORT/$DBURL_DBNAME"
if [[ $ASSUME_YES != true && -t 0 ]]; then
  read -r -p "restore_db: this replaces the objects in $target with the backup. Type the database name to continue: " answer
  [[ $answer == "$DBURL_DBNAME" ]] || die "not confirmed; nothing changed"
fi

log "restoring into $target"
if [[ -n $DBURL_PASSWORD ]]; then export PGPASSWORD="$DBURL_PASSWORD"; fi
if ! gzip -dc -- "$FILE" \
  | psql --dbname="$DBURL_LIBPQ" --no-psqlrc --quiet --single-transaction \
    -v ON_ERROR_STOP=1 --output=/dev/null; then
  die "restore into $target failed (see the message above); the transaction was rolled back"
fi
log "restore complete: $FILE -> $target"
