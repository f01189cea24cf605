// CRC-32C (Castagnoli), the checksum of Kafka record batches. Uses the SSE4.2 crc32
// instruction when the CPU has it (checked once at start-up) and a portable table-driven
// fallback otherwise. Test vector: crc32c("123456789") == 0xE3069283.
//
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::partitions {

// CRC-32C of `data`.
uint32_t crc32c(std::span<const std::byte> data);
// Continues a CRC: crc32c_extend(crc32c(a), b) == crc32c(a + b).
uint32_t crc32c_extend(uint32_t crc, std::span<const std::byte> data);
// The two implementations, for tests and benchmarks.
uint32_t crc32c_portable(uint32_t crc, std::span<const std::byte> data);
uint32_t crc32c_hardware(uint32_t crc, std::span<const std::byte> data);  // needs SSE4.2
bool crc32c_hardware_available();

}  // namespace sluice::partitions
