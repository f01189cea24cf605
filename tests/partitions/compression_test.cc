// decompress() and decode_records over compressed batches: round trips for every codec (built
// with the codecs' own compressors, as Kafka clients build them), both snappy framings,
// concatenated streams, truncated, garbled and trailing input, the output bound, empty input,
// and random damage that must never crash.
#include "partitions/compression.h"

#include "partitions/endian.h"
#include "partitions/record_batch.h"
#include "tests/support/compressed_batches.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sluice::partitions {
namespace {

using Bytes = std::vector<std::byte>;
using testing::compress_batch;
using testing::compress_bytes;
using testing::SnappyFraming;

constexpr Compression kCodecs[] = {Compression::gzip, Compression::snappy, Compression::lz4,
                                   Compression::zstd};

std::string name_of(Compression codec) {
  return std::string(compression_name(codec));
}

// Text that compresses but not to nothing: counters and a little noise.
Bytes sample_bytes(size_t size, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  Bytes out;
  out.reserve(size);
  while (out.size() < size) {
    std::string word = "event-" + std::to_string(rng() % 1000) + ";";
    for (char c : word) {
      if (out.size() == size) break;
      out.push_back(static_cast<std::byte>(c));
    }
  }
  return out;
}

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// A batch of `count` records with keys, values and (on every third) headers, and a null key
// and a null value among them.
Bytes many_records(int count, size_t value_bytes) {
  BatchBuilder builder(BatchBuilder::Options{.base_offset = 1000});
  for (int i = 0; i < count; ++i) {
    std::string key = "key-" + std::to_string(i % 50);
    std::string value = "value-" + std::to_string(i);
    value.resize(std::max(value.size(), value_bytes), static_cast<char>('a' + i % 26));
    std::vector<RecordHeader> headers;
    if (i % 3 == 0) {
      headers.push_back({"trace", std::vector<std::byte>{std::byte{1}, std::byte(i % 256)}});
      headers.push_back({"empty", std::nullopt});
    }
    auto key_bytes = std::as_bytes(std::span(key.data(), key.size()));
    auto value_bytes_span = std::as_bytes(std::span(value.data(), value.size()));
    std::optional<std::span<const std::byte>> k = key_bytes;
    std::optional<std::span<const std::byte>> v = value_bytes_span;
    if (i == 7) k = std::nullopt;
    if (i == 8) v = std::nullopt;
    builder.add(k, v, 5000 + i, headers);
  }
  auto bytes = builder.finish();
  return {bytes.begin(), bytes.end()};
}

void expect_same_records(const std::vector<RecordView>& a, const std::vector<RecordView>& b) {
  ASSERT_EQ(a.size(), b.size());
  auto same = [](const std::optional<std::span<const std::byte>>& x,
                 const std::optional<std::span<const std::byte>>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || std::equal(x->begin(), x->end(), y->begin(), y->end());
  };
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].offset, b[i].offset);
    EXPECT_EQ(a[i].timestamp, b[i].timestamp);
    EXPECT_TRUE(same(a[i].key, b[i].key)) << i;
    EXPECT_TRUE(same(a[i].value, b[i].value)) << i;
    ASSERT_EQ(a[i].headers.size(), b[i].headers.size());
    for (size_t h = 0; h < a[i].headers.size(); ++h) {
      EXPECT_EQ(a[i].headers[h].key, b[i].headers[h].key);
      EXPECT_TRUE(same(a[i].headers[h].value, b[i].headers[h].value));
    }
  }
}

TEST(CompressionTest, EveryCodecRoundTrips) {
  for (size_t size : {size_t{1}, size_t{100}, size_t{70000}, size_t{1} << 20}) {
    const Bytes raw = sample_bytes(size);
    for (Compression codec : kCodecs) {
      Bytes out;
      auto n = decompress(codec, compress_bytes(codec, raw), size_t{4} << 20, out);
      ASSERT_TRUE(n.ok()) << name_of(codec) << " " << size << ": " << n.error().to_string();
      EXPECT_EQ(*n, size);
      EXPECT_EQ(out, raw) << name_of(codec) << " " << size;
    }
  }
}

TEST(CompressionTest, SnappyTakesBothFramings) {
  const Bytes raw = sample_bytes(100000);
  for (size_t block : {size_t{1000}, size_t{32768}, size_t{200000}}) {
    Bytes xerial = compress_bytes(Compression::snappy, raw, SnappyFraming::xerial, block);
    ASSERT_EQ(std::to_integer<int>(xerial[0]), 0x82);
    Bytes out;
    auto n = decompress(Compression::snappy, xerial, size_t{1} << 20, out);
    ASSERT_TRUE(n.ok()) << block << ": " << n.error().to_string();
    EXPECT_EQ(out, raw);
  }
  // A xerial stream with its header and no block is empty.
  Bytes header_only = compress_bytes(Compression::snappy, {}, SnappyFraming::xerial);
  ASSERT_EQ(header_only.size(), 16u);
  Bytes out = sample_bytes(10);
  auto n = decompress(Compression::snappy, header_only, 100, out);
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(out.empty());
}

