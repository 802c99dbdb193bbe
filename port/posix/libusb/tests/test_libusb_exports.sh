#!/usr/bin/env bash
# Every function the libusb-1.0 header declares (Debian libusb-1.0-0-dev
# 1.0.26: 90) is exported by the library, so programs that resolve them at
# load time (pyusb, for one) start; nothing outside the API is exported.
set -euo pipefail
header=$1 lib=$2
want=$(grep -oE 'LIBUSB_CALL[[:space:]]+libusb_[a-z0-9_]+' "$header" | awk '{print $2}' | sort -u)
have=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sort -u)
missing=$(comm -23 <(echo "$want") <(echo "$have"))
extra=$(comm -13 <(echo "$want") <(echo "$have"))
echo "header declares $(wc -l <<<"$want") functions; the library exports $(wc -l <<<"$have")"
rc=0
if [ -n "$missing" ]; then echo "FAIL: not exported:" $missing; rc=1; fi
if [ -n "$extra" ]; then echo "FAIL: exported but not in the API:" $extra; rc=1; fi
[ "$(wc -l <<<"$want")" -ge 90 ] || { echo "FAIL: the header lists too few functions (parse error?)"; rc=1; }
exit $rc
