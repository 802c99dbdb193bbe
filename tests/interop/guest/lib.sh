# lib.sh: shell functions for commands run in the linux-vm.sh guest
# (busybox sh). Sourced before the command; see linux-vm.sh --help.

VM_USBIP_HOST=${VM_USBIP_HOST:-10.0.2.100}
VM_BUSID=${VM_BUSID:-1-1}
VM_ENUM_TIMEOUT=${VM_ENUM_TIMEOUT:-20}
export VM_USBIP_HOST VM_BUSID VM_ENUM_TIMEOUT

# Under TCG every fork costs milliseconds: these functions read sysfs with
# the shell's own `read` and globs instead of running programs.

# vm_read FILE: prints the first line of FILE (nothing if unreadable).
vm_read() {
  local v=
  read -r v <"$1" 2>/dev/null
  echo "$v"
}

# USB devices (not interfaces, not root hubs) the kernel knows, one per line.
vm_usb_devices() {
  local d
  for d in /sys/bus/usb/devices/[0-9]*-[0-9]*; do
    case ${d##*/} in *:*) continue ;; esac
    [ -e "$d" ] && echo "${d##*/}"
  done
}

# A device is ready for libusb once it is configured and has its /dev node.
vm_usb_ready() {
  local d=/sys/bus/usb/devices/$1 cfg bus dev
  read -r cfg <"$d/bConfigurationValue" 2>/dev/null || return 1
  [ -n "$cfg" ] || return 1
  read -r bus <"$d/busnum" 2>/dev/null && read -r dev <"$d/devnum" 2>/dev/null || return 1
  [ -e "$(printf '/dev/bus/usb/%03d/%03d' "$bus" "$dev")" ]
}

# vm_ports_used: how many vhci ports are not free, from the status files
# of /sys/devices/platform/vhci_hcd.0 (one per controller). 004 is
# VDEV_ST_NULL (free); a port is 005 (NOTASSIGNED) from the attach until
# the kernel has reset it, 006 (USED) afterwards, 007 (ERROR) while it is
# torn down.
vm_ports_used() {
  local f hub port sta rest n=0
  for f in /sys/devices/platform/vhci_hcd.0/status*; do
    while read -r hub port sta rest; do
      case $sta in 005 | 006 | 007) n=$((n + 1)) ;; esac
    done <"$f"
  done
  echo $n
}

# vm_attach [BUSID]: imports the export and waits until the kernel has
# enumerated and configured the device; prints its sysfs name.
vm_attach() {
  local b=${1:-$VM_BUSID} before d i=0
  before=" $(vm_usb_devices | tr '\n' ' ') "
  usbip attach -r "$VM_USBIP_HOST" -b "$b" || return 1
  while [ $i -lt $((VM_ENUM_TIMEOUT * 10)) ]; do
    for d in $(vm_usb_devices); do
      case $before in *" $d "*) continue ;; esac
      if vm_usb_ready "$d"; then echo "$d"; return 0; fi
    done
    sleep 0.1
    i=$((i + 1))
  done
  echo "vm_attach: $b attached but no device was configured within ${VM_ENUM_TIMEOUT} s" >&2
  return 1
}

# vm_detach: detaches every imported device.
vm_detach() {
  local p
  for p in $(usbip port 2>/dev/null | sed -n 's/^Port \([0-9]*\):.*/\1/p'); do
    usbip detach -p "$p" >/dev/null 2>&1 || true
  done
}

# vm_wait_listed [BUSID] [SEC]: waits until the server lists the export again.
vm_wait_listed() {
  local b=${1:-$VM_BUSID} i=0 n=$((${2:-$VM_ENUM_TIMEOUT} * 5))
  while [ $i -lt $n ]; do
    usbip list -r "$VM_USBIP_HOST" 2>/dev/null | grep -q "^ *$b:" && return 0
    sleep 0.2
    i=$((i + 1))
  done
  echo "vm_wait_listed: $VM_USBIP_HOST does not list $b" >&2
  return 1
}

