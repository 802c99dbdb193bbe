#!/usr/bin/env bash
# Installs the Debian packages that building and testing dfuboot need.
# As root it runs apt-get; otherwise it prints the exact command and fails.
#   scripts/bootstrap.sh [BUILD_DIR]
# With BUILD_DIR it also fetches the source the firmware cross build needs
# into BUILD_DIR/third_party: Debian's mbedtls source package of the version
# libmbedtls-dev has (scripts/fetch-debian-source.sh; the build does the same
# when it is missing).
set -euo pipefail
build_dir=${1:-}

# One list for everything `make`, `make test` and `make demo` use.
packages=(
  build-essential cmake make pkg-config git python3
  clang llvm libclang-rt-14-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi dpkg-dev
  qemu-system-arm gdb-multiarch
  libmbedtls-dev libsodium-dev
  binutils openssl python3-yaml python3-cryptography
  dfu-util usbutils libusb-1.0-0-dev python3-usb
  valgrind
  qemu-system-x86 socat kmod cpio
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

fetch_sources() {
  [ -n "$build_dir" ] || return 0
  local version
  version=$(dpkg-query -W -f='${Version}' libmbedtls-dev)
  bash "$(dirname "$0")/fetch-debian-source.sh" mbedtls "$version" "$build_dir/third_party" >/dev/null ||
    echo "bootstrap: could not fetch Debian's mbedtls $version source (the nRF5 firmware will not be built)" >&2
}

if [ ${#missing[@]} -eq 0 ]; then
  fetch_sources
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
  echo "bootstrap: run as root:  apt-get update && $cmd" >&2
  exit 1
fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fetch_sources
echo "bootstrap: done"
