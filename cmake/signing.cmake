# Build-time image signing and public-key embedding with dfuimg.
#
# Usage (after include(cmake/signing.cmake) in the root CMakeLists.txt):
#
#   dfuboot_sign_image(TARGET app_signed
#                      INPUT  ${CMAKE_BINARY_DIR}/bin/app.bin
#                      OUTPUT ${CMAKE_BINARY_DIR}/bin/app.signed.bin
#                      VERSION 1.2.3+4
#                      [DEPENDS app]            # targets/files producing INPUT
#                      [PAD] [CONFIRM] [TEST]   # --pad / --confirm / --test
#                      [SLOT_SIZE 0x76000] [HEADER_SIZE 0x200] [ALIGN 4]
#                      [SECURITY_COUNTER N|auto] [KEY file.pem] [HASH_ONLY]
#                      [EXTRA_ARGS ...])        # any other dfuimg sign options
#     Adds a custom target TARGET producing OUTPUT with
#     `dfuimg sign -k <key> --header-size H --pad-header --align A --version V
#      --slot-size S [...] INPUT OUTPUT`. HASH_ONLY signs without a key.
#
#   dfuboot_pubkey_source(OUTPUT ${CMAKE_BINARY_DIR}/gen/sign_key.c [KEY file.pem])
#     Generates a C source with the public key of the signing key, as
#     `dfuimg getpub -e lang-c` writes it (`const unsigned char rsa_pub_key[]`,
#     `const unsigned int rsa_pub_key_len`; ecdsa_/ed25519_ for other types).
#     Add OUTPUT to the bootloader's sources.
#
# The key is CONFIG_MCUBOOT_SIGNATURE_KEY_FILE (cache variable, as in Zephyr's
# MCUboot configuration); its default is the development key in keys/, and a
# warning says so. Relative paths are taken from the source tree root.
# Both functions use the dfuimg built in this tree (target `dfuimg`); a
# firmware cross build imports the host build's dfuimg under that name.

set(DFUBOOT_DEV_SIGNATURE_KEY "${CMAKE_SOURCE_DIR}/keys/dev-rsa-2048.pem")
# As MCUBOOT_SIGN_PURE: Ed25519 signatures over the image itself (dfuimg
# sign --pure); the bootloader then checks SHA-512 images.
option(CONFIG_MCUBOOT_SIGN_PURE "Sign and check pure Ed25519 signatures (Ed25519 key only)" OFF)
set(CONFIG_MCUBOOT_SIGNATURE_KEY_FILE "${DFUBOOT_DEV_SIGNATURE_KEY}" CACHE FILEPATH
    "PEM key that signs images (and whose public key the bootloader embeds)")

function(_dfuboot_signing_key out_var key)
  if(NOT key)
    set(key "${CONFIG_MCUBOOT_SIGNATURE_KEY_FILE}")
  endif()
  if(NOT IS_ABSOLUTE "${key}")
    set(key "${CMAKE_SOURCE_DIR}/${key}")
  endif()
  if(NOT EXISTS "${key}")
    message(FATAL_ERROR "signing key ${key} does not exist (CONFIG_MCUBOOT_SIGNATURE_KEY_FILE)")
  endif()
  get_filename_component(dev "${DFUBOOT_DEV_SIGNATURE_KEY}" REALPATH)
  get_filename_component(real "${key}" REALPATH)
  get_property(warned GLOBAL PROPERTY _DFUBOOT_DEV_KEY_WARNED)
  if(real STREQUAL dev AND NOT warned)
    message(WARNING "Images are signed with the development key ${key}. It is public and for "
                    "development only: set CONFIG_MCUBOOT_SIGNATURE_KEY_FILE to your own key for products.")
    set_property(GLOBAL PROPERTY _DFUBOOT_DEV_KEY_WARNED TRUE)
  endif()
  set(${out_var} "${key}" PARENT_SCOPE)
endfunction()

