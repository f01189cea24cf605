// ProducerIds: the counter file's codec, its crash-safe rewrite, and InitProducerId on
// Engine::Impl.
#include "engine/producer_ids.h"

#include "engine/small_file.h"

#include "engine/engine_impl.h"
#include "partitions/crc32c.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <limits>

namespace sluice::engine {
namespace {

constexpr std::string_view kFileName = "producer_ids";
constexpr std::string_view kTempName = "producer_ids.tmp";
constexpr std::string_view kMagic = "sluice-producer-ids";
constexpr int kFormatVersion = 1;
constexpr uint64_t kFileBytesMax = 256;

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

std::string crc_line(std::string_view body) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08" PRIx32, partitions::crc32c(bytes_of(body)));
  return "crc32c " + std::string(hex) + "\n";
}

std::string join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  out += '/';
  out += name;
  return out;
}

// "<key> <number>\n" at the start of `text`; advances past it.
template <typename T>
bool take_number(std::string_view& text, std::string_view key, T* out) {
  const size_t end = text.find('\n');
  if (end == std::string_view::npos) return false;
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end + 1);
  if (line.size() <= key.size() + 1 || line.substr(0, key.size()) != key ||
      line[key.size()] != ' ') {
    return false;
  }
  line.remove_prefix(key.size() + 1);
  auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), *out);
  return ec == std::errc() && ptr == line.data() + line.size();
}

}  // namespace

std::string encode_producer_ids_file(int64_t next) {
  std::string body = std::string(kMagic) + " " + std::to_string(kFormatVersion) + "\n" + "next " +
                     std::to_string(next) + "\n";
  return body + crc_line(body);
}

Result<int64_t> decode_producer_ids_file(std::string_view text, const std::string& path) {
  auto corrupt = [&](std::string_view why) {
    return Error(Errc::corruption, path + ": " + std::string(why));
  };
  std::string_view rest = text;
  int version = 0;
  if (!take_number(rest, kMagic, &version)) return corrupt("not a sluice producer id file");
  if (version != kFormatVersion) {
    return Error(Errc::unsupported, path + ": producer id file format version " +
                                        std::to_string(version) + " (this sluice reads " +
                                        std::to_string(kFormatVersion) + ")");
  }
  int64_t next = -1;
  if (!take_number(rest, "next", &next) || next < 0) return corrupt("bad line: next");
  const std::string_view body = text.substr(0, text.size() - rest.size());
  if (rest != crc_line(body)) return corrupt("checksum mismatch or trailing bytes");
  return next;
}

ProducerIds::ProducerIds(io::FileSystem& fs, std::string data_dir, int64_t block)
    : fs_(fs), data_dir_(std::move(data_dir)), block_(block > 0 ? block : 1) {}

int64_t ProducerIds::reserved_end() const {
  std::lock_guard lock(mutex_);
  return reserved_end_;
}

Result<void> ProducerIds::load() {
  const std::string path = join(data_dir_, kFileName);
  auto present = fs_.exists(path);
  if (!present.ok()) return std::move(present).error();
  int64_t next = 0;
  if (*present) {
    auto text = read_small_file(fs_, path, kFileBytesMax, "a producer_ids file");
    if (!text.ok()) return std::move(text).error();
    auto decoded = decode_producer_ids_file(*text, path);
    if (!decoded.ok()) return std::move(decoded).error();
    next = *decoded;
  }
  // A temporary file is a rewrite that never reached its rename: never needed.
  const std::string temp = join(data_dir_, kTempName);
  auto temp_present = fs_.exists(temp);
  if (temp_present.ok() && *temp_present) (void)fs_.remove_file(temp);
  next_ = reserved_end_ = next;
  loaded_ = true;
  return {};
}

// Makes `end` durable as the file's `next`: only then may ids below it be handed out.
Result<void> ProducerIds::reserve(int64_t end) {
  const std::string temp = join(data_dir_, kTempName);
  const std::string text = encode_producer_ids_file(end);
  SLUICE_TRY(write_file_atomically(fs_, data_dir_, temp, join(data_dir_, kFileName), text));
  reserved_end_ = end;
  return {};
}

Result<ProducerIdAndEpoch> ProducerIds::allocate() {
  std::lock_guard lock(mutex_);
  if (!loaded_) SLUICE_TRY(load());
  if (next_ >= reserved_end_) {
    if (next_ > std::numeric_limits<int64_t>::max() - block_) {
      return Error(Errc::no_space, "producer ids are exhausted");
    }
    SLUICE_TRY(reserve(next_ + block_));
  }
  return ProducerIdAndEpoch{next_++, 0};
}

}  // namespace sluice::engine

namespace sluice {

Result<engine::ProducerIdAndEpoch> Engine::Impl::init_producer_id() {
  // Made at the first call: most engines never see an idempotent producer.
  std::call_once(producer_ids_once, [this] {
    producer_ids = std::make_unique<engine::ProducerIds>(shards[0]->fs(), options.data_dir);
  });
  return producer_ids->allocate();
}

}  // namespace sluice
