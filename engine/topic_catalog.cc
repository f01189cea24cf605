// TopicCatalog: validation, the topic.conf codec (engine/FORMAT.md) and the crash-safe order
// of create and remove.
#include "engine/topic_catalog.h"

#include "engine/small_file.h"

#include "consumers/names.h"
#include "consumers/queue_policy.h"

#include "io/assert.h"
#include "io/logger.h"
#include "partitions/crc32c.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <utility>

namespace sluice::engine {
namespace {

constexpr std::string_view kTopicsFolder = "topics";
constexpr std::string_view kTopicFile = "topic.conf";
constexpr std::string_view kTopicTempFile = "topic.conf.tmp";
constexpr std::string_view kMagic = "sluice-topic";
// Version 2 added the queue policy lines; version 1 files read with the default policy.
constexpr int kFormatVersion = 2;
constexpr int kFormatVersionWithoutQueue = 1;
// A topic.conf is about 400 bytes plus the name; anything much larger is not one.
constexpr uint64_t kTopicFileBytesMax = 4096;
// Leftover folders are at most topics/<t>/<p>/<files>: a bound on the recursion.
constexpr int kLeftoverDepthMax = 4;

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

std::string join(std::string_view a, std::string_view b) {
  std::string out(a);
  out += '/';
  out += b;
  return out;
}

Error invalid(std::string message) {
  return Error(Errc::invalid_argument, std::move(message));
}

// ---- The topic.conf codec ----

// The shortest decimal text that reads back as the same double ("2", "0.2").
std::string shortest(double value) {
  char text[64];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  SLUICE_ASSERT(ec == std::errc());
  return std::string(text, end);
}

// The lines of the file, in order, without the checksum line.
std::string encode_body(std::string_view name, const TopicConfig& c) {
  std::string out;
  out += std::string(kMagic) + " " + std::to_string(kFormatVersion) + "\n";
  out += "name " + std::string(name) + "\n";
  out += "partitions " + std::to_string(c.partitions) + "\n";
  out += "retention_ms " + std::to_string(c.retention_ms) + "\n";
  out += "retention_bytes " + std::to_string(c.retention_bytes) + "\n";
  out += "segment_bytes " + std::to_string(c.segment_bytes) + "\n";
  out += "segment_ms " + std::to_string(c.segment_ms) + "\n";
  out += "keyed_index " + std::string(c.keyed_index ? "1" : "0") + "\n";
  out += "max_event_bytes " + std::to_string(c.max_event_bytes) + "\n";
  out += "queue_max_deliveries " + std::to_string(c.queue.max_deliveries) + "\n";
  out += "queue_lock_ms " + std::to_string(c.queue.lock_duration.count()) + "\n";
  out += "queue_retry_initial_ms " + std::to_string(c.queue.retry.initial.count()) + "\n";
  out += "queue_retry_multiplier " + shortest(c.queue.retry.multiplier) + "\n";
  out += "queue_retry_maximum_ms " + std::to_string(c.queue.retry.maximum.count()) + "\n";
  out += "queue_retry_jitter " + shortest(c.queue.retry.jitter) + "\n";
  return out;
}

std::string crc_line(std::string_view body) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08" PRIx32, partitions::crc32c(bytes_of(body)));
  return "crc32c " + std::string(hex) + "\n";
}

// Reads "<key> <value>\n" lines one by one, in the order the format fixes.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}

  // The value of the next line, which must be `key`.
  std::optional<std::string_view> value(std::string_view key) {
    size_t end = rest_.find('\n');
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view line = rest_.substr(0, end);
    rest_.remove_prefix(end + 1);
    if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ' ') {
      return std::nullopt;
    }
    return line.substr(key.size() + 1);
  }

  template <typename T>
  bool number(std::string_view key, T* out) {
    auto text = value(key);
    if (!text || text->empty()) return false;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), *out);
    return ec == std::errc() && end == text->data() + text->size();
  }

  bool at_end() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace

std::string encode_topic_file(std::string_view name, const TopicConfig& config) {
  std::string body = encode_body(name, config);
  return body + crc_line(body);
}

