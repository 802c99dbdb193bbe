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
