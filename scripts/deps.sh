#!/usr/bin/env bash
# Installs the Debian packages the project needs, and only those that are missing.
# Sourced by run.sh and test.sh; safe to run on its own.
set -euo pipefail

HCM_BUILD_PACKAGES=(
    cmake ninja-build g++ pkg-config
    qt6-base-dev qt6-base-dev-tools qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-svg-dev
    libqt6sql6-sqlite libqt6sql6-psql libgl-dev
    libcurl4-openssl-dev libsodium-dev zlib1g-dev libsqlite3-dev
    fonts-dejavu-core
    # Qt's own translations (qtbase_de, …): the standard buttons and dialogs in the user's language
    qt6-translations-l10n
)
HCM_TEST_PACKAGES=(postgresql postgresql-common python3-aiosmtpd openssl sqlite3)
# `cpack -G DEB`: dpkg-shlibdeps computes the packages' dependencies, `file` finds the ELF files for it.
HCM_PACKAGE_PACKAGES=(dpkg-dev file binutils)
# scripts/test.sh builds (both its builds) and scripts/sanitize.sh go through
# ccache, so that a build of sources it has seen costs little.
HCM_SANITIZE_PACKAGES=(ccache)
# scripts/check-format.sh
HCM_CHECK_PACKAGES=(clang-format git)

hcm_install_missing() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]})); then
        echo "Installing missing packages: ${missing[*]}"
        local sudo=()
        [[ $(id -u) -ne 0 ]] && sudo=(sudo)
        "${sudo[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    hcm_install_missing "${HCM_BUILD_PACKAGES[@]}" "${HCM_TEST_PACKAGES[@]}" "${HCM_PACKAGE_PACKAGES[@]}" \
        "${HCM_SANITIZE_PACKAGES[@]}" "${HCM_CHECK_PACKAGES[@]}"
fi
