// fuzz_seeds DIR: writes seed corpora for the fuzz targets, made by sluice's own encoders, so
// that a run starts from well-formed inputs instead of discovering the formats byte by byte.
//
//   DIR/kafka_request/<api>_v<version>[_response]: a request frame (header and body, without
//     the int32 size) for every version of every API with an encoder here, and the same header
//     before a response body (the target decodes every body both ways);
//   DIR/record_batch/*: single record batches and small segment files.
//
// Build and run: see tests/fuzz/CMakeLists.txt.
#include "partitions/record_batch.h"
#include "server/kafka/api_keys.h"
#include "server/kafka/api_versions.h"
#include "server/kafka/create_topics.h"
#include "server/kafka/delete_topics.h"
#include "server/kafka/fetch.h"
#include "server/kafka/init_producer_id.h"
#include "server/kafka/list_offsets.h"
#include "server/kafka/metadata.h"
#include "server/kafka/produce.h"
#include "server/kafka/wire.h"
#include "tests/support/compressed_batches.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace sluice {
namespace {

using namespace server::kafka;

bool write_file(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

std::vector<std::byte> sample_batch(int64_t base_offset, int records) {
  partitions::BatchBuilder builder({.base_offset = base_offset});
  std::vector<partitions::RecordHeader> headers{{"trace", std::vector<std::byte>(4)},
                                                {"none", std::nullopt}};
  for (int i = 0; i < records; ++i) {
    std::string key = "key-" + std::to_string(i);
    std::string value(static_cast<size_t>(20 + 30 * i), 'v');
    builder.add(std::as_bytes(std::span(key.data(), key.size())),
                std::as_bytes(std::span(value.data(), value.size())), 1700000000000 + i,
                i % 2 == 0 ? std::span<const partitions::RecordHeader>(headers)
                           : std::span<const partitions::RecordHeader>());
  }
  builder.add(std::nullopt, std::nullopt, 1700000000999);
  std::span<const std::byte> batch = builder.finish();
  return {batch.begin(), batch.end()};
}

// Every version of `key` that sluiced advertises: a request header, then a body written by
// `encode`. The fuzz target decodes each body as a request and as a response, so response
// bodies behind a request header (`suffix` "_response") seed the responses' round trips.
void frame_seeds(const std::filesystem::path& dir, ApiKey key, const std::string& suffix,
                 const std::function<void(Writer&, int16_t)>& encode, int* count) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(key));
  for (int16_t v = api->min_version; v <= api->max_version; ++v) {
    std::vector<std::byte> frame;
    Writer w(&frame);
    w.int16(static_cast<int16_t>(key));
    w.int16(v);
    w.int32(7);
    w.nullable_string("fuzz");
    if (is_flexible(key, v)) w.empty_tagged_fields();
    encode(w, v);
    write_file(dir / (std::string(api->name) + "_v" + std::to_string(v) + suffix), frame);
    ++*count;
  }
}

// A response of every API and version, behind a request header.
void response_seeds(const std::filesystem::path& dir, const std::vector<std::byte>& batch,
                    int* count) {
  const std::string suffix = "_response";
  frame_seeds(
      dir, ApiKey::api_versions, suffix,
      [](Writer& w, int16_t v) {
        encode_api_versions_response(w, make_api_versions_response(), v);
      },
      count);
  frame_seeds(
      dir, ApiKey::metadata, suffix,
      [](Writer& w, int16_t v) {
        MetadataResponse r;
        r.brokers = {{1, "127.0.0.1", 9092, "rack"}};
        r.cluster_id = "sluice";
        r.controller_id = 1;
        MetadataTopic t{0, "orders", false, {}};
        t.partitions.push_back({0, 0, 1, {1}, {1}, {2}});
        r.topics = {t, {3, "missing", false, {}}};
        encode_metadata_response(w, r, v);
      },
      count);
  frame_seeds(
      dir, ApiKey::produce, suffix,
      [](Writer& w, int16_t v) {
        ProduceResponse r;
        r.topics.push_back({"orders", {{0, 0, 42, -1, 0}, {1, 3, -1, -1, -1}}});
        encode_produce_response(w, r, v);
      },
      count);
  frame_seeds(
      dir, ApiKey::fetch, suffix,
      [&](Writer& w, int16_t v) {
        FetchResponse r;
        FetchPartitionResponse p;
        p.high_watermark = 10;
        p.last_stable_offset = 10;
        p.log_start_offset = 0;
        p.aborted_transactions = std::vector<AbortedTransaction>{{5, 3}};
        p.records = {batch};
        r.topics.push_back({"orders", {p}});
        encode_fetch_response(w, r, v);
      },
      count);
  frame_seeds(
      dir, ApiKey::list_offsets, suffix,
      [](Writer& w, int16_t v) {
        ListOffsetsResponse r;
        r.topics.push_back({"orders", {{0, 0, {10, 0}, 1000, 10}}});
        encode_list_offsets_response(w, r, v);
      },
      count);
  frame_seeds(
      dir, ApiKey::create_topics, suffix,
      [](Writer& w, int16_t v) {
        encode_create_topics_response(w, {0, {{"orders", 0, std::nullopt}, {"x", 36, "exists"}}},
                                      v);
      },
      count);
  frame_seeds(
      dir, ApiKey::delete_topics, suffix,
      [](Writer& w, int16_t v) {
        encode_delete_topics_response(w, {0, {{"orders", 0}}}, v);
      },
      count);
  frame_seeds(
      dir, ApiKey::init_producer_id, suffix,
      [](Writer& w, int16_t v) {
        encode_init_producer_id_response(w, {0, 0, 1000, 0}, v);
      },
      count);
}

