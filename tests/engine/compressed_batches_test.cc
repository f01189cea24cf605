// Compressed Kafka batches (gzip, raw and xerial snappy, lz4, zstd) appended through the raw
// batch path, as the Kafka server appends them, and read back decoded by every reader: Engine::read
// (from a batch's start and from inside one), latest(key) before and after a restart (the
// rebuilt key index), a Consumer in a group, a queue, and timestamp lookups. The log keeps the
// batches byte for byte.
#include "engine/raw_batch_sender.h"

#include "partitions/endian.h"
#include "tests/engine/engine_test_env.h"
#include "tests/support/compressed_batches.h"

#include <map>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using engine::BatchDelivery;
using engine::RawBatchSender;
using partitions::Compression;
using testing::open_engine;
using testing::SnappyFraming;
using testing::topic_config;

constexpr int kRecordsPerBatch = 20;
constexpr int64_t kFirstTimestamp = 10000;

struct Codec {
  Compression compression;
  SnappyFraming framing;
  std::string name;
};

// One batch of each kind, the uncompressed one in the middle.
const std::vector<Codec>& codecs() {
  static const std::vector<Codec> all = {
      {Compression::gzip, SnappyFraming::raw, "gzip"},
      {Compression::snappy, SnappyFraming::raw, "snappy"},
      {Compression::none, SnappyFraming::raw, "none"},
      {Compression::snappy, SnappyFraming::xerial, "snappy-xerial"},
      {Compression::lz4, SnappyFraming::raw, "lz4"},
      {Compression::zstd, SnappyFraming::raw, "zstd"},
  };
  return all;
}

std::string key_of(int64_t offset) {
  return "key-" + std::to_string(offset % 7);
}
std::string value_of(int64_t offset) {
  return "value-" + std::to_string(offset) + std::string(static_cast<size_t>(offset % 50), '.');
}
int64_t timestamp_of(int64_t offset) {
  return kFirstTimestamp + (offset / kRecordsPerBatch) * 1000 + (offset % kRecordsPerBatch) * 10;
}

// Batch `b`: records at offsets b * 20 to b * 20 + 19 (the client's base offset is 0; the log
// assigns the real ones), each with a key, a value and a header naming the codec.
std::vector<std::byte> make_batch(size_t b) {
  const Codec& codec = codecs()[b];
  partitions::BatchBuilder builder;
  for (int i = 0; i < kRecordsPerBatch; ++i) {
    const int64_t offset = static_cast<int64_t>(b) * kRecordsPerBatch + i;
    const std::string key = key_of(offset);
    const std::string value = value_of(offset);
    const std::vector<partitions::RecordHeader> headers = {
        {"codec", std::vector<std::byte>(
                      reinterpret_cast<const std::byte*>(codec.name.data()),
                      reinterpret_cast<const std::byte*>(codec.name.data()) + codec.name.size())}};
    builder.add(std::as_bytes(std::span(key.data(), key.size())),
                std::as_bytes(std::span(value.data(), value.size())), timestamp_of(offset),
                headers);
  }
  const auto plain = builder.finish();
  if (codec.compression == Compression::none) return {plain.begin(), plain.end()};
  return testing::compress_batch(plain, codec.compression, codec.framing);
}

// Every record as the test wrote it.
void expect_record(const Record& record, int64_t offset) {
  EXPECT_EQ(record.offset, offset);
  EXPECT_EQ(record.timestamp_ms, timestamp_of(offset)) << offset;
  EXPECT_EQ(record.key, key_of(offset)) << offset;
  EXPECT_EQ(record.value, value_of(offset)) << offset;
  ASSERT_EQ(record.headers.size(), 1u) << offset;
  EXPECT_EQ(record.headers[0].key, "codec");
  EXPECT_EQ(record.headers[0].value, codecs()[static_cast<size_t>(offset / kRecordsPerBatch)].name);
}

class CompressedBatchesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->create_topic("c", topic_config(1, true)).ok());
    RawBatchSender sender(engine_->impl());
    for (size_t b = 0; b < codecs().size(); ++b) {
      batches_.push_back(make_batch(b));
      std::optional<Result<BatchDelivery>> outcome;
      ASSERT_TRUE(sender
                      .send_batch("c", 0, batches_.back(), Durability::written,
                                  [&](const Result<BatchDelivery>& r) { outcome.emplace(r); })
                      .ok());
      const auto until = Clock::now() + 30s;
      while (!outcome && Clock::now() < until) {
        sender.poll();
        if (!outcome) sender.wait(Clock::now() + 100ms);
      }
      ASSERT_TRUE(outcome && outcome->ok()) << codecs()[b].name;
      ASSERT_EQ((*outcome)->base_offset, static_cast<int64_t>(b) * kRecordsPerBatch);
    }
  }
  void reopen() {
    engine_.reset();
    engine_ = open_engine(testing::engine_options(dir_.path()));
    ASSERT_NE(engine_, nullptr);
  }
  int64_t total() const { return static_cast<int64_t>(codecs().size()) * kRecordsPerBatch; }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_ = open_engine(testing::engine_options(dir_.path()));
  std::vector<std::vector<std::byte>> batches_;
};

TEST_F(CompressedBatchesTest, TheLogKeepsTheBatchesByteForByte) {
  auto slot = engine_->impl().find_partition("c", 0);
  ASSERT_TRUE(slot.ok());
  for (size_t b = 0; b < batches_.size(); ++b) {
    const int64_t base = static_cast<int64_t>(b) * kRecordsPerBatch;
    auto read = (*slot)->reader->read(base, 1);
    ASSERT_TRUE(read.ok());
    std::vector<std::byte> expected = batches_[b];
    partitions::store_be<int64_t>(expected.data(), base);
    EXPECT_EQ(read->bytes, expected) << codecs()[b].name;
  }
}

