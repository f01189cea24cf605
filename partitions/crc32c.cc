#include "partitions/crc32c.h"

#include "io/assert.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define SLUICE_CRC32C_X86 1
#endif

// Both implementations take and return a finished CRC (inverted on the way in and out), so
// crc32c_extend(crc32c(a), b) == crc32c(a + b) holds for either and they can be mixed.

namespace sluice::partitions {
namespace {

// The reflected Castagnoli polynomial.
constexpr uint32_t kPolynomial = 0x82F63B78u;

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes, so eight
// lookups advance the CRC by eight bytes at once.
struct SlicingTables {
  std::array<std::array<uint32_t, 256>, 8> table{};

  constexpr SlicingTables() {
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t crc = b;
      for (int bit = 0; bit < 8; ++bit)
        crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
      table[0][b] = crc;
    }
    for (size_t k = 1; k < 8; ++k) {
      for (size_t b = 0; b < 256; ++b) {
        uint32_t prev = table[k - 1][b];
        table[k][b] = (prev >> 8) ^ table[0][prev & 0xff];
      }
    }
  }
};

constexpr SlicingTables kSlicing;

uint64_t load_le64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

// Advances a raw (not inverted) CRC state one byte at a time.
uint32_t raw_bytes_portable(uint32_t state, const std::byte* p, size_t n) {
  const auto& t0 = kSlicing.table[0];
  for (size_t i = 0; i < n; ++i)
    state = (state >> 8) ^ t0[(state ^ uint32_t(p[i])) & 0xff];
  return state;
}

uint32_t raw_portable(uint32_t state, const std::byte* p, size_t n) {
  const auto& t = kSlicing.table;
  // Byte steps until p is 8-aligned: aligned 8-byte loads are faster on some CPUs.
  size_t head = (8 - (reinterpret_cast<uintptr_t>(p) & 7)) & 7;
  if (head > n) head = n;
  state = raw_bytes_portable(state, p, head);
  p += head;
  n -= head;
  while (n >= 8) {
    uint64_t w = load_le64(p) ^ state;
    state = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^
            t[4][(w >> 24) & 0xff] ^ t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^
            t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
    p += 8;
    n -= 8;
  }
  return raw_bytes_portable(state, p, n);
}

#if SLUICE_CRC32C_X86

// The crc32 instruction has a latency of 3 cycles and a throughput of 1 per cycle, so one
// dependent chain uses a third of the unit. Three independent streams over adjacent blocks
// keep it busy; their CRCs are then joined by "shifting" the earlier ones past the later
// blocks, a linear map on the 32-bit state that a 4x256 table applies in four lookups.
constexpr size_t kLongBlock = 8192;  // per stream: 24 KiB per round for big buffers
constexpr size_t kShortBlock = 256;  // per stream: 768 bytes per round for the rest

// shift[k][b]: the state (b << 8k) advanced over `block` zero bytes.
struct ShiftTable {
  std::array<std::array<uint32_t, 256>, 4> shift{};

  explicit ShiftTable(size_t block) {
    // The map is linear: compute it for the 32 basis vectors, then combine them per byte.
    std::array<uint32_t, 32> basis{};
    for (size_t bit = 0; bit < 32; ++bit) {
      uint32_t state = 1u << bit;
      const auto& t0 = kSlicing.table[0];
      for (size_t i = 0; i < block; ++i)
        state = (state >> 8) ^ t0[state & 0xff];
      basis[bit] = state;
    }
    for (size_t k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t v = 0;
        for (size_t j = 0; j < 8; ++j) {
          if (b & (1u << j)) v ^= basis[8 * k + j];
        }
        shift[k][b] = v;
      }
    }
  }

  uint32_t apply(uint32_t state) const {
    return shift[0][state & 0xff] ^ shift[1][(state >> 8) & 0xff] ^ shift[2][(state >> 16) & 0xff] ^
           shift[3][state >> 24];
  }
};

const ShiftTable& long_shift() {
  static const ShiftTable table(kLongBlock);
  return table;
}

const ShiftTable& short_shift() {
  static const ShiftTable table(kShortBlock);
  return table;
}

__attribute__((target("sse4.2"))) uint64_t crc_u64(uint64_t state, const std::byte* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
  return _mm_crc32_u64(state, w);
}

// Runs rounds of three interleaved streams of `block` bytes each while the input lasts.
__attribute__((target("sse4.2"))) uint32_t raw_hw_interleaved(uint32_t state, const std::byte** pp,
                                                              size_t* pn, size_t block,
                                                              const ShiftTable& table) {
  const std::byte* p = *pp;
  size_t n = *pn;
  while (n >= 3 * block) {
    uint64_t c0 = state, c1 = 0, c2 = 0;
    const std::byte* end = p + block;
    do {
      c0 = crc_u64(c0, p);
      c1 = crc_u64(c1, p + block);
      c2 = crc_u64(c2, p + 2 * block);
      p += 8;
    } while (p < end);
    state = table.apply(static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
    state = table.apply(state) ^ static_cast<uint32_t>(c2);
    p += 2 * block;
    n -= 3 * block;
  }
  *pp = p;
  *pn = n;
  return state;
}

__attribute__((target("sse4.2"))) uint32_t raw_hardware(uint32_t state, const std::byte* p,
                                                        size_t n) {
  size_t head = (8 - (reinterpret_cast<uintptr_t>(p) & 7)) & 7;
  if (head > n) head = n;
  for (size_t i = 0; i < head; ++i)
    state = _mm_crc32_u8(state, uint8_t(p[i]));
  p += head;
  n -= head;
  if (n >= 3 * kLongBlock) state = raw_hw_interleaved(state, &p, &n, kLongBlock, long_shift());
  if (n >= 3 * kShortBlock) {
    state = raw_hw_interleaved(state, &p, &n, kShortBlock, short_shift());
  }
  uint64_t state64 = state;
  for (; n >= 8; n -= 8, p += 8)
    state64 = crc_u64(state64, p);
  state = static_cast<uint32_t>(state64);
  for (size_t i = 0; i < n; ++i)
    state = _mm_crc32_u8(state, uint8_t(p[i]));
  return state;
}

bool detect_hardware() {
  __builtin_cpu_init();  // needed when first called from a static initializer
  return __builtin_cpu_supports("sse4.2");
}

#else

bool detect_hardware() {
  return false;
}

#endif

// Checked once: the answer cannot change while the process runs.
const bool kHardware = detect_hardware();

}  // namespace

bool crc32c_hardware_available() {
  return kHardware;
}

uint32_t crc32c_portable(uint32_t crc, std::span<const std::byte> data) {
  return ~raw_portable(~crc, data.data(), data.size());
}

uint32_t crc32c_hardware(uint32_t crc, std::span<const std::byte> data) {
#if SLUICE_CRC32C_X86
  SLUICE_ASSERT_MSG(kHardware, "crc32c_hardware needs SSE4.2");
  return ~raw_hardware(~crc, data.data(), data.size());
#else
  (void)crc;
  (void)data;
  SLUICE_UNREACHABLE("crc32c_hardware needs SSE4.2");
#endif
}

uint32_t crc32c_extend(uint32_t crc, std::span<const std::byte> data) {
#if SLUICE_CRC32C_X86
  if (kHardware) return ~raw_hardware(~crc, data.data(), data.size());
#endif
  return crc32c_portable(crc, data);
}

uint32_t crc32c(std::span<const std::byte> data) {
  return crc32c_extend(0, data);
}

}  // namespace sluice::partitions
