// RawBatchSender: Kafka batches stored byte for byte (compressed ones too), retries answered
// with the original's offsets across durabilities and restarts, every bad batch refused before
// anything is written, sequence errors through the callback, keyed topics, bounded in-flight
// bytes, a sender destroyed with batches in flight, and several senders on several threads
// against two shards (run it under ThreadSanitizer).
#include "engine/raw_batch_sender.h"

#include "partitions/endian.h"
#include "tests/engine/engine_test_env.h"
#include "tests/engine/raw_batch_support.h"
#include "tests/partitions/idempotent_batches.h"
#include "tests/support/batches.h"
#include "tests/support/compressed_batches.h"

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

namespace sluice {
namespace {

using engine::BatchDelivery;
using engine::RawBatchSender;
using partitions::Compression;
using testing::idempotent_batch;
using testing::opaque_batch;
using testing::opaque_payload;
using testing::open_engine;
using testing::send_wait;
using testing::topic_config;

using Clock = std::chrono::steady_clock;

class RawBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->create_topic("t", topic_config(4)).ok());
  }

  // The bytes of the batch stored at `offset`.
  std::vector<std::byte> stored(std::string_view topic, int32_t partition, int64_t offset) {
    auto slot = engine_->impl().find_partition(topic, partition);
    EXPECT_TRUE(slot.ok());
    if (!slot.ok()) return {};
    auto read = (*slot)->reader->read(offset, 1);
    EXPECT_TRUE(read.ok()) << read.error().to_string();
    return read.ok() ? read->bytes : std::vector<std::byte>{};
  }

  static std::vector<std::byte> with_base_offset(std::vector<std::byte> batch, int64_t offset) {
    partitions::store_be<int64_t>(batch.data(), offset);
    return batch;
  }

  void reopen() {
    engine_.reset();
    engine_ = open_engine(testing::engine_options(dir_.path()));
    ASSERT_NE(engine_, nullptr);
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_ = open_engine(testing::engine_options(dir_.path()));
};

TEST_F(RawBatchTest, ABatchIsStoredByteForByteWithItsNewBaseOffset) {
  RawBatchSender sender(engine_->impl());
  const auto first = idempotent_batch(1, 0, 0, 3, "a");
  const auto second = idempotent_batch(1, 0, 3, 2, "b");
  auto one = send_wait(sender, "t", 2, first, Durability::written);
  ASSERT_TRUE(one.ok()) << one.error().to_string();
  EXPECT_EQ(one->base_offset, 0);
  EXPECT_FALSE(one->duplicate);
  EXPECT_EQ(one->log_start_offset, 0);
  EXPECT_EQ(one->log_append_time_ms, -1);
  auto two = send_wait(sender, "t", 2, second, Durability::synced);
  ASSERT_TRUE(two.ok()) << two.error().to_string();
  EXPECT_EQ(two->base_offset, 3);
  EXPECT_EQ(stored("t", 2, 0), first);  // the client's base offset was 0 too
  EXPECT_EQ(stored("t", 2, 3), with_base_offset(second, 3));
  auto records = engine_->read("t", 2, 0, 10);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 5u);
  EXPECT_EQ((*records)[3].value, "b-0");
  EXPECT_EQ((*records)[4].offset, 4);
  EXPECT_EQ(sender.in_flight_bytes(), 0u);
  EXPECT_EQ(sender.in_flight_batches(), 0u);
}

TEST_F(RawBatchTest, CompressedBatchesAreStoredAsTheyCame) {
  RawBatchSender sender(engine_->impl());
  int64_t next = 0;
  int32_t seq = 0;
  for (auto codec : {Compression::gzip, Compression::snappy, Compression::lz4, Compression::zstd}) {
    const auto batch =
        opaque_batch(codec, 5, opaque_payload(1000, static_cast<uint32_t>(codec)), 9, 0, seq);
    seq += 5;
    auto delivered = send_wait(sender, "t", 1, batch, Durability::synced);
    ASSERT_TRUE(delivered.ok()) << delivered.error().to_string();
    EXPECT_EQ(delivered->base_offset, next);
    EXPECT_EQ(stored("t", 1, next), with_base_offset(batch, next));
    next += 5;
  }
  reopen();
  EXPECT_EQ(engine_->partition_state("t", 1)->latest_offset, next);
}

