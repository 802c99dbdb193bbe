# Firmware for the Nordic nRF5 port (ARMv6-M code: runs on the nRF51's
# Cortex-M0, QEMU's microbit, and the nRF52's Cortex-M4):
#   cmake -S . -B build/qemu-nrf51 -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi-m0.cmake \
#         -DDFUBOOT_FIRMWARE_BOARD=qemu-nrf51 -DDFUBOOT_HOST_DFUIMG=build/bin/dfuimg
# The host build does this itself (cmake/firmware_nrf5.cmake).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m0 -mthumb -Os -ffunction-sections -fdata-sections")
set(DFUBOOT_CROSS ON CACHE BOOL "Build only the portable core library" FORCE)