int kafka_seeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  int count = 0;
  std::vector<std::byte> batch = sample_batch(0, 3);
  frame_seeds(
      dir, ApiKey::api_versions, "",
      [](Writer& w, int16_t v) {
        encode_api_versions_request(w, {"sluice", "0.1"}, v);
      },
      &count);
  frame_seeds(
      dir, ApiKey::metadata, "",
      [](Writer& w, int16_t v) {
        MetadataRequest r;
        r.topics = std::vector<std::string_view>{"orders", "logs"};
        encode_metadata_request(w, r, v);
      },
      &count);
  frame_seeds(
      dir, ApiKey::produce, "",
      [&](Writer& w, int16_t v) {
        ProduceRequest r;
        r.acks = -1;
        r.timeout_ms = 30000;
        r.topics.push_back({"orders", {{0, std::span<const std::byte>(batch)}}});
        encode_produce_request(w, r, v);
      },
      &count);
  frame_seeds(
      dir, ApiKey::fetch, "",
      [](Writer& w, int16_t v) {
        FetchRequest r;
        r.max_wait_ms = 500;
        r.min_bytes = 1;
        r.topics.push_back({"orders", {{0, 0, 10, -1, 1048576}, {1, 0, 0, -1, 1048576}}});
        r.forgotten_topics.push_back({"old", {3}});
        r.rack_id = "rack";
        encode_fetch_request(w, r, v);
      },
      &count);
  frame_seeds(
      dir, ApiKey::list_offsets, "",
      [](Writer& w, int16_t v) {
        ListOffsetsRequest r;
        r.topics.push_back({"orders", {{0, kListOffsetsEarliest, 1}, {1, kListOffsetsLatest, 1}}});
        encode_list_offsets_request(w, r, v);
      },
      &count);
  frame_seeds(
      dir, ApiKey::create_topics, "",
      [](Writer& w, int16_t v) {
        CreateTopicsRequest r;
        CreatableTopic t;
        t.name = "orders";
        t.num_partitions = 3;
        t.replication_factor = 1;
        t.assignments = {{0, {1}}};
        t.configs = {{"retention.ms", "1000"}, {"x", std::nullopt}};
        r.topics = {t};
        encode_create_topics_request(w, r, v);
      },
      &count);
  frame_seeds(
      dir, ApiKey::delete_topics, "",
      [](Writer& w, int16_t v) {
        encode_delete_topics_request(w, {{"orders", "logs"}, 1000}, v);
      },
      &count);
  frame_seeds(
      dir, ApiKey::init_producer_id, "",
      [](Writer& w, int16_t v) {
        encode_init_producer_id_request(w, {"txn", 60000, 5, 1}, v);
      },
      &count);
  response_seeds(dir, batch, &count);
  return count;
}

int batch_seeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  int count = 0;
  auto put = [&](const std::string& name, const std::vector<std::byte>& bytes) {
    write_file(dir / name, bytes);
    ++count;
  };
  put("one_record", sample_batch(0, 0));
  put("four_records", sample_batch(100, 3));
  // Offsets near the top of int64: a few bit flips away from overflowing the last offset.
  put("high_offsets", sample_batch(std::numeric_limits<int64_t>::max() - 16, 3));
  // A segment: batches at rising offsets, long enough to reach past a 1 KiB chunk.
  std::vector<std::byte> segment;
  int64_t offset = 0;
  for (int i = 0; i < 6; ++i) {
    std::vector<std::byte> batch = sample_batch(offset, 1 + i % 3);
    segment.insert(segment.end(), batch.begin(), batch.end());
    offset += 2 + i % 3;
  }
  put("segment", segment);
  // Compressed batches, one per codec (snappy in both framings), written by the codecs' own
  // libraries as Kafka clients write them, and a segment of them.
  using partitions::Compression;
  const std::vector<std::byte> plain = sample_batch(200, 4);
  std::vector<std::byte> compressed_segment;
  for (Compression codec :
       {Compression::gzip, Compression::snappy, Compression::lz4, Compression::zstd}) {
    std::vector<std::byte> batch = testing::compress_batch(plain, codec);
    put("compressed_" + std::string(partitions::compression_name(codec)), batch);
    compressed_segment.insert(compressed_segment.end(), batch.begin(), batch.end());
  }
  put("compressed_snappy_xerial",
      testing::compress_batch(plain, Compression::snappy, testing::SnappyFraming::xerial));
  put("compressed_segment", compressed_segment);
  return count;
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  int requests = sluice::kafka_seeds(dir / "kafka_request");
  int batches = sluice::batch_seeds(dir / "record_batch");
  std::printf("wrote %d Kafka frames and %d batch files under %s\n", requests, batches, argv[1]);
  return 0;
}
