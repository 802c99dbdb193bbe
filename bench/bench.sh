#!/usr/bin/env bash
# Prints the benchmark tables (see docs/performance.md).
#
#   bench/bench.sh [BUILD_DIR] [SECTION...]
#
# Sections: flash sizes update powerloss dfu usbip validate footprint silicon
# (default: all; silicon is the nRF5 port on QEMU's microbit,
# bench/silicon/bench_silicon.sh). BUILD_DIR (default
# build) must hold a host build (`make build`); the footprint section also
# uses the Cortex-M4 build in BUILD_DIR/cortex-m4 (`make cross`).
# Data and raw outputs go to BUILD_DIR/bench/data; the tables are also
# written to BUILD_DIR/bench/results.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
shift || true
ALL="flash sizes update powerloss dfu usbip validate footprint silicon"
SECTIONS=${*:-$ALL}
ALL_SECTIONS=0; [ "$SECTIONS" = "$ALL" ] && ALL_SECTIONS=1
FP=
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/bench/bin
DATA=$BUILD/bench/data
RESULTS=$BUILD/bench/results.md
mkdir -p "$DATA"
: >"$RESULTS"
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)

out() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

# ------------------------------------------------------------ results.json
# Every figure also goes to BUILD_DIR/bench/results.json (flat keys, numeric
# values; each key is documented in docs/performance.md). Bench programs print
# `result: <key> <number>` lines, which collect() gathers from their saved
# output; figures this script computes itself go through result().
RESULT_LINES=$DATA/results.txt
: >"$RESULT_LINES"
result() { printf 'result: %s %s\n' "$1" "$2" >>"$RESULT_LINES"; }
collect() { grep -h '^result: ' "$@" >>"$RESULT_LINES" 2>/dev/null || true; }
# anchor KEY VALUE SOURCE: a figure that is a constant (not measured by this
# run), printed in the anchors table with where it came from.
ANCHORS=$DATA/anchors.txt
: >"$ANCHORS"
anchor() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$ANCHORS"; result "anchor_$1" "$2"; }
have() { [ -x "$BIN/$1" ]; }
# Thousands separators.
num() { printf '%s' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }

# ---------------------------------------------------------------- callgrind
# cg NAME FUNC CMD...: instructions executed inside FUNC (callgrind
# --toggle-collect), lazy symbol binding done at load time (LD_BIND_NOW) so
# it is not counted. The profile stays in $DATA/NAME.cg.
cg() {
    local name=$1 func=$2
    shift 2
    LD_BIND_NOW=1 valgrind --tool=callgrind --toggle-collect="$func" --callgrind-out-file="$DATA/$name.cg" \
        "$@" >"$DATA/$name.out" 2>"$DATA/$name.err" || {
        echo "FAILED: $*" >&2
        cat "$DATA/$name.out" "$DATA/$name.err" >&2
        return 1
    }
    awk '/^summary:/ { print $2 }' "$DATA/$name.cg"
}
# cg_incl NAME FUNC: inclusive instructions of FUNC in profile NAME (0 if absent).
cg_incl() {
    callgrind_annotate --inclusive=yes --threshold=100 "$DATA/$1.cg" 2>/dev/null |
        awk -v f="$2" '{ gsub(",", "", $1) }
            !found && $0 ~ ("[:]" f "( |$)") { print $1; found = 1 } END { if (!found) print 0 }'
}
# kv LINE KEY: the value of KEY=... in a key=value line.
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
s_of() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }

# ------------------------------- 2b. real dfu-util over USB/IP (wall time)
# The virtual board (bootloader + DFU sample) exported over USB/IP, the
# system's dfu-util through dfuboot's libusb (build/bin/vboard-dfu-util).
# usbip_board DIR [COMMAND PREFIX...]: starts the board on a fresh port (the
# server's port stays in TIME_WAIT after a run), sets BOARD_PID and DFUBOOT_USBIP.
USBIP_PORT=${BENCH_USBIP_PORT:-$((20000 + $$ % 10000))}
usbip_board() {
    local dir=$1 try
    shift
    "$BUILD/bin/vboard" create "$dir/flash.bin" --layout nrf52840dk --force >/dev/null
    "$BUILD/bin/vboard" flash "$dir/flash.bin" --partition mcuboot "$BUILD/images/bootloader.bin" >/dev/null
    "$BUILD/bin/vboard" flash "$dir/flash.bin" --partition slot0 "$BUILD/images/dfu.signed.bin" >/dev/null
    for try in 1 2 3 4 5; do
        local port=$USBIP_PORT
        USBIP_PORT=$((USBIP_PORT + 1))
        export DFUBOOT_USBIP=127.0.0.1:$port
        : >"$dir/console.log"
        "$@" "$BUILD/bin/vboard" run "$dir/flash.bin" --usbip "127.0.0.1:$port" >>"$dir/console.log" 2>&1 &
        BOARD_PID=$!
        local deadline=$((SECONDS + 90))
        until grep -q "This device supports USB DFU class." "$dir/console.log"; do
            if grep -q "Address already in use" "$dir/console.log"; then
                wait $BOARD_PID 2>/dev/null || true
                continue 2
            fi
            if [ $SECONDS -ge $deadline ] || ! kill -0 $BOARD_PID 2>/dev/null ||
                grep -q -e "cannot start" -e "crashed" "$dir/console.log"; then
                echo "board did not start:" >&2; cat "$dir/console.log" >&2; usbip_stop; return 1
            fi
            sleep 0.2
        done
        return 0
    done
    echo "board did not start: no free port" >&2
    return 1
}
usbip_stop() { kill -TERM "$BOARD_PID" 2>/dev/null; wait "$BOARD_PID" 2>/dev/null || true; BOARD_PID=; }

