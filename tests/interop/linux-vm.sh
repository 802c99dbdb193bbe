#!/usr/bin/env bash
# linux-vm.sh: run commands in a small Linux VM (Debian kernel, busybox, usbip,
# dfu-util, usbutils) whose USB/IP client reaches a USB/IP server on the host,
# so the real Linux USB stack talks to the virtual board. See --help and
# docs/interop.md.
set -euo pipefail

prog=linux-vm.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Bump when the way the cache entry is built changes (the key also holds the
# versions of every Debian package that goes into it).
RECIPE=5
PACKAGES=(busybox-static usbip usb.ids dfu-util usbutils libusb-1.0-0 libudev1 libc6)
# Kernel modules the guest loads (with their dependencies), plus usbmon for
# anyone who wants to look at the traffic.
MODULES=(virtio_pci virtio_net 9pnet_virtio 9p vhci-hcd usbmon)

# `--with fwupd` adds Debian's fwupd (fwupdtool and its engine) and the
# shared-library packages it needs; that image is a cache entry of its own.
flavour=

# Exit codes of the harness itself (guest commands should avoid them).
EX_TIMEOUT=124 EX_HOST=125 EX_GUEST=126

usage() {
  cat <<'EOF'
Usage: linux-vm.sh [options] [--] COMMAND [ARG...]
       linux-vm.sh [options] --script FILE [ARG...]
       linux-vm.sh --build-only | --print-cache | --probe

Boots a small Linux VM under QEMU (a Debian kernel and initramfs built once from
Debian packages into a cache), attaches the board's USB/IP export inside the
guest (usbip attach -r 10.0.2.100 -b 1-1), runs the command or script in the
guest with /share as the working directory, prints the guest's console,
powers off and exits with the guest command's exit status.

The guest reaches the host's USB/IP server as 10.0.2.100:3240 (QEMU user
networking with restrict=on; each guest connection becomes one
`socat STDIO TCP4:HOST:PORT` on the host). The guest has no other network.

Options:
  --usbip HOST:PORT   host-side USB/IP server (default 127.0.0.1:3240)
  --busid ID          bus id to attach (default 1-1)
  --no-attach         do not attach before running the command (the guest
                      shell functions below do it on demand)
  --share DIR         host folder shared read-write as /share (9p); default:
                      a temporary folder, removed afterwards
  --script FILE       run FILE with /bin/sh in the guest (ARGs are its $1...)
  --timeout SEC       power the VM off after SEC seconds (default 300)
  --dmesg FILE        save the guest's kernel log to FILE
  --verbose           show all kernel messages (default: errors only)
  --memory SIZE       guest memory (default 256M)
  --cache DIR         cache folder (default ${XDG_CACHE_HOME:-~/.cache}/dfuboot-vm,
                      or $DFUBOOT_VM_CACHE)
  --with fwupd        an image that also has Debian's fwupd (fwupdtool); a
                      separate cache entry, built on first use
  --rebuild           rebuild the cache entry even if it exists
  --build-only        build the cache entry (if needed) and exit
  --print-cache       print the cache entry folder (building it if needed)
  --probe             exit 0 if QEMU can run here, 125 with a reason if not
  -h, --help          this text

In the guest (busybox sh; PATH has usbip, dfu-util, lsusb, usb-devices):
  vm_attach [BUSID]     usbip attach and wait until the device is enumerated
                        (prints its sysfs name, e.g. 3-1)
  vm_detach             detach every vhci port
  vm_reattach [BUSID]   detach, wait until the export is listed again, attach
  vm_wait_usb VID:PID [SEC]   wait until lsusb -d VID:PID finds a device
  vm_wait_gone VID:PID [SEC]  wait until no such device is left
  vm_mode VID           runtime, dfu, other or none (DFU interface protocol)
  vm_wait_mode VID MODE [SEC]  wait until vm_mode VID prints MODE
  vm_autoattach_start   attach again whenever the device dropped the
                        connection (detach, reset); vm_autoattach_stop
  check-descriptors VID:PID   well-formedness check of the descriptors the
                        kernel read, its log and lsusb -v (exit 1 if not)
  $VM_USBIP_HOST        10.0.2.100; $VM_BUSID the bus id
  /share                the shared folder, /vm the harness's own folder

Exit status: the guest command's; 124 timeout; 125 host-side problem (no QEMU,
cache cannot be built, bad usage); 126 guest-side setup failed (module, mount,
attach) or no status came back.

