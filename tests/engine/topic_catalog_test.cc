#include "engine/topic_catalog.h"

#include "io/memory_file_system.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::engine {
namespace {

const std::string kDataDir = "/data";

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

TopicConfig config_with(int32_t partitions) {
  TopicConfig config;
  config.partitions = partitions;
  return config;
}

// Every field away from its default, so that a round trip that dropped one shows.
TopicConfig unusual_config() {
  TopicConfig c;
  c.partitions = 7;
  c.retention_ms = 3600 * 1000;
  c.retention_bytes = 123456789012;
  c.segment_bytes = 2ull << 30;
  c.segment_ms = 60000;
  c.keyed_index = true;
  c.max_event_bytes = 64u << 20;
  c.queue.max_deliveries = 1000;
  c.queue.lock_duration = std::chrono::milliseconds(12ll * 3600 * 1000);
  c.queue.retry.initial = std::chrono::milliseconds(0);
  c.queue.retry.multiplier = 1.5;
  c.queue.retry.maximum = std::chrono::milliseconds(86400000);
  c.queue.retry.jitter = 0.1;
  return c;
}

TopicCatalog load_ok(io::FileSystem& fs) {
  auto catalog = TopicCatalog::load(fs, kDataDir);
  EXPECT_TRUE(catalog.ok()) << catalog.error().to_string();
  return std::move(catalog).value();
}

// A durable file in a partition folder, as a partition log would leave one.
void write_durable(io::MemoryFileSystem& fs, const std::string& path, std::string_view text) {
  auto file = fs.open(path, io::OpenOptions{.create = true, .writable = true});
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  ASSERT_TRUE(fs.write(*file, 0, bytes_of(text)).ok());
  ASSERT_TRUE(fs.datasync(*file).ok());
  ASSERT_TRUE(fs.close(*file).ok());
  ASSERT_TRUE(fs.sync_directory(path.substr(0, path.rfind('/'))).ok());
}

// Every file (not folder) under `dir`, as paths relative to it.
std::vector<std::string> files_under(io::FileSystem& fs, const std::string& dir) {
  std::vector<std::string> out;
  auto names = fs.list_directory(dir);
  if (!names.ok()) return out;
  for (const std::string& name : *names) {
    std::string path = dir + "/" + name;
    if (*fs.is_directory(path)) {
      for (const std::string& inner : files_under(fs, path))
        out.push_back(name + "/" + inner);
    } else {
      out.push_back(name);
    }
  }
  return out;
}

std::string conf_path(std::string_view topic) {
  return topic_dir(kDataDir, topic) + "/topic.conf";
}

// ---- Round trips ----

TEST(TopicCatalogTest, CreateGetListContains) {
  io::MemoryFileSystem fs;
  TopicCatalog catalog = load_ok(fs);
  EXPECT_EQ(catalog.size(), 0u);
  ASSERT_TRUE(catalog.create("orders", unusual_config()).ok());
  ASSERT_TRUE(catalog.create("audit.log-2", config_with(1)).ok());
  EXPECT_EQ(catalog.list(), (std::vector<std::string>{"audit.log-2", "orders"}));
  EXPECT_TRUE(catalog.contains("orders"));
  EXPECT_FALSE(catalog.contains("order"));
  auto got = catalog.get("orders");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, unusual_config());
  EXPECT_EQ(catalog.get("nope").code(), Errc::not_found);
}

TEST(TopicCatalogTest, PartitionFoldersExistAndAreNamedByNumber) {
  io::MemoryFileSystem fs;
  TopicCatalog catalog = load_ok(fs);
  ASSERT_TRUE(catalog.create("orders", config_with(3)).ok());
  EXPECT_EQ(catalog.partition_dir("orders", 2), "/data/topics/orders/2");
  EXPECT_EQ(partition_dir("/d", "t", 0), "/d/topics/t/0");
  for (int32_t p = 0; p < 3; ++p)
    EXPECT_TRUE(*fs.is_directory(catalog.partition_dir("orders", p))) << p;
  EXPECT_FALSE(*fs.exists(catalog.partition_dir("orders", 3)));
  EXPECT_EQ(files_under(fs, topic_dir(kDataDir, "orders")), std::vector<std::string>{"topic.conf"});
}