section_usbip() {
    out "## 2b. Download with the real dfu-util over USB/IP (virtual board; wall time, noisy)"
    out ""
    local dfu=$BUILD/bin/vboard-dfu-util dir=$DATA/usbip
    if [ ! -x "$dfu" ] || [ ! -f "$BUILD/images/dfu.signed.bin" ] || ! command -v dfu-util >/dev/null; then
        out "not measured: needs build/bin/vboard-dfu-util, build/images and dfu-util (make bootstrap build)"; out ""; return
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    # A signed 400 KiB image (the development key the sample bootloader trusts).
    rm -f "$dir/payload.bin" && truncate -s $((400 * 1024 - 512)) "$dir/payload.bin"
    "$BUILD/bin/dfuimg" sign -k "$ROOT/keys/dev-rsa-2048.pem" -H 0x200 --pad-header --align 4 -v 2.0.0 -S 0x76000 \
        "$dir/payload.bin" "$dir/dl.img" >/dev/null
    rm -f "$dir/small.bin" && truncate -s $((4 * 1024 - 512)) "$dir/small.bin"
    "$BUILD/bin/dfuimg" sign -k "$ROOT/keys/dev-rsa-2048.pem" -H 0x200 --pad-header --align 4 -v 2.0.0 -S 0x76000 \
        "$dir/small.bin" "$dir/small.img" >/dev/null
    local size small; size=$(stat -c %s "$dir/dl.img"); small=$(stat -c %s "$dir/small.img")

    # Wall time of dfu-util (3 runs each, fresh board each): the 400 KiB image
    # and a 4 KiB one (same run-time -> DFU mode switch and enumeration).
    local i t0 t1 img walls="" swalls=""
    for i in 1 2 3 4 5 6; do
        img=$dir/dl.img; [ $i -gt 3 ] && img=$dir/small.img
        usbip_board "$dir" || { out "not measured: the board did not start"; out ""; return; }
        # DFU mode first (DETACH; the device switches at the reset that
        # follows), so the timed run is the data phase alone and not
        # dfu-util's detach delay (-E, 5 s by default).
        "$dfu" -e >"$dir/detach-$i.log" 2>&1 || { usbip_stop; out "not measured: dfu-util -e failed (see $dir/detach-$i.log)"; out ""; return; }
        t0=$(date +%s%N)
        "$dfu" --alt 1 --download "$img" >"$dir/dfu-util-$i.log" 2>&1 || { usbip_stop; out "not measured: dfu-util failed (see $dir/dfu-util-$i.log)"; out ""; return; }
        t1=$(date +%s%N)
        usbip_stop
        if [ $i -le 3 ]; then walls="$walls $(((t1 - t0) / 1000000))"; else swalls="$swalls $(((t1 - t0) / 1000000))"; fi
    done
    local med smed
    med=$(echo $walls | tr ' ' '\n' | sort -n | sed -n 2p); smed=$(echo $swalls | tr ' ' '\n' | sort -n | sed -n 2p)

    # Device-process instructions: the board under callgrind (children
    # traced: vboard execs the bootloader, which execs the sample), once with
    # the download and once with only an enumeration (dfu-util --list); the
    # difference is the download's cost.
    local runs="dl list" r ir_dl=0 ir_list=0 f app
    if command -v valgrind >/dev/null && [ -f "$BUILD/bench/lib/libbench_fexecve_shim.so" ]; then
        for r in $runs; do
            rm -rf "$dir"/cg.$r.* "$dir/exec" && mkdir -p "$dir/exec"
            # bench/usbip/fexecve_shim.c: exec by path, so valgrind follows.
            usbip_board "$dir" env BENCH_EXEC_DIR="$dir/exec" LD_PRELOAD="$BUILD/bench/lib/libbench_fexecve_shim.so" \
                valgrind -q --tool=callgrind --trace-children=yes --callgrind-out-file="$dir/cg.$r.%p" ||
                { usbip_stop; ir_dl=0; break; }
            if [ $r = dl ]; then "$dfu" --alt 1 --download "$dir/dl.img" >"$dir/cg-dfu-util.log" 2>&1 || true
            else "$dfu" --list >"$dir/cg-dfu-util.log" 2>&1 || true; fi
            # The firmware process is stopped with SIGKILL by the board, so
            # ask callgrind for a dump of every process of this run first.
            local pid
            for f in "$dir"/cg.$r.*; do
                pid=${f##*.}
                callgrind_control -d "$pid" >/dev/null 2>&1 || true
            done
            sleep 1
            usbip_stop
            # The DFU sample: of the programs started from flash (exec/), the
            # dump with the most instructions (the bootloader's is smaller).
            app=$(for f in "$dir"/cg.$r.*; do
                grep -q '^cmd:.*/exec/exec-' "$f" && printf '%s %s\n' "$(awk '/^summary:/ { print $2 }' "$f")" "$f"
            done | sort -n | tail -1)
            app=${app:-0}
            [ $r = dl ] && ir_dl=${app%% *} || ir_list=${app%% *}
        done
    fi
    out "| what | figure |"
    out "|---|---|"
    out "| image | $(num "$size") B signed (400 KiB payload), slot1 at the download offset |"
    out "| dfu-util --alt 1 --download in DFU mode (after dfu-util -e), wall time, 3 runs: the data phase | $(echo $walls | sed 's/ / ms, /g') ms |"
    out "| same with a $(num "$small") B image, 3 runs | $(echo $swalls | sed 's/ / ms, /g') ms |"
    out "| wall time per KiB: (median 400 KiB - median small) / KiB difference | $(awk -v a="$med" -v b="$smed" -v s="$size" -v t="$small" 'BEGIN { printf "%.3f ms", (a - b) / ((s - t) / 1024) }') |"
    result usbip_download_400k_ms "$med"
    result usbip_download_4k_ms "$smed"
    result usbip_download_ms_per_kib "$(awk -v a="$med" -v b="$smed" -v s="$size" -v t="$small" 'BEGIN { printf "%.4f", (a - b) / ((s - t) / 1024) }')"
    if [ "$ir_dl" -gt 0 ] && [ "$ir_list" -gt 0 ]; then
        out "| device process (DFU sample) instructions: download run / enumeration-only run | $(num "$ir_dl") / $(num "$ir_list") Ir |"
        out "| device process instructions per KiB downloaded (difference / size) | $(num $(((ir_dl - ir_list) * 1024 / size))) Ir/KiB |"
        result usbip_device_ir_per_kib $(((ir_dl - ir_list) * 1024 / size))
    else
        out "| device process instructions | not measured (valgrind missing or the run failed) |"
    fi
    out ""
}

# ------------------------------------------------------- 3. image validation
# A full slot: 120 sectors of 4 KiB (480 KiB); the image fills all but the
# last sector (476 KiB hashed: header 512 B + body), signed by dfuimg.
make_signed_images() {
    # -S: dfuimg refuses an image it cannot swap in the slot it is given; the
    # image (476 KiB hashed) is measured in place in a 480 KiB slot, which
    # needs no swap, so it is signed for a 488 KiB one (no padding is added).
    local dfuimg=$BUILD/bin/dfuimg slot=0x7A000 hashed=487424 alg key
    # Zero bytes: SHA-256 costs the same whatever the content.
    [ -f "$DATA/payload.bin" ] || truncate -s $((hashed - 512)) "$DATA/payload.bin"
    [ -f "$DATA/ecdsa-p256.pem" ] || "$dfuimg" keygen -t ecdsa-p256 -k "$DATA/ecdsa-p256.pem" >/dev/null
    [ -f "$DATA/ed25519.pem" ] || "$dfuimg" keygen -t ed25519 -k "$DATA/ed25519.pem" >/dev/null
    cp "$ROOT/keys/dev-rsa-2048.pem" "$DATA/rsa2048.pem"
    for alg in rsa2048 ecdsa-p256 ed25519; do
        key=$DATA/$alg.pem
        "$dfuimg" getpub -k "$key" -e raw -o "$DATA/$alg.der" >/dev/null
        if [ ! -f "$DATA/$alg.img" ] || [ "$key" -nt "$DATA/$alg.img" ]; then
            "$dfuimg" sign -k "$key" -H 0x200 --pad-header --align 4 -v 1.0.0 -S $slot \
                "$DATA/payload.bin" "$DATA/$alg.img" >/dev/null
        fi
    done
}

section_validate() {
    local dfuimg=$BUILD/bin/dfuimg slot=0x78000 hashed=487424 alg key
    if [ ! -x "$dfuimg" ] || ! have bench_validate || ! have bench_floor; then
        out "## 3. Boot: validating a full slot"; out ""; out "missing programs (make build)"; return
    fi
    if ! command -v valgrind >/dev/null; then
        out "## 3. Boot: validating a full slot"; out ""; out "valgrind not installed"; return
    fi
    make_signed_images

    local -A V F
    out "## 3. Boot: instructions to validate a full slot (callgrind, deterministic)"
    out ""
    out "Image: 476 KiB hashed (header + body) in a 480 KiB slot on the simulated flash."
    local CHUNK; CHUNK=$(grep -o '^#define IMAGE_VALIDATE_CHUNK [0-9]*' "$ROOT/image/image_validate.h" | grep -o '[0-9]*$')
    out "dfuboot = image_validate() as built (IMAGE_VALIDATE_CHUNK $CHUNK) with the host crypto adapter;"
    out "floor = same bytes hashed in 1 KiB chunks with the same mbedTLS SHA-256, digest compared, one verify (same library calls)."
    out ""
    out "in-place floor = the same, but the bytes hashed where they are in one update call, with no copy at all."
    out ""
    out "| signature | dfuboot Ir | floor Ir | ratio | goal | in-place floor Ir | ratio to in-place floor | MCUboot 2d4bacc ratio (Ir, constant) |"
    out "|---|---:|---:|---:|---:|---:|---:|---:|"
    anchor validate_mcuboot_ratio_rsa2048 1.0065 "MCUboot 2d4bacc bootutil_img_validate under callgrind against the same floor, measured once (31.24 M Ir); not re-run by this script"
    anchor validate_mcuboot_ratio_ecdsa_p256 1.0033 "as above, ECDSA P-256 (48.72 M Ir)"
    local -A N
    for alg in rsa2048 ecdsa-p256 ed25519; do
        local k=${alg//-/_}
        V[$alg]=$(cg "validate-$alg" image_validate "$BIN/bench_validate" "$DATA/$alg.img" "$DATA/$alg.der" $alg)
        F[$alg]=$(cg "floor-$alg" floor_run "$BIN/bench_floor" "$DATA/$alg.img" "$DATA/$alg.der" $alg 1024)
        N[$alg]=$(cg "floor0-$alg" floor_run "$BIN/bench_floor" "$DATA/$alg.img" "$DATA/$alg.der" $alg 0)
        local anchor="-"
        case $alg in rsa2048) anchor="1.0065 (31.24 M)" ;; ecdsa-p256) anchor="1.0033 (48.72 M)" ;; esac
        local r r0; r=$(ratio "${V[$alg]}" "${F[$alg]}"); r0=$(ratio "${V[$alg]}" "${N[$alg]}")
        local verdict; verdict=$(awk -v r="$r" 'BEGIN { print (r <= 1.003) ? "met" : "missed" }')
        out "| $alg | $(num "${V[$alg]}") | $(num "${F[$alg]}") | $r | <= 1.003 ($verdict) | $(num "${N[$alg]}") | $r0 | $anchor |"
        result "validate_ir_$k" "${V[$alg]}"
        result "validate_floor_ir_$k" "${F[$alg]}"
        result "validate_inplace_floor_ir_$k" "${N[$alg]}"
        result "validate_ratio_$k" "$r"
        result "validate_ratio_inplace_$k" "$r0"
    done
    out ""

    # Where the difference goes (RSA-2048 profiles): the SHA-256 compression
    # function is the same work in both; the rest is per-call overhead.
    local a=rsa2048 v=validate-rsa2048 f=floor-rsa2048
    local v_upd f_upd v_read f_read v_keyh v_ver f_ver reads
    v_upd=$(cg_incl $v host_sha256_update); f_upd=$(cg_incl $f mbedtls_sha256_update_ret)
    v_read=$(cg_incl $v flash_area_read); f_read=$(cg_incl $f floor_read)
    v_keyh=$(cg_incl $v image_key_hash_alg)
    v_ver=$(cg_incl $v host_rsa_pss_verify); f_ver=$(cg_incl $f rsa_verify)
    reads=$(sed -n 's/.* reads=\([0-9]*\).*/\1/p' "$DATA/$v.out")
    out "Where the RSA-2048 difference goes (inclusive Ir, same profiles):"
    out ""
    out "| part | dfuboot | floor | difference |"
    out "|---|---:|---:|---:|"
    out "| SHA-256 updates, compression included (dfuboot: through the adapter, $CHUNK B per call, plus the key hash; floor: 1 KiB per call) | $(num "$v_upd") | $(num "$f_upd") | $(num $((v_upd - f_upd))) |"
    out "| flash reads (dfuboot: $reads flash_area_read calls: bounds checks, sim driver, copy; floor: 476 copies of 1 KiB) | $(num "$v_read") | $(num "$f_read") | $(num $((v_read - f_read))) |"
    out "| signature verify (key parse + verify) | $(num "$v_ver") | $(num "$f_ver") | $(num $((v_ver - f_ver))) |"
    out "| the rest (dfuboot: loop, header and TLV walk, key hash finish; floor: loop, digest compare) | $(num $((V[$a] - v_upd - v_read - v_ver))) | $(num $((F[$a] - f_upd - f_ver - f_read))) | $(num $((V[$a] - v_upd - v_read - v_ver - F[$a] + f_upd + f_ver + f_read))) |"
    out "| total | $(num "${V[$a]}") | $(num "${F[$a]}") | $(num $((V[$a] - F[$a]))) |"
    out ""
    out "The KEYHASH check (SHA-256 of the 270-byte built-in key) is $(num "$v_keyh") Ir of the dfuboot total."
    out ""

    # Read chunk variants: the same image_validate.c, only the chunk buffer
    # size differs (bench/CMakeLists.txt).
    out "Read chunk of image_validate (image/image_validate.c built with -DIMAGE_VALIDATE_CHUNK=n; floor unchanged, 1 KiB):"
    out ""
    out "| chunk | flash reads | stack for the chunk | Ir | ratio to floor |"
    out "|---:|---:|---:|---:|---:|"
    for alg in rsa2048; do
        local c prog ir rd
        for c in 128 512 1024 4096; do
            prog=bench_validate_chunk$c
            have $prog || continue
            ir=$(cg "validate-$alg-c$c" image_validate "$BIN/$prog" "$DATA/$alg.img" "$DATA/$alg.der" $alg)
            rd=$(sed -n 's/.* reads=\([0-9]*\).*/\1/p' "$DATA/validate-$alg-c$c.out")
            out "| $c$([ "$c" = "$CHUNK" ] && echo ' (as built)') | $rd | $c B | $(num "$ir") | $(ratio "$ir" "${F[$alg]}") |"
            result "validate_ratio_chunk${c}_$alg" "$(ratio "$ir" "${F[$alg]}")"
        done
    done
    out ""
}