Environment: DFUBOOT_VM_CACHE (cache folder), DFUBOOT_VM_ACCEL (kvm or tcg;
default kvm only when /proc/cpuinfo shows vmx/svm and /dev/kvm is usable),
DFUBOOT_VM_QEMU (QEMU binary), DFUBOOT_VM_BOOT (pvh, the default, boots the
decompressed vmlinux with qboot; bzimage boots vmlinuz), DFUBOOT_VM_KERNEL_PKG (kernel package name,
default: what linux-image-amd64 depends on).
EOF
}

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { say "$*"; exit "$EX_HOST"; }

usbip_addr=127.0.0.1:3240
busid=1-1
attach=1
share=
script=
timeout_s=300
dmesg_out=
verbose=0
memory=256M
cache_root=${DFUBOOT_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dfuboot-vm}
rebuild=0
mode=run
qemu=${DFUBOOT_VM_QEMU:-qemu-system-x86_64}

while [ $# -gt 0 ]; do
  case $1 in
    --usbip) usbip_addr=${2:?}; shift 2 ;;
    --busid) busid=${2:?}; shift 2 ;;
    --no-attach) attach=0; shift ;;
    --share) share=${2:?}; shift 2 ;;
    --script) script=${2:?}; shift 2 ;;
    --timeout) timeout_s=${2:?}; shift 2 ;;
    --dmesg) dmesg_out=${2:?}; shift 2 ;;
    --verbose) verbose=1; shift ;;
    --memory) memory=${2:?}; shift 2 ;;
    --cache) cache_root=${2:?}; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    --with)
      case ${2:-} in fwupd) flavour=fwupd ;; *) say "--with takes: fwupd"; exit "$EX_HOST" ;; esac
      shift 2 ;;
    --build-only) mode=build; shift ;;
    --print-cache) mode=print; shift ;;
    --probe) mode=probe; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -*) say "unknown option $1 (see --help)"; exit "$EX_HOST" ;;
    *) break ;;
  esac
done

# ---------------------------------------------------------------- probing

# Prints why QEMU cannot run the VM here, or nothing.
probe_problem() {
  command -v "$qemu" >/dev/null 2>&1 || { echo "$qemu not found (Debian: qemu-system-x86)"; return; }
  local devs
  devs=$("$qemu" -device help 2>/dev/null) || { echo "$qemu does not start"; return; }
  grep -q '"virtio-9p-pci"' <<<"$devs" || { echo "$qemu has no virtio-9p-pci"; return; }
  grep -q '"virtio-net-pci"' <<<"$devs" || { echo "$qemu has no virtio-net-pci"; return; }
  command -v socat >/dev/null 2>&1 || { echo "socat not found (Debian: socat)"; return; }
}

# ------------------------------------------------------------------ cache

kernel_package() {
  if [ -n "${DFUBOOT_VM_KERNEL_PKG:-}" ]; then echo "$DFUBOOT_VM_KERNEL_PKG"; return; fi
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}

