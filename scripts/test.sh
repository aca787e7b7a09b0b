#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test. Exits non-zero on any failure.
# The suite runs inside pg_virtualenv (Debian's postgresql-common): a throw-away PostgreSQL cluster that
# exists for the length of the command and exports PGHOST/PGPORT/PGUSER/PGPASSWORD, so every store and
# worker test runs on SQLite and on PostgreSQL. HCM_TEST_REQUIRE_POSTGRES=1 turns a missing server into
# a failure instead of a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
hcm_install_missing "${HCM_BUILD_PACKAGES[@]}" "${HCM_TEST_PACKAGES[@]}"

cmake --preset default
cmake --build --preset default

export QT_QPA_PLATFORM=offscreen
export HCM_TEST_PYTHON=/usr/bin/python3
export HCM_TEST_REQUIRE_POSTGRES=1
# -t: the cluster lives in a temporary folder (also as root), so it never collides with a system
# cluster or another run; pg_ctlcluster/pg_lsclusters inside see it through PG_CLUSTER_CONF_ROOT.
exec pg_virtualenv -t ctest --preset default --timeout 600 "$@"
