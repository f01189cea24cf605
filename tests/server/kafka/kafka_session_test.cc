// Tests of KafkaSession and the data-path handlers against a real Engine: frames in, frames
// out, decoded with the codecs. ApiVersions (and its answer to a version we do not speak),
// Metadata with auto-creation, Produce at each acks (byte for byte, idempotent retries), Fetch
// (whole batches, the long poll, errors), ListOffsets, CreateTopics, DeleteTopics,
// InitProducerId, and the frames that close the connection.
#include "server/kafka/kafka_session.h"

#include "engine/engine_impl.h"
#include "engine/shard.h"
#include "partitions/endian.h"
#include "partitions/record_batch.h"
#include "server/kafka/api_keys.h"
#include "server/kafka/api_versions.h"
#include "server/kafka/create_topics.h"
#include "server/kafka/delete_topics.h"
#include "server/kafka/error_code.h"
#include "server/kafka/fetch.h"
#include "server/kafka/init_producer_id.h"
#include "server/kafka/list_offsets.h"
#include "server/kafka/metadata.h"
#include "server/kafka/produce.h"
#include "server/metrics.h"
#include "server/offloader.h"
#include "server/shard_context.h"
#include "tests/engine/engine_test_env.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

namespace sluice::server::kafka {
namespace {

using namespace std::chrono_literals;

class KafkaSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::open_engine(testing::engine_options(dir_.path(), 2));
    ASSERT_NE(engine_, nullptr);
    options_.default_partitions = 3;
    context_ = std::make_unique<ShardContext>(*engine_, engine_->impl().shard(0), offloader_,
                                              metrics_, options_);
    context_->set_broker("127.0.0.1", 9092);
    session_ = std::make_shared<KafkaSession>(*context_, "test");
  }
  void fresh_session() { session_ = std::make_shared<KafkaSession>(*context_, "test"); }
  void TearDown() override {
    session_.reset();
    context_.reset();
  }

  // One frame: size, header v1 (v2 when flexible), body.
  std::vector<std::byte> frame(ApiKey key, int16_t version, int32_t correlation,
                               const std::function<void(Writer&)>& body) {
    std::vector<std::byte> out;
    Writer w(&out);
    size_t at = w.reserve_int32();
    w.int16(static_cast<int16_t>(key));
    w.int16(version);
    w.int32(correlation);
    w.nullable_string(std::string_view("test-client"));
    if (is_flexible(key, version)) w.empty_tagged_fields();
    body(w);
    w.patch_int32(at, static_cast<int32_t>(out.size() - 4));
    return out;
  }

  // Feeds the frame, then drives the session (and the offloader's and shards' completions)
  // until a response arrives or 10 s pass; returns the response body after the header.
  std::vector<std::byte> call(ApiKey key, int16_t version, const std::function<void(Writer&)>& body,
                              bool expect_response = true) {
    const int32_t correlation = ++correlation_;
    std::vector<std::byte> request = frame(key, version, correlation, body);
    // The session lives on shard 0's thread, where its deferred completions arrive.
    on_shard([&] { EXPECT_EQ(session_->on_input(request), request.size()); });
    return expect_response ? next_response(correlation, key, version) : std::vector<std::byte>{};
  }

