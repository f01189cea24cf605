# Every dependency is a Debian package found on the system; nothing is downloaded.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBURING REQUIRED IMPORTED_TARGET liburing>=2.1)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
find_package(Boost 1.74 REQUIRED)
find_package(Threads REQUIRED)
# Kafka's compression codecs, to decode compressed record batches (partitions/compression.h):
# zlib through CMake's own module, the others through pkg-config like liburing.
find_package(ZLIB REQUIRED)
pkg_check_modules(SNAPPY REQUIRED IMPORTED_TARGET snappy)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4>=1.8)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd>=1.4)
# The server: JSON for the HTTP API, TOML for sluiced's configuration file.
find_package(nlohmann_json 3.10 REQUIRED)
pkg_check_modules(TOMLPLUSPLUS REQUIRED IMPORTED_TARGET tomlplusplus>=3)
if(SLUICE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SLUICE_BUILD_BENCH)
  find_package(benchmark REQUIRED)
  # sluice-bench kafka: a real Kafka client against sluiced.
  pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka>=2.0)
endif()
