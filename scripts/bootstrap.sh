#!/usr/bin/env bash
# Installs the Debian packages that building and testing dfuboot need.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

# One list for everything `make`, `make test` and `make demo` use.
packages=(
  build-essential cmake make pkg-config git python3
  clang llvm libclang-rt-14-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
  libmbedtls-dev libsodium-dev
  binutils openssl python3-yaml python3-cryptography
  dfu-util usbutils libusb-1.0-0-dev
  valgrind
  qemu-system-x86 socat kmod cpio
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
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
echo "bootstrap: done"