TEST(CompressionTest, ConcatenatedStreamsAreOneStream) {
  const Bytes a = sample_bytes(3000, 1);
  const Bytes b = sample_bytes(5000, 2);
  for (Compression codec : {Compression::gzip, Compression::lz4, Compression::zstd}) {
    Bytes out;
    auto n =
        decompress(codec, concat(compress_bytes(codec, a), compress_bytes(codec, b)), 1 << 20, out);
    ASSERT_TRUE(n.ok()) << name_of(codec) << ": " << n.error().to_string();
    EXPECT_EQ(out, concat(a, b)) << name_of(codec);
  }
}

TEST(CompressionTest, TruncatedInputIsCorruptionNamingTheCodec) {
  const Bytes raw = sample_bytes(50000);
  for (Compression codec : kCodecs) {
    for (auto framing : {SnappyFraming::raw, SnappyFraming::xerial}) {
      if (framing == SnappyFraming::xerial && codec != Compression::snappy) continue;
      const Bytes whole = compress_bytes(codec, raw, framing);
      for (size_t keep : {size_t{1}, size_t{5}, whole.size() / 2, whole.size() - 1}) {
        Bytes out;
        auto n = decompress(codec, std::span(whole).first(keep), 1 << 20, out);
        ASSERT_FALSE(n.ok()) << name_of(codec) << " kept " << keep;
        EXPECT_EQ(n.code(), Errc::corruption) << n.error().to_string();
        EXPECT_EQ(n.error().message().rfind(name_of(codec) + ": ", 0), 0u) << n.error().to_string();
      }
    }
  }
}

TEST(CompressionTest, GarbageAndTrailingBytesAreCorruption) {
  const Bytes garbage = sample_bytes(500, 9);
  const Bytes raw = sample_bytes(2000);
  for (Compression codec : kCodecs) {
    Bytes out;
    auto n = decompress(codec, garbage, 1 << 20, out);
    ASSERT_FALSE(n.ok()) << name_of(codec);
    EXPECT_EQ(n.code(), Errc::corruption) << n.error().to_string();
    // A whole stream, then bytes that are not another one.
    Bytes trailing = concat(compress_bytes(codec, raw), Bytes(7, std::byte{0x41}));
    n = decompress(codec, trailing, 1 << 20, out);
    ASSERT_FALSE(n.ok()) << name_of(codec);
    EXPECT_EQ(n.code(), Errc::corruption) << name_of(codec) << ": " << n.error().to_string();
  }
}

TEST(CompressionTest, OutputAboveTheBoundIsTooLarge) {
  const Bytes zeros(1 << 20, std::byte{0});  // compresses to a few KiB or less
  for (Compression codec : kCodecs) {
    const Bytes bomb = compress_bytes(codec, zeros);
    EXPECT_LT(bomb.size(), zeros.size() / 20) << name_of(codec);
    Bytes out;
    auto n = decompress(codec, bomb, 64 * 1024, out);
    ASSERT_FALSE(n.ok()) << name_of(codec);
    EXPECT_EQ(n.code(), Errc::too_large) << n.error().to_string();
    EXPECT_LE(out.capacity(), size_t{1} << 20) << name_of(codec);
    // Exactly at the bound, and one byte short of it.
    n = decompress(codec, bomb, zeros.size(), out);
    ASSERT_TRUE(n.ok()) << name_of(codec) << ": " << n.error().to_string();
    EXPECT_EQ(out, zeros);
    n = decompress(codec, bomb, zeros.size() - 1, out);
    ASSERT_FALSE(n.ok()) << name_of(codec);
    EXPECT_EQ(n.code(), Errc::too_large) << name_of(codec);
  }
  // xerial snappy too, where the bound is checked block by block.
  Bytes xerial = compress_bytes(Compression::snappy, zeros, SnappyFraming::xerial, 4096);
  Bytes out;
  EXPECT_EQ(decompress(Compression::snappy, xerial, 64 * 1024, out).code(), Errc::too_large);
}

TEST(CompressionTest, EmptyInputAndUnknownCodecs) {
  Bytes out;
  for (Compression codec : kCodecs) {
    auto n = decompress(codec, {}, 100, out);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.code(), Errc::corruption) << name_of(codec);
  }
  const Bytes some = sample_bytes(10);
  EXPECT_EQ(decompress(Compression::none, some, 100, out).code(), Errc::invalid_argument);
  EXPECT_EQ(decompress(static_cast<Compression>(5), some, 100, out).code(), Errc::invalid_argument);
  EXPECT_EQ(compression_name(static_cast<Compression>(7)), "codec-7");
}