Result<TopicConfig> decode_topic_file(std::string_view text, std::string_view name,
                                      const std::string& path) {
  auto corrupt = [&](std::string_view why) {
    return Error(Errc::corruption, path + ": " + std::string(why));
  };
  LineReader header(text);
  int version = 0;
  if (!header.number(kMagic, &version)) return corrupt("not a sluice topic file");
  if (version != kFormatVersion && version != kFormatVersionWithoutQueue) {
    return Error(Errc::unsupported, path + ": topic file format version " +
                                        std::to_string(version) + " (this sluice reads " +
                                        std::to_string(kFormatVersion) + ")");
  }
  // The checksum line is the last one; it covers every byte before it.
  size_t crc_at = text.rfind("crc32c ");
  if (crc_at == std::string_view::npos || (crc_at > 0 && text[crc_at - 1] != '\n')) {
    return corrupt("no checksum line");
  }
  std::string_view body = text.substr(0, crc_at);
  if (text.substr(crc_at) != crc_line(body)) return corrupt("checksum mismatch");

  LineReader lines(body);
  TopicConfig c;
  int keyed = -1;
  (void)lines.value(kMagic);  // checked above
  auto stored_name = lines.value("name");
  if (!stored_name) return corrupt("bad line: name");
  if (!lines.number("partitions", &c.partitions)) return corrupt("bad line: partitions");
  if (!lines.number("retention_ms", &c.retention_ms)) return corrupt("bad line: retention_ms");
  if (!lines.number("retention_bytes", &c.retention_bytes)) {
    return corrupt("bad line: retention_bytes");
  }
  if (!lines.number("segment_bytes", &c.segment_bytes)) return corrupt("bad line: segment_bytes");
  if (!lines.number("segment_ms", &c.segment_ms)) return corrupt("bad line: segment_ms");
  if (!lines.number("keyed_index", &keyed) || (keyed != 0 && keyed != 1)) {
    return corrupt("bad line: keyed_index");
  }
  c.keyed_index = keyed == 1;
  if (!lines.number("max_event_bytes", &c.max_event_bytes)) {
    return corrupt("bad line: max_event_bytes");
  }
  if (version >= 2) {
    int64_t lock_ms = 0;
    int64_t initial_ms = 0;
    int64_t maximum_ms = 0;
    if (!lines.number("queue_max_deliveries", &c.queue.max_deliveries)) {
      return corrupt("bad line: queue_max_deliveries");
    }
    if (!lines.number("queue_lock_ms", &lock_ms)) return corrupt("bad line: queue_lock_ms");
    if (!lines.number("queue_retry_initial_ms", &initial_ms)) {
      return corrupt("bad line: queue_retry_initial_ms");
    }
    if (!lines.number("queue_retry_multiplier", &c.queue.retry.multiplier)) {
      return corrupt("bad line: queue_retry_multiplier");
    }
    if (!lines.number("queue_retry_maximum_ms", &maximum_ms)) {
      return corrupt("bad line: queue_retry_maximum_ms");
    }
    if (!lines.number("queue_retry_jitter", &c.queue.retry.jitter)) {
      return corrupt("bad line: queue_retry_jitter");
    }
    c.queue.lock_duration = std::chrono::milliseconds(lock_ms);
    c.queue.retry.initial = std::chrono::milliseconds(initial_ms);
    c.queue.retry.maximum = std::chrono::milliseconds(maximum_ms);
  }
  if (!lines.at_end()) return corrupt("unexpected lines after the last field");
  if (*stored_name != name) {
    return corrupt("names topic '" + std::string(*stored_name) + "', not '" + std::string(name) +
                   "'");
  }
  auto valid = validate_topic_config(c);
  if (!valid.ok()) return corrupt(valid.error().message());
  return c;
}

// ---- Validation ----

bool is_internal_topic(std::string_view name) {
  return name.starts_with("__");
}

Result<void> validate_topic_name(std::string_view name, TopicAccess access) {
  // The rule itself lives in consumers/names.h, which binds offset records too.
  if (!consumers::valid_topic_name(name)) {
    return invalid("topic name '" + std::string(name) +
                   "' is not 1 to 249 characters of [A-Za-z0-9._-] (nor '.' or '..')");
  }
  if (is_internal_topic(name) && access != TopicAccess::internal) {
    return invalid("topic name '" + std::string(name) + "' is internal (starts with \"__\")");
  }
  return {};
}