# ------------------------------------------------------ 1. flash per upgrade
section_flash() {
    out "## 1. Flash cost per upgrade (simulated flash counters, deterministic)"
    out ""
    if ! have bench_boot_flash; then out "missing program bench_boot_flash (boot/ not built)"; out ""; return; fi
    out "Real boot_go() + image_validate() (hash only) on a simulated nRF52840 flash (4 KiB sectors, 85 ms erase,"
    out "41 us per word); both images N sectors; counted from the request to the settled state (application"
    out "request, every boot, the confirmation). Trailer writes: writes of <= 32 bytes (trailer fields, status entries)."
    out ""
    out "MCUboot column: erase formulas for same-size images derived from MCUboot's swap code (constants of this script, not measured)."
    out ""
    out "| N | write align | flow | boots | erases | goal | worst sector erases | bytes programmed | trailer writes | data writes | simulated time | MCUboot offset / move / scratch erases (formula) |"
    out "|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---|"
    local n a line f e goal limit verdict mc
    for n in 16 64 110; do
        for a in 4 8; do
            "$BIN/bench_boot_flash" $n $a >"$DATA/flash-$n-$a.out" || { out "| $n | $a | bench_boot_flash failed | | | | | | | | | |"; continue; }
            collect "$DATA/flash-$n-$a.out"
            grep -v '^result: ' "$DATA/flash-$n-$a.out" | while read -r line; do
                f=$(kv "$line" flow)
                e=$(kv "$line" erases)
                if [ "$f" = "TEST+revert" ]; then
                    limit=$((3 * n + 4)); goal="<= 3N+4 = $limit"; mc="$((4 * n + 4)) / - / -"
                else
                    limit=$((2 * n + 2)); goal="<= 2N+2 = $limit"; mc="$((2 * n + 2)) / $((3 * n + 2)) / $((3 * n + 3))"
                fi
                [ "$f" = "TEST+confirm" ] && goal="<= 2N+2 = $limit"
                verdict=met; [ "$e" -le "$limit" ] || verdict="missed by $((e - limit))"
                out "| $n | $a | $f | $(kv "$line" boots) | $e | $goal ($verdict) | $(kv "$line" worst_sector_erases) | $(num "$(kv "$line" bytes)") | $(kv "$line" trailer_writes) | $(kv "$line" data_writes) | $(s_of "$(kv "$line" sim_ms)") s | $mc |"
            done
        done
    done
    out ""
}

# ------------------------------------ 1b. swaps of images of different sizes
# MCUboot's swap-using-offset erases for a TEST swap, from its swap_run()
# and boot_swap_sectors() (bootutil/src/swap_offset.c): for idx = 0 ..
# ceil(max size / S) - 1, step 0 (erase secondary idx, copy primary idx) is
# skipped when idx > the old image's used sectors, step 1 (erase primary
# idx, copy secondary idx+1) when idx > the new image's; plus one trailer
# scramble in each slot. used = ceil((header + body + protected TLVs) / S).
mcuboot_offset_erases() {
    local old=$1 new=$2 max=$1
    [ "$2" -gt "$max" ] && max=$2
    echo $(( (max < old + 1 ? max : old + 1) + (max < new + 1 ? max : new + 1) + 2 ))
}