TEST(TopicCatalogTest, CreateTwiceIsAlreadyExists) {
  io::MemoryFileSystem fs;
  TopicCatalog catalog = load_ok(fs);
  ASSERT_TRUE(catalog.create("orders", config_with(2)).ok());
  auto again = catalog.create("orders", config_with(5));
  EXPECT_EQ(again.code(), Errc::already_exists);
  EXPECT_EQ(catalog.get("orders")->partitions, 2);
}

TEST(TopicCatalogTest, TopicsSurviveRestartAndPowerLoss) {
  io::MemoryFileSystem fs;
  {
    TopicCatalog catalog = load_ok(fs);
    ASSERT_TRUE(catalog.create("orders", unusual_config()).ok());
    ASSERT_TRUE(catalog.create("__consumer_offsets", config_with(50), TopicAccess::internal).ok());
    ASSERT_TRUE(catalog.create("gone", config_with(1)).ok());
    ASSERT_TRUE(catalog.remove("gone").ok());
  }
  TopicCatalog reopened = load_ok(fs);
  EXPECT_EQ(reopened.list(), (std::vector<std::string>{"__consumer_offsets", "orders"}));
  fs.crash();
  TopicCatalog after_crash = load_ok(fs);
  EXPECT_EQ(after_crash.list(), (std::vector<std::string>{"__consumer_offsets", "orders"}));
  EXPECT_EQ(*after_crash.get("orders"), unusual_config());
  EXPECT_EQ(after_crash.get("__consumer_offsets")->partitions, 50);
}

TEST(TopicCatalogTest, RemoveDeletesTheTopicAndItsFiles) {
  io::MemoryFileSystem fs;
  TopicCatalog catalog = load_ok(fs);
  ASSERT_TRUE(catalog.create("orders", config_with(2)).ok());
  write_durable(fs, catalog.partition_dir("orders", 0) + "/00000000000000000000.log", "data");
  write_durable(fs, catalog.partition_dir("orders", 1) + "/00000000000000000000.index", "ix");
  ASSERT_TRUE(catalog.remove("orders").ok());
  EXPECT_FALSE(catalog.contains("orders"));
  EXPECT_TRUE(files_under(fs, topic_dir(kDataDir, "orders")).empty());
  // The folders go too.
  EXPECT_FALSE(*fs.exists(topic_dir(kDataDir, "orders")));
  EXPECT_EQ(catalog.remove("orders").code(), Errc::not_found);
  fs.crash();
  TopicCatalog reopened = load_ok(fs);
  EXPECT_FALSE(reopened.contains("orders"));
  EXPECT_TRUE(files_under(fs, topic_dir(kDataDir, "orders")).empty());
}

TEST(TopicCatalogTest, RecreatedTopicStartsEmpty) {
  io::MemoryFileSystem fs;
  TopicCatalog catalog = load_ok(fs);
  ASSERT_TRUE(catalog.create("orders", config_with(1)).ok());
  write_durable(fs, catalog.partition_dir("orders", 0) + "/00000000000000000000.log", "old");
  ASSERT_TRUE(catalog.remove("orders").ok());
  ASSERT_TRUE(catalog.create("orders", config_with(4)).ok());
  EXPECT_EQ(catalog.get("orders")->partitions, 4);
  EXPECT_EQ(files_under(fs, topic_dir(kDataDir, "orders")), std::vector<std::string>{"topic.conf"});
}

TEST(TopicCatalogTest, InternalTopicsNeedInternalAccess) {
  io::MemoryFileSystem fs;
  TopicCatalog catalog = load_ok(fs);
  auto refused = catalog.create("__consumer_offsets", config_with(1));
  EXPECT_EQ(refused.code(), Errc::invalid_argument);
  EXPECT_NE(refused.error().message().find("internal"), std::string::npos);
  ASSERT_TRUE(catalog.create("__consumer_offsets", config_with(1), TopicAccess::internal).ok());
  EXPECT_EQ(catalog.remove("__consumer_offsets").code(), Errc::invalid_argument);
  EXPECT_TRUE(catalog.contains("__consumer_offsets"));
  EXPECT_TRUE(catalog.remove("__consumer_offsets", TopicAccess::internal).ok());
  EXPECT_FALSE(catalog.contains("__consumer_offsets"));
  // One underscore is an ordinary name.
  EXPECT_TRUE(catalog.create("_private", config_with(1)).ok());
}

// ---- Validation ----

