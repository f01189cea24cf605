#include "partitions/compression.h"

#include "io/assert.h"
#include "partitions/endian.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string>

namespace sluice::partitions {
namespace {

constexpr size_t kMinOutputBytes = 4096;
// A zstd context keeps its window buffer between calls; past this it is freed after the call,
// so a thread that once met a large window does not keep it.
constexpr size_t kZstdContextBytesKept = size_t{8} << 20;
// zstd's default window limit for decoding (128 MiB): frames that need more are refused.
constexpr int kZstdWindowLogMax = 27;
// xerial snappy framing (Java clients): magic, int32 version, int32 compatible version.
constexpr unsigned char kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderBytes = 16;

Error corrupt(Compression codec, const std::string& what) {
  return Error(Errc::corruption, std::string(compression_name(codec)) + ": " + what);
}

Error too_large(Compression codec, size_t max_out) {
  return Error(Errc::too_large, std::string(compression_name(codec)) +
                                    ": decompresses to more than " + std::to_string(max_out) +
                                    " bytes");
}

// The output buffer of one call. It grows by doubling up to max_out + 1 bytes: holding one
// byte more than allowed is how a stream that runs past the limit is noticed without guessing.
class Output {
 public:
  Output(std::vector<std::byte>& out, size_t max_out, size_t hint)
      : out_(out), max_out_(max_out), limit_(max_out == SIZE_MAX ? max_out : max_out + 1) {
    // The size left by the previous call is reused as it is: resize() zero-fills only bytes
    // past it (sizing to the capacity would zero-fill a large earlier output again each time).
    out_.resize(std::clamp(std::max(hint, out_.size()), std::min(kMinOutputBytes, limit_), limit_));
  }

  // Free bytes after what was produced, growing the buffer if it is full; empty only past the
  // limit.
  std::span<std::byte> room() {
    if (size_ == out_.size() && size_ < limit_) {
      out_.resize(size_ > limit_ / 2 ? limit_ : std::max(size_ * 2, kMinOutputBytes));
    }
    return std::span(out_).subspan(size_);
  }
  void produced(size_t bytes) {
    SLUICE_ASSERT(bytes <= out_.size() - size_);
    size_ += bytes;
  }
  bool over() const { return size_ > max_out_; }
  size_t finish() {
    SLUICE_ASSERT(!over());
    out_.resize(size_);  // shrinking keeps the capacity for the next call
    return size_;
  }

