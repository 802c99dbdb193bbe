# Helpers shared by the layers' CMakeLists.

define_property(GLOBAL PROPERTY DFUBOOT_CORE_SOURCES
  BRIEF_DOCS "Sources of the portable core library"
  FULL_DOCS "Appended by each core layer; built into dfuboot_core.")

# dfuboot_core_sources(file...): adds portable-core sources (no OS calls,
# no malloc) to the dfuboot_core library.
function(dfuboot_core_sources)
  foreach(src ${ARGN})
    get_filename_component(abs ${src} ABSOLUTE)
    set_property(GLOBAL APPEND PROPERTY DFUBOOT_CORE_SOURCES ${abs})
  endforeach()
endfunction()

# Test material outside the repository (vectors, reference digests). Tests
# read it from $DFUBOOT_SHARED_DIR and skip (exit 77) when it is absent.
set(DFUBOOT_SHARED_DIR "${CMAKE_SOURCE_DIR}/../shared" CACHE PATH "Shared test material")

# dfuboot_test(NAME SOURCES src... [LIBS lib...] [LABELS label...] [ARGS arg...]
#              [TIMEOUT seconds]): a plain ctest executable, built into
# build/tests/. A test passes when it exits 0 and is skipped when it exits 77.
function(dfuboot_test name)
  if(DFUBOOT_CROSS)
    return()
  endif()
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} dfuboot_core)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name} ${T_ARGS})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} SKIP_RETURN_CODE 77
    ENVIRONMENT "DFUBOOT_SOURCE_DIR=${CMAKE_SOURCE_DIR};DFUBOOT_BUILD_DIR=${CMAKE_BINARY_DIR};DFUBOOT_SHARED_DIR=${DFUBOOT_SHARED_DIR}")
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()