TEST(TopicCatalogTest, EveryBadNameIsInvalidArgument) {
  io::MemoryFileSystem fs;
  TopicCatalog catalog = load_ok(fs);
  std::vector<std::string> bad = {"",
                                  ".",
                                  "..",
                                  std::string(250, 'a'),
                                  "a b",
                                  "a/b",
                                  "a\\b",
                                  "a:b",
                                  "caf\xc3\xa9",
                                  "tab\t",
                                  "new\nline",
                                  std::string("nul\0x", 5),
                                  "a*",
                                  "a+b",
                                  "a,b",
                                  "__user"};
  for (const std::string& name : bad) {
    auto created = catalog.create(name, config_with(1));
    EXPECT_EQ(created.code(), Errc::invalid_argument) << "'" << name << "'";
    EXPECT_NE(created.error().message().find("topic name"), std::string::npos) << name;
  }
  EXPECT_EQ(catalog.size(), 0u);
  EXPECT_TRUE(files_under(fs, kDataDir).empty());
  EXPECT_EQ(*fs.list_directory(kDataDir + "/topics"), std::vector<std::string>{});

  std::vector<std::string> good = {"a",   std::string(249, 'z'), "...", ".a", "a..b",
                                   "-_.", "ABCxyz0189",          "_"};
  for (const std::string& name : good)
    EXPECT_TRUE(catalog.create(name, config_with(1)).ok()) << name;
  EXPECT_EQ(catalog.size(), good.size());
  EXPECT_EQ(load_ok(fs).size(), good.size());
}

TEST(TopicCatalogTest, NameRules) {
  EXPECT_TRUE(validate_topic_name("__x", TopicAccess::internal).ok());
  EXPECT_EQ(validate_topic_name("__x", TopicAccess::user).code(), Errc::invalid_argument);
  EXPECT_EQ(validate_topic_name("..", TopicAccess::internal).code(), Errc::invalid_argument);
  EXPECT_TRUE(is_internal_topic("__consumer_offsets"));
  EXPECT_FALSE(is_internal_topic("_x"));
}

struct BadConfig {
  const char* field;
  void (*spoil)(TopicConfig&);
};

TEST(TopicCatalogTest, EveryBadConfigIsInvalidArgumentNamingTheField) {
  const BadConfig bad[] = {
      {"partitions", [](TopicConfig& c) { c.partitions = 0; }},
      {"partitions", [](TopicConfig& c) { c.partitions = -1; }},
      {"partitions", [](TopicConfig& c) { c.partitions = 10001; }},
      {"retention_ms", [](TopicConfig& c) { c.retention_ms = 0; }},
      {"retention_ms", [](TopicConfig& c) { c.retention_ms = -2; }},
      {"retention_bytes", [](TopicConfig& c) { c.retention_bytes = 0; }},
      {"retention_bytes", [](TopicConfig& c) { c.retention_bytes = -5; }},
      {"segment_bytes", [](TopicConfig& c) { c.segment_bytes = (4ull << 20) - 1; }},
      {"segment_bytes", [](TopicConfig& c) { c.segment_bytes = 0; }},
      {"segment_bytes", [](TopicConfig& c) { c.segment_bytes = (2ull << 30) + 1; }},
      {"segment_ms", [](TopicConfig& c) { c.segment_ms = 0; }},
      {"segment_ms", [](TopicConfig& c) { c.segment_ms = -1; }},
      {"max_event_bytes", [](TopicConfig& c) { c.max_event_bytes = 0; }},
      {"max_event_bytes", [](TopicConfig& c) { c.max_event_bytes = (64u << 20) + 1; }},
  };
  io::MemoryFileSystem fs;
  TopicCatalog catalog = load_ok(fs);
  for (const BadConfig& b : bad) {
    TopicConfig config;
    b.spoil(config);
    auto created = catalog.create("orders", config);
    ASSERT_FALSE(created.ok()) << b.field;
    EXPECT_EQ(created.code(), Errc::invalid_argument) << b.field;
    EXPECT_EQ(created.error().message().rfind(b.field, 0), 0u) << created.error().message();
  }
  EXPECT_EQ(catalog.size(), 0u);
}

