#include "server/kafka/fetch.h"

#include "io/assert.h"
#include "server/kafka/api_keys.h"
#include "server/kafka/field_reader.h"

namespace sluice::server::kafka {

namespace {

constexpr ApiKey kKey = ApiKey::fetch;
// The smallest encodings: a topic (name, partitions); a partition (index, offset, max bytes);
// a forgotten topic (name, partitions); a partition response (index, error, high watermark,
// last stable offset, aborted transactions, records); an aborted transaction.
constexpr size_t kMinTopicBytes = 2 + 4;
constexpr size_t kMinPartitionBytes = 4 + 8 + 4;
constexpr size_t kMinForgottenBytes = 2 + 4;
constexpr size_t kMinPartitionResponseBytes = 4 + 2 + 8 + 8 + 4 + 4;
constexpr size_t kAbortedTransactionBytes = 8 + 8;

FetchPartition read_partition(FieldReader& r, int16_t version) {
  FetchPartition p;
  p.partition = r.int32("topics[].partitions[].partition");
  if (version >= 9) p.current_leader_epoch = r.int32("topics[].partitions[].current_leader_epoch");
  p.fetch_offset = r.int64("topics[].partitions[].fetch_offset");
  if (version >= 5) p.log_start_offset = r.int64("topics[].partitions[].log_start_offset");
  p.partition_max_bytes = r.int32("topics[].partitions[].partition_max_bytes");
  return p;
}

void write_partition_response(Writer& out, const FetchPartitionResponse& p, int16_t version) {
  out.int32(p.partition);
  out.int16(p.error_code);
  out.int64(p.high_watermark);
  out.int64(p.last_stable_offset);
  if (version >= 5) out.int64(p.log_start_offset);
  if (p.aborted_transactions) {
    write_array_length(out, p.aborted_transactions->size(), false);
    for (const AbortedTransaction& a : *p.aborted_transactions) {
      out.int64(a.producer_id);
      out.int64(a.first_offset);
    }
  } else {
    out.array_length(-1);
  }
  if (version >= 11) out.int32(p.preferred_read_replica);
  const size_t total = records_bytes(p);
  SLUICE_ASSERT_MSG(total <= static_cast<size_t>(std::numeric_limits<int32_t>::max()),
                    "fetch records above 2 GiB");
  out.int32(static_cast<int32_t>(total));
  for (std::span<const std::byte> span : p.records)
    out.raw(span);
}

FetchPartitionResponse read_partition_response(FieldReader& r, int16_t version) {
  FetchPartitionResponse p;
  p.partition = r.int32("topics[].partitions[].partition");
  p.error_code = r.int16("topics[].partitions[].error_code");
  p.high_watermark = r.int64("topics[].partitions[].high_watermark");
  p.last_stable_offset = r.int64("topics[].partitions[].last_stable_offset");
  if (version >= 5) p.log_start_offset = r.int64("topics[].partitions[].log_start_offset");
  std::optional<int32_t> aborted =
      r.nullable_array("topics[].partitions[].aborted_transactions", kAbortedTransactionBytes);
  if (aborted) {
    p.aborted_transactions.emplace();
    p.aborted_transactions->reserve(static_cast<size_t>(*aborted));
    for (int32_t i = 0; i < *aborted && r.ok(); ++i) {
      AbortedTransaction a;
      a.producer_id = r.int64("topics[].partitions[].aborted_transactions[].producer_id");
      a.first_offset = r.int64("topics[].partitions[].aborted_transactions[].first_offset");
      p.aborted_transactions->push_back(a);
    }
  }
  if (version >= 11) {
    p.preferred_read_replica = r.int32("topics[].partitions[].preferred_read_replica");
  }
  std::optional<std::span<const std::byte>> records =
      r.nullable_bytes("topics[].partitions[].records");
  if (records && !records->empty()) p.records.push_back(*records);
  return p;
}

}  // namespace

size_t records_bytes(const FetchPartitionResponse& partition) {
  size_t total = 0;
  for (std::span<const std::byte> span : partition.records)
    total += span.size();
  return total;
}

Result<FetchRequest> decode_fetch_request(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "request"));
  FieldReader r(in, is_flexible(kKey, version));
  FetchRequest request;
  request.replica_id = r.int32("replica_id");
  request.max_wait_ms = r.int32("max_wait_ms");
  request.min_bytes = r.int32("min_bytes");
  request.max_bytes = r.int32("max_bytes");
  request.isolation_level = r.int8("isolation_level");
  if (version >= 7) {
    request.session_id = r.int32("session_id");
    request.session_epoch = r.int32("session_epoch");
  }
  int32_t topics = r.array("topics", kMinTopicBytes);
  request.topics.reserve(static_cast<size_t>(topics));
  for (int32_t i = 0; i < topics && r.ok(); ++i) {
    FetchTopic& t = request.topics.emplace_back();
    t.topic = r.string("topics[].topic");
    int32_t partitions = r.array("topics[].partitions", kMinPartitionBytes);
    t.partitions.reserve(static_cast<size_t>(partitions));
    for (int32_t j = 0; j < partitions && r.ok(); ++j)
      t.partitions.push_back(read_partition(r, version));
  }
  if (version >= 7) {
    int32_t forgotten = r.array("forgotten_topics", kMinForgottenBytes);
    request.forgotten_topics.reserve(static_cast<size_t>(forgotten));
    for (int32_t i = 0; i < forgotten && r.ok(); ++i) {
      ForgottenTopic& f = request.forgotten_topics.emplace_back();
      f.topic = r.string("forgotten_topics[].topic");
      f.partitions = r.int32_array("forgotten_topics[].partitions");
    }
  }
  if (version >= 11) request.rack_id = r.string("rack_id");
  SLUICE_TRY(r.finish(kKey, version, "request"));
  return request;
}

