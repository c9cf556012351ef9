#!/usr/bin/env bash
# Switch: the local Postgres for development and CI. Idempotent, non-interactive, safe to run twice; runs as root.
#  - installs Debian's postgresql only when it is missing;
#  - creates a cluster with pg_createcluster when none exists, and starts it with pg_ctlcluster when it is down;
#  - keeps the cluster on loopback TCP only (listen_addresses = localhost);
#  - creates the role "switch" and the database "switch".
# DEVELOPMENT ONLY: the role's password below is public (it is in config/switch.json's default too). A production
# Postgres is provisioned by its operators; point "postgres.connectionString" at it (docs/journal.md).
set -euo pipefail

dev_role="switch"
dev_database="switch"
dev_password="switch-dev-only"   # development-only credential, never for a real deployment

if [ "$(id -u)" -ne 0 ]; then
  echo "postgres: must run as root (it installs packages and manages the cluster)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q "install ok installed"; then
  echo "postgres: installing Debian's postgresql"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

# The newest installed server version (Debian 12 ships 15).
version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if [ -z "$version" ] || [ ! -x "/usr/lib/postgresql/$version/bin/postgres" ]; then
  echo "postgres: no server binaries under /usr/lib/postgresql" >&2
  exit 1
fi

# The first cluster of that version, or a new one named main.
cluster="$(pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1 == v { print $2; exit }')"
if [ -z "$cluster" ]; then
  cluster="main"
  echo "postgres: creating cluster $version/$cluster"
  pg_createcluster "$version" "$cluster" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
fi

# Loopback TCP only; a changed setting needs a restart to take effect.
restart=0
current_listen="$(pg_conftool -s "$version" "$cluster" show listen_addresses 2>/dev/null || true)"
if [ "$current_listen" != "localhost" ]; then
  pg_conftool "$version" "$cluster" set listen_addresses localhost
  restart=1
fi

status="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $4 }')"
if [ "$status" != "online" ]; then
  echo "postgres: starting cluster $version/$cluster"
  pg_ctlcluster "$version" "$cluster" start
elif [ "$restart" -eq 1 ]; then
  echo "postgres: restarting cluster $version/$cluster (listen_addresses changed)"
  pg_ctlcluster "$version" "$cluster" restart
fi

port="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $3 }')"
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$port" || { echo "postgres: cluster $version/$cluster not ready on port $port" >&2; exit 1; }

psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"; }

# Role: LOGIN with the development password; CREATEDB so test suites can make and drop their own databases.
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$dev_role'")" != "1" ]; then
  echo "postgres: creating role $dev_role (development only)"
  psql_admin -c "CREATE ROLE \"$dev_role\" LOGIN CREATEDB PASSWORD '$dev_password'"
fi
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$dev_database'")" != "1" ]; then
  echo "postgres: creating database $dev_database"
  psql_admin -c "CREATE DATABASE \"$dev_database\" OWNER \"$dev_role\""
fi
echo "postgres: cluster $version/$cluster online on 127.0.0.1:$port, database $dev_database, role $dev_role"
