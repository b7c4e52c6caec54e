# shellcheck shell=bash
# shellcheck disable=SC2034  # DBURL_* are read by the scripts that source this
# Helpers shared by start.sh, backup_db.sh and restore_db.sh. Source, don't execute.

# Percent-decode without interpreting backslashes (printf %b would).
urldecode() {
  local s=$1 out="" c
  while [[ $s =~ ^([^%]*)%([0-9A-Fa-f]{2})(.*)$ ]]; do
    out+="${BASH_REMATCH[1]}"
    printf -v c '%b' "\\x${BASH_REMATCH[2]}"
    out+="$c"
    s="${BASH_REMATCH[3]}"
  done
  printf '%s' "$out$s"
}

# Replace the password of scheme://user:password@host... with ***.
mask_url() {
  local url=$1
  if [[ $url =~ ^([A-Za-z][A-Za-z0-9+.-]*://)([^@]*)@(.*)$ ]]; then
    local scheme=${BASH_REMATCH[1]} userinfo=${BASH_REMATCH[2]} rest=${BASH_REMATCH[3]}
    # userinfo runs to the last '@' (passwords with a raw '@' happen)
    if [[ $rest == *@* ]]; then userinfo="$userinfo@${rest%@*}"; rest=${rest##*@}; fi
    if [[ $userinfo == *:* ]]; then
      printf '%s%s:***@%s' "$scheme" "${userinfo%%:*}" "$rest"
    else
      printf '%s%s@%s' "$scheme" "$userinfo" "$rest"
    fi
  else
    printf '%s' "$url"
  fi
}

# Parse a PostgreSQL URL (postgresql://, postgres://, postgresql+driver://) into
# DBURL_USER, DBURL_PASSWORD (decoded), DBURL_PASSWORD_RAW, DBURL_HOSTPORT,
# DBURL_DBNAME (decoded), DBURL_QUERY and DBURL_LIBPQ (a libpq URL without the
# password; pass the password through PGPASSWORD so it never shows in `ps`).
# Returns 1 when the scheme is not PostgreSQL.
parse_db_url() {
  local url=$1 rest userinfo="" hostpart path query=""
  if [[ ! $url =~ ^postgres(ql)?(\+[A-Za-z0-9_]+)?:// ]]; then
    return 1
  fi
  rest=${url#*://}
  if [[ $rest == *@* ]]; then
    userinfo=${rest%@*}
    hostpart=${rest##*@}
  else
    hostpart=$rest
  fi
  DBURL_USER=${userinfo%%:*}
  DBURL_PASSWORD_RAW=""
  if [[ $userinfo == *:* ]]; then DBURL_PASSWORD_RAW=${userinfo#*:}; fi
  DBURL_PASSWORD=$(urldecode "$DBURL_PASSWORD_RAW")
  DBURL_HOSTPORT=${hostpart%%[/?]*}
  path=${hostpart#"$DBURL_HOSTPORT"}
  if [[ $path == *\?* ]]; then query=${path#*\?}; path=${path%%\?*}; fi
  DBURL_DBNAME=$(urldecode "${path#/}")
  # asyncpg spells it ssl=..., libpq sslmode=...
  DBURL_QUERY=$(printf '%s' "$query" | sed -E 's/(^|&)ssl=/\1sslmode=/g')
  DBURL_LIBPQ="postgresql://${DBURL_USER:+$DBURL_USER@}${hostpart%%\?*}${DBURL_QUERY:+?$DBURL_QUERY}"
  [[ -n $DBURL_HOSTPORT ]] || DBURL_HOSTPORT="localhost (socket)"
  return 0
}
