#!/usr/bin/env bash
# The seed's story on the virtual board (filled in with the virtual board).
set -euo pipefail
build=${1:-build}
echo "demo: the virtual board is not built yet; the story will be:"
echo "  1. create an empty flash, flash the bootloader and the signed DFU sample at slot0"
echo "  2. power on; back up slot0 over USB (dfu-util --alt 0 --upload) and compare"
echo "  3. download the signed hello_world to alt 1; reset: 'Swap type: test', 'Hello World!'"
echo "  4. reset again: 'Swap type: revert', 'This device supports USB DFU class.'"
echo "  5. permanent-download variant: download, reboot, 'Swap type: perm', stays on hello_world"
ls "$build/bin" >/dev/null