function(dfuboot_sign_image)
  if(DFUBOOT_CROSS AND NOT TARGET dfuimg)
    return()
  endif()
  cmake_parse_arguments(S "PAD;CONFIRM;TEST;HASH_ONLY"
    "TARGET;INPUT;OUTPUT;VERSION;SLOT_SIZE;HEADER_SIZE;ALIGN;SECURITY_COUNTER;KEY" "DEPENDS;EXTRA_ARGS" ${ARGN})
  foreach(req TARGET INPUT OUTPUT VERSION)
    if(NOT S_${req})
      message(FATAL_ERROR "dfuboot_sign_image: ${req} is required")
    endif()
  endforeach()
  if(NOT S_SLOT_SIZE)
    set(S_SLOT_SIZE 0x76000)
  endif()
  if(NOT S_HEADER_SIZE)
    set(S_HEADER_SIZE 0x200)
  endif()
  if(NOT S_ALIGN)
    set(S_ALIGN 4)
  endif()
  set(args --header-size ${S_HEADER_SIZE} --pad-header --align ${S_ALIGN} --version ${S_VERSION}
           --slot-size ${S_SLOT_SIZE})
  set(deps dfuimg ${S_INPUT} ${S_DEPENDS})
  if(NOT S_HASH_ONLY)
    _dfuboot_signing_key(key "${S_KEY}")
    list(PREPEND args -k ${key})
    list(APPEND deps ${key})
  endif()
  if(S_PAD)
    list(APPEND args --pad)
  endif()
  if(S_CONFIRM)
    list(APPEND args --confirm)
  endif()
  if(S_TEST)
    list(APPEND args --test)
  endif()
  if(S_SECURITY_COUNTER)
    list(APPEND args --security-counter ${S_SECURITY_COUNTER})
  endif()
  if(CONFIG_MCUBOOT_SIGN_PURE AND NOT S_HASH_ONLY)
    list(APPEND args --pure)
  endif()
  list(APPEND args ${S_EXTRA_ARGS})
  add_custom_command(OUTPUT ${S_OUTPUT}
    COMMAND $<TARGET_FILE:dfuimg> sign ${args} ${S_INPUT} ${S_OUTPUT}
    DEPENDS ${deps}
    COMMENT "Signing ${S_INPUT} -> ${S_OUTPUT} (version ${S_VERSION})"
    VERBATIM)
  add_custom_target(${S_TARGET} ALL DEPENDS ${S_OUTPUT})
endfunction()

function(dfuboot_pubkey_source)
  if(DFUBOOT_CROSS AND NOT TARGET dfuimg)
    return()
  endif()
  cmake_parse_arguments(P "" "OUTPUT;KEY" "" ${ARGN})
  if(NOT P_OUTPUT)
    message(FATAL_ERROR "dfuboot_pubkey_source: OUTPUT is required")
  endif()
  _dfuboot_signing_key(key "${P_KEY}")
  get_filename_component(dir "${P_OUTPUT}" DIRECTORY)
  add_custom_command(OUTPUT ${P_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND $<TARGET_FILE:dfuimg> getpub -k ${key} -e lang-c -o ${P_OUTPUT}
    DEPENDS dfuimg ${key}
    COMMENT "Public key of ${key} -> ${P_OUTPUT}"
    VERBATIM)
endfunction()

# dfuboot_image_products(NAME FILE [MAX_SIZE bytes] [SIGN] [VERSION x.y.z]):
# what every board's dfuboot_firmware() does with the flash image FILE of
# program NAME once it is linked: the build fails if FILE is larger than
# MAX_SIZE, and with SIGN it is signed for the board's slot
# (DFUBOOT_BOARD_SLOT_SIZE) into DFUBOOT_IMAGES_DIR/NAME.signed.bin (target
# NAME_signed; VERSION default 1.0.0).
function(dfuboot_image_products name file)
  cmake_parse_arguments(P "SIGN" "MAX_SIZE;VERSION" "" ${ARGN})
  if(P_MAX_SIZE)
    add_custom_command(TARGET ${name} POST_BUILD
      COMMAND ${CMAKE_COMMAND} -DFILE=${file} -DMAX_SIZE=${P_MAX_SIZE}
              -P ${CMAKE_SOURCE_DIR}/cmake/check_size.cmake
      VERBATIM)
  endif()
  if(P_SIGN)
    if(NOT P_VERSION)
      set(P_VERSION 1.0.0)
    endif()
    dfuboot_sign_image(TARGET ${name}_signed
                       INPUT ${DFUBOOT_IMAGES_DIR}/${name}.bin
                       OUTPUT ${DFUBOOT_IMAGES_DIR}/${name}.signed.bin
                       VERSION ${P_VERSION}
                       SLOT_SIZE ${DFUBOOT_BOARD_SLOT_SIZE}
                       DEPENDS ${name})
  endif()
endfunction()