TEST(TopicCatalogTest, ConfigBoundsAreAccepted) {
  std::vector<TopicConfig> good(6);
  good[0].partitions = 10000;
  good[1].segment_bytes = 4ull << 20;
  good[2].segment_bytes = 2ull << 30;
  good[3].max_event_bytes = 1;
  good[4].max_event_bytes = 64u << 20;
  good[5].retention_ms = 1;
  good[5].retention_bytes = 1;
  good[5].segment_ms = 1;
  for (const TopicConfig& c : good)
    EXPECT_TRUE(validate_topic_config(c).ok());
}

// ---- The file ----

TEST(TopicCatalogTest, FileRoundTripsEveryField) {
  std::string text = encode_topic_file("orders", unusual_config());
  auto decoded = decode_topic_file(text, "orders", "x");
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, unusual_config());
  EXPECT_EQ(text.rfind("sluice-topic 2\nname orders\npartitions 7\n", 0), 0u);
}

// The worked example of engine/FORMAT.md, byte for byte.
TEST(TopicCatalogTest, FileMatchesTheWorkedExample) {
  TopicConfig config = config_with(3);
  config.keyed_index = true;
  config.queue.max_deliveries = 5;
  config.queue.retry.initial = std::chrono::milliseconds(500);
  EXPECT_EQ(encode_topic_file("orders", config),
            "sluice-topic 2\n"
            "name orders\n"
            "partitions 3\n"
            "retention_ms -1\n"
            "retention_bytes -1\n"
            "segment_bytes 1073741824\n"
            "segment_ms 604800000\n"
            "keyed_index 1\n"
            "max_event_bytes 1048576\n"
            "queue_max_deliveries 5\n"
            "queue_lock_ms 30000\n"
            "queue_retry_initial_ms 500\n"
            "queue_retry_multiplier 2\n"
            "queue_retry_maximum_ms 60000\n"
            "queue_retry_jitter 0.2\n"
            "crc32c 04896e66\n");
}

// A version 1 file (before the queue policy lines) reads with the default policy.
TEST(TopicCatalogTest, VersionOneFilesReadWithTheDefaultQueuePolicy) {
  const std::string v1 =
      "sluice-topic 1\n"
      "name orders\n"
      "partitions 3\n"
      "retention_ms -1\n"
      "retention_bytes -1\n"
      "segment_bytes 1073741824\n"
      "segment_ms 604800000\n"
      "keyed_index 1\n"
      "max_event_bytes 1048576\n"
      "crc32c d239e6c5\n";
  auto decoded = decode_topic_file(v1, "orders", "x");
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->partitions, 3);
  EXPECT_TRUE(decoded->keyed_index);
  EXPECT_EQ(decoded->queue, QueuePolicy{});
}

TEST(TopicCatalogTest, QueuePolicyRangesAreChecked) {
  TopicConfig c = config_with(1);
  c.queue.max_deliveries = 0;
  auto checked = validate_topic_config(c);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.code(), Errc::invalid_argument);
  EXPECT_NE(checked.error().message().find("max_deliveries"), std::string::npos);
  c = config_with(1);
  c.queue.retry.jitter = 2;
  EXPECT_FALSE(validate_topic_config(c).ok());
  c = config_with(1);
  c.queue.lock_duration = std::chrono::milliseconds(0);
  EXPECT_FALSE(validate_topic_config(c).ok());
}

TEST(TopicCatalogTest, EveryFlippedByteIsCorruptionNamingTheFile) {
  io::MemoryFileSystem fs;
  {
    TopicCatalog catalog = load_ok(fs);
    ASSERT_TRUE(catalog.create("orders", unusual_config()).ok());
  }
  const std::string path = conf_path("orders");
  const uint64_t size = fs.contents(path)->size();
  for (uint64_t at = 0; at < size; ++at) {
    ASSERT_TRUE(fs.flip_byte(path, at).ok());
    auto loaded = TopicCatalog::load(fs, kDataDir);
    ASSERT_FALSE(loaded.ok()) << "byte " << at;
    EXPECT_EQ(loaded.code(), Errc::corruption) << "byte " << at;
    EXPECT_NE(loaded.error().message().find(path), std::string::npos) << loaded.error().message();
    ASSERT_TRUE(fs.flip_byte(path, at).ok());
  }
  EXPECT_TRUE(TopicCatalog::load(fs, kDataDir).ok());
}

// Overwrites the topic.conf of `topic` with `text`, durably.
void replace_conf(io::MemoryFileSystem& fs, std::string_view topic, std::string_view text) {
  auto file = fs.open(conf_path(topic), io::OpenOptions{.writable = true});
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(fs.truncate(*file, 0).ok());
  ASSERT_TRUE(fs.write(*file, 0, bytes_of(text)).ok());
  ASSERT_TRUE(fs.datasync(*file).ok());
  ASSERT_TRUE(fs.close(*file).ok());
}

