# Inside a firmware cross build (DFUBOOT_FIRMWARE_BOARD set): the board's
# port, its crypto and its programs.
#   DFUBOOT_HOST_DFUIMG         the host build's dfuimg (signs the images)
#   DFUBOOT_IMAGES_DIR          where images go (default <build>/images)
#   DFUBOOT_THIRD_PARTY_DIR     cache of fetched sources (default <build>/third_party)
#   DFUBOOT_MBEDTLS_SOURCE_DIR  an unpacked mbedTLS 2.28 source tree; by default
#                               Debian's source of the host's libmbedtls-dev,
#                               fetched by scripts/fetch-debian-source.sh
if(NOT DFUBOOT_FIRMWARE_BOARD STREQUAL "qemu-nrf51")
  message(FATAL_ERROR "unknown firmware board '${DFUBOOT_FIRMWARE_BOARD}' (known: qemu-nrf51)")
endif()
if(NOT DFUBOOT_IMAGES_DIR)
  set(DFUBOOT_IMAGES_DIR ${CMAKE_BINARY_DIR}/images)
endif()
if(NOT DFUBOOT_THIRD_PARTY_DIR)
  set(DFUBOOT_THIRD_PARTY_DIR ${CMAKE_BINARY_DIR}/third_party)
endif()
if(NOT DFUBOOT_HOST_DFUIMG OR NOT EXISTS "${DFUBOOT_HOST_DFUIMG}")
  message(FATAL_ERROR "DFUBOOT_HOST_DFUIMG must name the host build's dfuimg (bin/dfuimg), found '${DFUBOOT_HOST_DFUIMG}'")
endif()
add_executable(dfuimg IMPORTED)
set_target_properties(dfuimg PROPERTIES IMPORTED_LOCATION ${DFUBOOT_HOST_DFUIMG})

if(NOT DFUBOOT_MBEDTLS_SOURCE_DIR)
  include(${CMAKE_CURRENT_LIST_DIR}/mbedtls_source.cmake)
  dfuboot_mbedtls_source(DFUBOOT_MBEDTLS_SOURCE_DIR ${DFUBOOT_THIRD_PARTY_DIR})
  if(NOT DFUBOOT_MBEDTLS_SOURCE_DIR)
    message(FATAL_ERROR "no mbedTLS source for the target (see the messages above)")
  endif()
endif()
set(DFUBOOT_BOARD_BOOT_SIZE 0xC000)   # nrf52840dk: the mcuboot partition
set(DFUBOOT_BOARD_SLOT_SIZE 0x76000)  # nrf52840dk: slot0/slot1
add_subdirectory(port/nrf5)
add_subdirectory(apps)
# test firmware (request_recovery)
add_subdirectory(tests/silicon/firmware)
# bench firmware (target silicon_bench_firmware, not in the default build)
add_subdirectory(bench/silicon/firmware)