 private:
  std::vector<std::byte>& out_;
  size_t max_out_;
  size_t limit_;
  size_t size_ = 0;
};

// ---- gzip ----

struct ZlibStream {
  z_stream stream{};
  bool ready = false;
  ~ZlibStream() {
    if (ready) inflateEnd(&stream);
  }
};

Result<size_t> gunzip(std::span<const std::byte> in, size_t max_out, std::vector<std::byte>& out) {
  constexpr auto codec = Compression::gzip;
  thread_local ZlibStream zlib;
  z_stream& z = zlib.stream;
  if (!zlib.ready) {
    // 16 + MAX_WBITS: a gzip header and trailer around the deflate stream.
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return corrupt(codec, "cannot start zlib");
    zlib.ready = true;
  } else if (inflateReset(&z) != Z_OK) {
    return corrupt(codec, "cannot reset zlib");
  }
  if (in.size() > std::numeric_limits<uInt>::max()) return corrupt(codec, "input above 4 GiB");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  Output output(out, max_out, in.size() * 4);
  for (;;) {
    std::span<std::byte> room = output.room();
    if (room.empty()) return too_large(codec, max_out);
    const size_t chunk = std::min<size_t>(room.size(), std::numeric_limits<uInt>::max());
    z.next_out = reinterpret_cast<Bytef*>(room.data());
    z.avail_out = static_cast<uInt>(chunk);
    const int rc = inflate(&z, Z_NO_FLUSH);
    output.produced(chunk - z.avail_out);
    if (output.over()) return too_large(codec, max_out);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      // Concatenated members are one stream (RFC 1952, 2.2); anything else after the end is not.
      if (z.avail_in < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b) {
        return corrupt(codec, std::to_string(z.avail_in) + " bytes after the end of the stream");
      }
      if (inflateReset(&z) != Z_OK) return corrupt(codec, "cannot reset zlib");
      continue;
    }
    if (rc == Z_OK) continue;
    // Z_BUF_ERROR: no progress was possible. With room left, the input ran out early.
    if (rc == Z_BUF_ERROR && z.avail_out == 0) continue;
    if (rc == Z_BUF_ERROR) return corrupt(codec, "truncated stream");
    return corrupt(codec, z.msg != nullptr ? z.msg : "inflate error " + std::to_string(rc));
  }
  return output.finish();
}

// ---- snappy ----

// One raw snappy block appended to `out` at `at`.
Result<size_t> unsnappy_block(std::span<const std::byte> in, size_t max_out,
                              std::vector<std::byte>& out, size_t at) {
  constexpr auto codec = Compression::snappy;
  const auto* p = reinterpret_cast<const char*>(in.data());
  size_t length = 0;
  if (!snappy::GetUncompressedLength(p, in.size(), &length)) {
    return corrupt(codec, "bad block length");
  }
  if (length > max_out - at) return too_large(codec, max_out);
  if (out.size() < at + length) out.resize(at + length);
  if (!snappy::RawUncompress(p, in.size(), reinterpret_cast<char*>(out.data() + at))) {
    return corrupt(codec, "malformed block");
  }
  return at + length;
}

Result<size_t> unsnappy(std::span<const std::byte> in, size_t max_out,
                        std::vector<std::byte>& out) {
  constexpr auto codec = Compression::snappy;
  size_t size = 0;
  if (in.size() < sizeof(kXerialMagic) ||
      std::memcmp(in.data(), kXerialMagic, sizeof(kXerialMagic)) != 0) {
    Result<size_t> raw = unsnappy_block(in, max_out, out, 0);
    if (!raw.ok()) return raw;
    size = *raw;
  } else {
    if (in.size() < kXerialHeaderBytes) return corrupt(codec, "truncated xerial header");
    for (size_t pos = kXerialHeaderBytes; pos < in.size();) {
      if (in.size() - pos < 4) return corrupt(codec, "truncated xerial block length");
      const int32_t length = load_be<int32_t>(in.data() + pos);
      pos += 4;
      if (length < 0 || static_cast<size_t>(length) > in.size() - pos) {
        return corrupt(codec, "xerial block of " + std::to_string(length) + " bytes past the end");
      }
      Result<size_t> block =
          unsnappy_block(in.subspan(pos, static_cast<size_t>(length)), max_out, out, size);
      if (!block.ok()) return block;
      size = *block;
      pos += static_cast<size_t>(length);
    }
  }
  out.resize(size);
  return size;
}

// ---- lz4 ----

struct Lz4Context {
  LZ4F_dctx* context = nullptr;
  ~Lz4Context() { LZ4F_freeDecompressionContext(context); }
};

Result<size_t> unlz4(std::span<const std::byte> in, size_t max_out, std::vector<std::byte>& out) {
  constexpr auto codec = Compression::lz4;
  thread_local Lz4Context lz4;
  if (lz4.context == nullptr) {
    if (LZ4F_isError(LZ4F_createDecompressionContext(&lz4.context, LZ4F_VERSION))) {
      lz4.context = nullptr;
      return corrupt(codec, "cannot create a decompression context");
    }
  } else {
    LZ4F_resetDecompressionContext(lz4.context);  // after an error, a frame may be half read
  }
  Output output(out, max_out, in.size() * 4);
  size_t pos = 0;
  for (;;) {
    std::span<std::byte> room = output.room();
    if (room.empty()) return too_large(codec, max_out);
    size_t produced = room.size();
    size_t consumed = in.size() - pos;
    const size_t hint =
        LZ4F_decompress(lz4.context, room.data(), &produced, in.data() + pos, &consumed, nullptr);
    if (LZ4F_isError(hint)) return corrupt(codec, LZ4F_getErrorName(hint));
    pos += consumed;
    output.produced(produced);
    if (output.over()) return too_large(codec, max_out);
    if (hint == 0) {
      // A frame ended; the context is ready for the next one (concatenated frames).
      if (pos == in.size()) break;
      continue;
    }
    if (produced == 0 && consumed == 0) return corrupt(codec, "truncated frame");
  }
  return output.finish();
}

// ---- zstd ----

struct ZstdContext {
  ZSTD_DCtx* context = nullptr;
  ~ZstdContext() { ZSTD_freeDCtx(context); }
};

Result<size_t> unzstd_stream(ZSTD_DCtx* context, std::span<const std::byte> in, size_t max_out,
                             std::vector<std::byte>& out) {
  constexpr auto codec = Compression::zstd;
  const unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  size_t hint = in.size() * 4;
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    if (declared > max_out) return too_large(codec, max_out);
    hint = static_cast<size_t>(declared) + 1;  // + 1: room to see the frame end at once
  }
  Output output(out, max_out, hint);
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  for (;;) {
    std::span<std::byte> room = output.room();
    if (room.empty()) return too_large(codec, max_out);
    ZSTD_outBuffer buffer{room.data(), room.size(), 0};
    const size_t consumed_before = input.pos;
    const size_t hint_next = ZSTD_decompressStream(context, &buffer, &input);
    if (ZSTD_isError(hint_next)) {
      if (ZSTD_getErrorCode(hint_next) == ZSTD_error_frameParameter_windowTooLarge) {
        return too_large(codec, max_out);
      }
      return corrupt(codec, ZSTD_getErrorName(hint_next));
    }
    output.produced(buffer.pos);
    if (output.over()) return too_large(codec, max_out);
    if (hint_next == 0) {
      // A frame ended; the next one, if any, starts at once (concatenated frames).
      if (input.pos == input.size) break;
      continue;
    }
    if (buffer.pos == 0 && input.pos == consumed_before) return corrupt(codec, "truncated frame");
  }
  return output.finish();
}

