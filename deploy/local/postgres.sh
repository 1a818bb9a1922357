#!/usr/bin/env bash
# Start a throwaway PostgreSQL for the tests on loopback, from Debian's package (installed here when
# missing). Prints the connection URL on its last line. Usage: deploy/local/postgres.sh start|stop [DIR]
#   CV_PG_PORT (default 5432). The data folder (default /tmp/cv-pgtest-PORT, where the postgres user can reach it) is made anew at each start.
set -euo pipefail
cmd="${1:-start}"
dir="$(realpath -m "${2:-${TMPDIR:-/tmp}/cv-pgtest-${CV_PG_PORT:-5432}}")"
port="${CV_PG_PORT:-5432}"

pg_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ]; then
    echo "PostgreSQL server not installed: installing Debian's package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
    # the package may start a cluster of its own on 5432; ours is the one the tests use
    service postgresql stop >/dev/null 2>&1 || true
    found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$found"
}

# initdb and postgres refuse to run as root: run them as the package's own user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    bin=$(pg_bin)
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    # Tests make many databases and connections; durability does not matter for a throwaway server.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c full_page_writes=off -c shared_buffers=256MB" \
      start >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    bin=$(pg_bin)
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null
    ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
