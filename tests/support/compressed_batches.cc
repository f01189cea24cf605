#include "tests/support/compressed_batches.h"

#include "io/assert.h"
#include "partitions/endian.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace sluice::testing {
namespace {

using partitions::Compression;

std::vector<std::byte> gzip(std::span<const std::byte> raw) {
  z_stream z{};
  const int started =
      deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  SLUICE_ASSERT(started == Z_OK);
  std::vector<std::byte> out(deflateBound(&z, raw.size()) + 64);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int finished = deflate(&z, Z_FINISH);
  SLUICE_ASSERT(finished == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string snappy_block(std::span<const std::byte> raw) {
  std::string block;
  snappy::Compress(reinterpret_cast<const char*>(raw.data()), raw.size(), &block);
  return block;
}

void append(std::vector<std::byte>& out, const void* data, size_t size) {
  if (size == 0) return;
  // resize and memcpy rather than insert: GCC 12 warns falsely about insert() here.
  const size_t at = out.size();
  out.resize(at + size);
  std::memcpy(out.data() + at, data, size);
}

void append_be32(std::vector<std::byte>& out, int32_t v) {
  std::byte be[4];
  partitions::store_be<int32_t>(be, v);
  append(out, be, 4);
}

std::vector<std::byte> snappy(std::span<const std::byte> raw, SnappyFraming framing,
                              size_t block_bytes) {
  std::vector<std::byte> out;
  if (framing == SnappyFraming::raw) {
    const std::string block = snappy_block(raw);
    append(out, block.data(), block.size());
    return out;
  }
  const unsigned char magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
  append(out, magic, sizeof(magic));
  append_be32(out, 1);  // version
  append_be32(out, 1);  // compatible version
  for (size_t pos = 0; pos < raw.size(); pos += block_bytes) {
    const std::string block =
        snappy_block(raw.subspan(pos, std::min(block_bytes, raw.size() - pos)));
    append_be32(out, static_cast<int32_t>(block.size()));
    append(out, block.data(), block.size());
  }
  return out;
}

std::vector<std::byte> lz4(std::span<const std::byte> raw) {
  std::vector<std::byte> out(LZ4F_compressFrameBound(raw.size(), nullptr));
  const size_t n = LZ4F_compressFrame(out.data(), out.size(), raw.data(), raw.size(), nullptr);
  SLUICE_ASSERT(!LZ4F_isError(n));
  out.resize(n);
  return out;
}

std::vector<std::byte> zstd(std::span<const std::byte> raw) {
  std::vector<std::byte> out(ZSTD_compressBound(raw.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  SLUICE_ASSERT(!ZSTD_isError(n));
  out.resize(n);
  return out;
}

}  // namespace

std::vector<std::byte> compress_bytes(Compression codec, std::span<const std::byte> raw,
                                      SnappyFraming framing, size_t xerial_block_bytes) {
  switch (codec) {
    case Compression::gzip:
      return gzip(raw);
    case Compression::snappy:
      return snappy(raw, framing, xerial_block_bytes);
    case Compression::lz4:
      return lz4(raw);
    case Compression::zstd:
      return zstd(raw);
    case Compression::none:
      break;
  }
  SLUICE_UNREACHABLE("compress_bytes needs a codec");
}

std::vector<std::byte> with_records_section(std::span<const std::byte> batch, Compression codec,
                                            std::span<const std::byte> section) {
  SLUICE_ASSERT(batch.size() >= partitions::kBatchHeaderBytes);
  // Sized first, then copied: GCC 12 warns falsely about insert() after a 61-byte vector.
  std::vector<std::byte> out(partitions::kBatchHeaderBytes + section.size());
  std::memcpy(out.data(), batch.data(), partitions::kBatchHeaderBytes);
  if (!section.empty()) {
    std::memcpy(out.data() + partitions::kBatchHeaderBytes, section.data(), section.size());
  }
  partitions::store_be<int32_t>(out.data() + 8,
                                static_cast<int32_t>(out.size() - partitions::kBatchLogOverhead));
  auto attributes = partitions::load_be<int16_t>(out.data() + partitions::kBatchCrcStart);
  attributes = static_cast<int16_t>((attributes & ~0x7) | static_cast<int16_t>(codec));
  partitions::store_be<int16_t>(out.data() + partitions::kBatchCrcStart, attributes);
  partitions::store_be<uint32_t>(out.data() + partitions::kBatchCrcOffset,
                                 partitions::compute_batch_crc(out));
  return out;
}

std::vector<std::byte> compress_batch(std::span<const std::byte> uncompressed, Compression codec,
                                      SnappyFraming framing) {
  SLUICE_ASSERT(uncompressed.size() >= partitions::kBatchHeaderBytes);
  const auto section = uncompressed.subspan(partitions::kBatchHeaderBytes);
  return with_records_section(uncompressed, codec, compress_bytes(codec, section, framing));
}

}  // namespace sluice::testing