TEST(TopicCatalogTest, BadFilesAreCorruptionOrUnsupported) {
  auto good = encode_topic_file("orders", config_with(1));
  struct Case {
    std::string text;
    Errc code;
  };
  std::string other_name = encode_topic_file("payments", config_with(1));
  TopicConfig out_of_range = config_with(1);
  out_of_range.partitions = 20000;  // encodes fine, fails validation on decode
  std::string v3 = good;
  v3.replace(v3.find("sluice-topic 2"), 14, "sluice-topic 3");
  const Case cases[] = {
      {"", Errc::corruption},
      {good.substr(0, good.size() - 1), Errc::corruption},  // no final newline
      {good.substr(0, good.size() / 2), Errc::corruption},
      {good + "extra 1\n", Errc::corruption},
      {std::string(5000, 'x'), Errc::corruption},
      {other_name, Errc::corruption},
      {encode_topic_file("orders", out_of_range), Errc::corruption},
      {v3, Errc::unsupported},
  };
  for (const Case& c : cases) {
    io::MemoryFileSystem fs;
    {
      TopicCatalog catalog = load_ok(fs);
      ASSERT_TRUE(catalog.create("orders", config_with(1)).ok());
    }
    replace_conf(fs, "orders", c.text);
    auto loaded = TopicCatalog::load(fs, kDataDir);
    ASSERT_FALSE(loaded.ok()) << c.text;
    EXPECT_EQ(loaded.code(), c.code) << loaded.error().to_string();
    EXPECT_NE(loaded.error().message().find(conf_path("orders")), std::string::npos)
        << loaded.error().message();
  }
}

TEST(TopicCatalogTest, LoadClearsLeftoversAndIgnoresStrangers) {
  io::MemoryFileSystem fs;
  ASSERT_TRUE(fs.create_directories(kDataDir + "/topics/halfmade/0").ok());
  write_durable(fs, kDataDir + "/topics/halfmade/0/00000000000000000000.log", "x");
  write_durable(fs, kDataDir + "/topics/halfmade/topic.conf.tmp", "partial");
  ASSERT_TRUE(fs.create_directories(kDataDir + "/topics/not a topic").ok());
  write_durable(fs, kDataDir + "/topics/not a topic/keep", "mine");
  write_durable(fs, kDataDir + "/topics/README", "a stray file");
  TopicCatalog catalog = load_ok(fs);
  EXPECT_EQ(catalog.size(), 0u);
  EXPECT_TRUE(files_under(fs, kDataDir + "/topics/halfmade").empty());
  EXPECT_EQ(files_under(fs, kDataDir + "/topics/not a topic"), std::vector<std::string>{"keep"});
  EXPECT_TRUE(*fs.exists(kDataDir + "/topics/README"));
}

TEST(TopicCatalogTest, FailedCreateLeavesNoTopic) {
  io::MemoryFileSystem fs;
  TopicCatalog catalog = load_ok(fs);
  fs.fail_writes(Errc::no_space, 1, "topic.conf");
  auto created = catalog.create("orders", config_with(2));
  EXPECT_EQ(created.code(), Errc::no_space);
  EXPECT_FALSE(catalog.contains("orders"));
  fs.fail_syncs(1);
  EXPECT_EQ(catalog.create("orders", config_with(2)).code(), Errc::io_error);
  EXPECT_FALSE(catalog.contains("orders"));
  EXPECT_TRUE(files_under(fs, topic_dir(kDataDir, "orders")).empty());
  EXPECT_EQ(load_ok(fs).size(), 0u);
  ASSERT_TRUE(catalog.create("orders", config_with(2)).ok());
  EXPECT_EQ(load_ok(fs).list(), std::vector<std::string>{"orders"});
}

// ---- Power loss between the steps ----

// Forwards to a MemoryFileSystem and, once armed, cuts the power at the n-th call that changes
// something: that call and every later one fail, and the twin drops what was not durable.
class PowerCutFileSystem final : public io::FileSystem {
 public:
  PowerCutFileSystem(io::MemoryFileSystem& fs, bool torn, uint64_t seed)
      : fs_(fs), torn_(torn), seed_(seed) {}

