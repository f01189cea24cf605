// Kafka's record batch compression codecs: the records section of a batch whose attributes name
// a codec (bits 0-2) is one compressed stream, and decompress() turns it back into the
// uncompressed records that decode_records walks. The log itself never decompresses: it stores
// and serves compressed batches unchanged; readers that need records (queries, consumers,
// queues, the key index, timestamp lookups) decompress.
//
// The wire conventions, as Kafka clients write them:
//   gzip    a gzip stream (RFC 1952); concatenated members are one stream.
//   snappy  either a raw snappy block (librdkafka, kafkajs) or the xerial framing (Java clients):
//           the magic "\x82SNAPPY\0", big-endian int32 version and compatible version, then
//           blocks of a big-endian int32 length and a raw snappy block. The magic tells them apart.
//   lz4     the LZ4 frame format (magic 0x184D2204); concatenated frames are one stream.
//   zstd    zstd frames, streamed (the frame may not state its content size).
//
// The input is untrusted (it comes from the network and from disk): any malformed input is
// Errc::corruption naming the codec, never a crash, and the output is bounded: more than
// `max_out` bytes is Errc::too_large, so a small batch that expands without end (a
// decompression bomb) costs at most max_out bytes of memory.
//
// Thread-safety: decompress may be called from any thread. Each thread keeps one decoder
// context per codec it has used (a few tens of KiB each; a zstd context that grew past 8 MiB for
// a large window is freed after the call), so steady decoding allocates nothing but the output.
#pragma once

#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sluice::partitions {

enum class Compression : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

// "none", "gzip", "snappy", "lz4", "zstd", or "codec-N" for the values 5 to 7 that Kafka
// does not define.
std::string_view compression_name(Compression codec);

// The most bytes a batch's records section may decompress to: 64 MiB, the largest batch the
// log ever reads (segment scans refuse a larger batch_length) and the largest max_event_bytes a
// topic may have. Kafka limits only the compressed size; this bound keeps a hostile batch from
// taking more memory than the largest legitimate one.
inline constexpr size_t kMaxDecompressedBatchBytes = size_t{64} << 20;

// Decompresses `in`, one whole records section compressed with `codec`, into `out` (resized to
// the decompressed size; its earlier contents are dropped, its capacity is reused). Returns the
// decompressed size.
// Errors: invalid_argument for Compression::none or a codec Kafka does not define (5-7);
// corruption for malformed, truncated or trailing input ("gzip: ...", "snappy: ..."); too_large
// when the output would exceed max_out bytes. Empty input is corruption for every codec (a
// compressed stream always has a header).
Result<size_t> decompress(Compression codec, std::span<const std::byte> in, size_t max_out,
                          std::vector<std::byte>& out);

}  // namespace sluice::partitions