# The packages of fwupd and of the shared libraries it loads: its direct
# dependencies named lib*, recursively (what a NEEDED closure can want),
# without the PAM/SELinux/systemd-internal ones no program here links.
fwupd_packages() {
  local todo="fwupd libfwupd3" seen=" " next p
  while [ -n "$todo" ]; do
    next=
    for p in $todo; do
      case $seen in *" $p "*) continue ;; esac
      seen+="$p "
      next+=" $(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
                  --no-enhances "$p" 2>/dev/null | awk '/^  (Pre)?Depends: [^<]/ {sub(":any$", "", $2); print $2}' |
                grep -E '^(lib|zlib)' | grep -vE '^lib(pam|systemd-shared|perl|apparmor|audit|cap-ng|semanage|sepol)' || true)"
    done
    todo=
    for p in $next; do case $seen in *" $p "*) ;; *) todo+="$p " ;; esac; done
  done
  echo $seen
}

# Sets cache_dir to the entry for the current package versions; falls back to
# the newest complete entry when apt cannot tell versions (offline machine).
resolve_cache_dir() {
  local kpkg lines="" stamp saved=$cache_root/resolved${flavour:+-$flavour}
  # apt's answer only changes with its lists: keep it beside the cache.
  stamp=$(stat -c '%n %Y' /var/lib/apt/lists /etc/apt/preferences.d /etc/apt/sources.list.d 2>/dev/null | tr '\n' ' ')
  stamp+="kernel=${DFUBOOT_VM_KERNEL_PKG:-} recipe=$RECIPE flavour=$flavour"
  if [ -r "$saved" ] && [ "$(head -1 "$saved")" = "$stamp" ]; then
    kpkg=$(sed -n 2p "$saved")
    lines=$(tail -n +3 "$saved")$'\n'
    if [ "$flavour" = fwupd ]; then
      # the package list itself is in the saved answer
      PACKAGES=($(sed 's/=.*//' <<<"$lines" | grep -vx "$kpkg"))
    fi
  else
    kpkg=$(kernel_package || true)
    if [ "$flavour" = fwupd ]; then
      local p extra=()
      for p in $(fwupd_packages); do
        case " ${PACKAGES[*]} " in *" $p "*) ;; *) extra+=("$p") ;; esac
      done
      PACKAGES+=("${extra[@]}")
    fi
  fi
  if [ -n "$kpkg" ] && [ -z "$lines" ]; then
    # One apt-cache call: "package=candidate version" for every package.
    lines=$(apt-cache policy "$kpkg" "${PACKAGES[@]}" 2>/dev/null |
      awk '/^[^ ]/ {sub(":$", ""); p = $1} /Candidate:/ && $2 != "(none)" {print p "=" $2}')
    if [ "$(grep -c = <<<"$lines")" != $((1 + ${#PACKAGES[@]})) ]; then
      lines=""
    else
      lines+=$'\n'
      printf '%s\n%s\n%s' "$stamp" "$kpkg" "$lines" >"$saved.$$" && mv "$saved.$$" "$saved"
    fi
  fi
  if [ -z "$lines" ]; then
    if [ -e "$cache_root/latest${flavour:+-$flavour}/vmlinux" ]; then
      cache_dir=$(readlink -f "$cache_root/latest${flavour:+-$flavour}")
      say "apt cannot resolve package versions; using the newest cache entry $cache_dir"
      return
    fi
    die "apt cannot resolve the package versions (run apt-get update) and there is no cache in $cache_root"
  fi
  pkg_lines=$lines
  kernel_pkg=$kpkg
  local key
  key=$( (printf 'recipe=%s\n%s' "$RECIPE" "$lines"; cat "$here/guest-src/uevent-relay.c"
          [ "$flavour" != fwupd ] || cat "$here/guest-src/netlink-autobind.c") | sha256sum | cut -c1-16)
  cache_dir=$cache_root/${kpkg#linux-image-}${flavour:+-$flavour}-$key
}

# Finds the compressed payload in a bzImage and writes the ELF vmlinux
# (the method of the kernel's scripts/extract-vmlinux).
extract_vmlinux() {
  local img=$1 out=$2 magic tool off
  # (magic numbers without their NUL bytes, which bash strings cannot hold)
  for spec in $'\xfd7zXZ:xz -dc' $'\x1f\x8b\x08:gzip -dc' $'\x28\xb5\x2f\xfd:zstd -dc' \
              $'\x02\x21\x4c\x18:lz4 -dc' 'BZh:bzip2 -dc'; do
    magic=${spec%%:*}; tool=${spec#*:}
    command -v "${tool%% *}" >/dev/null 2>&1 || continue
    for off in $(LC_ALL=C grep -abo -- "$magic" "$img" 2>/dev/null | cut -d: -f1); do
      tail -c +$((off + 1)) "$img" | $tool >"$out" 2>/dev/null || true
      if [ "$(head -c 4 "$out" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
        return 0
      fi
    done
  done
  rm -f "$out"
  return 1
}

# Copies an ELF file and (recursively) the shared libraries it needs from the
# unpacked packages in $1 into the initramfs tree $2.
copy_with_libs() {
  local src=$1 dst=$2 file=$3 lib found d
  for lib in $(readelf -d "$file" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$dst/lib/x86_64-linux-gnu/$lib" ] && continue
    # a library of the program's own folder (RUNPATH), copied with it
    compgen -G "$dst/usr/lib/x86_64-linux-gnu/*/$lib" >/dev/null && continue
    found=
    for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
      if [ -e "$src/$d/$lib" ] || [ -L "$src/$d/$lib" ]; then found=$src/$d/$lib; break; fi
    done
    [ -n "$found" ] || { say "library $lib (needed by ${file#"$src"/}) is in none of the packages"; return 1; }
    found=$(cd "$(dirname "$found")" && readlink -f "$(basename "$found")")
    case $found in "$src"/*) ;; *) say "library $lib resolves outside the packages: $found"; return 1 ;; esac
    cp "$found" "$dst/lib/x86_64-linux-gnu/$lib"
    copy_with_libs "$src" "$dst" "$found" || return 1
  done
}

build_cache() {
  local tmp t0
  t0=$(date +%s.%N)
  mkdir -p "$cache_root/debs"
  tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
  say "building VM image into $cache_dir (kernel $kernel_pkg)"
  local names=() p
  for p in "$kernel_pkg" "${PACKAGES[@]}"; do
    local v; v=$(grep "^$p=" <<<"$pkg_lines" | cut -d= -f2-)
    # apt-get download names files with ':' encoded as %3a.
    if ! ls "$cache_root/debs/${p}_${v/:/%3a}_"*.deb >/dev/null 2>&1; then names+=("$p=$v"); fi
  done
  if [ ${#names[@]} -gt 0 ]; then
    say "apt-get download ${names[*]}"
    (cd "$cache_root/debs" && apt-get download -q "${names[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
      { rm -rf "$tmp"; die "apt-get download failed"; }
    for p in "${names[@]}"; do
      ls "$cache_root/debs/${p%%=*}_${p#*=}_"*.deb >/dev/null 2>&1 ||
        ls "$cache_root/debs/${p%%=*}_$(sed 's/:/%3a/' <<<"${p#*=}")_"*.deb >/dev/null 2>&1 ||
        { rm -rf "$tmp"; die "apt-get download did not produce $p"; }
    done
  fi
  local src=$tmp/pkgs rd=$tmp/initramfs
  mkdir -p "$src" "$rd"
  for p in "$kernel_pkg" "${PACKAGES[@]}"; do
    local v deb; v=$(grep "^$p=" <<<"$pkg_lines" | cut -d= -f2-)
    deb=$(ls "$cache_root/debs/${p}_${v/:/%3a}_"*.deb | head -1)
    dpkg-deb -x "$deb" "$src"
  done
  local kver
  kver=$(ls "$src/lib/modules" | head -1)
  [ -n "$kver" ] || { rm -rf "$tmp"; die "no kernel modules in $kernel_pkg"; }

  extract_vmlinux "$src/boot/vmlinuz-$kver" "$tmp/vmlinux" ||
    { rm -rf "$tmp"; die "could not extract vmlinux from vmlinuz-$kver"; }
  cp "$src/boot/vmlinuz-$kver" "$tmp/vmlinuz"

  # Modules: the Debian package has no modules.dep; make one for the whole
  # tree to find the dependencies, copy those modules, index them again.
  depmod -b "$src" "$kver" || { rm -rf "$tmp"; die "depmod failed"; }
  local m f
  mkdir -p "$rd/lib/modules/$kver"
  for m in "${MODULES[@]}"; do
    for f in $(modprobe -d "$src" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'); do
      mkdir -p "$rd/$(dirname "${f#"$src"/}")"
      cp "$f" "$rd/${f#"$src"/}"
    done
  done
  cp "$src/lib/modules/$kver/modules.builtin" "$src/lib/modules/$kver/modules.order" "$rd/lib/modules/$kver/"
  cp "$src/lib/modules/$kver/modules.builtin.modinfo" "$rd/lib/modules/$kver/" 2>/dev/null || true
  depmod -b "$rd" "$kver" || { rm -rf "$tmp"; die "depmod on the initramfs failed"; }

  # Programs and their libraries.
  mkdir -p "$rd"/{bin,sbin,usr/bin,usr/sbin,lib/x86_64-linux-gnu,lib64,proc,sys,dev,run,tmp,vm,share,etc,usr/share}
  mkdir -p "$rd/var"
  ln -s ../run "$rd/var/run"
  cp "$src/bin/busybox" "$rd/bin/busybox"
  for f in usr/sbin/usbip usr/bin/dfu-util usr/bin/dfu-suffix usr/bin/dfu-prefix usr/bin/lsusb usr/bin/usbreset; do
    cp "$src/$f" "$rd/$f"
    copy_with_libs "$src" "$rd" "$src/$f" || { rm -rf "$tmp"; die "library closure failed"; }
  done
  cp "$src/usr/bin/usb-devices" "$rd/usr/bin/"
  if [ "$flavour" = fwupd ]; then
    # fwupdtool, its engine (the private library folder its RUNPATH names;
    # the flashrom plugin is left out), quirks, configuration and keys
    local fwdir
    fwdir=$(cd "$src" && ls -d usr/lib/x86_64-linux-gnu/fwupd-* | head -1)
    [ -n "$fwdir" ] || { rm -rf "$tmp"; die "no usr/lib/x86_64-linux-gnu/fwupd-* in the fwupd package"; }
    mkdir -p "$rd/$fwdir" "$rd/usr/share" "$rd/etc/pki" "$rd/var/lib/fwupd" "$rd/var/cache/fwupd"
    cp "$src/$fwdir"/libfwupd*.so "$rd/$fwdir/"
    cp -R "$src/usr/share/fwupd" "$rd/usr/share/"
    cp -R "$src/etc/fwupd" "$rd/etc/"
    cp -R "$src/etc/pki/fwupd" "$src/etc/pki/fwupd-metadata" "$rd/etc/pki/"
    cp "$src/usr/bin/fwupdtool" "$rd/usr/bin/"
    for f in "$rd/usr/bin/fwupdtool" "$rd/$fwdir"/*.so; do
      copy_with_libs "$src" "$rd" "$f" || { rm -rf "$tmp"; die "library closure of fwupd failed"; }
    done
    grep '^fwupd=' <<<"$pkg_lines" | cut -d= -f2- >"$tmp/fwupd-version"
    # the workaround for fwupd's netlink bind with libusb 1.0.26 (see the
    # source); used as LD_PRELOAD=/usr/lib/netlink-autobind.so
    "${CC:-cc}" -shared -fPIC -Os -s -Wall -Wextra -o "$rd/usr/lib/netlink-autobind.so" \
      "$here/guest-src/netlink-autobind.c" -ldl ||
      { rm -rf "$tmp"; die "cannot build netlink-autobind.so"; }
  fi
  # Our one program in the image: kernel uevents passed on to libudev's
  # netlink group, so libusb sees devices that appear while it runs (see
  # guest-src/uevent-relay.c). Built here, statically, from source.
  "${CC:-cc}" -static -Os -s -Wall -Wextra -o "$rd/sbin/uevent-relay" "$here/guest-src/uevent-relay.c" ||
    { rm -rf "$tmp"; die "cannot build uevent-relay (a C compiler with static glibc: build-essential)"; }
  # The loader: in the debs lib64/ld-linux-x86-64.so.2 is an absolute link
  # that would resolve to the host's; make it relative inside the image.
  cp "$(readlink -f "$src/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")" "$rd/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
  ln -sf ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$rd/lib64/ld-linux-x86-64.so.2"
  # usb.ids (for usbip's names) is a link to /var/lib/usbutils in the deb.
  mkdir -p "$rd/usr/share/misc"
  cp "$src/var/lib/usbutils/usb.ids" "$rd/usr/share/misc/usb.ids"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rd/etc/passwd"
  printf 'root:x:0:\n' >"$rd/etc/group"

  # /init: mounts the harness folder and hands over to the script the host
  # put there (so the harness can change without rebuilding the image).
  cat >"$rd/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
uevent-relay &
if modprobe -a virtio_pci 9pnet_virtio 9p &&
   mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none vmctl /vm; then
  exec /bin/sh /vm/init.sh
fi
echo "init: cannot mount the harness folder" >/dev/console
reboot -f
EOF
  chmod +x "$rd/init"

  (cd "$rd" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) >"$tmp/initramfs.cpio" ||
    { rm -rf "$tmp"; die "cpio failed"; }
  printf '%s' "$pkg_lines" >"$tmp/packages"
  echo "$kver" >"$tmp/kernel-release"
  "$rd/usr/bin/dfu-util" --version 2>/dev/null | head -1 >"$tmp/dfu-util-version" || true
  rm -rf "$src" "$rd"
  rm -rf "$cache_dir"
  chmod 755 "$tmp"
  mv "$tmp" "$cache_dir"
  ln -sfn "$(basename "$cache_dir")" "$cache_root/latest${flavour:+-$flavour}"
  say "VM image ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s: $(du -sh "$cache_dir" | cut -f1)"
}

ensure_cache() {
  command -v apt-cache >/dev/null 2>&1 || [ -e "$cache_root/latest/vmlinux" ] ||
    die "apt is needed to build the VM image (Debian packages)"
  for t in dpkg-deb depmod modprobe cpio readelf "${CC:-cc}"; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found (Debian: dpkg, kmod, cpio, binutils, build-essential)"
  done
  mkdir -p "$cache_root"
  resolve_cache_dir
  if [ "$rebuild" = 1 ] || [ ! -e "$cache_dir/initramfs.cpio" ]; then
    exec 9>"$cache_root/.lock"
    flock 9
    if [ "$rebuild" = 1 ] || [ ! -e "$cache_dir/initramfs.cpio" ]; then
      build_cache
    fi
    flock -u 9
    exec 9>&-
  fi
}

case $mode in
  probe)
    p=$(probe_problem)
    if [ -n "$p" ]; then say "$p"; exit "$EX_HOST"; fi
    exit 0 ;;
  build) ensure_cache; exit 0 ;;
  print) ensure_cache; echo "$cache_dir"; exit 0 ;;
esac

# -------------------------------------------------------------------- run

if [ -z "$script" ] && [ $# -eq 0 ]; then say "nothing to run (see --help)"; exit "$EX_HOST"; fi
if [ -n "$script" ] && [ ! -r "$script" ]; then die "cannot read $script"; fi
p=$(probe_problem)
[ -z "$p" ] || die "$p"
ensure_cache

case $usbip_addr in
  *:*) usbip_host=${usbip_addr%:*}; usbip_port=${usbip_addr##*:} ;;
  *) die "--usbip wants HOST:PORT" ;;
esac
case $usbip_port in ''|*[!0-9]*) die "--usbip wants HOST:PORT, got '$usbip_addr'" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/dfuboot-vm.XXXXXX")
qpid=
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ctl=$work/ctl
mkdir -p "$ctl"
if [ -z "$share" ]; then share=$work/share; mkdir -p "$share"; fi
[ -d "$share" ] || die "share folder $share does not exist"
share=$(cd "$share" && pwd)

if [ -n "$script" ]; then
  cp "$script" "$ctl/cmd.sh"
  args=("$@")
else
  printf '%q ' "$@" >"$ctl/cmd.sh"
  echo >>"$ctl/cmd.sh"
  args=()
fi
{
  printf 'VM_ATTACH=%s\nVM_BUSID=%q\nVM_VERBOSE=%s\n' "$attach" "$busid" "$verbose"
  printf 'set --'
  for a in ${args[@]+"${args[@]}"}; do printf ' %q' "$a"; done
  echo
} >"$ctl/config"
cp -R "$here/guest/." "$ctl/"

accel=${DFUBOOT_VM_ACCEL:-}
if [ -z "$accel" ]; then
  accel=tcg
  if grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then accel=kvm; fi
fi

esc() { printf '%s' "${1//,/,,}"; } # QEMU option values double their commas
append="console=ttyS0 panic=-1 rdinit=/init"
[ "$verbose" = 1 ] || append+=" quiet loglevel=3"
kernel=$cache_dir/vmlinux
bios=()
[ -r /usr/share/qemu/qboot.rom ] && bios=(-bios /usr/share/qemu/qboot.rom)
# The decompressed kernel boots through PVH (about 2.4 s faster under TCG
# than the bzImage, which decompresses itself); that path wants qboot.
if [ ${#bios[@]} -eq 0 ] || [ "${DFUBOOT_VM_BOOT:-pvh}" = bzimage ]; then kernel=$cache_dir/vmlinuz; fi

say "guest kernel $(cat "$cache_dir/kernel-release"), $(cat "$cache_dir/dfu-util-version"), accel $accel, usbip server $usbip_host:$usbip_port"
t0=$(date +%s.%N)
set +e
timeout -k 5 "$timeout_s" "$qemu" \
  -M q35 -accel "$accel" -m "$memory" -smp 1 -nodefaults -no-user-config \
  -display none -monitor none -serial stdio -no-reboot \
  "${bios[@]}" -kernel "$kernel" -initrd "$cache_dir/initramfs.cpio" -append "$append" \
  -netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:3240-cmd:socat -lf /dev/null STDIO TCP4:$(esc "$usbip_host"):$usbip_port" \
  -device virtio-net-pci,netdev=n0 \
  -fsdev "local,id=vmctl,path=$(esc "$ctl"),security_model=none" -device virtio-9p-pci,fsdev=vmctl,mount_tag=vmctl \
  -fsdev "local,id=share,path=$(esc "$share"),security_model=none" -device virtio-9p-pci,fsdev=share,mount_tag=share \
  </dev/null &
qpid=$! # timeout's pid: killing it (cleanup on INT/TERM) stops QEMU too
wait "$qpid"
qrc=$?
qpid=
set -e
elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')

[ -z "$dmesg_out" ] || cp "$ctl/dmesg" "$dmesg_out" 2>/dev/null || true
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
  say "timeout: the VM ran longer than $timeout_s s"
  exit "$EX_TIMEOUT"
fi
if [ ! -s "$ctl/status" ]; then
  say "the guest reported no exit status (QEMU exit $qrc, ${elapsed} s)"
  exit "$EX_GUEST"
fi
read -r kind code msg <"$ctl/status"
if [ "$kind" != cmd ]; then
  say "guest setup failed: $code $msg (${elapsed} s)"
  exit "$EX_GUEST"
fi
say "guest command exited $code (VM ${elapsed} s)"
exit "$code"
