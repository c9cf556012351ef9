#!/usr/bin/env bash
# End-to-end TCP benchmark of a real `switch run` (issue 17): a throwaway database seeded by `db seed demo --cards N`,
# a temp key store and spool, the issuer simulator for the issuer-sim connector, the switch as a child process, and
# the benchmark harness's `tcp` mode driving its terminals listener (PIN + MAC on-us 0200, journal durable before
# each answer, the Postgres projection in process). Prints the harness's table (CPU % of the switch and of this
# database's Postgres backends in the "watched" column), then the projection's lag and whether it caught up.
# Usage: tests/Switch.Benchmarks/tcp-e2e.sh [--switch-root DIR] [--spool-dir DIR] [--no-fsync] [--syscalls] [--nice N] [--load] -- ARGS...
#   --switch-root: the tree whose built switch runs (default: this one); e.g. an older commit unpacked and built
#   --spool-dir:   where the spool lives (default: the temp dir; /dev/shm puts the journal's fsync on tmpfs)
#   --no-fsync:    journal.spool.fsync false (the benchmark-only comparison of the journal's cost)
#   --syscalls:    also counts the switch process's send/receive/fsync syscalls during the rounds (perf stat)
#   --nice:        runs the switch and the harness at this nice value (e.g. -10 on a machine shared with other jobs)
#   --load:        drives it with `./switch sim load --target ... ARGS` (the load generator) instead of the harness
#   ARGS:          passed to `Switch.Benchmarks.dll tcp` (e.g. --shapes 64x16 --seconds 10 --warmup 3) or to `sim load`
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
root=$here spool_dir="" fsync=true syscalls=false nice=0 load=false
while [ $# -gt 0 ]; do
  case $1 in
    --switch-root) root=$2; shift 2 ;;
    --spool-dir) spool_dir=$2; shift 2 ;;
    --no-fsync) fsync=false; shift ;;
    --syscalls) syscalls=true; shift ;;
    --nice) nice=$2; shift 2 ;;
    --load) load=true; shift ;;
    --) shift; break ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