TEST_F(CompressedBatchesTest, ReadDecodesEveryCodecFromAnyOffset) {
  auto all = engine_->read("c", 0, 0, 1000);
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(static_cast<int64_t>(all->size()), total());
  for (int64_t i = 0; i < total(); ++i)
    expect_record((*all)[static_cast<size_t>(i)], i);
  // From inside a compressed batch, a few records at a time.
  for (int64_t from : {int64_t{7}, int64_t{33}, int64_t{79}, total() - 1}) {
    auto some = engine_->read("c", 0, from, 5);
    ASSERT_TRUE(some.ok()) << some.error().to_string();
    ASSERT_EQ(static_cast<int64_t>(some->size()), std::min<int64_t>(5, total() - from));
    for (size_t i = 0; i < some->size(); ++i)
      expect_record((*some)[i], from + static_cast<int64_t>(i));
  }
}

TEST_F(CompressedBatchesTest, LatestFindsKeysOfCompressedBatchesAlsoAfterARestart) {
  auto check = [&] {
    for (int k = 0; k < 7; ++k) {
      // The last offset with this key: the largest offset < total with offset % 7 == k.
      int64_t last = total() - 1;
      while (last % 7 != k)
        --last;
      auto latest = engine_->latest("c", "key-" + std::to_string(k));
      ASSERT_TRUE(latest.ok()) << latest.error().to_string();
      expect_record(*latest, last);
    }
  };
  check();
  reopen();  // the key index is rebuilt from the log, compressed batches included
  check();
}

TEST_F(CompressedBatchesTest, AConsumerInAGroupGetsEveryRecord) {
  Result<Consumer> consumer = engine_->consumer(testing::consumer_options("g", {"c"}));
  ASSERT_TRUE(consumer.ok()) << consumer.error().to_string();
  const auto records = testing::consume(*consumer, static_cast<size_t>(total()));
  ASSERT_EQ(static_cast<int64_t>(records.size()), total());
  for (int64_t i = 0; i < total(); ++i)
    expect_record(records[static_cast<size_t>(i)], i);
  // A seek by time lands on the exact record inside a compressed batch (zstd, record 6).
  ASSERT_TRUE(consumer->seek({"c", 0}, SeekTarget::timestamp(timestamp_of(106) - 5)).ok());
  const auto after = testing::consume(*consumer, 3);
  ASSERT_GE(after.size(), 3u);  // a poll may bring the rest of the partition
  for (size_t i = 0; i < after.size(); ++i)
    expect_record(after[i], 106 + static_cast<int64_t>(i));
}

TEST_F(CompressedBatchesTest, AQueueReceivesEveryRecord) {
  QueueOptions options;
  options.group = "q";
  options.topic = "c";
  Result<Queue> queue = engine_->queue(options);
  ASSERT_TRUE(queue.ok()) << queue.error().to_string();
  std::map<int64_t, QueuedEvent> received;
  const auto until = Clock::now() + 10s;
  while (static_cast<int64_t>(received.size()) < total() && Clock::now() < until) {
    auto got = queue->receive(1000, 100ms);
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    for (auto& event : *got)
      received.emplace(event.record.offset, std::move(event));
  }
  ASSERT_EQ(static_cast<int64_t>(received.size()), total());
  std::vector<LockRef> refs;
  for (const auto& [offset, event] : received) {
    expect_record(event.record, offset);
    refs.push_back({event.record.partition, event.record.offset, event.lock_token});
  }
  auto acked = queue->ack(refs);
  ASSERT_TRUE(acked.ok());
  for (const auto& outcome : *acked)
    EXPECT_TRUE(outcome.result.ok());
}

TEST_F(CompressedBatchesTest, TimestampLookupsAreExactInsideCompressedBatches) {
  auto slot = engine_->impl().find_partition("c", 0);
  ASSERT_TRUE(slot.ok());
  for (int64_t offset = 0; offset < total(); ++offset) {
    // Just after the previous record's time: the answer is this record, not its batch's start.
    auto found = (*slot)->reader->offset_for_timestamp(timestamp_of(offset) - 1);
    ASSERT_TRUE(found.ok()) << found.error().to_string();
    EXPECT_EQ(*found, offset) << codecs()[static_cast<size_t>(offset / kRecordsPerBatch)].name;
  }
  auto past = (*slot)->reader->offset_for_timestamp(timestamp_of(total() - 1) + 1);
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(*past, total());
}

TEST_F(CompressedBatchesTest, AKeyedTopicRefusesACompressedBatchThatDoesNotDecode) {
  RawBatchSender sender(engine_->impl());
  const auto plain = make_batch(2);
  for (const Codec& codec : codecs()) {
    if (codec.compression == Compression::none) continue;
    const auto section = std::span(plain).subspan(partitions::kBatchHeaderBytes);
    // A good stream cut short: the CRC is fixed, the stream is not.
    auto compressed = testing::compress_bytes(codec.compression, section, codec.framing);
    compressed.resize(compressed.size() / 2);
    const auto bad = testing::with_records_section(plain, codec.compression, compressed);
    auto sent = sender.send_batch("c", 0, bad, Durability::none, {});
    ASSERT_FALSE(sent.ok()) << codec.name;
    EXPECT_EQ(sent.code(), Errc::corruption) << sent.error().to_string();
    EXPECT_NE(sent.error().message().find(codec.name.substr(0, codec.name.find('-'))),
              std::string::npos)
        << sent.error().to_string();
  }
  EXPECT_EQ(engine_->partition_state("c", 0)->latest_offset, total());
}

}  // namespace
}  // namespace sluice
