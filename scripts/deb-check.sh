#!/usr/bin/env bash
# Builds the Debian packages, installs them with apt into a fresh Debian 12 (bookworm) root made by
# debootstrap, and uses the installed programs there as a new machine would: the worker package's
# hcmctl creates a database and enqueues a job, hcm-worker runs it, the desktop app starts offscreen and
# its menu entry is in place; then both packages are purged.
#
# Usage (as root; needs the Debian mirror, about 400 MB of disk and a few minutes the first time):
#   scripts/deb-check.sh [BUILD_DIR]      BUILD_DIR defaults to build, configured with the GUI
# The root is kept in BUILD_DIR/deb-root for the next run (HCM_DEB_ROOT chooses another folder);
# HCM_DEB_MIRROR chooses the mirror.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
root=${HCM_DEB_ROOT:-$build/deb-root}
mirror=${HCM_DEB_MIRROR:-http://deb.debian.org/debian}

fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || fail "run as root: debootstrap and chroot need it"
command -v debootstrap >/dev/null || apt-get install -y debootstrap

echo "== packages"
cmake --build "$build"
rm -f "$build"/hcm-*.deb
(cd "$build" && cpack -G DEB >/dev/null)
debs=("$build"/hcm-*.deb)
[[ ${#debs[@]} == 2 ]] || fail "expected the hcm-admin and hcm-worker packages, found: ${debs[*]}"
for deb in "${debs[@]}"; do
    echo "$(basename "$deb"): $(dpkg-deb --field "$deb" Depends)"
done

echo "== a fresh Debian 12 root in $root"
if [[ ! -x $root/usr/bin/apt-get ]]; then
    rm -rf "$root"
    debootstrap --variant=minbase bookworm "$root" "$mirror"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mounted=()
cleanup() {
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" || true; done
}
trap cleanup EXIT
for fs in proc dev dev/pts; do
    mount --bind "/$fs" "$root/$fs"
    mounted+=("$root/$fs")
done
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

rm -rf "$root/tmp/hcm-debs" && mkdir -p "$root/tmp/hcm-debs"
cp "${debs[@]}" "$root/tmp/hcm-debs/"
in_root apt-get update -q
in_root apt-get purge -y -q hcm-admin hcm-worker >/dev/null 2>&1 || true

echo "== apt-get install ./hcm-*.deb"
in_root sh -c 'apt-get install -y -q --no-install-recommends /tmp/hcm-debs/*.deb'

echo "== the installed programs"
for program in hcm-admin hcm-worker hcmctl; do
    in_root test -x "/usr/bin/$program" || fail "/usr/bin/$program is not installed"
done
in_root test -f /usr/share/applications/hcm-admin.desktop || fail "no menu entry"
in_root test -f /usr/share/icons/hicolor/scalable/apps/hcm-admin.svg || fail "no icon"
in_root test -f /lib/systemd/system/hcm-worker.service || fail "no systemd unit"
for program in hcm-admin hcm-worker hcmctl; do
    version=$(in_root "$program" --version 2>/dev/null)
    [[ $version == "$program "* ]] || fail "$program --version says: $version"
    echo "$version"
done
db=/tmp/hcm-check.sqlite
in_root rm -f "$db"
in_root hcmctl --db "$db" db migrate
in_root hcmctl --db "$db" jobs enqueue cache_flush --payload '{"action":"expired"}'
in_root hcm-worker --db "$db" --once --log-dir /tmp
list=$(in_root hcmctl --db "$db" --json jobs list)
grep -q '"status": *"completed"' <<<"$list" || fail "the installed worker did not complete the job: $list"
echo "hcm-worker ran the job: completed"
# The desktop app opens its window on the database (offscreen: the platform plugins come with
# libqt6gui6) and is stopped after 3 seconds; anything but the stop is a failure.
set +e
in_root timeout -s TERM 3 env QT_QPA_PLATFORM=offscreen hcm-admin --db "$db"
status=$?
set -e
[[ $status == 124 ]] || fail "hcm-admin did not keep running (exit status $status)"
echo "hcm-admin started and ran until stopped"

echo "== apt-get purge"
in_root apt-get purge -y -q hcm-admin hcm-worker >/dev/null
in_root test ! -e /usr/bin/hcm-admin || fail "purge left /usr/bin/hcm-admin"
echo "deb-check: ok"
