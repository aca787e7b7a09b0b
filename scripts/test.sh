#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test. Exits non-zero on any failure.
# The suite runs inside pg_virtualenv (Debian's postgresql-common): a throw-away PostgreSQL cluster that
# exists for the length of the command and exports PGHOST/PGPORT/PGUSER/PGPASSWORD, so every store and
# worker test runs on SQLite and on PostgreSQL. HCM_TEST_REQUIRE_POSTGRES=1 turns a missing server into
# a failure instead of a skip.
#
# Arguments go to ctest (`scripts/test.sh -R tst_gui_jobs`); the suites run two at a time
# (HCM_TEST_JOBS=1: one at a time). Under CI=true (or HCM_TEST_REPEAT=n) the
# suites that wait on timers, threads and widgets (HCM_TEST_REPEAT_PATTERN, by default the GUI suites)
# run n more times (CI: 2), two at a time, so a test that fails now and then fails here rather than
# after it has landed (a -R among the arguments selects the repeats too). The output of ctest goes to
# the terminal and to build/test-logs/ctest.log, the PostgreSQL server's log to
# build/test-logs/postgresql.log; the last line is the summary, "tests: N passed, N failed".
#
# Under CI=true (or with HCM_TEST_SANITIZE=1; HCM_TEST_SANITIZE=0 turns it off) the suites where memory
# and undefined behaviour matter most (HCM_SANITIZE_SUITES: the job store, the worker pool, the API
# server, the handlers, the import, the settings, cron) run once more in the AddressSanitizer +
# UndefinedBehaviorSanitizer build (build-asan/, the `asan` preset, through ccache so a repeat build
# costs little), on both backends, in the same cluster; a sanitizer report fails the suite
# (scripts/sanitizer-env.sh). Their output goes to build/test-logs/ctest-sanitize.log. Their build has a
# budget (HCM_SANITIZE_BUILD_MINUTES, 10): past it they are skipped, not failed, and the run says so.
# scripts/sanitize.sh runs every non-GUI suite that way.
set -euo pipefail
cd "$(dirname "$0")/.."

logs="$PWD/build/test-logs"
repeat_pattern="${HCM_TEST_REPEAT_PATTERN:-^tst_gui_}"
repeat="${HCM_TEST_REPEAT:-}"
if [[ -z "$repeat" && "${CI:-}" == "true" ]]; then
    repeat=2
fi
# The sanitizer suites: on by default under CI, off elsewhere (a first build from a cold compiler cache
# takes most of an hour on two cores). Which ones, by what they cover: the queue's contract on both
# backends (tst_jobstore), the dispatcher thread, the thread pool and the queued results between them
# (tst_workerpool), the HTTP server on untrusted requests and its threads (tst_api), the handlers with
# zlib and libcurl buffers (tst_handlers), parsing of imported files (tst_import), the libsodium
# secrets (tst_settings), the cron arithmetic (tst_cron, two compiles and a second of run time) and the
# SQLite writer thread that the API's pool hands its writes to (tst_writegroup, as small).
if [[ -n "${HCM_TEST_SANITIZE:-}" ]]; then
    sanitize="$HCM_TEST_SANITIZE"
elif [[ "${CI:-}" == "true" ]]; then
    sanitize=1
else
    sanitize=0
fi
sanitize_suites="${HCM_SANITIZE_SUITES:-tst_jobstore tst_workerpool tst_api tst_handlers tst_import tst_settings tst_cron tst_writegroup}"