cards=1000
for ((i = 1; i <= $#; i++)); do [ "${!i}" = "--accounts" ] || [ "${!i}" = "--cards" ] && { j=$((i + 1)); cards=${!j}; }; done
switch="$root/src/Switch.Cli/bin/Release/net10.0/switch"
bench="$here/tests/Switch.Benchmarks/bin/Release/net10.0/Switch.Benchmarks.dll"
export PGPASSWORD=switch-dev-only
psql_admin() { psql -h 127.0.0.1 -U switch -d switch -qAtX "$@"; }
db="perf_e2e_$$"
dir=$(mktemp -d /tmp/perf-e2e-XXXXXX)
spool="${spool_dir:-$dir}/spool-$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
  rm -rf "$dir" "$spool"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
psql_admin -c "CREATE DATABASE \"$db\""
"$switch" sim issuer --port 0 > "$dir/issuer.out" 2>&1 &
pids+=($!)
until grep -q listening "$dir/issuer.out"; do sleep 0.2; done
issuer_port=$(sed -n 's/.*"listening":"127.0.0.1:\([0-9]*\)".*/\1/p' "$dir/issuer.out" | head -1)
terminal_port=$(free_port) admin_port=$(free_port) iso_tcp=$(free_port) iso_http=$(free_port)
cat > "$dir/switch.json" <<EOF
{
  "network": {
    "listeners": [ { "name": "terminals", "bind": "127.0.0.1", "port": $terminal_port, "spec": "iso8583-1987-binary",
                     "framing": { "length": "binary2", "header": "none" }, "limits": { "inFlightPerConnectionMax": 256 } } ],
    "connectors": [ { "name": "issuer-sim", "endpoints": ["127.0.0.1:$issuer_port"], "spec": "iso8583-1987-binary",
                      "framing": { "length": "binary2", "header": "none" } } ]
  },
  "security": { "keyStorePath": "$dir/keys" },
  "journal": { "spool": { "directory": "$spool", "fsync": $fsync } },
  "core": { "institutionId": "998877" },
  "admin": { "bind": "127.0.0.1", "port": $admin_port },
  "iso20022": { "listeners": [ { "name": "iso20022", "bind": "127.0.0.1", "port": $iso_tcp } ], "http": { "bind": "127.0.0.1", "port": $iso_http } },
  "postgres": { "connectionString": "Host=127.0.0.1;Port=5432;Database=$db;Username=switch;Password=switch-dev-only" }
}
EOF
"$switch" db seed demo --cards "$cards" --config "$dir/switch.json" > "$dir/seed.out" 2>&1 || { cat "$dir/seed.out"; exit 1; }
nice -n "$nice" "$switch" run --config "$dir/switch.json" > "$dir/switch.out" 2>&1 &
switch_pid=$!
pids+=($switch_pid)
for _ in $(seq 1 300); do grep -q "Switch running" "$dir/switch.out" && break; sleep 0.3; done
grep -q "Switch running" "$dir/switch.out" || { cat "$dir/switch.out"; exit 1; }
sleep 2
pg_pids=$(psql_admin -c "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE datname = '$db'")
echo "# switch pid $switch_pid ($root), postgres backends of $db: $pg_pids; spool $spool (fsync $fsync); watched CPU % = switch / each backend"
if $syscalls; then
  perf stat -e 'syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmsg,syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_write,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait' \
    -p "$switch_pid" -o "$dir/syscalls.txt" &
  perf_pid=$!
fi
start=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
if $load; then
  # CPU of the switch and of this database's backends over the load generator's run, from /proc (clock ticks of 10 ms).
  cpu() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0))); done; echo $t; }
  s0=$(cpu $switch_pid) p0=$(cpu ${pg_pids//,/ }) t0=$(date +%s.%N)
  nice -n "$nice" "$here/switch" sim load --target "127.0.0.1:$terminal_port" --quiet "$@"
  t1=$(date +%s.%N)
  echo "# CPU over the run: switch $(python3 -c "print(round(($(cpu $switch_pid) - $s0) / 100 / ($t1 - $t0) * 100))") %, postgres backends of $db $(python3 -c "print(round(($(cpu ${pg_pids//,/ }) - $p0) / 100 / ($t1 - $t0) * 100))") % (of one core)"
else
  nice -n "$nice" dotnet "$bench" tcp --target "127.0.0.1:$terminal_port" --watch-pid "$switch_pid,$pg_pids" "$@"
fi
if $syscalls; then kill -INT "$perf_pid"; wait "$perf_pid" || true; grep -E "syscalls|elapsed" "$dir/syscalls.txt"; fi
# The projection: legs written since the start, the lag of each (projected_at - event_time), and the time it takes to catch up.
q="SELECT count(*), round(extract(epoch from percentile_cont(0.5) WITHIN GROUP (ORDER BY projected_at - event_time))::numeric, 3),
          round(extract(epoch from percentile_cont(0.99) WITHIN GROUP (ORDER BY projected_at - event_time))::numeric, 3),
          round(extract(epoch from max(projected_at - event_time))::numeric, 3) FROM journal_leg WHERE event_time >= '$start'"
psql_e2e() { psql -h 127.0.0.1 -U switch -d "$db" -qAtX -c "$1"; }
stopped=$(date +%s)
before=-1 still=0
# Caught up once the count has not moved for 5 s (at most 180 s).
while [ $still -lt 5 ] && [ $(( $(date +%s) - stopped )) -lt 180 ]; do
  now=$(psql_e2e "SELECT count(*) FROM journal_leg WHERE event_time >= '$start'")
  if [ "$now" = "$before" ]; then still=$((still + 1)); else still=0; last_change=$(date +%s); fi
  before=$now
  sleep 1
done
waited=$(( ${last_change:-$stopped} - stopped ))
echo "# projection: legs, lag p50 s, lag p99 s, lag max s: $(psql_e2e "$q" | tr '|' ' '); still arriving for ${waited}s after the load stopped"
grep -ciE '"level":"(warning|error)"|\[(WRN|ERR)\]' "$dir/switch.out" | sed 's/^/# switch warnings+errors logged: /'
