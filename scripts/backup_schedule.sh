#!/usr/bin/env bash
# The compose stack's backup scheduler (service `backup` in docker/docker-compose.prod.yml):
# runs scripts/backup_db.sh now, then every BACKUP_INTERVAL_SECONDS (default 86400, a day).
# A failed backup is reported on stderr and retried at the next interval; the loop keeps going.
# Kubernetes uses a CronJob instead (docker/k8s/backup-cronjob.yaml); on a plain host, a cron
# line or systemd timer that runs backup_db.sh does the same.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INTERVAL="${BACKUP_INTERVAL_SECONDS:-86400}"
[[ $INTERVAL =~ ^[1-9][0-9]*$ ]] || {
  printf 'backup_schedule: ERROR: BACKUP_INTERVAL_SECONDS must be a whole number of seconds (got %s)\n' "'$INTERVAL'" >&2
  exit 1
}

# docker stop sends SIGTERM: end at once while waiting; a dump in progress finishes first
sleeper=''
trap '[[ -n $sleeper ]] && kill "$sleeper" 2> /dev/null; printf "backup_schedule: stopped\n"; exit 0' TERM INT

printf 'backup_schedule: a backup now, then every %s s\n' "$INTERVAL"
while :; do
  "$SCRIPT_DIR/backup_db.sh" || printf 'backup_schedule: backup failed (above); next attempt in %s s\n' "$INTERVAL" >&2
  sleep "$INTERVAL" &
  sleeper=$!
  wait "$sleeper" || true
  sleeper=''
done