section_sizes() {
    out "## 1b. Swaps of images of different sizes: erases of a TEST swap, dfuboot vs MCUboot swap-using-offset"
    out ""
    if ! have bench_boot_flash; then out "missing program bench_boot_flash"; out ""; return; fi
    anchor mcuboot_offset_erases_old10_new4 17 "MCUboot's own bootutil (swap-using-offset) run on the same simulated flash, measured once"
    anchor mcuboot_offset_erases_old10_new116 129 "same measurement, 116-sector update over a 10-sector image"
    out "Same board as section 1 (4 KiB sectors, write block 4); images of n sectors are n x 4 KiB less 64 bytes."
    out "MCUboot's erases come from its cost model (bench.sh: mcuboot_offset_erases, derived from swap_offset.c);"
    out "the model gives $(mcuboot_offset_erases 10 4) and $(mcuboot_offset_erases 10 116) for the two pairs measured with MCUboot's own bootutil (17 and 129, constants)."
    out ""
    out "| old image (sectors) | update (sectors) | dfuboot erases | MCUboot offset erases (model) | ratio | goal <= 1.0 |"
    out "|---:|---:|---:|---:|---:|---|"
    local o n e m r worst=0 worst_pair=""
    for o in 1 4 10 32 64 116; do
        for n in 1 4 10 32 64 116; do
            "$BIN/bench_boot_flash" pair $o $n 4 >"$DATA/pair-$o-$n.out" 2>&1 || { out "| $o | $n | FAILED (see $DATA/pair-$o-$n.out) | | | |"; continue; }
            collect "$DATA/pair-$o-$n.out"
            e=$(sed -n 's/.* erases=\([0-9]*\).*/\1/p' "$DATA/pair-$o-$n.out" | head -1)
            m=$(mcuboot_offset_erases $o $n)
            r=$(ratio "$e" "$m")
            result "swap_erases_mcuboot_old${o}_new${n}" "$m"
            out "| $o | $n | $e | $m | $r | $(awk -v r="$r" 'BEGIN { print (r <= 1.0) ? "met" : "missed" }') |"
            if awk -v r="$r" -v w="$worst" 'BEGIN { exit !(r > w) }'; then worst=$r; worst_pair="$o -> $n"; fi
        done
    done
    out ""
    out "Worst pair: $worst_pair sectors, $worst x MCUboot's erases (goal <= 1.0: $(awk -v r="$worst" 'BEGIN { print (r <= 1.0) ? "met" : "missed" }'))."
    out ""
    result swap_erases_vs_mcuboot_max_ratio "$worst"
}

# ------------------------------------------------ 1c. the whole update
section_update() {
    out "## 1c. The whole update of a 400 KiB image (nRF52840 flash model, deterministic)"
    out ""
    if ! have bench_boot_flash; then out "missing program bench_boot_flash"; out ""; return; fi
    "$BIN/bench_boot_flash" update >"$DATA/update.out" 2>&1 || { out "FAILED (see $DATA/update.out)"; out ""; return; }
    collect "$DATA/update.out"
    out "bench_boot_flash update: the running image A and the image the last update left in the secondary are 400 KiB;"
    out "the real boot_preerase_step(), stream writer (4 KiB blocks, as the DFU class), boot_go() and confirmation."
    out "Flash time only (85 ms per 4 KiB erase, 41 us per word; reads are not timed by the model): the USB transfer"
    out "overlaps it (section 2's model)."
    out ""
    out "| phase | erases | bytes programmed | flash time |"
    out "|---|---:|---:|---:|"
    local line
    grep '^phase=' "$DATA/update.out" | while read -r line; do
        out "| $(printf '%s\n' "$line" | sed 's/.* what=//') | $(kv "$line" erases) | $(num "$(kv "$line" bytes)") | $(s_of "$(kv "$line" sim_ms)") s |"
    done
    local r fl
    r=$(sed -n 's/^result: download_preerased_ratio //p' "$DATA/update.out")
    fl=$(sed -n 's/^result: download_write_only_floor_ms //p' "$DATA/update.out")
    out ""
    out "Download on the pre-erased slot: $r x the write-only floor ($(s_of "$fl") s; goal <= 1.05x: $(awk -v r="$r" 'BEGIN { print (r <= 1.05) ? "met" : "missed" }'))."
    out ""
}

# ------------------------------------------- 1d. the power-loss sweep
# The test's full sweep (boot/tests/test_boot_powerloss.c), timed: it is
# part of `make test` since it snapshots by fork instead of replaying.
section_powerloss() {
    local t=$BUILD/tests/test_boot_powerloss
    out "## 1d. Power-loss sweep (boot/tests/test_boot_powerloss, part of make test)"
    out ""
    if [ ! -x "$t" ]; then out "missing $t (make build)"; out ""; return; fi
    local full sample
    full=$( { TIMEFORMAT='%R %U %S'; time "$t" >"$DATA/powerloss-full.out" 2>"$DATA/powerloss-full.err"; } 2>&1 ) ||
        { out "the full sweep FAILED (see $DATA/powerloss-full.err)"; out ""; return; }
    sample=$( { TIMEFORMAT='%R %U %S'; time env DFUBOOT_SWEEP=sample "$t" >"$DATA/powerloss-sample.out" 2>&1; } 2>&1 ) || true
    collect "$DATA/powerloss-full.out"
    local pts; pts=$(sed -n 's/^result: powerloss_full_points //p' "$DATA/powerloss-full.out")
    local fw fc sw sc
    set -- $full; fw=$1; fc=$(awk -v u="$2" -v s="$3" 'BEGIN { printf "%.1f", u + s }')
    set -- $sample; sw=$1; sc=$(awk -v u="$2" -v s="$3" 'BEGIN { printf "%.1f", u + s }')
    out "| sweep | points (cuts tried) | wall time | CPU time (user + sys) |"
    out "|---|---:|---:|---:|"
    out "| full (the default, every operation, clean and torn, 10 second cuts after each) | $(num "$pts") | $fw s | $fc s |"
    out "| sampled (DFUBOOT_SWEEP=sample, what make test ran before) | $(num "$(sed -n 's/^interruption points tried: \([0-9]*\).*/\1/p' "$DATA/powerloss-sample.out")") | $sw s | $sc s |"
    out ""
    local ncpu; ncpu=$(nproc)
    out "Goal: the full sweep adds at most 20 s to make test on this $ncpu-CPU machine: it adds $(awk -v a="$fw" -v b="$sw" 'BEGIN { printf "%.1f", a - b }') s of wall"
    out "time here (full - sampled, both measured now, machine shared), $(awk -v a="$fc" -v b="$sc" -v n="$ncpu" 'BEGIN { printf "%.1f", (a - b) / n }') s on $ncpu idle CPUs ((CPU full - CPU sampled) / $ncpu)."
    out ""
    result powerloss_full_wall_s "$fw"
    result powerloss_full_cpu_s "$fc"
    result powerloss_sample_wall_s "$sw"
    result powerloss_added_wall_s "$(awk -v a="$fw" -v b="$sw" 'BEGIN { printf "%.1f", a - b }')"
}

# ------------------------------------------------------------ 2. download

