// The native idempotent producer (ProducerOptions::idempotent): its batches carry a producer id,
// epoch and per-partition sequences; a batch repeated with the same id, epoch and sequence is
// acknowledged with the original offset and stored once; a gap is refused with
// out_of_order_sequence; a failed batch moves the producer to its next epoch.
#include "engine/engine_impl.h"
#include "engine/producer_impl.h"
#include "engine/raw_batch_sender.h"
#include "partitions/endian.h"
#include "partitions/record_batch.h"
#include "tests/engine/engine_test_env.h"
#include "tests/engine/raw_batch_support.h"
#include "tests/partitions/idempotent_batches.h"

#include <chrono>

namespace sluice {
namespace {

using engine::BatchDelivery;
using engine::RawBatchSender;
using testing::idempotent_batch;
using testing::open_engine;
using testing::send_wait;
using testing::topic_config;

class IdempotentProducerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->create_topic("t", topic_config(2)).ok());
  }

  Producer idempotent_producer() {
    ProducerOptions options;
    options.idempotent = true;
    Result<Producer> producer = engine_->producer(options);
    EXPECT_TRUE(producer.ok()) << producer.error().to_string();
    return std::move(*producer);
  }

  // Sends one event (with linger 0, one batch) and waits for its delivery.
  Delivery send_one(Producer& producer, const std::string& value, int32_t partition = 0) {
    Event event;
    event.value = value;
    event.partition = partition;
    std::future<Result<Delivery>> future = producer.send_future("t", event);
    Result<Delivery> delivery = future.get();
    EXPECT_TRUE(delivery.ok()) << delivery.error().to_string();
    return delivery.ok() ? *delivery : Delivery{};
  }

  // The stored batch that holds `offset`, as bytes (its base offset as stored).
  std::vector<std::byte> stored_batch(int32_t partition, int64_t offset) {
    auto slot = engine_->impl().find_partition("t", partition);
    EXPECT_TRUE(slot.ok());
    auto read = (*slot)->reader->read(offset, 1);
    EXPECT_TRUE(read.ok()) << read.error().to_string();
    if (!read.ok()) return {};
    auto header = partitions::decode_batch_header(read->bytes);
    EXPECT_TRUE(header.ok());
    return {read->bytes.begin(), read->bytes.begin() + header->total_bytes()};
  }

  partitions::BatchHeader header_at(int32_t partition, int64_t offset) {
    std::vector<std::byte> bytes = stored_batch(partition, offset);
    auto header = partitions::decode_batch_header(bytes);
    EXPECT_TRUE(header.ok());
    return header.ok() ? *header : partitions::BatchHeader{};
  }

  std::vector<std::string> values(int32_t partition) {
    Result<std::vector<Record>> read = engine_->read("t", partition, 0, 1000);
    EXPECT_TRUE(read.ok()) << read.error().to_string();
    std::vector<std::string> out;
    if (read.ok()) {
      for (const Record& r : *read)
        out.push_back(r.value.value_or(""));
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_ = open_engine(testing::engine_options(dir_.path()));
};

TEST_F(IdempotentProducerTest, BatchesCarryTheProducerIdEpochAndSequences) {
  Producer producer = idempotent_producer();
  const int64_t id = producer.impl().producer_id;
  ASSERT_GE(id, 0);
  EXPECT_EQ(producer.impl().producer_epoch, 0);
  // Three batches to partition 0, one to partition 1.
  EXPECT_EQ(send_one(producer, "a").offset, 0);
  EXPECT_EQ(send_one(producer, "b").offset, 1);
  EXPECT_EQ(send_one(producer, "x", 1).offset, 0);
  EXPECT_EQ(send_one(producer, "c").offset, 2);

  partitions::BatchHeader first = header_at(0, 0);
  EXPECT_EQ(first.producer_id, id);
  EXPECT_EQ(first.producer_epoch, 0);
  EXPECT_EQ(first.base_sequence, 0);
  EXPECT_EQ(header_at(0, 1).base_sequence, 1);
  EXPECT_EQ(header_at(0, 2).base_sequence, 2);
  EXPECT_EQ(header_at(1, 0).base_sequence, 0);  // sequences are per partition
  EXPECT_EQ(header_at(1, 0).producer_id, id);

  // Another idempotent producer has another id.
  Producer other = idempotent_producer();
  EXPECT_NE(other.impl().producer_id, id);
}

TEST_F(IdempotentProducerTest, SequencesCountEventsOfMultiEventBatches) {
  ProducerOptions options;
  options.idempotent = true;
  options.linger = std::chrono::milliseconds(50);  // events gather into one batch per flush
  Result<Producer> producer = engine_->producer(options);
  ASSERT_TRUE(producer.ok());
  for (int round = 0; round < 3; ++round) {
    std::vector<std::future<Result<Delivery>>> futures;
    for (int i = 0; i < 4; ++i) {
      Event event;
      event.value = std::to_string(round) + "-" + std::to_string(i);
      event.partition = 0;
      futures.push_back(producer->send_future("t", event));
    }
    ASSERT_TRUE(producer->flush().ok());
    for (auto& f : futures)
      ASSERT_TRUE(f.get().ok());
  }
  for (int round = 0; round < 3; ++round) {
    partitions::BatchHeader h = header_at(0, round * 4);
    EXPECT_EQ(h.record_count, 4);
    EXPECT_EQ(h.base_sequence, round * 4);
  }
}

TEST_F(IdempotentProducerTest, ARepeatedBatchIsAcknowledgedWithTheOriginalOffsetAndStoredOnce) {
  Producer producer = idempotent_producer();
  send_one(producer, "first");
  send_one(producer, "second");
  send_one(producer, "third");
  ASSERT_EQ(engine_->partition_state("t", 0)->latest_offset, 3);

  // Resend the producer's own second batch, byte for byte as it sent it (same id, epoch and
  // sequence), through the engine's batch path.
  std::vector<std::byte> second = stored_batch(0, 1);
  partitions::store_be<int64_t>(second.data(), 0);  // as a producer sends it
  RawBatchSender sender(engine_->impl());
  Result<BatchDelivery> repeat = send_wait(sender, "t", 0, second);
  ASSERT_TRUE(repeat.ok()) << repeat.error().to_string();
  EXPECT_TRUE(repeat->duplicate);
  EXPECT_EQ(repeat->base_offset, 1);
  // The last batch again, too.
  std::vector<std::byte> third = stored_batch(0, 2);
  Result<BatchDelivery> repeat_last = send_wait(sender, "t", 0, third);
  ASSERT_TRUE(repeat_last.ok());
  EXPECT_TRUE(repeat_last->duplicate);
  EXPECT_EQ(repeat_last->base_offset, 2);

  EXPECT_EQ(engine_->partition_state("t", 0)->latest_offset, 3);
  EXPECT_EQ(values(0), (std::vector<std::string>{"first", "second", "third"}));
  // The producer goes on from where it was.
  EXPECT_EQ(send_one(producer, "fourth").offset, 3);
  EXPECT_EQ(values(0), (std::vector<std::string>{"first", "second", "third", "fourth"}));
}

TEST_F(IdempotentProducerTest, AGapIsRefusedWithOutOfOrderSequence) {
  Producer producer = idempotent_producer();
  send_one(producer, "a");
  send_one(producer, "b");
  const int64_t id = producer.impl().producer_id;
  const int16_t epoch = producer.impl().producer_epoch;
  RawBatchSender sender(engine_->impl());
  // The next sequence is 2: 5 skips three.
  std::vector<std::byte> gap = idempotent_batch(id, epoch, 5, 1, "gap");
  Result<BatchDelivery> refused = send_wait(sender, "t", 0, gap);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), Errc::out_of_order_sequence);
  EXPECT_NE(refused.error().message().find("next in order is 2"), std::string::npos)
      << refused.error().message();
  // A rewind that repeats no kept batch is refused the same way.
  std::vector<std::byte> rewind = idempotent_batch(id, epoch, 0, 2, "rewind");
  EXPECT_EQ(send_wait(sender, "t", 0, rewind).code(), Errc::out_of_order_sequence);
  // Nothing was stored, and the producer itself is not disturbed.
  EXPECT_EQ(values(0), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(send_one(producer, "c").offset, 2);
  EXPECT_EQ(values(0), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(IdempotentProducerTest, AFailedBatchMovesTheProducerToItsNextEpoch) {
  Producer producer = idempotent_producer();
  send_one(producer, "a");  // sequence 0
  const int64_t id = producer.impl().producer_id;
  // Another sender with the same id takes sequences 1 and 2: the producer's next batch
  // (sequence 1, one event) is neither a repeat nor the next in order.
  RawBatchSender sender(engine_->impl());
  ASSERT_TRUE(send_wait(sender, "t", 0, idempotent_batch(id, 0, 1, 2, "intruder")).ok());
  Event event;
  event.value = "refused";
  event.partition = 0;
  Result<Delivery> refused = producer.send_future("t", event).get();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), Errc::out_of_order_sequence);
  ASSERT_TRUE(producer.flush().ok());  // the completion ran on the producer's thread
  EXPECT_EQ(producer.impl().producer_epoch, 1);
  // The new epoch starts at sequence 0 everywhere, and the partition takes it.
  const Delivery next = send_one(producer, "after");
  EXPECT_EQ(next.offset, 3);
  partitions::BatchHeader h = header_at(0, 3);
  EXPECT_EQ(h.producer_epoch, 1);
  EXPECT_EQ(h.base_sequence, 0);
  EXPECT_EQ(send_one(producer, "x", 1).offset, 0);
  EXPECT_EQ(header_at(1, 0).producer_epoch, 1);
  EXPECT_EQ(header_at(1, 0).base_sequence, 0);
  EXPECT_EQ(values(0), (std::vector<std::string>{"a", "intruder-0", "intruder-1", "after"}));
}