TEST_F(RawBatchTest, RetriesAreAnsweredWithTheOriginalAtAnyDurability) {
  RawBatchSender sender(engine_->impl());
  std::vector<std::vector<std::byte>> batches;
  std::vector<int64_t> bases;
  int32_t seq = 0;
  for (int i = 0; i < 6; ++i) {
    batches.push_back(idempotent_batch(77, 1, seq, 2, "r" + std::to_string(i)));
    seq += 2;
    // acks=1 first: the retries below ask for more.
    auto delivered = send_wait(sender, "t", 0, batches.back(), Durability::written);
    ASSERT_TRUE(delivered.ok());
    bases.push_back(delivered->base_offset);
  }
  for (size_t i = 1; i < batches.size(); ++i) {
    for (Durability d : {Durability::synced, Durability::written, Durability::none}) {
      auto retried = send_wait(sender, "t", 0, batches[i], d);
      ASSERT_TRUE(retried.ok()) << retried.error().to_string();
      EXPECT_TRUE(retried->duplicate);
      EXPECT_EQ(retried->base_offset, bases[i]);
    }
  }
  EXPECT_EQ(engine_->partition_state("t", 0)->latest_offset, 12);
  // Sequence errors come back through the callback, and write nothing.
  auto gap = send_wait(sender, "t", 0, idempotent_batch(77, 1, seq + 1, 1), Durability::written);
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.code(), Errc::out_of_order_sequence);
  auto fenced = send_wait(sender, "t", 0, idempotent_batch(77, 0, seq, 1), Durability::none);
  ASSERT_FALSE(fenced.ok());
  EXPECT_EQ(fenced.code(), Errc::invalid_producer_epoch);
  auto unknown = send_wait(sender, "t", 0, idempotent_batch(78, 0, 5, 1), Durability::synced);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.code(), Errc::unknown_producer_id);
  EXPECT_EQ(engine_->partition_state("t", 0)->latest_offset, 12);
}

TEST_F(RawBatchTest, RetriesAfterARestartAreStillDuplicates) {
  std::vector<std::byte> last;
  int64_t last_base = -1;
  {
    RawBatchSender sender(engine_->impl());
    for (int32_t seq = 0; seq < 20; seq += 4) {
      last = idempotent_batch(500, 2, seq, 4);
      auto delivered = send_wait(sender, "t", 3, last, Durability::synced);
      ASSERT_TRUE(delivered.ok());
      last_base = delivered->base_offset;
    }
  }
  reopen();
  RawBatchSender sender(engine_->impl());
  auto retried = send_wait(sender, "t", 3, last, Durability::synced);
  ASSERT_TRUE(retried.ok()) << retried.error().to_string();
  EXPECT_TRUE(retried->duplicate);
  EXPECT_EQ(retried->base_offset, last_base);
  auto next = send_wait(sender, "t", 3, idempotent_batch(500, 2, 20, 1), Durability::synced);
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->base_offset, 20);
}