  std::vector<std::byte> next_response(int32_t correlation, ApiKey key, int16_t version) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      on_shard([&] {
        context_->poll_producers();
        session_->poll(context_->now_ms());
        std::span<const std::byte> out = session_->pending_output();
        if (!out.empty()) {
          pending_.insert(pending_.end(), out.begin(), out.end());
          session_->sent(out.size());
        }
      });
      if (pending_.size() >= 4) {
        const auto size = static_cast<size_t>(partitions::load_be<int32_t>(pending_.data()));
        if (pending_.size() >= 4 + size) {
          std::vector<std::byte> response(pending_.begin() + 4, pending_.begin() + 4 + size);
          pending_.erase(pending_.begin(), pending_.begin() + 4 + size);
          Reader r(response);
          EXPECT_EQ(r.int32(), correlation);
          const bool flexible = is_flexible(key, version) && key != ApiKey::api_versions;
          if (flexible) r.skip_tagged_fields();
          return std::vector<std::byte>(response.begin() + static_cast<long>(r.position()),
                                        response.end());
        }
      }
      std::this_thread::sleep_for(1ms);
    }
    ADD_FAILURE() << "no response";
    return {};
  }

  // Runs `task` on shard 0's thread, where the session lives: the offloader's completions and
  // the producers' callbacks arrive there, as they do in the server.
  void on_shard(const std::function<void()>& task) { engine_->impl().shard(0).run(task); }

  std::vector<std::byte> batch(const std::vector<std::pair<std::string, std::string>>& records,
                               partitions::BatchBuilder::Options options = {}) {
    partitions::BatchBuilder builder(options);
    for (const auto& [k, v] : records)
      builder.add(k, v, 1700000000000);
    std::span<const std::byte> bytes = builder.finish();
    return {bytes.begin(), bytes.end()};
  }

  ProduceResponse produce(const std::string& topic, int32_t partition,
                          const std::vector<std::byte>& records, int16_t acks = -1,
                          int16_t version = 7) {
    ProduceRequest request;
    request.acks = acks;
    request.timeout_ms = 1000;
    request.topics.push_back({topic, {{partition, std::span<const std::byte>(records)}}});
    std::vector<std::byte> body = call(
        ApiKey::produce, version, [&](Writer& w) { encode_produce_request(w, request, version); });
    Reader r(body);
    Result<ProduceResponse> response = decode_produce_response(r, version);
    EXPECT_TRUE(response.ok());
    return response.ok() ? *response : ProduceResponse{};
  }

  FetchResponse fetch(const std::string& topic, int32_t partition, int64_t offset,
                      int32_t max_wait_ms = 0, int32_t min_bytes = 1, int16_t version = 11) {
    FetchRequest request;
    request.max_wait_ms = max_wait_ms;
    request.min_bytes = min_bytes;
    request.max_bytes = 1 << 20;
    request.topics.push_back({topic, {{partition, -1, offset, -1, 1 << 20}}});
    // The decoded records are views into the body: keep it until the next fetch.
    fetch_body_ =
        call(ApiKey::fetch, version, [&](Writer& w) { encode_fetch_request(w, request, version); });
    Reader r(fetch_body_);
    Result<FetchResponse> response = decode_fetch_response(r, version);
    EXPECT_TRUE(response.ok());
    return response.ok() ? *response : FetchResponse{};
  }

  void create(const std::string& topic, int32_t partitions) {
    ASSERT_TRUE(engine_->create_topic(topic, testing::topic_config(partitions)).ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
  ServerOptions options_;
  Offloader offloader_;
  Metrics metrics_;
  std::unique_ptr<ShardContext> context_;
  std::shared_ptr<KafkaSession> session_;
  int32_t correlation_ = 0;
  std::vector<std::byte> pending_;
  std::vector<std::byte> fetch_body_;
};

TEST_F(KafkaSessionTest, ApiVersionsListsOurRanges) {
  for (int16_t version = 0; version <= 3; ++version) {
    std::vector<std::byte> body = call(ApiKey::api_versions, version, [&](Writer& w) {
      encode_api_versions_request(w, {"librdkafka", "2.0.2"}, version);
    });
    Reader r(body);
    Result<ApiVersionsResponse> response = decode_api_versions_response(r, version);
    ASSERT_TRUE(response.ok()) << version;
    EXPECT_EQ(response->error_code, 0);
    EXPECT_EQ(response->api_keys.size(), supported_apis().size());
  }
}

TEST_F(KafkaSessionTest, ApiVersionsAtAnUnknownVersionGetsTheV0List) {
  std::vector<std::byte> body = call(ApiKey::api_versions, 9, [](Writer& w) { w.int32(0); });
  Reader r(body);
  Result<ApiVersionsResponse> response = decode_api_versions_response(r, 0);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->error_code, code(ErrorCode::unsupported_version));
  EXPECT_FALSE(response->api_keys.empty());
  EXPECT_FALSE(session_->should_close());
}