# Inside pg_virtualenv: run ctest (and the repeats) with their output on the terminal (descriptor 3)
# and in files, keep the server's log, and report the status in a file. This command itself succeeds,
# so pg_virtualenv does not end the output with 100 lines of the server's log.
if [[ "${1:-}" == "--inside-pg-virtualenv" ]]; then
    shift
    set +e
    # Two suites at a time (HCM_TEST_JOBS): tst_chaos, which stops and starts the server, runs alone
    # (RUN_SERIAL, tests/CMakeLists.txt).
    ctest --preset default --timeout 600 --parallel "${HCM_TEST_JOBS:-2}" "$@" 2>&1 | tee "$logs/ctest.log" >&3
    status=${PIPESTATUS[0]}
    if [[ "$repeat" =~ ^[1-9][0-9]*$ ]]; then
        {
            echo
            echo "Again, $repeat more times: the suites matching '$repeat_pattern'"
            # Two at a time, and a test that only passes on an idle machine fails here too. The GUI suites
            # only: tst_processes (a minute a run, real worker processes) waits for what it checks, and
            # repeating it too more than doubled the time of the repeats.
            ctest --preset default --timeout 600 --repeat "until-fail:$repeat" --parallel 2 -R "$repeat_pattern" \
                "$@" 2>&1
        } | tee "$logs/ctest-repeat.log" >&3
        repeat_status=${PIPESTATUS[0]}
        [[ $status -eq 0 ]] && status=$repeat_status
    fi
    if [[ "$sanitize" == 1 ]]; then
        {
            echo
            echo "Again with AddressSanitizer and UndefinedBehaviorSanitizer: $sanitize_suites"
            (
                source scripts/sanitizer-env.sh
                ctest --preset asan --timeout 900 --parallel 2 -R "^(${sanitize_suites// /|})\$" 2>&1
            )
        } | tee "$logs/ctest-sanitize.log" >&3
        sanitize_status=${PIPESTATUS[0]}
        [[ $status -eq 0 ]] && status=$sanitize_status
    fi
    # The cluster's log (pg_lsclusters: version, name, port, status, owner, data folder, log file).
    pg_log=$(pg_lsclusters --no-header 2>/dev/null | awk '$2 == "regress" { print $7; exit }')
    if [[ -n "$pg_log" && -r "$pg_log" ]]; then
        cp "$pg_log" "$logs/postgresql.log"
    fi
    echo "$status" >"$logs/status"
    exit 0
fi

source scripts/deps.sh
hcm_install_missing "${HCM_BUILD_PACKAGES[@]}" "${HCM_TEST_PACKAGES[@]}" "${HCM_SANITIZE_PACKAGES[@]}"

# Both builds through ccache, with paths relative to this checkout in its hashes: a clone in another
# folder (every CI run) finds what an earlier one compiled.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake --preset default -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
cmake --build --preset default
if [[ "$sanitize" == 1 ]]; then
    cmake --preset asan -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
    # Only what the sanitizer suites run: their tests and the programs they start. With a warm compiler
    # cache this is minutes; from a cold one it is most of an hour on two cores, which would take the
    # whole run past its budget: past HCM_SANITIZE_BUILD_MINUTES (default 10) the build stops, the
    # suites are skipped (not failed) and the run says so, here and in its last lines
    # (scripts/sanitize.sh runs them without a limit). What the build compiled stays in the cache, so
    # the next run goes further.
    sanitize_minutes="${HCM_SANITIZE_BUILD_MINUTES:-10}"
    [[ "$sanitize_minutes" =~ ^[1-9][0-9]*$ ]] || {
        echo "HCM_SANITIZE_BUILD_MINUTES must be a whole number of minutes above 0, not '$sanitize_minutes'." >&2
        exit 2
    }
    echo "Building the sanitizer suites ($sanitize_suites), at most $sanitize_minutes minutes"
    sanitize_started=$SECONDS
    set +e
    timeout "${sanitize_minutes}m" cmake --build --preset asan --target $sanitize_suites hcm-worker hcmctl
    sanitize_build=$?
    set -e
    echo "The sanitizer build took $(((SECONDS - sanitize_started) / 60)) min $(((SECONDS - sanitize_started) % 60)) s"
    if [[ $sanitize_build -eq 124 ]]; then
        sanitize=skipped
        sanitize_skip_reason="SKIPPED: the sanitizer suites ($sanitize_suites) did not run: their build \
(build-asan/) took more than its budget of $sanitize_minutes minutes (HCM_SANITIZE_BUILD_MINUTES), which \
a cold compiler cache does. What it compiled is cached, so a later run goes further; scripts/sanitize.sh \
runs them without a limit."
        echo "$sanitize_skip_reason" >&2
    elif [[ $sanitize_build -ne 0 ]]; then
        echo "The sanitizer build failed (exit status $sanitize_build)." >&2
        exit "$sanitize_build"
    fi