TEST_F(RawBatchTest, BadBatchesAreRefusedBeforeAnythingIsWritten) {
  TopicConfig small = topic_config(1);
  small.max_event_bytes = 2000;
  ASSERT_TRUE(engine_->create_topic("small", small).ok());
  RawBatchSender sender(engine_->impl());
  const auto good = idempotent_batch(3, 0, 0, 2);
  auto flipped = good;
  flipped[flipped.size() - 1] ^= std::byte{0x01};
  auto old_magic = good;
  old_magic[16] = std::byte{1};
  auto longer = good;
  longer.push_back(std::byte{0});
  auto shorter = good;
  shorter.pop_back();
  auto bad_length = good;
  partitions::store_be<int32_t>(bad_length.data() + 8, 20);  // below a header
  const auto payload = opaque_payload(64);
  // No records, with last_offset_delta 0 (the header itself decodes).
  auto no_records = opaque_batch(Compression::none, 1, {});
  partitions::store_be<int32_t>(no_records.data() + 57, 0);
  partitions::store_be<uint32_t>(no_records.data() + partitions::kBatchCrcOffset,
                                 partitions::compute_batch_crc(no_records));
  struct Case {
    std::string name;
    std::string topic;
    int32_t partition;
    std::vector<std::byte> batch;
    Errc code;
  };
  std::vector<Case> cases = {
      {"crc", "t", 0, flipped, Errc::corruption},
      {"magic 1", "t", 0, old_magic, Errc::unsupported},
      {"a byte more than the batch", "t", 0, longer, Errc::corruption},
      {"a byte short", "t", 0, shorter, Errc::corruption},
      {"batch_length below a header", "t", 0, bad_length, Errc::corruption},
      {"a few bytes", "t", 0, std::vector<std::byte>(10), Errc::corruption},
      {"nothing", "t", 0, {}, Errc::corruption},
      {"control", "t", 0, opaque_batch(Compression::none, 1, payload, 3, 0, 0, 0x30),
       Errc::unsupported},
      {"transactional", "t", 0, opaque_batch(Compression::zstd, 1, payload, 3, 0, 0, 0x10),
       Errc::unsupported},
      {"no records", "t", 0, no_records, Errc::empty_batch},
      {"too large", "small", 0, opaque_batch(Compression::lz4, 3, opaque_payload(3000)),
       Errc::too_large},
      {"producer without epoch", "t", 0, idempotent_batch(3, -1, 0, 1), Errc::invalid_argument},
      {"producer without sequence", "t", 0, idempotent_batch(3, 0, -1, 1), Errc::invalid_argument},
      {"unknown topic", "nope", 0, good, Errc::not_found},
      {"partition past the end", "t", 4, good, Errc::invalid_argument},
      {"negative partition", "t", -1, good, Errc::invalid_argument},
      {"internal topic", "__consumer_offsets", 0, good, Errc::invalid_argument},
  };
  for (const Case& c : cases) {
    bool ran = false;
    Result<void> sent = sender.send_batch(c.topic, c.partition, c.batch, Durability::synced,
                                          [&](const Result<BatchDelivery>&) { ran = true; });
    ASSERT_FALSE(sent.ok()) << c.name;
    EXPECT_EQ(sent.code(), c.code) << c.name << ": " << sent.error().to_string();
    EXPECT_FALSE(ran) << c.name;
  }
  EXPECT_EQ(sender.in_flight_batches(), 0u);
  EXPECT_EQ(sender.poll(), 0u);
  for (int32_t p = 0; p < 4; ++p)
    EXPECT_EQ(engine_->partition_state("t", p)->latest_offset, 0);
  EXPECT_EQ(engine_->partition_state("small", 0)->latest_offset, 0);
  // The producer's state saw none of it: its first batch goes in at sequence 0.
  auto delivered = send_wait(sender, "t", 0, good, Durability::written);
  ASSERT_TRUE(delivered.ok()) << delivered.error().to_string();
  EXPECT_FALSE(delivered->duplicate);
}