Result<size_t> unzstd(std::span<const std::byte> in, size_t max_out, std::vector<std::byte>& out) {
  constexpr auto codec = Compression::zstd;
  thread_local ZstdContext zstd;
  if (zstd.context == nullptr) {
    zstd.context = ZSTD_createDCtx();
    if (zstd.context == nullptr) return corrupt(codec, "cannot create a decompression context");
  }
  ZSTD_DCtx_reset(zstd.context, ZSTD_reset_session_and_parameters);
  // The window a frame may ask for: no larger than the output allows, so that a frame header
  // cannot make the decoder allocate more than max_out for its window, and never above zstd's
  // own default limit.
  const ZSTD_bounds bounds = ZSTD_dParam_getBounds(ZSTD_d_windowLogMax);
  SLUICE_ASSERT(!ZSTD_isError(bounds.error));
  const int wanted = static_cast<int>(std::bit_width(std::max<size_t>(max_out, 2) - 1));
  const int window_log = std::clamp(wanted, bounds.lowerBound, kZstdWindowLogMax);
  const size_t set = ZSTD_DCtx_setParameter(zstd.context, ZSTD_d_windowLogMax, window_log);
  SLUICE_ASSERT_MSG(!ZSTD_isError(set), "zstd refused a window log within its bounds");
  Result<size_t> result = unzstd_stream(zstd.context, in, max_out, out);
  if (ZSTD_sizeof_DCtx(zstd.context) > kZstdContextBytesKept) {
    ZSTD_freeDCtx(zstd.context);
    zstd.context = nullptr;
  }
  return result;
}

}  // namespace

std::string_view compression_name(Compression codec) {
  constexpr std::string_view kNames[] = {"none", "gzip",    "snappy",  "lz4",
                                         "zstd", "codec-5", "codec-6", "codec-7"};
  const auto index = static_cast<size_t>(codec);
  return index < std::size(kNames) ? kNames[index] : std::string_view("codec-unknown");
}

Result<size_t> decompress(Compression codec, std::span<const std::byte> in, size_t max_out,
                          std::vector<std::byte>& out) {
  if (in.empty() && codec != Compression::none && static_cast<int>(codec) <= 4) {
    return corrupt(codec, "empty input");
  }
  switch (codec) {
    case Compression::gzip:
      return gunzip(in, max_out, out);
    case Compression::snappy:
      return unsnappy(in, max_out, out);
    case Compression::lz4:
      return unlz4(in, max_out, out);
    case Compression::zstd:
      return unzstd(in, max_out, out);
    case Compression::none:
      break;
  }
  return Error(Errc::invalid_argument,
               "cannot decompress with codec " + std::string(compression_name(codec)));
}

}  // namespace sluice::partitions