fi

export QT_QPA_PLATFORM=offscreen
export HCM_TEST_PYTHON=/usr/bin/python3
export HCM_TEST_REQUIRE_POSTGRES=1
export HCM_TEST_REPEAT="$repeat"
export HCM_TEST_REPEAT_PATTERN="$repeat_pattern"
export HCM_TEST_SANITIZE="$sanitize"
export HCM_SANITIZE_SUITES="$sanitize_suites"
rm -rf "$logs"
mkdir -p "$logs"
if [[ "$sanitize" == skipped ]]; then
    echo "$sanitize_skip_reason" >"$logs/ctest-sanitize.log"
fi

# -t: the cluster lives in a temporary folder (also as root), so it never collides with a system
# cluster or another run; pg_ctlcluster/pg_lsclusters inside see it through PG_CLUSTER_CONF_ROOT.
# external_pid_file=(none): no /var/run/postgresql/15-regress.pid, a file every "15 regress" cluster on
# the machine would share (other sessions, other users) and from which pg_lsclusters and pg_ctlcluster
# would otherwise tell whether this cluster runs; "(none)" makes them ask its socket.
# The cluster's own messages (creating, dropping) go to a file.
set +e
pg_virtualenv -t -o 'external_pid_file=(none)' bash "$PWD/scripts/test.sh" --inside-pg-virtualenv "$@" 3>&1 >"$logs/pg_virtualenv.log" 2>&1
pg_status=$?
set -e

status=$(cat "$logs/status" 2>/dev/null || echo "$pg_status")
[[ "$status" =~ ^[0-9]+$ ]] || status=1
[[ $status -eq 0 && $pg_status -ne 0 ]] && status=$pg_status

# Under CI the formatting is checked too (scripts/check-format.sh, 20 s): a file that is not formatted
# fails the run after the tests, with the files named.
if [[ "${CI:-}" == "true" ]] && ! bash scripts/check-format.sh; then
    [[ $status -eq 0 ]] && status=1
    format_failed=1
fi

# Suites: every suite of the first run; one failed when it failed there or in any repeat.
failed_suites() {
    local logs_there=()
    for log in "$@"; do
        [[ -r $log ]] && logs_there+=("$log")
    done
    # A log that is not there (no repeats, no sanitizer suites in this run) has no failures.
    [[ ${#logs_there[@]} -gt 0 ]] || return 0
    awk '/^The following tests FAILED:/ { list = 1; next }
         list && /^[[:space:]]+[0-9]+ - / { print $3; next }
         { list = 0 }' "${logs_there[@]}" | sort -u
}
total=$(sed -n 's/.*tests passed, [0-9]* tests failed out of \([0-9]*\).*/\1/p' "$logs/ctest.log" 2>/dev/null |
    tail -1)
failed_names=$(
    failed_suites "$logs/ctest.log" "$logs/ctest-repeat.log"
    failed_suites "$logs/ctest-sanitize.log" | sed 's/$/ (sanitizers)/'
)
failed=$(grep -c . <<<"$failed_names" || true)
total=${total:-0}
passed=$((total > failed ? total - failed : 0))
if [[ $status -ne 0 ]]; then
    [[ $failed -eq 0 ]] && failed=1 # ctest or the cluster failed before a suite could
    echo
    if [[ -n "${format_failed:-}" && -z "$failed_names" ]]; then
        echo "Failed: the formatting check (scripts/check-format.sh names the files)"
    else
        echo "Failed: $(echo ${failed_names:-"no suite result (see pg_virtualenv.log)"})"
    fi
    echo "Logs in $logs: ctest.log, ctest-repeat.log (the repeats), ctest-sanitize.log (the sanitizer" \
        "suites), postgresql.log (the server)," \
        "pg_virtualenv.log (the cluster's set-up); every suite's output: build/Testing/Temporary/LastTest.log"
fi
if [[ "$sanitize" == skipped ]]; then
    echo
    echo "$sanitize_skip_reason"
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