TEST_F(IdempotentProducerTest, PlainProducersStayUnstamped) {
  Result<Producer> producer = engine_->producer();
  ASSERT_TRUE(producer.ok());
  EXPECT_EQ(producer->impl().producer_id, -1);
  send_one(*producer, "plain");
  partitions::BatchHeader h = header_at(0, 0);
  EXPECT_EQ(h.producer_id, -1);
  EXPECT_EQ(h.producer_epoch, -1);
  EXPECT_EQ(h.base_sequence, -1);
}

TEST_F(IdempotentProducerTest, DedupSurvivesARestart) {
  std::vector<std::byte> first;
  int64_t id = -1;
  {
    Producer producer = idempotent_producer();
    id = producer.impl().producer_id;
    send_one(producer, "one");
    send_one(producer, "two");
    first = stored_batch(0, 0);
  }
  engine_.reset();
  engine_ = open_engine(testing::engine_options(dir_.path()));
  ASSERT_NE(engine_, nullptr);
  RawBatchSender sender(engine_->impl());
  Result<BatchDelivery> repeat = send_wait(sender, "t", 0, first);
  ASSERT_TRUE(repeat.ok()) << repeat.error().to_string();
  EXPECT_TRUE(repeat->duplicate);
  EXPECT_EQ(repeat->base_offset, 0);
  EXPECT_EQ(values(0), (std::vector<std::string>{"one", "two"}));
  // Ids are never handed out twice by the data directory, restarts included.
  Producer after = idempotent_producer();
  EXPECT_NE(after.impl().producer_id, id);
}

}  // namespace
}  // namespace sluice