Result<void> validate_topic_config(const TopicConfig& c) {
  if (c.partitions < 1 || c.partitions > kTopicPartitionsMax) {
    return invalid("partitions is " + std::to_string(c.partitions) + " (1 to " +
                   std::to_string(kTopicPartitionsMax) + ")");
  }
  if (c.retention_ms != -1 && c.retention_ms <= 0) {
    return invalid("retention_ms is " + std::to_string(c.retention_ms) + " (-1 or above 0)");
  }
  if (c.retention_bytes != -1 && c.retention_bytes <= 0) {
    return invalid("retention_bytes is " + std::to_string(c.retention_bytes) + " (-1 or above 0)");
  }
  if (c.segment_bytes < kTopicSegmentBytesMin || c.segment_bytes > kTopicSegmentBytesMax) {
    return invalid("segment_bytes is " + std::to_string(c.segment_bytes) +
                   " (4 MiB to 2 GiB: 4194304 to 2147483648)");
  }
  if (c.segment_ms <= 0) {
    return invalid("segment_ms is " + std::to_string(c.segment_ms) + " (above 0)");
  }
  if (c.max_event_bytes < 1 || c.max_event_bytes > kTopicMaxEventBytesMax) {
    return invalid("max_event_bytes is " + std::to_string(c.max_event_bytes) +
                   " (1 to 64 MiB: 1 to 67108864)");
  }
  return consumers::validate_queue_policy(c.queue, "queue");
}

std::string topic_dir(std::string_view data_dir, std::string_view topic) {
  return join(join(data_dir, kTopicsFolder), topic);
}

std::string partition_dir(std::string_view data_dir, std::string_view topic, int32_t partition) {
  SLUICE_ASSERT(partition >= 0);
  return join(topic_dir(data_dir, topic), std::to_string(partition));
}

// ---- File helpers ----

namespace {

// Deletes everything under `dir`, depth first: files, then each emptied folder, syncing each
// directory it changed. `dir` itself stays.
Result<void> remove_files_under(io::FileSystem& fs, const std::string& dir, int depth) {
  SLUICE_ASSERT(depth <= kLeftoverDepthMax);
  auto names = fs.list_directory(dir);
  if (!names.ok()) return std::move(names).error();
  bool removed = false;
  for (const std::string& name : *names) {
    std::string path = join(dir, name);
    auto is_dir = fs.is_directory(path);
    if (!is_dir.ok()) return std::move(is_dir).error();
    if (*is_dir) {
      if (depth == kLeftoverDepthMax) {
        return Error(Errc::invalid_argument, path + ": deeper than a topic's folders");
      }
      SLUICE_TRY(remove_files_under(fs, path, depth + 1));
      SLUICE_TRY(fs.remove_directory(path));
    } else {
      SLUICE_TRY(fs.remove_file(path));
    }
    removed = true;
  }
  if (removed) SLUICE_TRY(fs.sync_directory(dir));
  return {};
}

}  // namespace

// ---- TopicCatalog ----

TopicCatalog::TopicCatalog(io::FileSystem& fs, std::string data_dir)
    : fs_(&fs), data_dir_(std::move(data_dir)) {}

Result<TopicCatalog> TopicCatalog::load(io::FileSystem& fs, std::string data_dir) {
  TopicCatalog catalog(fs, std::move(data_dir));
  SLUICE_TRY(fs.create_directories(join(catalog.data_dir_, kTopicsFolder)));
  SLUICE_TRY(catalog.read_all());
  return catalog;
}

Result<void> TopicCatalog::read_all() {
  const std::string root = join(data_dir_, kTopicsFolder);
  auto names = fs_->list_directory(root);
  if (!names.ok()) return std::move(names).error();
  for (const std::string& name : *names) {
    const std::string dir = join(root, name);
    auto is_dir = fs_->is_directory(dir);
    if (!is_dir.ok()) return std::move(is_dir).error();
    // Only folders named as topics are the catalog's; anything else is left alone.
    if (!*is_dir || !validate_topic_name(name, TopicAccess::internal).ok()) {
      log_line(LogLevel::warning, "topic catalog: ignoring " + dir + " (not a topic folder)");
      continue;
    }
    const std::string path = join(dir, kTopicFile);
    auto present = fs_->exists(path);
    if (!present.ok()) return std::move(present).error();
    if (!*present) {
      log_line(LogLevel::info,
               "topic catalog: clearing " + dir + " (left by an interrupted create or remove)");
      SLUICE_TRY(clear_leftover(name));
      continue;
    }
    auto text = read_small_file(*fs_, path, kTopicFileBytesMax, "a topic file");
    if (!text.ok()) return std::move(text).error();
    auto config = decode_topic_file(*text, name, path);
    if (!config.ok()) return std::move(config).error();
    topics_.emplace(name, *config);
    // A temp file beside a committed topic.conf is an unfinished rewrite: never needed.
    const std::string temp = join(dir, kTopicTempFile);
    auto temp_present = fs_->exists(temp);
    if (temp_present.ok() && *temp_present) (void)fs_->remove_file(temp);
  }
  return {};
}

