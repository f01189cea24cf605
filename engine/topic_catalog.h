// TopicCatalog: the topics of a data directory, their configs, and where their partitions'
// data lives. Topics survive restarts: each one is a small versioned file,
// <data_dir>/topics/<topic>/topic.conf, written atomically through io::FileSystem (engine/
// FORMAT.md has the layout and the crash-safety argument). Partition p of topic t lives in
// <data_dir>/topics/<t>/<p>/ (partition_dir()).
//
// The file is the commit point. create() makes the partition directories first and then
// renames the file into place; remove() unlinks the file first and then deletes the
// partitions' files. So a crash at any step leaves either a whole topic or a directory
// without topic.conf, which load() (and a later create() of the same name) clears: no data
// of a removed or half-created topic is ever adopted by a new topic of the same name.
//
// Thread-safety: none. A TopicCatalog is a plain object; the engine calls it under its own
// lock (every member, const ones included, while no other thread calls a mutating one).
// Its synchronous FileSystem calls block the calling thread: they belong on cold paths.
#pragma once

#include "io/file_system.h"

#include <sluice/result.h>
#include <sluice/topic.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::engine {

// Who asks for a topic change: names starting with "__" (__consumer_offsets, ...) are
// internal, and only the engine itself may create or remove them.
enum class TopicAccess : uint8_t { user, internal };

inline constexpr int32_t kTopicPartitionsMax = 10000;
inline constexpr uint64_t kTopicSegmentBytesMin = 4ull << 20;
inline constexpr uint64_t kTopicSegmentBytesMax = 2ull << 30;
inline constexpr uint32_t kTopicMaxEventBytesMax = 64u << 20;

bool is_internal_topic(std::string_view name);
// The naming rule of include/sluice/topic.h; Errc::invalid_argument with a message naming
// the problem. An internal name is refused unless access is internal.
Result<void> validate_topic_name(std::string_view name, TopicAccess access);
// The ranges of include/sluice/topic.h; Errc::invalid_argument naming the field.
Result<void> validate_topic_config(const TopicConfig& config);

// The bytes of a topic.conf (FORMAT.md), and back. decode checks the checksum, the layout,
// that the file names `name`, and the config's ranges: Errc::corruption naming `path` when
// one fails, Errc::unsupported for another format version.
std::string encode_topic_file(std::string_view name, const TopicConfig& config);
Result<TopicConfig> decode_topic_file(std::string_view text, std::string_view name,
                                      const std::string& path);

// <data_dir>/topics/<topic> and <data_dir>/topics/<topic>/<partition>.
std::string topic_dir(std::string_view data_dir, std::string_view topic);
std::string partition_dir(std::string_view data_dir, std::string_view topic, int32_t partition);

class TopicCatalog {
 public:
  // Reads every topic of <data_dir>/topics (creating the folder when missing) and clears the
  // leftovers of interrupted creates and removes. Errors: Errc::corruption naming the file
  // (a topic.conf that does not parse, fails its checksum or names another topic),
  // Errc::unsupported (a topic.conf of a newer format version), the I/O errors.
  static Result<TopicCatalog> load(io::FileSystem& fs, std::string data_dir);

  // Makes the topic durable, with one empty directory per partition. Errors:
  // invalid_argument (name, internal name without internal access, config),
  // already_exists, the I/O errors (the topic then does not exist, and nothing of it
  // survives the next load()).
  Result<void> create(std::string_view name, const TopicConfig& config,
                      TopicAccess access = TopicAccess::user);
  // Removes the topic from the catalog durably, then deletes its partitions' files. The
  // caller has closed every file of the topic first. Errors: not_found, invalid_argument (an
  // internal topic without internal access), and the I/O errors of unlinking topic.conf (the
  // topic then still exists) or of syncing its folder (the topic is gone from the catalog,
  // its data stays, and a crash may bring it back whole). Once the removal is durable the
  // call succeeds: files it could not delete are logged and cleared by the next load() or
  // create() of the name.
  Result<void> remove(std::string_view name, TopicAccess access = TopicAccess::user);

  bool contains(std::string_view name) const;
  // Errc::not_found when there is no such topic.
  Result<TopicConfig> get(std::string_view name) const;
  // Every topic name, sorted.
  std::vector<std::string> list() const;
  size_t size() const { return topics_.size(); }

  const std::string& data_dir() const { return data_dir_; }
  std::string partition_dir(std::string_view topic, int32_t partition) const;

 private:
  TopicCatalog(io::FileSystem& fs, std::string data_dir);
  Result<void> read_all();
  // Deletes the files under <data_dir>/topics/<name> (a topic no longer in the catalog).
  Result<void> clear_leftover(const std::string& name);

  io::FileSystem* fs_;
  std::string data_dir_;
  std::map<std::string, TopicConfig, std::less<>> topics_;
};

}  // namespace sluice::engine