# vm_reattach [BUSID]: detach, wait until the export is offered, attach.
vm_reattach() {
  vm_detach
  vm_wait_listed "${1:-$VM_BUSID}" && vm_attach "${1:-$VM_BUSID}"
}

# vm_wait_usb VID:PID [SEC]: waits until lsusb finds such a device.
vm_wait_usb() {
  local i=0 n=$((${2:-$VM_ENUM_TIMEOUT} * 10))
  while [ $i -lt $n ]; do
    lsusb -d "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
    i=$((i + 1))
  done
  echo "vm_wait_usb: no $1 device within ${2:-$VM_ENUM_TIMEOUT} s" >&2
  return 1
}

# vm_wait_gone VID:PID [SEC]: waits until no such device is left.
vm_wait_gone() {
  local i=0 n=$((${2:-$VM_ENUM_TIMEOUT} * 10))
  while [ $i -lt $n ]; do
    lsusb -d "$1" >/dev/null 2>&1 || return 0
    sleep 0.1
    i=$((i + 1))
  done
  echo "vm_wait_gone: $1 still present after ${2:-$VM_ENUM_TIMEOUT} s" >&2
  return 1
}

# vm_mode VID: "runtime" if a device of that vendor has a DFU runtime
# interface (0xFE/0x01/0x01), "dfu" if it has DFU-mode interfaces
# (0xFE/0x01/0x02), "other" for another device of that vendor, "none" if
# there is no such device.
vm_mode() {
  local d i v c sc p mode=none
  for d in /sys/bus/usb/devices/[0-9]*-[0-9]*; do
    case ${d##*/} in *:*) continue ;; esac
    read -r v <"$d/idVendor" 2>/dev/null || continue
    [ "$v" = "$1" ] || continue
    mode=other
    for i in "$d"/*:*; do
      read -r c <"$i/bInterfaceClass" 2>/dev/null || continue
      read -r sc <"$i/bInterfaceSubClass" 2>/dev/null || continue
      read -r p <"$i/bInterfaceProtocol" 2>/dev/null || continue
      [ "$c$sc" = fe01 ] || continue
      case $p in
        01) echo runtime; return ;;
        02) echo dfu; return ;;
      esac
    done
  done
  echo $mode
}

# vm_wait_mode VID MODE [SEC]: waits until vm_mode VID prints MODE.
vm_wait_mode() {
  local i=0 n=$((${3:-$VM_ENUM_TIMEOUT} * 10))
  while [ $i -lt $n ]; do
    [ "$(vm_mode "$1")" = "$2" ] && return 0
    sleep 0.1
    i=$((i + 1))
  done
  echo "vm_wait_mode: no $1 device in $2 mode within ${3:-$VM_ENUM_TIMEOUT} s (now: $(vm_mode "$1"))" >&2
  return 1
}

# vm_autoattach_start / vm_autoattach_stop: a background loop that attaches
# the export again whenever no vhci port is in use and the server lists it,
# as a cable that stays plugged in: a device that drops its USB/IP
# connection to detach or reset comes back by itself (dfu-util's own
# detach-and-wait flow then works as on a real port).
vm_autoattach_start() {
  (
    while :; do
      # Trying the import is cheaper than asking for the list first: a
      # device that is away (detached, rebooting) is refused at once.
      if [ "$(vm_ports_used)" = 0 ] &&
         usbip attach -r "$VM_USBIP_HOST" -b "$VM_BUSID" >/dev/null 2>&1; then
        echo "vm: attached $VM_BUSID again" >&2
      fi
      sleep 0.1
    done
  ) &
  VM_AUTOATTACH_PID=$!
}
vm_autoattach_stop() {
  [ -n "${VM_AUTOATTACH_PID:-}" ] && kill "$VM_AUTOATTACH_PID" 2>/dev/null
  VM_AUTOATTACH_PID=
}
