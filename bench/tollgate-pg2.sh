#!/usr/bin/env bash
# Two Tollgate instances on one PostgreSQL database as one benchmark target (bench/run's tollgate-pg2 row).
# Usage: tollgate-pg2.sh BINARY PORT UPSTREAM
#   Starts a fresh PostgreSQL server (initdb in bench/.run/pg2, as the `postgres` user when run as root; loopback
#   on PORT+1000 and a Unix socket there; the server's default durability: fsync and synchronous_commit on) and two
#   gateways on it with tollgate-target.sh's master-key config plus database_url (a PostgreSQL database is shared:
#   leases, the changes feed, the instances' heartbeat), on PORT and PORT+1, each with its own spend journal.
#   Everything runs as children of this script, so the harness measures the CPU of the two gateways and the
#   database server together. Clients split their connections over both ports.
set -euo pipefail
binary=$1 port=$2 upstream=$3
pgport=$((port + 1000))
dir=$PWD/pg2
bindir=
for candidate in /usr/lib/postgresql/*/bin; do [[ -x $candidate/postgres ]] && bindir=$candidate; done
[[ -n $bindir ]] || { echo "tollgate-pg2.sh: PostgreSQL is not installed (scripts/setup installs it)" >&2; exit 1; }
as_owner() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  # runuser does not pass the signal on: the server is stopped by its own pid.
  [[ -f $dir/data/postmaster.pid ]] && kill -INT "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 143' TERM INT

rm -rf "$dir" && mkdir -p "$dir"
[[ $(id -u) == 0 ]] && chown postgres "$dir"
as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = '$dir'
max_connections = 50
shared_buffers = 128MB
log_min_messages = warning
CONF
as_owner "$bindir/postgres" -D "$dir/data" >"$dir/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  as_owner "$bindir/psql" -h "$dir" -p "$pgport" -U postgres -d postgres -qAt -c "CREATE DATABASE tollgate" \
    >/dev/null 2>&1 && break
  sleep 0.1
done

TOLLGATE_TARGET_CONFIG_ONLY=1 "$(dirname "$0")/tollgate-target.sh" "$binary" "$port" "$upstream" master
cfg=$PWD/tollgate-master.yaml
for i in 0 1; do
  sed -e "s#^general_settings:#general_settings:\n  database_url: postgresql://postgres@127.0.0.1:$pgport/tollgate\n  journal_dir: $dir/journal-$i#" \
    "$cfg" >"$dir/instance-$i.yaml"
  "$binary" --headless --config "$dir/instance-$i.yaml" --port $((port + i)) >"$dir/instance-$i.log" 2>&1 &
  pids+=($!)
done
wait -n "${pids[@]}"
echo "tollgate-pg2.sh: a process ended (see $dir/*.log)" >&2
exit 1
