# The run-time settings of the AddressSanitizer + UndefinedBehaviorSanitizer build (`asan` preset), for
# scripts/sanitize.sh and for the sanitizer suites of CI (scripts/test.sh). Sourced from the repository's
# top folder. Any report fails the test it happens in: UBSan stops at the first finding
# (-fno-sanitize-recover=undefined in the preset, halt_on_error here), ASan and LeakSanitizer always do.
# Findings inside third-party libraries are suppressed one by one, with the reason, in tests/sanitizers/.
hcm_sanitizers="$PWD/tests/sanitizers"
export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$hcm_sanitizers/ubsan.supp"
export LSAN_OPTIONS="suppressions=$hcm_sanitizers/lsan.supp:print_suppressions=0"
unset hcm_sanitizers
