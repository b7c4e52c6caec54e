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

# Replace the password of scheme://user:password@host... with ***, and the value of any query
# parameter named like a credential (?password=, ?sslpassword=, as libpq reads them). The user
# information is what precedes the last '@' before the first '/', '?' or '#' (a raw '@' in a
# password happens; one in the query is not the host's).
mask_url() {
  local url=$1
  if [[ $url =~ ^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)(.*)$ ]]; then
    local scheme=${BASH_REMATCH[1]} authority=${BASH_REMATCH[2]} tail=${BASH_REMATCH[3]} userinfo
    if [[ $authority == *@* ]]; then
      userinfo=${authority%@*}
      [[ $userinfo == *:* ]] && userinfo="${userinfo%%:*}:***"
      authority="$userinfo@${authority##*@}"
    fi
    url="$scheme$authority$tail"
  fi
  printf '%s' "$url" | sed -E 's/([?&][^=&]*([Pp][Aa][Ss][Ss]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]|[Kk][Ee][Yy])[^=&]*=)[^&#]*/\1***/g'
}

# Parse a PostgreSQL URL (postgresql://, postgres://, postgresql+driver://) into
# DBURL_USER, DBURL_PASSWORD (decoded), DBURL_PASSWORD_RAW, DBURL_PASSWORDS_RAW (every
# password the URL holds, for scrubbing), DBURL_HOSTPORT, DBURL_DBNAME (decoded), DBURL_QUERY
# and DBURL_LIBPQ (a libpq URL without any password; pass the password through PGPASSWORD so
# it never shows in `ps`). A ?password= wins over one in the user information, the last one
# over earlier ones, as node-postgres reads them. Returns 1 when the scheme is not PostgreSQL.
parse_db_url() {
  local url=$1 rest authority tail userinfo="" hostport path query="" param params=() kept=()
  if [[ ! $url =~ ^postgres(ql)?(\+[A-Za-z0-9_]+)?:// ]]; then
    return 1
  fi
  rest=${url#*://}
  authority=${rest%%[/?#]*}
  tail=${rest#"$authority"}
  if [[ $authority == *@* ]]; then
    userinfo=${authority%@*}
    hostport=${authority##*@}
  else
    hostport=$authority
  fi
  DBURL_USER=${userinfo%%:*}
  DBURL_PASSWORD_RAW=""
  DBURL_PASSWORDS_RAW=()
  if [[ $userinfo == *:* ]]; then
    DBURL_PASSWORD_RAW=${userinfo#*:}
    DBURL_PASSWORDS_RAW+=("$DBURL_PASSWORD_RAW")
  fi
  path=${tail%%[?#]*}
  if [[ $tail == *\?* ]]; then
    query=${tail#*\?}
    query=${query%%#*}
  fi
  IFS='&' read -ra params <<< "$query"
  for param in "${params[@]+"${params[@]}"}"; do
    if [[ $param == password=* ]]; then
      DBURL_PASSWORD_RAW=${param#password=}
      DBURL_PASSWORDS_RAW+=("$DBURL_PASSWORD_RAW")
    else
      kept+=("$param")
    fi
  done
  query=$(IFS='&' && printf '%s' "${kept[*]+"${kept[*]}"}")
  DBURL_PASSWORD=$(urldecode "$DBURL_PASSWORD_RAW")
  DBURL_HOSTPORT=$hostport
  DBURL_DBNAME=$(urldecode "${path#/}")
  # asyncpg spells it ssl=..., libpq sslmode=...
  DBURL_QUERY=$(printf '%s' "$query" | sed -E 's/(^|&)ssl=/\1sslmode=/g')
  DBURL_LIBPQ="postgresql://${DBURL_USER:+$DBURL_USER@}${hostport}${path}${DBURL_QUERY:+?$DBURL_QUERY}"
  [[ -n $DBURL_HOSTPORT ]] || DBURL_HOSTPORT="localhost (socket)"
  return 0
}