TEST_F(RawBatchTest, KeyedTopicsIndexTheKeysOfEveryBatch) {
  ASSERT_TRUE(engine_->create_topic("keyed", topic_config(1, true)).ok());
  RawBatchSender sender(engine_->impl());
  const auto batch = idempotent_batch(4, 0, 0, 3, "kv");  // keys k0, k1, k2
  ASSERT_TRUE(send_wait(sender, "keyed", 0, batch, Durability::written).ok());
  auto latest = engine_->latest("keyed", "k1");
  ASSERT_TRUE(latest.ok()) << latest.error().to_string();
  EXPECT_EQ(latest->offset, 1);
  EXPECT_EQ(latest->value, "kv-1");
  // A retry changes nothing, in the log or in the index.
  auto retried = send_wait(sender, "keyed", 0, batch, Durability::written);
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(retried->duplicate);
  EXPECT_EQ(engine_->latest("keyed", "k1")->offset, 1);
  // A compressed batch is stored compressed, and decompressed to index its keys.
  const auto compressed =
      testing::compress_batch(idempotent_batch(4, 0, 3, 2, "z"), Compression::gzip);  // k0, k1
  auto stored_compressed = send_wait(sender, "keyed", 0, compressed, Durability::written);
  ASSERT_TRUE(stored_compressed.ok()) << stored_compressed.error().to_string();
  EXPECT_EQ(stored_compressed->base_offset, 3);
  EXPECT_EQ(stored("keyed", 0, 3), with_base_offset(compressed, 3));
  latest = engine_->latest("keyed", "k1");
  ASSERT_TRUE(latest.ok()) << latest.error().to_string();
  EXPECT_EQ(latest->offset, 4);
  EXPECT_EQ(latest->value, "z-1");
  EXPECT_EQ(engine_->latest("keyed", "k2")->offset, 2);
  // Records that do not decode in a keyed topic: refused (the CRC holds, the records do not),
  // and a compressed stream that does not decode too.
  auto garbled = opaque_batch(Compression::none, 2, opaque_payload(40));
  EXPECT_EQ(sender.send_batch("keyed", 0, garbled, Durability::none, {}).code(), Errc::corruption);
  const auto opaque = opaque_batch(Compression::zstd, 4, opaque_payload(200));
  EXPECT_EQ(sender.send_batch("keyed", 0, opaque, Durability::none, {}).code(), Errc::corruption);
  // A topic that is not keyed never decompresses: the same batch is stored as it came.
  ASSERT_TRUE(send_wait(sender, "t", 0, opaque, Durability::written).ok());
}

TEST_F(RawBatchTest, InFlightBytesAreBoundedAndAFullSenderNeverWaits) {
  engine::RawBatchSenderOptions options;
  options.max_in_flight_bytes = 1;  // one batch at a time (a larger one goes alone)
  RawBatchSender sender(engine_->impl(), options);
  const auto a = testing::make_batch("a", 2);
  const auto b = testing::make_batch("b", 2);
  int completed = 0;
  ASSERT_TRUE(sender
                  .send_batch("t", 0, a, Durability::synced,
                              [&](const Result<BatchDelivery>& r) { completed += r.ok(); })
                  .ok());
  EXPECT_EQ(sender.in_flight_bytes(), a.size());
  // Refused at once, whatever the shard is doing: nothing was polled yet.
  Result<void> refused = sender.send_batch("t", 1, b, Durability::none, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), Errc::would_block);
  while (completed == 0) {
    sender.poll();
    sender.wait(Clock::now() + std::chrono::milliseconds(100));
  }
  EXPECT_EQ(sender.in_flight_bytes(), 0u);
  ASSERT_TRUE(sender.send_batch("t", 1, b, Durability::none, {}).ok());
}

TEST_F(RawBatchTest, ASenderDestroyedWithBatchesInFlightLeavesNothingBehind) {
  for (int round = 0; round < 3; ++round) {
    int ran = 0;
    {
      RawBatchSender sender(engine_->impl());
      for (int i = 0; i < 50; ++i) {
        const auto batch = testing::make_batch("gone" + std::to_string(i), 3);
        ASSERT_TRUE(sender
                        .send_batch("t", i % 4, batch, Durability::synced,
                                    [&](const Result<BatchDelivery>&) { ++ran; })
                        .ok());
      }
    }  // never waits; the callbacks of what was in flight never run
    EXPECT_EQ(ran, 0);
  }
  // The engine goes on, and closes with the channels still holding batches (ASan: no leak,
  // no use after free).
  RawBatchSender sender(engine_->impl());
  ASSERT_TRUE(send_wait(sender, "t", 0, testing::make_batch("after", 1), Durability::synced).ok());
}