TEST_F(KafkaSessionTest, MetadataAutoCreatesANamedTopic) {
  MetadataRequest request;
  request.topics = std::vector<std::string_view>{"fresh", "bad/name"};
  std::vector<std::byte> body =
      call(ApiKey::metadata, 4, [&](Writer& w) { encode_metadata_request(w, request, 4); });
  Reader r(body);
  Result<MetadataResponse> response = decode_metadata_response(r, 4);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->brokers.size(), 1u);
  EXPECT_EQ(response->brokers[0].port, 9092);
  ASSERT_EQ(response->topics.size(), 2u);
  EXPECT_EQ(response->topics[0].error_code, 0);
  EXPECT_EQ(response->topics[0].partitions.size(), 3u);  // default_partitions
  EXPECT_EQ(response->topics[1].error_code, code(ErrorCode::invalid_topic_exception));
  EXPECT_TRUE(engine_->describe_topic("fresh").ok());
}

TEST_F(KafkaSessionTest, MetadataWithoutAutoCreateSaysUnknown) {
  MetadataRequest request;
  request.topics = std::vector<std::string_view>{"absent"};
  request.allow_auto_topic_creation = false;
  std::vector<std::byte> body =
      call(ApiKey::metadata, 5, [&](Writer& w) { encode_metadata_request(w, request, 5); });
  Reader r(body);
  Result<MetadataResponse> response = decode_metadata_response(r, 5);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->topics.size(), 1u);
  EXPECT_EQ(response->topics[0].error_code, code(ErrorCode::unknown_topic_or_partition));
  EXPECT_FALSE(engine_->describe_topic("absent").ok());
}

TEST_F(KafkaSessionTest, ProduceThenFetchByteForByte) {
  create("t", 2);
  std::vector<std::byte> first = batch({{"k1", "v1"}, {"k2", "v2"}});
  std::vector<std::byte> second = batch({{"k3", "v3"}});
  for (int16_t acks : {1, -1}) {
    ProduceResponse response = produce("t", 1, acks == 1 ? first : second, acks);
    ASSERT_EQ(response.topics.size(), 1u);
    EXPECT_EQ(response.topics[0].partitions[0].error_code, 0);
  }
  FetchResponse fetched = fetch("t", 1, 0);
  ASSERT_EQ(fetched.topics.size(), 1u);
  const FetchPartitionResponse& p = fetched.topics[0].partitions[0];
  EXPECT_EQ(p.error_code, 0);
  EXPECT_EQ(p.high_watermark, 3);
  ASSERT_EQ(p.records.size(), 1u);
  ASSERT_EQ(p.records[0].size(), first.size() + second.size());
  // Only the base offsets differ (they are outside the CRC).
  std::vector<std::byte> expected = first;
  expected.insert(expected.end(), second.begin(), second.end());
  partitions::store_be<int64_t>(expected.data() + first.size(), 2);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), p.records[0].begin()));
  EXPECT_GE(metrics_.produced_events.value(), 3u);
}

