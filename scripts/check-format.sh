#!/usr/bin/env bash
# Checks that every tracked C++ source file is formatted as the repository's .clang-format says
# (clang-format --dry-run -Werror). Prints the files that are not and exits non-zero if there are any.
# Fix one with `clang-format -i FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
hcm_install_missing "${HCM_CHECK_PACKAGES[@]}"

mapfile -d '' files < <(git ls-files -z -- '*.cpp' '*.h')
bad=()
for f in "${files[@]}"; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        bad+=("$f")
    fi
done
if ((${#bad[@]})); then
    printf 'not formatted: %s\n' "${bad[@]}" >&2
    echo "${#bad[@]} of ${#files[@]} files are not formatted (clang-format -i FILE fixes one)" >&2
    exit 1
fi
echo "all ${#files[@]} files are formatted"
