#!/usr/bin/env bash
# Builds the non-GUI programs and tests with AddressSanitizer and UndefinedBehaviorSanitizer (the `asan`
# preset, in build-asan/) and runs the non-GUI suites on SQLite and PostgreSQL (pg_virtualenv, as in
# test.sh). Any sanitizer report fails the test it happens in (scripts/sanitizer-env.sh). CI runs the most
# important of these suites the same way (scripts/test.sh under CI=true).
# Extra arguments go to ctest (for example: scripts/sanitize.sh -R tst_jobstore).
# HCM_TEST_JOBS sets how many tests run at once (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
hcm_install_missing "${HCM_BUILD_PACKAGES[@]}" "${HCM_TEST_PACKAGES[@]}" "${HCM_SANITIZE_PACKAGES[@]}"

# Through ccache: a second build of the same sources (another worktree, CI again) costs little.
cmake --preset asan -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
cmake --build --preset asan

export QT_QPA_PLATFORM=offscreen
export HCM_TEST_PYTHON=/usr/bin/python3
export HCM_TEST_REQUIRE_POSTGRES=1
source scripts/sanitizer-env.sh
# The GUI tests are not built in this preset; install_staging checks packaging, not memory.
# external_pid_file=(none): as in test.sh.
exec pg_virtualenv -t -o 'external_pid_file=(none)' ctest --preset asan --timeout 900 -j "${HCM_TEST_JOBS:-2}" -LE '^install$' "$@"