// Several senders on their own threads, each an idempotent producer per partition, retrying
// recent batches now and then, against two shards; a query thread reads meanwhile. Every batch
// must be stored exactly once.
TEST_F(RawBatchTest, SendersOnSeveralThreadsStoreEveryBatchOnce) {
  constexpr int kThreads = 3;
  constexpr int kBatchesPerPartition = 120;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load(std::memory_order_acquire)) {
      for (int32_t p = 0; p < 4; ++p)
        (void)engine_->partition_state("t", p);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RawBatchSender sender(engine_->impl());
      std::mt19937 rng(static_cast<uint32_t>(t));
      std::map<int32_t, std::vector<std::vector<std::byte>>> sent;  // per partition
      int outstanding = 0;
      auto on_done = [&](const Result<BatchDelivery>& r) {
        --outstanding;
        if (!r.ok()) failures.fetch_add(1);
      };
      auto send = [&](int32_t p, const std::vector<std::byte>& batch) {
        static constexpr Durability kLevels[] = {Durability::none, Durability::written,
                                                 Durability::synced};
        for (;;) {
          Result<void> r = sender.send_batch("t", p, batch, kLevels[rng() % 3], on_done);
          if (r.ok()) {
            ++outstanding;
            return;
          }
          if (r.code() != Errc::would_block) {
            failures.fetch_add(1);
            return;
          }
          sender.poll();
          sender.wait(Clock::now() + std::chrono::milliseconds(10));
        }
      };
      for (int i = 0; i < kBatchesPerPartition; ++i) {
        for (int32_t p = 0; p < 4; ++p) {
          auto& mine = sent[p];
          mine.push_back(idempotent_batch(100 + t, 0, i * 2, 2,
                                          "t" + std::to_string(t) + "-" + std::to_string(i)));
          send(p, mine.back());
          if (rng() % 4 == 0) {
            // A retry of one of the last five, in flight or done.
            const size_t back = std::min<size_t>(mine.size(), 5);
            send(p, mine[mine.size() - 1 - rng() % back]);
          }
        }
        sender.poll();
      }
      while (outstanding > 0) {
        sender.poll();
        sender.wait(Clock::now() + std::chrono::milliseconds(10));
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  for (int32_t p = 0; p < 4; ++p) {
    const int64_t expected = int64_t{kThreads} * kBatchesPerPartition * 2;
    EXPECT_EQ(engine_->partition_state("t", p)->latest_offset, expected);
    std::set<std::string> values;
    for (int64_t offset = 0; offset < expected;) {
      auto records = engine_->read("t", p, offset, 500);
      ASSERT_TRUE(records.ok());
      ASSERT_FALSE(records->empty());
      for (const Record& record : *records)
        values.insert(*record.value);
      offset = records->back().offset + 1;
    }
    EXPECT_EQ(values.size(), static_cast<size_t>(expected));  // no record twice
  }
}

TEST(InitProducerIdTest, IdsAreUniqueAcrossThreadsAndRestartsAndStartAtEpochZero) {
  testing::TempDir dir;
  std::set<int64_t> seen;
  for (int run = 0; run < 2; ++run) {
    auto engine = open_engine(testing::engine_options(dir.path()));
    ASSERT_NE(engine, nullptr);
    std::vector<std::thread> threads;
    std::vector<std::vector<int64_t>> got(4);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 300; ++i) {
          auto id = engine->impl().init_producer_id();
          ASSERT_TRUE(id.ok()) << id.error().to_string();
          EXPECT_EQ(id->epoch, 0);
          got[static_cast<size_t>(t)].push_back(id->producer_id);
        }
      });
    }
    for (auto& thread : threads)
      thread.join();
    for (const auto& ids : got) {
      for (int64_t id : ids) {
        EXPECT_GE(id, 0);
        EXPECT_TRUE(seen.insert(id).second) << "id " << id << " handed out twice";
      }
    }
  }
  EXPECT_EQ(seen.size(), 2400u);
}

}  // namespace
}  // namespace sluice