section_dfu() {
    out "## 2. Download: 400 KiB into slot1 of a simulated nRF52840 (model, deterministic)"
    out ""
    if ! have bench_dfu_model; then out "missing program bench_dfu_model (make build)"; out ""; return; fi
    "$BIN/bench_dfu_model" 400 >"$DATA/dfu-model.out"
    collect "$DATA/dfu-model.out"
    anchor zephyr_legacy_dfu_400k_s_max 44 "Zephyr's legacy DFU class (128 B blocks, 8 ms fixed poll), 400 KiB: published range 36-44 s"
    anchor zephyr_new_dfu_400k_s_max 19.8 "Zephyr's new DFU class (512 B blocks, 10 ms fixed poll), 400 KiB: published range 15.5-19.8 s"
    local floor l1 l2 x
    floor=$(kv "$(grep '^floor' "$DATA/dfu-model.out")" ms)
    out "USB 2.0 full-speed control transfers: 45 B overhead per transfer, 13 B per extra 64-byte packet,"
    out "at most 19 packets per 1 ms frame, host latency 1 ms / 0.125 ms per transfer; dfu-util's loop"
    out "(DNLOAD, GETSTATUS until dfuDNLOAD-IDLE, sleeping bwPollTimeout). Flash time from the simulated flash's clock."
    out ""
    out "| device | block (wTransferSize) x buffers | bwPollTimeout | requests | flash erases (worst sector) | bytes programmed | USB time (1 ms lat.) | host sleeps | flash time | total, 1 ms lat. | total, 0.125 ms lat. | x floor | goal <= 1.01x (issue 13) | anchor |"
    out "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    for xb in "1024 2" "4096 2" "2048 2" "512 2" "128 2" "4096 1" "1024 1"; do
        set -- $xb
        local x=$1 b=$2
        l1=$(grep "^device xfer=$x buffers=$b lat=1.000" "$DATA/dfu-model.out")
        l2=$(grep "^device xfer=$x buffers=$b lat=0.125" "$DATA/dfu-model.out")
        local verdict="-" label="dfuboot, $x B x $b (option)"
        if [ "$x $b" = "1024 2" ]; then
            label="**dfuboot (the DFU sample's config)**"
            verdict=$(awk -v a="$(kv "$l1" ratio)" 'BEGIN { print (a <= 1.01) ? "met" : "missed" }')
        fi
        out "| $label | $x x $b | as needed | $(kv "$l1" transfers) | $(kv "$l1" erases) ($(kv "$l1" worst_sector_erases)) | $(num "$(kv "$l1" bytes)") | $(s_of "$(kv "$l1" usb_ms)") s | $(s_of "$(kv "$l1" sleep_ms)") s | $(s_of "$(kv "$l1" flash_ms)") s | $(s_of "$(kv "$l1" total_ms)") s | $(s_of "$(kv "$l2" total_ms)") s | $(kv "$l1" ratio) / $(kv "$l2" ratio) | $verdict | |"
    done
    for x in "128 8 36-44" "512 10 15.5-19.8"; do
        set -- $x
        l1=$(grep "^policy block=$1 poll=$2 lat=1.000" "$DATA/dfu-model.out")
        l2=$(grep "^policy block=$1 poll=$2 lat=0.125" "$DATA/dfu-model.out")
        out "| model check: fixed $1 B / $2 ms policy ($([ $1 = 128 ] && echo "Zephyr legacy" || echo "Zephyr new") class) | $1 | $2 ms fixed | $(kv "$l1" transfers) | 100 (1) | 409,600 | $(s_of "$(kv "$l1" usb_ms)") s | $(s_of "$(kv "$l1" sleep_ms)") s | 12.70 s | $(s_of "$(kv "$l1" total_ms)") s | $(s_of "$(kv "$l2" total_ms)") s | $(ratio "$(kv "$l1" total_ms)" "$floor") / $(ratio "$(kv "$l2" total_ms)" "$floor") | - | $3 s |"
    done
    out "| flash-only floor (100 erases + 102,400 words) | | | | 100 | 409,600 | | | $(s_of "$floor") s | $(s_of "$floor") s | $(s_of "$floor") s | 1 | | 12.70 s |"
    out ""
    if command -v valgrind >/dev/null; then
        local ir sim
        cg dfu-1024 'dev_*' "$BIN/bench_dfu_model" 400 1024 2 >"$DATA/dfu-1024.ir"
        ir=$(cat "$DATA/dfu-1024.ir")
        sim=$(($(cg_incl dfu-1024 sim_write) + $(cg_incl dfu-1024 sim_erase) + $(cg_incl dfu-1024 sim_read)))
        out "Device-side instructions for this download (callgrind, host x86-64, the sample's 1024 B x 2 buffers; events and dfu_task): $(num "$ir") Ir in all = $(num $((ir / 400))) Ir/KiB,"
        out "of which the simulated flash driver (NOR checks, counters) $(num "$sim") Ir; USB core + DFU class + stream writer + flash layer: $(num $(((ir - sim) / 400))) Ir/KiB."
        out ""
    fi
}

# ------------------------------------------------------------ 4. footprint
M4_CFLAGS="-mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections"
M4_LDFLAGS="-mcpu=cortex-m4 -mthumb -Os --specs=nano.specs --specs=nosys.specs -nostartfiles -Wl,--gc-sections -Wl,-e,bench_root"

# m4_link NAME OBJ_OR_LIB...: links from bench_root, writes NAME.map/.elf and
# NAME.sizes (mapsize.py: object text data bss rodata).
m4_link() {
    local name=$1
    shift
    arm-none-eabi-gcc $M4_LDFLAGS -Wl,-Map,"$FP/$name.map" -o "$FP/$name.elf" "$@" &&
        python3 "$ROOT/bench/footprint/mapsize.py" "$FP/$name.map" >"$FP/$name.sizes"
}
# m4_sum NAME REGEX [COLUMN]: sum of a column (2 text, 3 data, 4 bss, 5 rodata)
# over the objects whose name matches REGEX.
m4_sum() { awk -v re="$2" -v c="${3:-2}" '$1 ~ re { s += $c } END { print s + 0 }' "$FP/$1.sizes"; }
m4_ram() { echo $(($(m4_sum "$1" "$2" 3) + $(m4_sum "$1" "$2" 4))); }

# The mbedTLS sources of the installed libmbedtls-dev version, from Debian's
# source package (apt-get source with a private deb-src list, no change to
# the system's apt configuration), or from $MBEDTLS_SRC.
# apt_debian_src: a deb-src line for the system's own Debian archive, taken
# from its apt configuration (one-line .list files and deb822 .sources
# files): the first entry whose suite is a release (no -updates/-security)
# and that has the main component.
apt_debian_src() {
    python3 - /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources <<'PY'
import sys
entries = []
for path in sys.argv[1:]:
    try:
        text = open(path).read()
    except OSError:
        continue
    if path.endswith(".sources"):
        for para in text.split("\n\n"):
            f = {}
            for line in para.splitlines():
                if line.startswith("#") or ":" not in line:
                    continue
                k, v = line.split(":", 1)
                f[k.strip().lower()] = v.split()
            if "deb" in f.get("types", []) or "deb-src" in f.get("types", []):
                if f.get("enabled", ["yes"])[0].lower() == "no":
                    continue
                for uri in f.get("uris", []):
                    for suite in f.get("suites", []):
                        entries.append((uri, suite, f.get("components", [])))
    else:
        for line in text.splitlines():
            w = line.split("#", 1)[0].split()
            if w and w[0] in ("deb", "deb-src"):
                w = [x for x in w[1:] if not x.startswith("[")] if "[" not in line else line.split("]", 1)[1].split()
                if len(w) >= 3:
                    entries.append((w[0], w[1], w[2:]))
for uri, suite, comps in entries:
    if "-" not in suite and "/" not in suite and "main" in comps:
        print("deb-src %s %s main" % (uri, suite))
        break
PY
}

