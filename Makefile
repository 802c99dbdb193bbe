# Thin wrapper over CMake + ctest. See README.md.
BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all bootstrap build test test-unit cross clang demo bench clean

all: build

bootstrap:
	@bash scripts/bootstrap.sh $(BUILD)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=MinSizeRel $(CMAKE_ARGS)

build: bootstrap $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# Portable core for Cortex-M4 (arm-none-eabi-gcc, -Os): must build warning-free.
cross: bootstrap
	cmake -S . -B $(BUILD)/cortex-m4 -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake >/dev/null
	cmake --build $(BUILD)/cortex-m4 -j$(JOBS)
	arm-none-eabi-size -t $(BUILD)/cortex-m4/lib/libdfuboot_core.a | tail -1

# Everything again with clang (the default build uses the system cc, gcc).
clang: bootstrap
	CC=clang cmake -S . -B $(BUILD)/clang -DCMAKE_BUILD_TYPE=MinSizeRel -DDFUBOOT_FIRMWARE_NRF5=OFF >/dev/null
	cmake --build $(BUILD)/clang -j$(JOBS)

test: build cross clang
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -LE 'e2e|interop|fuzz|slow'

# BOARD=qemu-nrf51: the same story on the emulated nRF51 (docs/port-nrf5.md).
demo: build
	@DFUBOOT_DEMO_BOARD=$(BOARD) bash scripts/demo.sh $(BUILD)

# Benchmark tables (figures, not tests): see docs/performance.md.
bench: build cross
	cmake --build $(BUILD) -j$(JOBS) --target bench_programs
	bash bench/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)

# AddressSanitizer + UBSan (clang): the whole suite in build/sanitize, then
# each fuzz target briefly (FUZZ_TEST_SECONDS) from build/fuzz. See docs/security.md.
FUZZ_SECONDS      ?= 600
FUZZ_TEST_SECONDS ?= 20
SANITIZE_CMAKE = -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PROJECT_INCLUDE=$(CURDIR)/cmake/sanitize.cmake -DDFUBOOT_FIRMWARE_NRF5=OFF

.PHONY: test-sanitize fuzz fuzz-build
test-sanitize: bootstrap
	CC=clang cmake -S . -B $(BUILD)/sanitize $(SANITIZE_CMAKE) -DDFUBOOT_SANITIZE=ON >/dev/null
	cmake --build $(BUILD)/sanitize -j$(JOBS)
	@echo "test-sanitize: the VM tier, test_vboard_cli (nRF52840 DK offsets, probe in the 48 KiB boot partition) and test_e2e_pyusb_dfu (Python cannot load the instrumented libusb replacement without the sanitizer runtime first) are left out"
	cd $(BUILD)/sanitize && ctest --output-on-failure -j$(JOBS) -LE 'fuzz|interop' -E '^(test_vboard_cli|test_e2e_pyusb_dfu)$$'
	CC=clang cmake -S . -B $(BUILD)/fuzz $(SANITIZE_CMAKE) -DDFUBOOT_FUZZ=ON -DDFUBOOT_FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) >/dev/null
	cmake --build $(BUILD)/fuzz -j$(JOBS) --target fuzz_all
	cd $(BUILD)/fuzz && ctest --output-on-failure -j1 -L fuzz

# libFuzzer targets, one after the other, FUZZ_SECONDS each (FUZZ_TARGETS=image ... for some).
fuzz-build: bootstrap
	CC=clang cmake -S . -B $(BUILD)/fuzz $(SANITIZE_CMAKE) -DDFUBOOT_FUZZ=ON >/dev/null
	cmake --build $(BUILD)/fuzz -j$(JOBS) --target fuzz_all

fuzz: fuzz-build
	bash tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)
