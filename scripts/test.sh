#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
hcm_install_missing "${HCM_BUILD_PACKAGES[@]}" "${HCM_TEST_PACKAGES[@]}"

cmake --preset default
cmake --build --preset default

export QT_QPA_PLATFORM=offscreen
export HCM_TEST_PYTHON=/usr/bin/python3
ctest --preset default --timeout 600 "$@"