fetch_mbedtls() {
    local dir=$BUILD/bench/mbedtls-src ver apt
    if [ -n "${MBEDTLS_SRC:-}" ] && [ -f "$MBEDTLS_SRC/library/rsa.c" ]; then echo "$MBEDTLS_SRC"; return; fi
    for d in "$dir"/*/; do [ -f "$d/library/rsa.c" ] && { echo "${d%/}"; return; }; done
    ver=$(dpkg-query -W -f '${Version}' libmbedtls-dev 2>/dev/null) || return 1
    apt=$BUILD/bench/apt
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dir"
    apt_debian_src >"$apt/sources.list" && [ -s "$apt/sources.list" ] || return 1
    local opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o Debug::NoLocking=1)
    (cd "$dir" && timeout 300 apt-get "${opts[@]}" update >/dev/null 2>&1 &&
        timeout 300 apt-get "${opts[@]}" source --download-only "mbedtls=$ver" >/dev/null 2>&1) || return 1
    tar -C "$dir" -xzf "$dir"/mbedtls_*.orig.tar.gz || return 1
    for d in "$dir"/*/; do [ -f "$d/library/rsa.c" ] && { echo "${d%/}"; return; }; done
    return 1
}

# The build options of common/config.h measured as real builds: the
# portable core cross-built by CMake with the options (one build directory
# each), the adapter and the root compiled with the same definitions.
# NAME|what|cmake options
FP_VARIANTS=(
    "as-built|all algorithms, MCUboot's info lines, failure reasons (the defaults)|"
    "rsa|RSA-2048 only, no log, no failure reasons|-DDFUBOOT_SIG_ECDSA_P256=OFF -DDFUBOOT_SIG_ECDSA_P384=OFF -DDFUBOOT_SIG_ED25519=OFF -DDFUBOOT_LOG_LEVEL=0 -DDFUBOOT_FAIL_REASONS=OFF"
    "rsa-errors|RSA-2048 only, error lines, no failure reasons|-DDFUBOOT_SIG_ECDSA_P256=OFF -DDFUBOOT_SIG_ECDSA_P384=OFF -DDFUBOOT_SIG_ED25519=OFF -DDFUBOOT_LOG_LEVEL=1 -DDFUBOOT_FAIL_REASONS=OFF"
    "rsa-info|RSA-2048 only, MCUboot's info lines, failure reasons|-DDFUBOOT_SIG_ECDSA_P256=OFF -DDFUBOOT_SIG_ECDSA_P384=OFF -DDFUBOOT_SIG_ED25519=OFF -DDFUBOOT_LOG_LEVEL=3 -DDFUBOOT_FAIL_REASONS=ON"
    "ecdsa|ECDSA P-256 only, no log, no failure reasons|-DDFUBOOT_SIG_RSA=OFF -DDFUBOOT_SIG_ECDSA_P384=OFF -DDFUBOOT_SIG_ED25519=OFF -DDFUBOOT_LOG_LEVEL=0 -DDFUBOOT_FAIL_REASONS=OFF"
    "ed25519|Ed25519 only, no log, no failure reasons|-DDFUBOOT_SIG_RSA=OFF -DDFUBOOT_SIG_ECDSA_P256=OFF -DDFUBOOT_SIG_ECDSA_P384=OFF -DDFUBOOT_LOG_LEVEL=0 -DDFUBOOT_FAIL_REASONS=OFF"
    "all|all algorithms, no log, no failure reasons|-DDFUBOOT_LOG_LEVEL=0 -DDFUBOOT_FAIL_REASONS=OFF"
)

# fp_core NAME OPTIONS...: configures and builds the core for Cortex-M4 with
# the options (GCC call-graph files beside the objects); prints its -D flags.
fp_core() {
    local name=$1 dir=$FP/builds/$1
    shift
    mkdir -p "$dir"
    cmake -S "$ROOT" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/arm-none-eabi.cmake" \
        -DCMAKE_C_FLAGS="$M4_CFLAGS -fcallgraph-info=su" "$@" >"$dir/build.log" 2>&1 &&
        cmake --build "$dir" -j"${BENCH_JOBS:-2}" --target dfuboot_core >>"$dir/build.log" 2>&1 || return 1
    sed -n 's/^C_DEFINES = //p' "$dir/CMakeFiles/dfuboot_core.dir/flags.make"
}