// Random damage (flipped bytes, cut ends) to valid streams: the decoder may accept some of
// them (not every codec checksums its content; the batch CRC covers that), but it must answer
// with a value, never crash or overrun (run under ASan).
TEST(CompressionTest, RandomDamageNeverCrashes) {
  std::mt19937 rng(42);
  const Bytes raw = sample_bytes(20000);
  for (Compression codec : kCodecs) {
    for (auto framing : {SnappyFraming::raw, SnappyFraming::xerial}) {
      const Bytes whole = compress_bytes(codec, raw, framing, 4096);
      for (int round = 0; round < 300; ++round) {
        Bytes damaged = whole;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f)
          damaged[rng() % damaged.size()] ^= static_cast<std::byte>(1 + rng() % 255);
        if (rng() % 4 == 0) damaged.resize(rng() % damaged.size());
        Bytes out;
        auto n = decompress(codec, damaged, 30000, out);
        if (n.ok()) {
          EXPECT_EQ(*n, out.size());
          EXPECT_LE(*n, 30000u);
        } else {
          EXPECT_TRUE(n.code() == Errc::corruption || n.code() == Errc::too_large)
              << n.error().to_string();
        }
      }
    }
  }
}

TEST(CompressionTest, CompressedBatchesDecodeToTheSameRecords) {
  for (int count : {1, 3, 500}) {
    const Bytes plain = many_records(count, 100);
    auto expected = decode_records(plain);
    ASSERT_TRUE(expected.ok()) << expected.error().to_string();
    for (Compression codec : kCodecs) {
      for (auto framing : {SnappyFraming::raw, SnappyFraming::xerial}) {
        if (framing == SnappyFraming::xerial && codec != Compression::snappy) continue;
        const Bytes batch = compress_batch(plain, codec, framing);
        ASSERT_TRUE(validate_batch(batch).ok());
        auto header = decode_batch_header(batch);
        ASSERT_EQ(header->compression(), codec);
        EXPECT_EQ(decode_records(batch).code(), Errc::unsupported);
        std::vector<std::byte> scratch;
        auto records = decode_records(batch, scratch);
        ASSERT_TRUE(records.ok()) << name_of(codec) << ": " << records.error().to_string();
        expect_same_records(*records, *expected);
        ASSERT_EQ(records->size(), static_cast<size_t>(count));
        EXPECT_EQ(records->front().offset, 1000);
        EXPECT_EQ(records->back().offset, 1000 + count - 1);
      }
    }
  }
  // The uncompressed batch goes through the same call without touching the scratch buffer.
  const Bytes plain = many_records(10, 10);
  std::vector<std::byte> scratch;
  auto records = decode_records(plain, scratch);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 10u);
  EXPECT_EQ(scratch.capacity(), 0u);
}

TEST(CompressionTest, BadCompressedBatchesAreCorruption) {
  const Bytes plain = many_records(20, 30);
  std::vector<std::byte> scratch;
  for (Compression codec : kCodecs) {
    // A stream that does not decode.
    Bytes garbled = testing::with_records_section(plain, codec, sample_bytes(300, 5));
    auto records = decode_records(garbled, scratch);
    ASSERT_FALSE(records.ok());
    EXPECT_EQ(records.code(), Errc::corruption) << records.error().to_string();
    // A good stream of records that do not add up: one record short of record_count.
    const auto section = std::span(plain).subspan(kBatchHeaderBytes);
    Bytes short_records = testing::with_records_section(
        plain, codec, compress_bytes(codec, section.first(section.size() - 5)));
    records = decode_records(short_records, scratch);
    ASSERT_FALSE(records.ok());
    EXPECT_EQ(records.code(), Errc::corruption) << records.error().to_string();
    // An empty records section.
    records = decode_records(testing::with_records_section(plain, codec, {}), scratch);
    EXPECT_EQ(records.code(), Errc::corruption);
  }
  // A codec Kafka does not define.
  Bytes six = testing::with_records_section(plain, static_cast<Compression>(6), sample_bytes(9));
  EXPECT_EQ(decode_records(six, scratch).code(), Errc::corruption);
}

TEST(CompressionTest, ABatchThatDecompressesPastTheBoundIsTooLarge) {
  // 64 MiB + 1 of records section: a zstd frame of a few KiB.
  const Bytes zeros(kMaxDecompressedBatchBytes + 1, std::byte{0});
  const Bytes plain = many_records(1, 1);
  const Bytes bomb = testing::with_records_section(plain, Compression::zstd,
                                                   compress_bytes(Compression::zstd, zeros));
  EXPECT_LT(bomb.size(), size_t{64} << 10);
  std::vector<std::byte> scratch;
  auto records = decode_records(bomb, scratch);
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.code(), Errc::too_large) << records.error().to_string();
}

}  // namespace
}  // namespace sluice::partitions
