#!/usr/bin/env bash
# Builds the non-GUI programs and tests with AddressSanitizer and UndefinedBehaviorSanitizer (the `asan`
# preset, in build-asan/) and runs the non-GUI suites on SQLite and PostgreSQL (pg_virtualenv, as in
# test.sh). Any sanitizer report fails the test it happens in: UBSan stops at the first finding
# (-fno-sanitize-recover=undefined), ASan and LeakSanitizer always do.
# Extra arguments go to ctest (for example: scripts/sanitize.sh -R tst_jobstore).
# HCM_TEST_JOBS sets how many tests run at once (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
hcm_install_missing "${HCM_BUILD_PACKAGES[@]}" "${HCM_TEST_PACKAGES[@]}"

if command -v ccache >/dev/null && [[ ! -f build-asan/CMakeCache.txt ]]; then
    export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
cmake --preset asan
cmake --build --preset asan

export QT_QPA_PLATFORM=offscreen
export HCM_TEST_PYTHON=/usr/bin/python3
export HCM_TEST_REQUIRE_POSTGRES=1
export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The GUI tests are not built in this preset; install_staging checks packaging, not memory.
exec pg_virtualenv -t ctest --preset asan --timeout 900 -j "${HCM_TEST_JOBS:-2}" -LE '^install$' "$@"