# mbed_lib KIND DIR DEFS...: mbedTLS built with bench/footprint/mbedtls_config_m4.h
# and the build's -D flags, for the target (KIND m4) or the host (KIND host,
# for the heap figure), as DIR/libmbedcrypto.a.
mbed_lib() {
    local kind=$1 dir=$2 f i=0
    shift 2
    mkdir -p "$dir/obj"
    local cflags=(-Os -I"$src/include" -I"$ROOT/bench/footprint" -I"$ROOT" '-DMBEDTLS_CONFIG_FILE="mbedtls_config_m4.h"' "$@")
    local cc=cc ar=ar
    [ "$kind" = m4 ] && { cc=arm-none-eabi-gcc; ar=arm-none-eabi-ar; cflags=($M4_CFLAGS -fcallgraph-info=su "${cflags[@]}"); }
    for f in "$src"/library/*.c; do
        (cd "$dir/obj" && $cc "${cflags[@]}" -c "$f" -o "$(basename "$f" .c).o" 2>>"$dir/build.log") &
        i=$((i + 1))
        [ $((i % ${BENCH_JOBS:-2})) = 0 ] && wait
    done
    wait
    [ -f "$dir/obj/sha256.o" ] && [ -f "$dir/obj/bignum.o" ] || return 1
    rm -f "$dir/libmbedcrypto.a" && $ar rcs "$dir/libmbedcrypto.a" "$dir"/obj/*.o
}

# The objects counted as "boot logic" in a bootloader link.
BOOT_LOGIC_RE=':(boot|boot_trailer|boot_image|image|image_validate)\.c'

section_footprint() {
    FP=$BUILD/bench/footprint
    local cc="arm-none-eabi-gcc $M4_CFLAGS -std=c11 -I$ROOT"
    out "## 4. Footprint: Cortex-M4, -Os -ffunction-sections -fdata-sections, linked with --gc-sections (deterministic)"
    out ""
    if ! command -v arm-none-eabi-gcc >/dev/null; then
        out "missing arm-none-eabi-gcc (make bootstrap)"; out ""; return
    fi
    rm -rf "$FP" && mkdir -p "$FP/builds"
    anchor mcuboot_boot_logic_text_bytes 6034 "MCUboot 2d4bacc swap-using-offset + RSA-2048, Cortex-M4 -Os, bootutil without crypto library, measured once the same way (map per object); includes its RSA-PSS key parsing and decoding"
    anchor mcuboot_rsa_glue_text_bytes 476 "the part of the 6,034 B above that is RSA-PSS key parsing and decoding (image_rsa.c), same measurement"
    anchor mcuboot_bootloader_rsa_text_bytes 14570 "whole MCUboot RSA-only bootloader with its mbedTLS, same measurement"
    anchor mcuboot_bss_bytes 3444 "MCUboot's static RAM in that build (bss)"
    anchor tinyusb_dfu_text_bytes 4492 "TinyUSB device core + DFU class, Cortex-M4 -Os, gc-sections, measured once the same way"
    anchor tinyusb_dfu_bss_bytes 4454 "TinyUSB's static RAM in that build (its 4,096 B transfer buffer included)"
    out "Each figure is a link rooted at the entry points (bench/footprint/*.c: bench_root calls them; the controller,"
    out "flash driver, crypto stubs and log sink there are not counted); sizes per object from the linker map"
    out "(text = .text + .rodata, as arm-none-eabi-size counts it). newlib-nano memcpy/memset/memcmp are listed apart."
    out ""

    # USB core + DFU class (default options: the USB code has none).
    local lib
    fp_core as-built >"$FP/defs-as-built" || { out "core cross build failed (see $FP/builds/as-built/build.log)"; out ""; return; }
    lib=$FP/builds/as-built/lib/libdfuboot_core.a
    $cc -c "$ROOT/bench/footprint/usb_dfu.c" -o "$FP/usb_dfu.o"
    m4_link usb_dfu "$FP/usb_dfu.o" "$lib"
    local usbd dfu usb_flash usb_libc ram_usb ram_dfu
    usbd=$(m4_sum usb_dfu ':usbd\.c'); dfu=$(m4_sum usb_dfu ':dfu\.c')
    usb_flash=$(m4_sum usb_dfu ':(flash_dev|flash_map|stream_writer|layouts)\.c')
    usb_libc=$(m4_sum usb_dfu '^libc')
    ram_usb=$((16#$(arm-none-eabi-nm -S "$FP/usb_dfu.elf" | awk '$4 == "bench_usb" { print $2 }')))
    ram_dfu=$((16#$(arm-none-eabi-nm -S "$FP/usb_dfu.elf" | awk '$4 == "bench_dfu" { print $2 }')))
    local ram_buf=0
    arm-none-eabi-nm -S "$FP/usb_dfu.elf" | grep -q ' bench_dfu_buffers$' &&
        ram_buf=$((16#$(arm-none-eabi-nm -S "$FP/usb_dfu.elf" | awk '$4 == "bench_dfu_buffers" { print $2 }')))
    local usb_ram=$((ram_usb + ram_dfu + ram_buf + $(m4_ram usb_dfu ':(usbd|dfu)\.c')))
    out "| component | text | of which .rodata | RAM | goal | anchor (constant) |"
    out "|---|---:|---:|---:|---|---|"
    out "| **USB device core + DFU class**: usbd.c ($(num $usbd)) + dfu.c ($(num $dfu)) | $(num $((usbd + dfu))) | $(num $(m4_sum usb_dfu ':(usbd|dfu)\.c' 5)) | $(num $usb_ram): the caller's objects struct usb_device $(num "$ram_usb") + struct dfu $(num "$ram_dfu") + block buffers $(num "$ram_buf"), plus $(m4_ram usb_dfu ':(usbd|dfu)\.c') B static | text <= 3,600 ($([ $((usbd + dfu)) -le 3600 ] && echo met || echo "missed by $((usbd + dfu - 3600)) B")); RAM <= 4,454 ($([ $usb_ram -le 4454 ] && echo met || echo "missed by $((usb_ram - 4454)) B")) | TinyUSB device core + DFU: 4,492 text, 4,454 bss |"
    out "| flash path DFU downloads through (stream_writer.c, flash_map.c, flash_dev.c) | $(num $usb_flash) | | | | (TinyUSB's DFU class leaves flash to the application) |"
    out "| newlib-nano memcpy/memmove/memset (USB link) | $(num $usb_libc) | | | | |"
    out ""
    result footprint_usb_dfu_text_bytes $((usbd + dfu))
    result footprint_usb_dfu_caller_ram_bytes $usb_ram
    # the names issue 13 asked for: the same two figures
    result usb_dfu_text_bytes $((usbd + dfu))
    result usb_dfu_caller_ram_bytes $usb_ram

    # mbedTLS sources; the library is built per configuration (mbed_lib).
    local src have_mbed=1
    if ! src=$(fetch_mbedtls); then
        have_mbed=0
        out "mbedTLS sources unavailable (apt-get source mbedtls failed; set MBEDTLS_SRC=/path/to/mbedtls-2.28): builds without crypto only."
        out ""
    fi
    [ $have_mbed = 1 ] && [ -x "$BUILD/bin/dfuimg" ] && make_signed_images

    out "Bootloader builds (CMake options of common/config.h; each a real build of the core in $FP/builds/NAME):"
    out ""
    out "| build | options | boot logic | + signature glue (crypto adapter) | = boot logic with glue | whole bootloader with mbedTLS | static RAM | worst-case stack | crypto heap | RAM total |"
    out "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    local v name what opts defs
    local -A LOGIC GLUE WHOLE RAMT STK HEAP
    for v in "${FP_VARIANTS[@]}"; do
        IFS='|' read -r name what opts <<<"$v"
        if [ "$name" != as-built ]; then
            # shellcheck disable=SC2086
            fp_core "$name" $opts >"$FP/defs-$name" || { out "| $name | build failed (see $FP/builds/$name/build.log) | | | | | | | | |"; continue; }
        fi
        defs=$(cat "$FP/defs-$name")
        lib=$FP/builds/$name/lib/libdfuboot_core.a
        mkdir -p "$FP/$name"
        # shellcheck disable=SC2086
        $cc $defs -c "$ROOT/bench/footprint/boot_root.c" -o "$FP/$name/boot_root.o"
        m4_link "boot-$name" "$FP/$name/boot_root.o" "$lib" 2>>"$FP/$name/link.log" ||
            { out "| $name | link failed (see $FP/$name/link.log) | | | | | | | | |"; continue; }
        LOGIC[$name]=$(m4_sum "boot-$name" "$BOOT_LOGIC_RE")
        result "footprint_${name//-/_}_boot_logic_text_bytes" "${LOGIC[$name]}"
        if [ $have_mbed = 0 ]; then
            out "| $name | $what | $(num ${LOGIC[$name]}) | | | | | | | |"
            continue
        fi
        # shellcheck disable=SC2086
        mbed_lib m4 "$FP/$name/mbedtls" $defs ||
            { out "| $name | $what | $(num ${LOGIC[$name]}) | mbedTLS cross build failed (see $FP/$name/mbedtls/build.log) | | | | | | |"; continue; }
        # shellcheck disable=SC2086
        (cd "$FP/$name" && $cc $defs -fcallgraph-info=su -I"$src/include" -I"$ROOT/bench/footprint" -I"$ROOT/bench/footprint/sodium_stub" \
            '-DMBEDTLS_CONFIG_FILE="mbedtls_config_m4.h"' -c "$ROOT/crypto/crypto_host.c" -o crypto_host.o &&
            $cc $defs -fcallgraph-info=su -DBENCH_CRYPTO -c "$ROOT/bench/footprint/boot_root.c" -o boot_root_crypto.o)
        m4_link "bl-$name" "$FP/$name/boot_root_crypto.o" "$FP/$name/crypto_host.o" "$lib" "$FP/$name/mbedtls/libmbedcrypto.a" \
            2>>"$FP/$name/link.log" || { out "| $name | $what | $(num ${LOGIC[$name]}) | link with mbedTLS failed (see $FP/$name/link.log) | | | | | | |"; continue; }
        local logic glue whole sram
        logic=$(m4_sum "bl-$name" "$BOOT_LOGIC_RE"); glue=$(m4_sum "bl-$name" '^crypto_host')
        whole=$(($(arm-none-eabi-size "$FP/bl-$name.elf" | awk 'NR == 2 { print $1 }') - $(m4_sum "bl-$name" '^boot_root')))
        sram=$(($(m4_ram "bl-$name" '.') - $(m4_ram "bl-$name" '^boot_root')))
        # Worst-case stack from bench_root (the bootloader's main) down.
        python3 "$ROOT/bench/footprint/stack.py" bench_root \
            --indirect '[ :](hash_range|image_hash_compute|image_key_hash|hash_finish_after|hash_tlv|find_key|hasher_[a-z]+)(\.[a-z]+\.[0-9]+)?$=(^|:)host_sha(256|512)_' \
            --indirect '[ :](verify_sig|image_validate|validate_image)(\.[a-z]+\.[0-9]+)?$=(^|:)host_' \
            --indirect 'flash_dev\.c:=(^|:)drv_' --indirect 'boot\.c:=(^|:)(boot_image_validate|vlog|jump)$' \
            --indirect 'pk\.c:=_wrap$' --never mbedtls_rsa_private \
            $(find "$FP/builds/$name" -name '*.ci') "$FP/$name"/*.ci "$FP/$name"/mbedtls/obj/*.ci >"$FP/stack-$name.txt"
        STK[$name]=$(awk '/^stack / { print $2 }' "$FP/stack-$name.txt")
        # Heap of the signature check (host build of the same sources).
        local alg="" h=0
        case $name in rsa*|as-built|all) alg=rsa2048 ;; ecdsa) alg=ecdsa-p256 ;; esac
        if [ -n "$alg" ] && [ -f "$DATA/$alg.img" ] && mbed_lib host "$FP/$name/mbedtls-host" $defs; then
            # shellcheck disable=SC2086
            cc -Os -std=c11 -I"$ROOT" $defs -I"$src/include" -I"$ROOT/bench/footprint" -I"$ROOT/bench/footprint/sodium_stub" \
                '-DMBEDTLS_CONFIG_FILE="mbedtls_config_m4.h"' -Wl,--wrap=calloc,--wrap=free \
                "$ROOT/bench/footprint/heap_sig.c" "$ROOT/crypto/crypto_host.c" "$ROOT/bench/footprint/sodium_stub/stub.c" \
                "$FP/$name/mbedtls-host/libmbedcrypto.a" "$BUILD/lib/libdfuboot_core.a" -o "$FP/$name/heap_sig" 2>>"$FP/$name/heap.log" &&
                "$FP/$name/heap_sig" "$DATA/$alg.img" "$DATA/$alg.der" $alg >"$FP/$name/heap.out" 2>>"$FP/$name/heap.log" &&
                h=$(sed -n 's/^heap_peak=\([0-9]*\) blocks=\([0-9]*\).*/\1 \2/p' "$FP/$name/heap.out" | awk '{ print $1 + 8 * $2 }')
        fi
        HEAP[$name]=$h
        LOGIC[$name]=$logic; GLUE[$name]=$glue; WHOLE[$name]=$whole
        RAMT[$name]=$((sram + STK[$name] + h))
        local hs="${h}"; [ -n "$alg" ] || hs="not measured (libsodium not cross-built)"
        out "| $name | $what | $(num $logic) | $(num $glue) | $(num $((logic + glue))) | $(num $whole) | $(num $sram) | $(num ${STK[$name]}) | $(num $hs) | $(num ${RAMT[$name]}) |"
        local k=${name//-/_}
        result "footprint_${k}_sig_glue_text_bytes" "$glue"
        result "footprint_${k}_bootloader_text_bytes" "$whole"
        result "footprint_${k}_static_ram_bytes" "$sram"
        result "footprint_${k}_stack_bytes" "${STK[$name]}"
        [ -n "$alg" ] && result "footprint_${k}_heap_bytes" "$h"
        result "footprint_${k}_ram_bytes" "${RAMT[$name]}"
    done
    out ""
    out "Boot logic = boot.c, boot_trailer.c, boot_image.c, image.c, image_validate.c as linked (the flash layer is not in it);"
    out "signature glue = crypto/crypto_host.c (SHA-256 calls, key parsing, the verify calls); whole bootloader = the link"
    out "(boot logic, flash layer, adapter, mbedTLS, newlib-nano incl. malloc, libgcc) less the root's stubs. Stack: the deepest"
    out "call chain from bench_root (GCC -fcallgraph-info=su over the core, the adapter and mbedTLS; calls through the ops"
    out "structs resolved to every possible target; newlib/libgcc frames not included; mbedtls_rsa_private is linked, because
the PSS verify takes a mode argument, but never runs: the adapter passes MBEDTLS_RSA_PUBLIC). Heap: peak bytes mbedTLS requests in one"
    out "signature check (host build of the same sources and configuration) + 8 B per live block (newlib's malloc header)."
    out "Ed25519: libsodium is not cross-built, so only its glue is counted (the library is stubbed)."
    out ""
    if [ -n "${WHOLE[rsa]:-}" ]; then
        local lg=$((LOGIC[rsa] + GLUE[rsa])) wh=${WHOLE[rsa]} rm=${RAMT[rsa]}
        result boot_logic_with_sig_glue_text_bytes $lg
        result bootloader_rsa_only_text_bytes $wh
        result bootloader_ram_bytes $rm
        result boot_logic_with_sig_glue_vs_mcuboot_ratio "$(ratio $lg 6034)"
        out "| goal (RSA-2048 only build, no log, no failure reasons) | result | verdict |"
        out "|---|---:|---|"
        out "| boot logic with its signature glue <= 5,430 B (0.9x MCUboot's 6,034 B) | $(num $lg) ($(ratio $lg 6034)x MCUboot) | $([ $lg -le 5430 ] && echo met || echo "missed by $((lg - 5430)) B") |"
        out "| whole RSA-only bootloader with mbedTLS <= 14,570 B (MCUboot's) | $(num $wh) | $([ $wh -le 14570 ] && echo met || echo "missed by $((wh - 14570)) B") |"
        out "| bootloader RAM (static + worst-case stack + crypto heap) <= 6,144 B | $(num $rm) | $([ $rm -le 6144 ] && echo met || echo "missed by $((rm - 6144)) B") |"
        out ""
        out "Deepest stack path (rsa build): $(sed -n 's/^path //p' "$FP/stack-rsa.txt" | sed "s|$ROOT/||g")."
        out "(frames in bytes; calls through ops structs resolved to every possible target)"
        out "$(grep -h '^unresolved\|^recursion' "$FP/stack-rsa.txt" | tr '\n' ' ')"
        out ""
        out "Largest objects in the rsa link: $(sort -k2 -n -r "$FP/bl-rsa.sizes" | head -8 | awk '{ sub(/^[^:]*:/, "", $1); printf "%s%s %d", sep, $1, $2; sep = ", " }')."
        out ""
    fi
}

