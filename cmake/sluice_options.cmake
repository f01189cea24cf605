# Warnings, sanitizers and the helper that declares one layer's library.

# Every sluice target gets the strictest warnings as errors.
add_library(sluice_warnings INTERFACE)
target_compile_options(sluice_warnings INTERFACE -Wall -Wextra -Werror -Wshadow
                       -Wnon-virtual-dtor -Wpedantic -Wno-missing-field-initializers)
# GCC 12 reports false -Wrestrict errors inside std::string's operator+ at -O2 and above
# (GCC bug 105651, fixed in GCC 13).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(sluice_warnings INTERFACE -Wno-restrict)
endif()

if(SLUICE_SANITIZE)
  if(NOT SLUICE_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "SLUICE_SANITIZE must be 'address,undefined' or 'thread', not '${SLUICE_SANITIZE}'")
  endif()
  add_compile_options(-fsanitize=${SLUICE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SLUICE_SANITIZE})
endif()

# sluice_layer(NAME DEPS...) builds the static library sluice_NAME from every .cc in
# the calling folder. Headers of all layers are reached as "io/ring.h",
# "partitions/segment.h", ...: the include root is the project root.
function(sluice_layer name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  add_library(sluice_${name} STATIC ${sources})
  target_include_directories(sluice_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
  target_link_libraries(sluice_${name} PRIVATE sluice_warnings PUBLIC ${ARGN})
endfunction()
