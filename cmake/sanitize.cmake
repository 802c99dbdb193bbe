# Sanitizer and fuzzing builds, injected without touching the project's
# CMakeLists (the Makefile passes -DCMAKE_PROJECT_INCLUDE=cmake/sanitize.cmake):
#   -DDFUBOOT_SANITIZE=ON  everything with AddressSanitizer + UBSan
#                          (`make test-sanitize`, build/sanitize)
#   -DDFUBOOT_FUZZ=ON      the same plus libFuzzer coverage instrumentation,
#                          and the fuzz_* targets (`make fuzz`, build/fuzz)
# Both need clang.
option(DFUBOOT_SANITIZE "Build with ASan + UBSan" OFF)
option(DFUBOOT_FUZZ "Build libFuzzer targets (clang only)" OFF)

if(DFUBOOT_SANITIZE OR DFUBOOT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "sanitizer and fuzz builds need clang (CC=clang)")
  endif()
  set(san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  if(DFUBOOT_FUZZ)
    list(APPEND san -fsanitize=fuzzer-no-link)
  endif()
  add_compile_options(${san} -g)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
  if(DFUBOOT_SANITIZE AND NOT DFUBOOT_FUZZ)
    # The virtual board runs firmware from the bytes of its flash partitions
    # (48 KiB boot partition, 472 KiB slots on the nRF52840 DK layout). A
    # statically linked sanitizer runtime adds about 1.1 MiB to every
    # program; with the shared runtime an instrumented bootloader or
    # application stays small enough for the seed's layout. The runtime is
    # found through an absolute rpath, so programs also run from a memfd.
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-runtime-dir
                    OUTPUT_VARIABLE san_rt_dir OUTPUT_STRIP_TRAILING_WHITESPACE)
    add_link_options(-shared-libsan "LINKER:-rpath,${san_rt_dir}")
  endif()
endif()

# Firmware (the programs the virtual board runs from the bytes of its flash
# partitions: apps/* and tests/vboard's probe) does not fit the seed's
# nRF52840 DK partitions when instrumented (the bootloader is about 400 KiB
# instead of under 48 KiB; see docs/security.md). The sanitizer build makes
# it for the larger `vboard-asan` layout (flash/layouts.c: 1 MiB boot
# partition, 6 MiB slots), and `make test-sanitize` runs the seed's story on
# that layout; the other end-to-end tests, written for the nRF52840 DK
# layout, are left out. The fuzz build leaves firmware out altogether.
if(DFUBOOT_SANITIZE AND NOT DFUBOOT_FUZZ)
  set(DFUBOOT_BOARD_BOOT_SIZE 0x100000 CACHE STRING "Boot partition size of the target layout" FORCE)
  set(DFUBOOT_BOARD_SLOT_SIZE 0x600000 CACHE STRING "Slot size of the target layout" FORCE)
  set(DFUBOOT_BOARD_LAYOUT vboard-asan)
endif()
if(DFUBOOT_FUZZ)
  function(_dfuboot_sanitize_exclude_firmware)
    set(dirs ${CMAKE_SOURCE_DIR}/apps ${CMAKE_SOURCE_DIR}/tests/vboard)
    set(excluded "")
    while(dirs)
      list(POP_FRONT dirs d)
      if(NOT EXISTS ${d})
        continue()
      endif()
      get_property(subdirs DIRECTORY ${d} PROPERTY SUBDIRECTORIES)
      list(APPEND dirs ${subdirs})
      get_property(targets DIRECTORY ${d} PROPERTY BUILDSYSTEM_TARGETS)
      foreach(t ${targets})
        get_target_property(type ${t} TYPE)
        if(type STREQUAL "EXECUTABLE" OR type STREQUAL "UTILITY")
          set_target_properties(${t} PROPERTIES EXCLUDE_FROM_ALL TRUE)
          list(APPEND excluded ${t})
        endif()
      endforeach()
    endwhile()
    message(STATUS "fuzz build: firmware not built by default: ${excluded}")
  endfunction()
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _dfuboot_sanitize_exclude_firmware)
endif()
