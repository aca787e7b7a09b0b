#!/usr/bin/env bash
# Installs what is missing, builds, and starts HCM Admin on the embedded SQLite database.
# Extra arguments are passed to the program (for example: scripts/run.sh --db /tmp/jobs.db).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
hcm_install_missing "${HCM_BUILD_PACKAGES[@]}"
cmake --preset default >/dev/null
cmake --build --preset default
exec build/app/hcm-admin "$@"
