# The host build drives the firmware cross build for the nRF5 port (QEMU's
# microbit): a separate CMake configure with cmake/arm-none-eabi-m0.cmake,
# built after dfuimg (which signs the images), into
#   <build>/qemu-nrf51/            the cross build tree
#   <build>/images/qemu-nrf51/     bootloader, dfu, dfu-permanent, hello_world
#                                  (.elf/.bin, applications also .signed.bin)
# DFUBOOT_FIRMWARE_NRF5=OFF leaves it out (the clang and sanitizer builds do;
# it is also off without arm-none-eabi-gcc or without the mbedTLS source).
include(ExternalProject)
find_program(DFUBOOT_ARM_GCC arm-none-eabi-gcc)
if(DFUBOOT_ARM_GCC)
  set(nrf5_default ON)
else()
  set(nrf5_default OFF)
endif()
option(DFUBOOT_FIRMWARE_NRF5 "Cross-build the nRF5 firmware (qemu-nrf51 board)" ${nrf5_default})
set(DFUBOOT_NRF5_IMAGES_DIR ${CMAKE_BINARY_DIR}/images/qemu-nrf51)

if(DFUBOOT_FIRMWARE_NRF5)
  include(${CMAKE_CURRENT_LIST_DIR}/mbedtls_source.cmake)
  dfuboot_mbedtls_source(DFUBOOT_NRF5_MBEDTLS_DIR ${CMAKE_BINARY_DIR}/third_party)
  if(NOT DFUBOOT_NRF5_MBEDTLS_DIR)
    message(WARNING "the nRF5 firmware is not built: no mbedTLS source for the target")
    set(DFUBOOT_FIRMWARE_NRF5 OFF)
  endif()
endif()

if(DFUBOOT_FIRMWARE_NRF5)
  ExternalProject_Add(firmware_nrf5
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/qemu-nrf51
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/arm-none-eabi-m0.cmake
               -DCMAKE_BUILD_TYPE=MinSizeRel
               -DDFUBOOT_FIRMWARE_BOARD=qemu-nrf51
               -DDFUBOOT_HOST_DFUIMG=$<TARGET_FILE:dfuimg>
               -DDFUBOOT_IMAGES_DIR=${DFUBOOT_NRF5_IMAGES_DIR}
               -DDFUBOOT_MBEDTLS_SOURCE_DIR=${DFUBOOT_NRF5_MBEDTLS_DIR}
               -DCONFIG_MCUBOOT_SIGNATURE_KEY_FILE=${CONFIG_MCUBOOT_SIGNATURE_KEY_FILE}
               -Wno-dev
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON
    DEPENDS dfuimg)
endif()
