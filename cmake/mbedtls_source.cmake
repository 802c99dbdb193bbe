# dfuboot_mbedtls_source(OUT_VAR CACHE_DIR): the unpacked Debian source of
# the mbedTLS version the host uses (libmbedtls-dev), fetched once into
# CACHE_DIR by scripts/fetch-debian-source.sh. OUT_VAR is empty (with a
# message saying why) when it cannot be had.
function(dfuboot_mbedtls_source out cache)
  set(${out} "" PARENT_SCOPE)
  execute_process(COMMAND dpkg-query -W -f=\${Version} libmbedtls-dev
                  OUTPUT_VARIABLE version RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0 OR version STREQUAL "")
    message(WARNING "libmbedtls-dev is not installed: its version picks the mbedTLS source for the target")
    return()
  endif()
  execute_process(COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/fetch-debian-source.sh mbedtls ${version} ${cache}
                  OUTPUT_VARIABLE dir RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0 OR NOT EXISTS "${dir}/include/mbedtls/version.h")
    message(WARNING "cannot fetch Debian's mbedtls ${version} source into ${cache}")
    return()
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()
