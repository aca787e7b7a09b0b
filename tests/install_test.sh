#!/usr/bin/env bash
# Installs the build into a staging prefix with `cmake --install` and runs the installed programs.
# Usage: install_test.sh CMAKE BUILD_DIR GUI(ON|OFF)
set -euo pipefail
cmake=$1
build=$2
gui=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
# The installed programs keep their data, logs and key under this home, not the user's.
export HOME=$tmp/home XDG_DATA_HOME=$tmp/home/data XDG_CONFIG_HOME=$tmp/home/config XDG_CACHE_HOME=$tmp/home/cache
mkdir -p "$HOME"
unset PGHOST PGPORT PGDATABASE

fail() { echo "FAIL: $*" >&2; exit 1; }

"$cmake" --install "$build" --prefix "$prefix"

for program in hcm-worker hcmctl; do
    [[ -x $prefix/bin/$program ]] || fail "bin/$program is not installed"
done
unit=$prefix/lib/systemd/system/hcm-worker.service
[[ -f $unit ]] || fail "the systemd unit is not installed"
grep -qx "ExecStart=$prefix/bin/hcm-worker .*" "$unit" || fail "the unit does not start $prefix/bin/hcm-worker: $(grep ExecStart "$unit")"
grep -q "file://$prefix/share/doc/hcm-worker/postgresql.md" "$unit" || fail "the unit's Documentation is not the installed one"
[[ -f $prefix/share/doc/hcm-worker/postgresql.md ]] || fail "the documentation is not installed"
if [[ $gui == ON ]]; then
    [[ -x $prefix/bin/hcm-admin ]] || fail "bin/hcm-admin is not installed"
    desktop=$prefix/share/applications/hcm-admin.desktop
    [[ -f $desktop ]] || fail "the .desktop file is not installed"
    grep -qx 'Exec=hcm-admin' "$desktop" || fail "the .desktop file does not start hcm-admin"
    grep -qx 'Icon=hcm-admin' "$desktop" || fail "the .desktop file names another icon"
    [[ -f $prefix/share/icons/hicolor/scalable/apps/hcm-admin.svg ]] || fail "the icon is not installed"
fi

# The installed hcmctl works on its own: it creates a database, enqueues and lists a job.
ctl=$prefix/bin/hcmctl
db=$tmp/x.db
# (The output is taken whole first: with pipefail, grep -q closing the pipe early would fail the program.)
help=$("$ctl" --help)
grep -q 'jobs' <<<"$help" || fail "hcmctl --help does not list its commands"
"$ctl" --db "$db" db migrate
[[ -f $db ]] || fail "hcmctl db migrate created no database"
types=$("$ctl" --db "$db" jobs types)
grep -q cache_flush <<<"$types" || fail "hcmctl jobs types does not list cache_flush: $types"
"$ctl" --db "$db" jobs enqueue cache_flush --payload '{"action":"full"}'
list=$("$ctl" --db "$db" --json jobs list)
grep -q '"cache_flush"' <<<"$list" || fail "the enqueued job is not listed: $list"
help=$("$prefix/bin/hcm-worker" --help)
grep -q -- '--db' <<<"$help" || fail "hcm-worker --help does not describe --db"
# Each program names itself in --version (they share one application name for their data folders).
for program in hcm-worker hcmctl; do
    version=$("$prefix/bin/$program" --version)
    [[ $version == "$program "* ]] || fail "$program --version says: $version"
done
echo "installed into $prefix and ran hcmctl: ok"
