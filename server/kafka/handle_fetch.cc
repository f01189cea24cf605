// Fetch: served from the stored bytes through each partition's LogReader (any thread; the
// tail comes from memory), whole batches as they were produced. Sessionless (session id 0, as
// a broker that does not keep fetch sessions answers). A long poll: when fewer than min_bytes
// are ready the reply waits, checking the partitions' high watermarks each round, until enough
// arrived or max_wait_ms passed; the shards owning those partitions wake this one after each
// append to them (engine/tail_waiters.h), so the answer leaves as soon as the data is there.
#include "engine/tail_waiters.h"
#include "partitions/endian.h"
#include "partitions/log_reader.h"
#include "partitions/record_batch.h"
#include "server/kafka/fetch.h"
#include "server/kafka/handlers.h"
#include "server/kafka/topic_lookup.h"
#include "server/metrics.h"
#include "server/shard_context.h"

#include <algorithm>

namespace sluice::server::kafka {
namespace {

struct WantedPartition {
  int32_t partition = 0;
  int64_t fetch_offset = 0;
  int32_t max_bytes = 0;
  std::shared_ptr<engine::PartitionSlot> slot;  // null: unknown
  std::vector<std::byte> data;                  // what the last read found
};

struct WantedTopic {
  std::string name;
  std::vector<WantedPartition> partitions;
};

struct PendingFetch {
  std::vector<WantedTopic> topics;
  int16_t version = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = 0;
  int64_t deadline_ms = 0;
};

// Asks the shards that own the wanted partitions to wake this one after their next append
// (engine/tail_waiters.h); before the check of their high watermarks. Partitions of this
// shard need nothing: their appends run on this thread, which then polls the fetch.
void watch_partitions(PendingFetch& fetch, uint32_t shard_id) {
  for (WantedTopic& topic : fetch.topics) {
    for (WantedPartition& p : topic.partitions) {
      if (p.slot && p.slot->shard != shard_id) engine::watch_tail(*p.slot, shard_id);
    }
  }
}

// True when some partition has data past its fetch offset (or an error to report): worth a
// read.
bool anything_new(const PendingFetch& fetch) {
  for (const WantedTopic& topic : fetch.topics) {
    for (const WantedPartition& p : topic.partitions) {
      if (!p.slot) return true;
      const partitions::LogReader& reader = *p.slot->reader;
      if (reader.closed()) return true;
      const int64_t hw = reader.high_watermark();
      if (p.fetch_offset != hw) return true;  // data to read, or out of range
    }
  }
  return false;
}

// Reads every partition; returns the bytes found, and fills `response`.
size_t read_all(PendingFetch& fetch, FetchResponse& response) {
  response.topics.clear();
  int64_t budget = std::max(fetch.max_bytes, 1);
  size_t total = 0;
  for (WantedTopic& topic : fetch.topics) {
    FetchTopicResponse topic_response;
    topic_response.topic = topic.name;
    for (WantedPartition& p : topic.partitions) {
      FetchPartitionResponse out;
      out.partition = p.partition;
      p.data.clear();
      if (!p.slot) {
        out.error_code = code(ErrorCode::unknown_topic_or_partition);
        topic_response.partitions.push_back(std::move(out));
        continue;
      }
      const partitions::LogReader& reader = *p.slot->reader;
      out.high_watermark = reader.high_watermark();
      out.last_stable_offset = out.high_watermark;
      out.log_start_offset = reader.start_offset();
      // The first batch comes even when it is larger than the limits (so that a consumer can
      // never be stuck behind one), later ones only within them.
      const uint64_t limit =
          static_cast<uint64_t>(std::min<int64_t>(std::max(p.max_bytes, 1), budget));
      if (budget > 0 && p.fetch_offset != out.high_watermark) {
        Result<partitions::ReadInfo> read = reader.read_into(p.fetch_offset, limit, p.data);
        if (!read.ok()) {
          p.data.clear();
          out.error_code = code(partition_error(read.code()));
        } else {
          budget -= static_cast<int64_t>(p.data.size());
          total += p.data.size();
          if (!p.data.empty()) out.records.push_back(p.data);
        }
      } else if (p.fetch_offset > out.high_watermark || p.fetch_offset < out.log_start_offset) {
        out.error_code = code(ErrorCode::offset_out_of_range);
      }
      topic_response.partitions.push_back(std::move(out));
    }
    response.topics.push_back(std::move(topic_response));
  }
  return total;
}

void count_fetched(const PendingFetch& fetch, Metrics& metrics) {
  uint64_t bytes = 0;
  uint64_t events = 0;
  for (const WantedTopic& topic : fetch.topics) {
    for (const WantedPartition& p : topic.partitions) {
      bytes += p.data.size();
      // Whole batches, each with its record count in the header.
      for (size_t at = 0; p.data.size() - at >= partitions::kBatchHeaderBytes;) {
        events += static_cast<uint64_t>(
            std::max(partitions::load_be<int32_t>(p.data.data() + at + 57), 0));
        at += partitions::kBatchLogOverhead +
              static_cast<uint32_t>(partitions::load_be<int32_t>(p.data.data() + at + 8));
      }
    }
  }
  metrics.fetched_bytes.add(bytes);
  metrics.fetched_events.add(events);
}

}  // namespace

Result<void> handle_fetch(KafkaSession& session, const RequestHeader& header, Reader& body,
                          const std::shared_ptr<Reply>& reply) {
  Result<FetchRequest> request = decode_fetch_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  auto fetch = std::make_shared<PendingFetch>();
  fetch->version = header.api_version;
  fetch->min_bytes = request->min_bytes;
  fetch->max_bytes = request->max_bytes;
  fetch->deadline_ms = context.now_ms() + std::max(request->max_wait_ms, 0);
  for (const FetchTopic& topic : request->topics) {
    WantedTopic wanted;
    wanted.name = std::string(topic.topic);
    for (const FetchPartition& partition : topic.partitions) {
      WantedPartition p;
      p.partition = partition.partition;
      p.fetch_offset = partition.fetch_offset;
      p.max_bytes = partition.partition_max_bytes;
      p.slot = find_kafka_partition(context, topic.topic, partition.partition);
      wanted.partitions.push_back(std::move(p));
    }
    fetch->topics.push_back(std::move(wanted));
  }
  Metrics& metrics = context.metrics();
  const uint32_t shard_id = context.shard_id();
  auto step = [fetch, reply, &metrics, shard_id](int64_t now_ms) {
    // min_bytes 0 asks for an answer at once, whatever is there.
    const bool late = now_ms >= fetch->deadline_ms || fetch->min_bytes <= 0;
    if (!late) watch_partitions(*fetch, shard_id);
    if (!late && !anything_new(*fetch)) return false;
    FetchResponse response;
    const size_t bytes = read_all(*fetch, response);
    bool errors = false;
    for (const auto& topic : response.topics) {
      for (const auto& p : topic.partitions)
        errors = errors || p.error_code != 0;
    }
    if (!late && !errors && static_cast<int64_t>(bytes) < std::max(fetch->min_bytes, 1)) {
      return false;  // not enough yet: wait for more or for the deadline
    }
    count_fetched(*fetch, metrics);
    Writer out = reply->writer();
    encode_fetch_response(out, response, fetch->version);
    reply->complete();
    // The bytes were copied into the reply: the partitions' buffers can go.
    fetch->topics.clear();
    return true;
  };
  if (!step(context.now_ms())) reply->step = std::move(step);
  return {};
}

}  // namespace sluice::server::kafka
