# Thin wrapper over CMake + ctest. See README.md.
BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all bootstrap build test test-unit cross clang demo clean

all: build

bootstrap:
	@bash scripts/bootstrap.sh

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
	CC=clang cmake -S . -B $(BUILD)/clang -DCMAKE_BUILD_TYPE=MinSizeRel >/dev/null
	cmake --build $(BUILD)/clang -j$(JOBS)

test: build cross clang
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -LE 'e2e|interop|fuzz|slow'

demo: build
	@bash scripts/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD)
