#!/usr/bin/env bash
# Switch set-up: idempotent, non-interactive, safe to re-run.
# Installs the system packages Switch needs from Debian, restores NuGet packages and builds Release.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

export DEBIAN_FRONTEND=noninteractive
# System packages: SoftHSM2 for the PKCS#11 back end (tests make throwaway tokens with softhsm2-util).
packages=(softhsm2 ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: system packages already installed"
fi

bash "$here/install/postgres.sh"   # Postgres cluster, role and database (development only)
if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK (dotnet) is required and was not found on PATH" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
echo "setup: restoring and building (Release)"
dotnet build Switch.sln -c Release -nologo -v q -clp:ErrorsOnly
# The demo data set (TEST DATA, docs/demo.md): keys, master data and routes that `./switch run` serves; idempotent.
echo "setup: seeding the demo data set"
"$here/switch" db seed demo
echo "setup: done. Try: ./switch demo"