Result<void> TopicCatalog::clear_leftover(const std::string& name) {
  const std::string dir = topic_dir(data_dir_, name);
  auto present = fs_->exists(dir);
  if (!present.ok()) return std::move(present).error();
  if (!*present) return {};
  SLUICE_TRY(remove_files_under(*fs_, dir, 1));
  SLUICE_TRY(fs_->remove_directory(dir));
  return fs_->sync_directory(join(data_dir_, kTopicsFolder));
}

Result<void> TopicCatalog::create(std::string_view name, const TopicConfig& config,
                                  TopicAccess access) {
  SLUICE_TRY(validate_topic_name(name, access));
  SLUICE_TRY(validate_topic_config(config));
  if (contains(name)) {
    return Error(Errc::already_exists, "topic '" + std::string(name) + "' already exists");
  }
  const std::string key(name);
  const std::string dir = topic_dir(data_dir_, name);
  const std::string temp = join(dir, kTopicTempFile);
  const std::string path = join(dir, kTopicFile);
  // Files of an earlier topic of this name whose removal did not finish must not become
  // this topic's data.
  SLUICE_TRY(clear_leftover(key));
  auto made = [&]() -> Result<void> {
    for (int32_t p = 0; p < config.partitions; ++p)
      SLUICE_TRY(fs_->create_directories(engine::partition_dir(data_dir_, name, p)));
    // The folders' entries are durable before the file that makes the topic exist.
    SLUICE_TRY(fs_->sync_directory(dir));
    SLUICE_TRY(fs_->sync_directory(join(data_dir_, kTopicsFolder)));
    return write_file_atomically(*fs_, dir, temp, path, encode_topic_file(name, config));
  }();
  if (!made.ok()) {
    // Whatever got written is a leftover: gone now if possible, else at the next load.
    (void)fs_->remove_file(temp);
    (void)fs_->remove_file(path);
    (void)fs_->sync_directory(dir);
    return made;
  }
  topics_.emplace(key, config);
  return {};
}

Result<void> TopicCatalog::remove(std::string_view name, TopicAccess access) {
  if (is_internal_topic(name) && access != TopicAccess::internal) {
    return invalid("topic '" + std::string(name) + "' is internal and cannot be removed");
  }
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return Error(Errc::not_found, "topic '" + std::string(name) + "' does not exist");
  }
  const std::string key(name);
  const std::string dir = topic_dir(data_dir_, name);
  SLUICE_TRY(fs_->remove_file(join(dir, kTopicFile)));
  topics_.erase(it);
  // Until this sync the removal may not survive a crash, so the data stays: a topic that
  // comes back after a crash comes back whole.
  SLUICE_TRY(fs_->sync_directory(dir));
  auto cleared = clear_leftover(key);
  if (!cleared.ok()) {
    log_line(LogLevel::warning, "topic catalog: removed topic '" + key +
                                    "' but not all its files (the next load clears them): " +
                                    cleared.error().to_string());
  }
  return {};
}

bool TopicCatalog::contains(std::string_view name) const {
  return topics_.find(name) != topics_.end();
}

Result<TopicConfig> TopicCatalog::get(std::string_view name) const {
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return Error(Errc::not_found, "topic '" + std::string(name) + "' does not exist");
  }
  return it->second;
}

std::vector<std::string> TopicCatalog::list() const {
  std::vector<std::string> names;
  names.reserve(topics_.size());
  for (const auto& [name, config] : topics_)
    names.push_back(name);
  return names;
}

std::string TopicCatalog::partition_dir(std::string_view topic, int32_t partition) const {
  return engine::partition_dir(data_dir_, topic, partition);
}

}  // namespace sluice::engine