  void arm(int steps_before_cut) { left_ = steps_before_cut; }
  bool cut() const { return cut_; }

  Result<io::FileHandle> open(const std::string& path, const io::OpenOptions& o) override {
    if (o.create || o.writable) SLUICE_TRY(step());
    SLUICE_TRY(on());
    return fs_.open(path, o);
  }
  Result<void> close(io::FileHandle f) override { return fs_.close(f); }
  Result<uint64_t> size(io::FileHandle f) override {
    SLUICE_TRY(on());
    return fs_.size(f);
  }
  Result<uint64_t> read(io::FileHandle f, uint64_t at, std::span<std::byte> out) override {
    SLUICE_TRY(on());
    return fs_.read(f, at, out);
  }
  Result<void> write(io::FileHandle f, uint64_t at, std::span<const std::byte> d) override {
    SLUICE_TRY(step());
    return fs_.write(f, at, d);
  }
  Result<void> datasync(io::FileHandle f) override {
    SLUICE_TRY(step());
    return fs_.datasync(f);
  }
  Result<void> truncate(io::FileHandle f, uint64_t n) override {
    SLUICE_TRY(step());
    return fs_.truncate(f, n);
  }
  Result<void> allocate(io::FileHandle f, uint64_t at, uint64_t n) override {
    SLUICE_TRY(step());
    return fs_.allocate(f, at, n);
  }
  Result<void> create_directories(const std::string& path) override {
    SLUICE_TRY(step());
    return fs_.create_directories(path);
  }
  Result<std::vector<std::string>> list_directory(const std::string& path) override {
    SLUICE_TRY(on());
    return fs_.list_directory(path);
  }
  Result<bool> is_directory(const std::string& path) override {
    SLUICE_TRY(on());
    return fs_.is_directory(path);
  }
  Result<bool> exists(const std::string& path) override {
    SLUICE_TRY(on());
    return fs_.exists(path);
  }
  Result<void> remove_file(const std::string& path) override {
    SLUICE_TRY(step());
    return fs_.remove_file(path);
  }
  Result<void> remove_directory(const std::string& path) override {
    SLUICE_TRY(step());
    return fs_.remove_directory(path);
  }
  Result<void> rename(const std::string& from, const std::string& to) override {
    SLUICE_TRY(step());
    return fs_.rename(from, to);
  }
  Result<void> sync_directory(const std::string& path) override {
    SLUICE_TRY(step());
    return fs_.sync_directory(path);
  }
  void write_async(io::FileHandle, uint64_t, std::span<const std::byte>, io::IoOp&) override {
    ADD_FAILURE() << "the catalog makes no asynchronous calls";
  }
  void read_async(io::FileHandle, uint64_t, std::span<std::byte>, io::IoOp&) override {
    ADD_FAILURE() << "the catalog makes no asynchronous calls";
  }
  void timer_async(std::chrono::nanoseconds, io::IoOp&) override {
    ADD_FAILURE() << "the catalog makes no asynchronous calls";
  }
  void datasync_async(io::FileHandle, io::IoOp&) override {
    ADD_FAILURE() << "the catalog makes no asynchronous calls";
  }
  void write_then_datasync_async(io::FileHandle, uint64_t, std::span<const std::byte>, io::IoOp&,
                                 io::IoOp&) override {
    ADD_FAILURE() << "the catalog makes no asynchronous calls";
  }
  size_t poll(std::chrono::microseconds) override { return 0; }
  size_t in_flight() const override { return 0; }
  void wake() override {}

 private:
  Result<void> on() const {
    if (cut_) return Error(Errc::io_error, "power is off");
    return {};
  }
  Result<void> step() {
    SLUICE_TRY(on());
    if (left_ < 0) return {};
    if (left_-- == 0) {
      fs_.crash(torn_, seed_);
      cut_ = true;
      return Error(Errc::io_error, "power cut");
    }
    return {};
  }

  io::MemoryFileSystem& fs_;
  bool torn_;
  uint64_t seed_;
  int left_ = -1;  // -1: not armed
  bool cut_ = false;
};

struct PowerLoss {
  bool torn;
  uint64_t seed;
};
const PowerLoss kPowerLosses[] = {{false, 0}, {true, 1}, {true, 2}, {true, 3}};

