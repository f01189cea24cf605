# The embeddable library and its installed CMake package.
#
# sluice::sluice is one static library, libsluice.a, made of the objects of the layers an
# embedder needs (engine, consumers, partitions, io). One archive keeps the package small:
# the layer targets, their internal include paths and their build-only dependencies (Boost's
# headers, the warning flags) stay out of the installed interface, which is only
# <prefix>/include (<sluice/...>) and the libraries the objects call: liburing, libxxhash,
# the compression codecs (zlib, snappy, lz4, zstd) and Threads. Inside the tree, sluice::sluice is an ALIAS of the same target.
#
# `cmake --install <build> --prefix P` installs:
#   P/include/sluice/*.h                         the public headers
#   P/lib/libsluice.a                            the library
#   P/lib/cmake/sluice/sluiceConfig.cmake        find_package(sluice) (+ version, targets)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(sluice_package_layers sluice_engine sluice_consumers sluice_partitions sluice_io)

# The target is sluice_library (the CLI executable is already called `sluice`); its file is
# libsluice.a and its exported name sluice::sluice.
add_library(sluice_library STATIC)
foreach(layer ${sluice_package_layers})
  target_sources(sluice_library PRIVATE $<TARGET_OBJECTS:${layer}>)
endforeach()
set_target_properties(sluice_library PROPERTIES OUTPUT_NAME sluice EXPORT_NAME sluice
                      LINKER_LANGUAGE CXX)
target_include_directories(sluice_library INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(sluice_library INTERFACE PkgConfig::LIBURING PkgConfig::XXHASH
                      ZLIB::ZLIB PkgConfig::SNAPPY PkgConfig::LZ4 PkgConfig::ZSTD Threads::Threads)
target_compile_features(sluice_library INTERFACE cxx_std_20)
add_library(sluice::sluice ALIAS sluice_library)

option(SLUICE_INSTALL "Generate the install rules (headers, libsluice.a, CMake package)" ON)
if(SLUICE_INSTALL)
  set(sluice_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/sluice)
  install(TARGETS sluice_library EXPORT sluiceTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sluice
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
  install(EXPORT sluiceTargets NAMESPACE sluice:: DESTINATION ${sluice_cmake_dir})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sluiceConfig.cmake.in
    ${PROJECT_BINARY_DIR}/sluiceConfig.cmake INSTALL_DESTINATION ${sluice_cmake_dir})
  # 0.x: a new minor version may break the API, so only the same major.minor matches.
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/sluiceConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/sluiceConfig.cmake
          ${PROJECT_BINARY_DIR}/sluiceConfigVersion.cmake DESTINATION ${sluice_cmake_dir})
endif()
