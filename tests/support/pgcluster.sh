#!/bin/sh
# A throwaway PostgreSQL server for the tests: pgcluster.sh start DIR PORT | stop DIR
#
# start: initdb in DIR/data (owned by the `postgres` user when run as root: initdb and postgres
# refuse root), listening on 127.0.0.1:PORT and a Unix socket in DIR, trust authentication,
# no fsync (a test cluster needs no durability against power loss), then creates the database
# `tollgate`. A server already running in DIR is stopped first. Prints the URL.
# stop: stops the server (fast) and removes DIR.
#
# With PGCLUSTER_SOCKET_ONLY=1 the server listens on its Unix socket in DIR only (no TCP port
# taken: a test's private server for an outage); the URL then names the socket directory.
# Never touches the system cluster. Fails (exit 1) when initdb/pg_ctl are missing: the PG
# tests must fail, not skip, where PostgreSQL is not installed (scripts/setup installs it).
set -eu

command=${1:?usage: pgcluster.sh start DIR PORT | stop DIR}
dir=${2:?usage: pgcluster.sh start DIR PORT | stop DIR}

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/pg_ctl" ] && bindir=$candidate
done
if [ -z "$bindir" ]; then
    if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        bindir=$(dirname "$(command -v pg_ctl)")
    else
        echo "pgcluster.sh: PostgreSQL (initdb, pg_ctl) is not installed: run scripts/setup (Debian: postgresql)" >&2
        exit 1
    fi
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case $command in
start)
    port=${3:?usage: pgcluster.sh start DIR PORT}
    listen=127.0.0.1
    if [ "${PGCLUSTER_SOCKET_ONLY:-0}" = 1 ]; then
        listen=""
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir"
    fi
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 32MB
log_min_messages = warning
CONF
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt -c "CREATE DATABASE tollgate" >/dev/null
    if [ -z "$listen" ]; then
        echo "postgresql://postgres@/tollgate?host=$dir&port=$port"
    else
        echo "postgresql://postgres@127.0.0.1:$port/tollgate"
    fi
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
pause)
    # Stops the server but keeps its data (an outage); `resume DIR` starts it again.
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
resume)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    ;;
*)
    echo "usage: pgcluster.sh start DIR PORT | stop DIR | pause DIR | resume DIR" >&2
    exit 2
    ;;
esac