# write_results: results.json from the collected lines. A run of some
# sections only updates their keys in an existing file.
write_results() {
    local json=$BUILD/bench/results.json
    if [ -s "$ANCHORS" ]; then
        out "## Anchors that are constants (not measured by this run)"
        out ""
        out "| key | value | source |"
        out "|---|---:|---|"
        while IFS=$'\t' read -r k v src; do out "| anchor_$k | $v | $src |"; done <"$ANCHORS"
        out ""
    fi
    python3 - "$RESULT_LINES" "$json" "$ROOT/docs/performance.md" "$ALL_SECTIONS" <<'PY'
import json, re, sys
lines, out, doc, full = sys.argv[1:5]
res = {}
if full != "1":
    try:
        res = json.load(open(out))
    except (OSError, ValueError):
        res = {}
bad = 0
for line in open(lines):
    parts = line.split()
    if len(parts) != 3:
        print("results.json: malformed line: " + line.strip(), file=sys.stderr); bad += 1; continue
    key, val = parts[1], parts[2]
    try:
        num = float(val)
    except ValueError:
        print("results.json: not a number: " + line.strip(), file=sys.stderr); bad += 1; continue
    res[key] = int(num) if re.fullmatch(r"-?[0-9]+", val) else num
json.dump(dict(sorted(res.items())), open(out, "w"), indent=1)
# Every key must be documented: a `key` or a `pattern_<N>` in docs/performance.md.
pats = []
for p in re.findall(r"`([a-z0-9_<>]+)`", open(doc).read()):
    pats.append(re.compile("^" + re.sub(r"<[a-z0-9_]+>", "[a-z0-9_]+", p) + "$"))
undoc = [k for k in res if not any(p.match(k) for p in pats)]
for k in undoc:
    print("results.json: key not documented in docs/performance.md: " + k, file=sys.stderr)
print("results.json: %d figures in %s%s" % (len(res), out, "" if not undoc else ", %d undocumented" % len(undoc)))
PY
}

section_silicon() {
    out "## nRF5 port on the emulated chip (qemu-nrf51)"
    out ""
    bash "$ROOT/bench/silicon/bench_silicon.sh" "$BUILD" >"$DATA/silicon.out" || true
    grep -v '^result: ' "$DATA/silicon.out" | tee -a "$RESULTS"
    collect "$DATA/silicon.out"
    out ""
}

out "Host programs built with CMAKE_BUILD_TYPE=${BUILD_TYPE:-?} ($BUILD); $(nproc) CPUs; $(date -u +%Y-%m-%d)."
out ""
for s in $SECTIONS; do
    if declare -F "section_$s" >/dev/null; then
        "section_$s"
    else
        echo "unknown or unavailable section: $s" >&2
    fi
done
write_results
echo "(tables also in $RESULTS)"