void encode_fetch_request(Writer& out, const FetchRequest& request, int16_t version) {
  assert_version(kKey, version);
  out.int32(request.replica_id);
  out.int32(request.max_wait_ms);
  out.int32(request.min_bytes);
  out.int32(request.max_bytes);
  out.int8(request.isolation_level);
  if (version >= 7) {
    out.int32(request.session_id);
    out.int32(request.session_epoch);
  }
  write_array_length(out, request.topics.size(), false);
  for (const FetchTopic& t : request.topics) {
    out.string(t.topic);
    write_array_length(out, t.partitions.size(), false);
    for (const FetchPartition& p : t.partitions) {
      out.int32(p.partition);
      if (version >= 9) out.int32(p.current_leader_epoch);
      out.int64(p.fetch_offset);
      if (version >= 5) out.int64(p.log_start_offset);
      out.int32(p.partition_max_bytes);
    }
  }
  if (version >= 7) {
    write_array_length(out, request.forgotten_topics.size(), false);
    for (const ForgottenTopic& f : request.forgotten_topics) {
      out.string(f.topic);
      write_int32_array(out, f.partitions, false);
    }
  }
  if (version >= 11) out.string(request.rack_id);
}

void encode_fetch_response(Writer& out, const FetchResponse& response, int16_t version) {
  assert_version(kKey, version);
  out.int32(response.throttle_time_ms);
  if (version >= 7) {
    out.int16(response.error_code);
    out.int32(response.session_id);
  }
  write_array_length(out, response.topics.size(), false);
  for (const FetchTopicResponse& t : response.topics) {
    out.string(t.topic);
    write_array_length(out, t.partitions.size(), false);
    for (const FetchPartitionResponse& p : t.partitions)
      write_partition_response(out, p, version);
  }
}

Result<FetchResponse> decode_fetch_response(Reader& in, int16_t version) {
  SLUICE_TRY(check_version(kKey, version, "response"));
  FieldReader r(in, is_flexible(kKey, version));
  FetchResponse response;
  response.throttle_time_ms = r.int32("throttle_time_ms");
  if (version >= 7) {
    response.error_code = r.int16("error_code");
    response.session_id = r.int32("session_id");
  }
  int32_t topics = r.array("topics", kMinTopicBytes);
  response.topics.reserve(static_cast<size_t>(topics));
  for (int32_t i = 0; i < topics && r.ok(); ++i) {
    FetchTopicResponse& t = response.topics.emplace_back();
    t.topic = r.string("topics[].topic");
    int32_t partitions = r.array("topics[].partitions", kMinPartitionResponseBytes);
    t.partitions.reserve(static_cast<size_t>(partitions));
    for (int32_t j = 0; j < partitions && r.ok(); ++j)
      t.partitions.push_back(read_partition_response(r, version));
  }
  SLUICE_TRY(r.finish(kKey, version, "response"));
  return response;
}

}  // namespace sluice::server::kafka