// Cuts the power before each step of create in turn: after it, the topic either does not
// exist (nothing of it is left once the catalog loads) or exists whole; and once a cut point
// leaves it whole, every later one does too.
TEST(TopicCatalogTest, PowerLossAtEveryStepOfCreate) {
  const TopicConfig config = unusual_config();
  for (const PowerLoss& loss : kPowerLosses) {
    bool seen_whole = false;
    bool finished = false;
    for (int cut_at = 0; cut_at < 200 && !finished; ++cut_at) {
      io::MemoryFileSystem memory;
      PowerCutFileSystem fs(memory, loss.torn, loss.seed);
      auto catalog = TopicCatalog::load(fs, kDataDir);
      ASSERT_TRUE(catalog.ok());
      fs.arm(cut_at);
      auto created = catalog->create("orders", config);
      if (!fs.cut()) {
        ASSERT_TRUE(created.ok()) << created.error().to_string();
        finished = true;
        memory.crash(loss.torn, loss.seed);  // a power loss right after create returned
      } else {
        EXPECT_FALSE(created.ok());
      }
      TopicCatalog after = load_ok(memory);
      SCOPED_TRACE("cut before step " + std::to_string(cut_at));
      if (after.contains("orders")) {
        seen_whole = true;
        EXPECT_EQ(*after.get("orders"), config);
        for (int32_t p = 0; p < config.partitions; ++p)
          EXPECT_TRUE(*memory.is_directory(after.partition_dir("orders", p)));
      } else {
        ASSERT_FALSE(seen_whole) << "the topic came back after a later cut removed it";
        EXPECT_TRUE(files_under(memory, topic_dir(kDataDir, "orders")).empty());
        // The name is free again, and a new topic of it starts clean.
        ASSERT_TRUE(after.create("orders", config_with(1)).ok());
        EXPECT_EQ(load_ok(memory).get("orders")->partitions, 1);
      }
    }
    EXPECT_TRUE(finished);
    EXPECT_TRUE(seen_whole);
  }
}

// Cuts the power before each step of remove in turn: after it, the topic either still exists
// with all its data, or is gone with all its data once the catalog loads.
TEST(TopicCatalogTest, PowerLossAtEveryStepOfRemove) {
  for (const PowerLoss& loss : kPowerLosses) {
    bool seen_gone = false;
    bool finished = false;
    for (int cut_at = 0; cut_at < 200 && !finished; ++cut_at) {
      io::MemoryFileSystem memory;
      {
        TopicCatalog setup = load_ok(memory);
        ASSERT_TRUE(setup.create("orders", config_with(2)).ok());
        ASSERT_TRUE(setup.create("kept", config_with(1)).ok());
        for (int32_t p = 0; p < 2; ++p) {
          write_durable(memory, setup.partition_dir("orders", p) + "/00000000000000000000.log",
                        "batch " + std::to_string(p));
        }
        write_durable(memory, setup.partition_dir("kept", 0) + "/00000000000000000000.log", "k");
      }
      PowerCutFileSystem fs(memory, loss.torn, loss.seed);
      auto catalog = TopicCatalog::load(fs, kDataDir);
      ASSERT_TRUE(catalog.ok());
      fs.arm(cut_at);
      auto removed = catalog->remove("orders");
      if (!fs.cut()) {
        ASSERT_TRUE(removed.ok()) << removed.error().to_string();
        finished = true;
        memory.crash(loss.torn, loss.seed);
      }
      SCOPED_TRACE("cut before step " + std::to_string(cut_at));
      TopicCatalog after = load_ok(memory);
      EXPECT_EQ(files_under(memory, topic_dir(kDataDir, "kept")),
                (std::vector<std::string>{"0/00000000000000000000.log", "topic.conf"}));
      if (after.contains("orders")) {
        ASSERT_FALSE(seen_gone) << "the topic came back after a later cut removed it";
        EXPECT_EQ(*memory.contents(after.partition_dir("orders", 0) + "/00000000000000000000.log"),
                  "batch 0");
        EXPECT_EQ(*memory.contents(after.partition_dir("orders", 1) + "/00000000000000000000.log"),
                  "batch 1");
      } else {
        seen_gone = true;
        EXPECT_TRUE(files_under(memory, topic_dir(kDataDir, "orders")).empty());
      }
    }
    EXPECT_TRUE(finished);
    EXPECT_TRUE(seen_gone);
  }
}

}  // namespace
}  // namespace sluice::engine