TEST_F(KafkaSessionTest, AcksZeroSendsNoResponse) {
  create("quiet", 1);
  std::vector<std::byte> records = batch({{"k", "v"}});
  ProduceRequest request;
  request.acks = 0;
  request.topics.push_back({"quiet", {{0, std::span<const std::byte>(records)}}});
  call(
      ApiKey::produce, 7, [&](Writer& w) { encode_produce_request(w, request, 7); }, false);
  // The next request's answer is the next frame out: nothing came for the produce.
  MetadataRequest metadata;
  metadata.topics = std::vector<std::string_view>{};
  std::vector<std::byte> body =
      call(ApiKey::metadata, 1, [&](Writer& w) { encode_metadata_request(w, metadata, 1); });
  EXPECT_FALSE(body.empty());
  for (int i = 0; i < 1000 && engine_->partition_state("quiet", 0)->latest_offset == 0; ++i) {
    on_shard([&] { context_->poll_producers(); });
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(engine_->partition_state("quiet", 0)->latest_offset, 1);
}

TEST_F(KafkaSessionTest, ProduceErrorsPerPartition) {
  create("t", 1);
  std::vector<std::byte> good = batch({{"k", "v"}});
  std::vector<std::byte> corrupt = good;
  corrupt.back() ^= std::byte{1};  // the CRC no longer holds
  EXPECT_EQ(produce("t", 0, corrupt).topics[0].partitions[0].error_code,
            code(ErrorCode::corrupt_message));
  EXPECT_EQ(produce("t", 5, good).topics[0].partitions[0].error_code,
            code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(produce("nope", 0, good).topics[0].partitions[0].error_code,
            code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(produce("t", 0, good, 2).topics[0].partitions[0].error_code,
            code(ErrorCode::invalid_required_acks));
  std::vector<std::byte> truncated(good.begin(), good.end() - 3);
  EXPECT_EQ(produce("t", 0, truncated).topics[0].partitions[0].error_code,
            code(ErrorCode::corrupt_message));
  EXPECT_EQ(engine_->partition_state("t", 0)->latest_offset, 0);  // nothing written
}

// Produce v0-2 is advertised (librdkafka compresses only when the range includes v0) but their
// message sets (magic 0 and 1) are not stored: UNSUPPORTED_FOR_MESSAGE_FORMAT, per partition.
TEST_F(KafkaSessionTest, OldProduceVersionsAreAnsweredPerPartition) {
  create("t", 1);
  std::vector<std::byte> old_message_set = batch({{"k", "v"}});
  old_message_set[16] = std::byte{1};  // magic 1
  for (int16_t version : {0, 1, 2}) {
    ProduceResponse response = produce("t", 0, old_message_set, -1, version);
    ASSERT_EQ(response.topics.size(), 1u) << version;
    EXPECT_EQ(response.topics[0].partitions[0].error_code,
              code(ErrorCode::unsupported_for_message_format))
        << version;
  }
  EXPECT_EQ(engine_->partition_state("t", 0)->latest_offset, 0);
}

TEST_F(KafkaSessionTest, IdempotentRetryIsAnsweredWithTheOriginalOffset) {
  create("idem", 1);
  std::vector<std::byte> body = call(ApiKey::init_producer_id, 1, [](Writer& w) {
    encode_init_producer_id_request(w, InitProducerIdRequest{}, 1);
  });
  Reader r(body);
  Result<InitProducerIdResponse> id = decode_init_producer_id_response(r, 1);
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(id->error_code, 0);
  ASSERT_GE(id->producer_id, 0);
  partitions::BatchBuilder::Options options;
  options.producer_id = id->producer_id;
  options.producer_epoch = id->producer_epoch;
  options.base_sequence = 0;
  std::vector<std::byte> first = batch({{"a", "1"}, {"b", "2"}}, options);
  options.base_sequence = 2;
  std::vector<std::byte> second = batch({{"c", "3"}}, options);
  EXPECT_EQ(produce("idem", 0, first).topics[0].partitions[0].base_offset, 0);
  EXPECT_EQ(produce("idem", 0, second).topics[0].partitions[0].base_offset, 2);
  ProduceResponse retry = produce("idem", 0, first);
  EXPECT_EQ(retry.topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(retry.topics[0].partitions[0].base_offset, 0);
  options.base_sequence = 7;  // a gap
  EXPECT_EQ(produce("idem", 0, batch({{"d", "4"}}, options)).topics[0].partitions[0].error_code,
            code(ErrorCode::out_of_order_sequence_number));
  EXPECT_EQ(engine_->partition_state("idem", 0)->latest_offset, 3);
}

TEST_F(KafkaSessionTest, FetchLongPollsUntilDataArrives) {
  create("wait", 1);
  std::thread producer([&] {
    std::this_thread::sleep_for(100ms);
    Result<Producer> p = engine_->producer();
    ASSERT_TRUE(p.ok());
    Event event;
    event.key = "k";
    event.value = "late";
    ASSERT_TRUE(p->send_future("wait", event).get().ok());
  });
  const auto begin = std::chrono::steady_clock::now();
  FetchResponse fetched = fetch("wait", 0, 0, 5000);
  const auto waited = std::chrono::steady_clock::now() - begin;
  producer.join();
  ASSERT_EQ(fetched.topics.size(), 1u);
  EXPECT_EQ(fetched.topics[0].partitions[0].high_watermark, 1);
  EXPECT_FALSE(fetched.topics[0].partitions[0].records.empty());
  EXPECT_LT(waited, 4s);  // answered when the data came, not at the deadline
}

TEST_F(KafkaSessionTest, FetchAnswersEmptyAtTheDeadline) {
  create("idle", 1);
  FetchResponse fetched = fetch("idle", 0, 0, 50);
  ASSERT_EQ(fetched.topics.size(), 1u);
  EXPECT_EQ(fetched.topics[0].partitions[0].error_code, 0);
  EXPECT_TRUE(fetched.topics[0].partitions[0].records.empty());
}

TEST_F(KafkaSessionTest, FetchErrors) {
  create("t", 1);
  produce("t", 0, batch({{"k", "v"}}));
  EXPECT_EQ(fetch("t", 0, 5).topics[0].partitions[0].error_code,
            code(ErrorCode::offset_out_of_range));
  EXPECT_EQ(fetch("t", 3, 0).topics[0].partitions[0].error_code,
            code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(fetch("missing", 0, 0).topics[0].partitions[0].error_code,
            code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(fetch("t", 0, 0, 0, 1, 4).topics[0].partitions[0].error_code, 0);  // v4 works too
}

TEST_F(KafkaSessionTest, ListOffsetsEarliestLatestAndTime) {
  create("t", 1);
  produce("t", 0, batch({{"a", "1"}, {"b", "2"}}));
  for (int16_t version : {0, 1, 2, 3}) {
    ListOffsetsRequest request;
    request.topics.push_back(
        {"t", {{0, kListOffsetsEarliest, 1}, {0, kListOffsetsLatest, 1}, {0, 1700000000000, 1}}});
    std::vector<std::byte> body = call(ApiKey::list_offsets, version, [&](Writer& w) {
      encode_list_offsets_request(w, request, version);
    });
    Reader r(body);
    Result<ListOffsetsResponse> response = decode_list_offsets_response(r, version);
    ASSERT_TRUE(response.ok()) << version;
    const auto& parts = response->topics[0].partitions;
    ASSERT_EQ(parts.size(), 3u);
    if (version == 0) {
      EXPECT_EQ(parts[0].old_style_offsets, std::vector<int64_t>{0});
      EXPECT_EQ(parts[1].old_style_offsets, std::vector<int64_t>{2});
    } else {
      EXPECT_EQ(parts[0].offset, 0);
      EXPECT_EQ(parts[1].offset, 2);
      EXPECT_EQ(parts[2].offset, 0);
    }
  }
}

TEST_F(KafkaSessionTest, CreateAndDeleteTopics) {
  CreateTopicsRequest request;
  CreatableTopic good;
  good.name = "made";
  good.num_partitions = 4;
  good.replication_factor = 1;
  good.configs.push_back({"retention.ms", std::string_view("60000")});
  CreatableTopic replicated;
  replicated.name = "replicated";
  replicated.num_partitions = 1;
  replicated.replication_factor = 3;
  CreatableTopic odd_config;
  odd_config.name = "odd";
  odd_config.num_partitions = 1;
  odd_config.configs.push_back({"cleanup.policy", std::string_view("compact")});
  request.topics = {good, replicated, odd_config};
  std::vector<std::byte> body = call(
      ApiKey::create_topics, 4, [&](Writer& w) { encode_create_topics_request(w, request, 4); });
  Reader r(body);
  Result<CreateTopicsResponse> created = decode_create_topics_response(r, 4);
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->topics.size(), 3u);
  EXPECT_EQ(created->topics[0].error_code, 0);
  EXPECT_EQ(created->topics[1].error_code, code(ErrorCode::invalid_replication_factor));
  EXPECT_EQ(created->topics[2].error_code, code(ErrorCode::invalid_config));
  Result<TopicDescription> made = engine_->describe_topic("made");
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->config.partitions, 4);
  EXPECT_EQ(made->config.retention_ms, 60000);

  // Again: already exists.
  request.topics = {good};
  body = call(ApiKey::create_topics, 2,
              [&](Writer& w) { encode_create_topics_request(w, request, 2); });
  Reader again(body);
  created = decode_create_topics_response(again, 2);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->topics[0].error_code, code(ErrorCode::topic_already_exists));

  DeleteTopicsRequest deletion;
  deletion.topic_names = {"made", "never", "__consumer_offsets"};
  body = call(ApiKey::delete_topics, 3,
              [&](Writer& w) { encode_delete_topics_request(w, deletion, 3); });
  Reader d(body);
  Result<DeleteTopicsResponse> deleted = decode_delete_topics_response(d, 3);
  ASSERT_TRUE(deleted.ok());
  ASSERT_EQ(deleted->responses.size(), 3u);
  EXPECT_EQ(deleted->responses[0].error_code, 0);
  EXPECT_EQ(deleted->responses[1].error_code, code(ErrorCode::unknown_topic_or_partition));
  EXPECT_EQ(deleted->responses[2].error_code, code(ErrorCode::unknown_topic_or_partition));
  EXPECT_FALSE(engine_->describe_topic("made").ok());
}

TEST_F(KafkaSessionTest, FrameOverTheLimitCloses) {
  std::vector<std::byte> frame(4);
  partitions::store_be<int32_t>(frame.data(), static_cast<int32_t>((100u << 20) + 1));
  session_->on_input(frame);
  EXPECT_TRUE(session_->should_close());
}

TEST_F(KafkaSessionTest, TinyOrNegativeFrameCloses) {
  for (int32_t size : {-5, 0, 3}) {
    fresh_session();
    std::vector<std::byte> frame(16);
    partitions::store_be<int32_t>(frame.data(), size);
    session_->on_input(frame);
    EXPECT_TRUE(session_->should_close()) << size;
  }
}

TEST_F(KafkaSessionTest, UnknownApiOrVersionCloses) {
  std::vector<std::byte> unknown =
      frame(static_cast<ApiKey>(77), 0, 1, [](Writer& w) { w.int32(0); });
  session_->on_input(unknown);
  EXPECT_TRUE(session_->should_close());
  fresh_session();
  std::vector<std::byte> new_produce = frame(ApiKey::produce, 8, 1, [](Writer& w) { w.int32(0); });
  session_->on_input(new_produce);
  EXPECT_TRUE(session_->should_close());
}

TEST_F(KafkaSessionTest, GarbageBodyClosesAfterEarlierAnswers) {
  create("t", 1);
  std::vector<std::byte> input = frame(ApiKey::api_versions, 0, 1, [](Writer&) {});
  std::vector<std::byte> garbage = frame(ApiKey::metadata, 1, 2, [](Writer& w) { w.int32(1000); });
  input.insert(input.end(), garbage.begin(), garbage.end());
  session_->on_input(input);
  EXPECT_TRUE(session_->should_close());
  // The ApiVersions answer still goes out before the connection closes.
  EXPECT_FALSE(session_->pending_output().empty());
}

TEST_F(KafkaSessionTest, PartialFramesWaitForTheRest) {
  std::vector<std::byte> request = frame(ApiKey::api_versions, 2, 1, [](Writer&) {});
  EXPECT_EQ(session_->on_input(std::span(request).first(3)), 0u);
  EXPECT_EQ(session_->on_input(std::span(request).first(request.size() - 1)), 0u);
  EXPECT_EQ(session_->on_input(request), request.size());
  EXPECT_FALSE(session_->pending_output().empty());
}

}  // namespace
}  // namespace sluice::server::kafka
