#include "server/kafka/kafka_session.h"

#include "io/assert.h"
#include "partitions/endian.h"
#include "server/kafka/api_keys.h"
#include "server/kafka/api_versions.h"
#include "server/kafka/handlers.h"
#include "server/metrics.h"
#include "server/shard_context.h"

#include <chrono>

namespace sluice::server::kafka {
namespace {

// The smallest frame that holds a request header v1 (api key, version, correlation id and a
// client id length).
constexpr int32_t kMinFrameBytes = 10;
// Output past this much unsent pauses the input (a client that sends and never reads).
constexpr size_t kMaxOutputBacklog = 64u << 20;

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

KafkaSession::KafkaSession(ShardContext& context, std::string peer)
    : context_(context), peer_(std::move(peer)) {}

KafkaSession::~KafkaSession() = default;

size_t KafkaSession::on_input(std::span<const std::byte> input) {
  size_t used = 0;
  const KafkaLimits& limits = context_.options().kafka_limits;
  while (!close_ && !input_paused() && input.size() - used >= 4) {
    const int32_t size = partitions::load_be<int32_t>(input.data() + used);
    if (size < kMinFrameBytes || static_cast<uint32_t>(size) > limits.max_request_bytes) {
      // A frame we cannot take: nothing in it can be answered.
      context_.metrics().kafka_request_errors.add();
      close_ = true;
      break;
    }
    if (input.size() - used - 4 < static_cast<size_t>(size)) break;  // the rest comes later
    std::span<const std::byte> frame = input.subspan(used + 4, static_cast<size_t>(size));
    used += 4 + static_cast<size_t>(size);
    if (!handle_frame(frame)) {
      context_.metrics().kafka_request_errors.add();
      close_ = true;
    }
  }
  flush_replies();
  return used;
}

bool KafkaSession::handle_frame(std::span<const std::byte> frame) {
  Reader in(frame);
  RequestHeader header = read_request_header(in);
  if (!in.ok()) return false;
  if (header.client_id && client_id_.empty()) client_id_ = std::string(*header.client_id);
  context_.metrics().kafka_requests.add();

  auto reply = std::make_shared<Reply>();
  reply->correlation_id = header.correlation_id;
  reply->api_key = header.api_key;
  reply->api_version = header.api_version;
  reply->started_us = now_us();
  std::optional<ApiRange> api = find_api(header.api_key);
  if (header.api_key == static_cast<int16_t>(ApiKey::api_versions) &&
      (!api || header.api_version > api->max_version || header.api_version < api->min_version)) {
    // A client newer than us: the v0-format answer with our versions, so it can pick one.
    Writer out = reply->writer();
    encode_api_versions_unsupported(out);
    reply->complete();
    replies_.push_back(std::move(reply));
    return true;
  }
  if (!api || header.api_version < api->min_version || header.api_version > api->max_version) {
    // Requests for APIs or versions we never advertised cannot be parsed: close, as a broker
    // does; the client learns our versions from ApiVersions.
    return false;
  }
  // ApiVersions answers with header v0 even at its flexible version.
  reply->flexible = header.flexible && api->key != ApiKey::api_versions;
  Handler handler = find_handler(header.api_key);
  SLUICE_ASSERT(handler != nullptr);
  Result<void> handled = handler(*this, header, in, reply);
  if (!handled.ok()) return false;
  if (!reply->no_response) {
    replies_.push_back(std::move(reply));
  } else {
    SLUICE_ASSERT(reply->done);
  }
  return true;
}

size_t KafkaSession::poll(int64_t now_ms) {
  size_t work = 0;
  for (auto& reply : replies_) {
    if (!reply->done && reply->step && reply->step(now_ms)) {
      SLUICE_ASSERT(reply->done);
      reply->step = nullptr;
      ++work;
    }
  }
  work += flush_replies();
  return work;
}

size_t KafkaSession::flush_replies() {
  size_t moved = 0;
  Metrics& metrics = context_.metrics();
  while (!replies_.empty() && replies_.front()->done) {
    Reply& reply = *replies_.front();
    // Frame: size, response header, body.
    Writer out(&output_);
    const size_t size_at = out.reserve_int32();
    write_response_header(out, reply.correlation_id, reply.flexible);
    out.raw(reply.body);
    out.patch_int32(size_at, static_cast<int32_t>(output_.size() - size_at - 4));
    const int64_t latency_us = now_us() - reply.started_us;
    if (reply.api_key >= 0 && static_cast<size_t>(reply.api_key) < kKafkaApiSlots) {
      metrics.kafka_request_latency[static_cast<size_t>(reply.api_key)].observe_us(
          static_cast<uint64_t>(std::max<int64_t>(latency_us, 0)));
    }
    if (reply.error) metrics.kafka_request_errors.add();
    replies_.pop_front();
    ++moved;
  }
  return moved;
}

std::span<const std::byte> KafkaSession::pending_output() {
  if (sending_.empty()) sending_.swap(output_);
  return sending_;
}

void KafkaSession::sent(size_t bytes) {
  SLUICE_ASSERT(bytes == sending_.size());
  sending_.clear();
}

bool KafkaSession::input_paused() const {
  return replies_.size() >= context_.options().kafka_limits.max_in_flight_requests ||
         output_.size() + sending_.size() > kMaxOutputBacklog;
}

}  // namespace sluice::server::kafka
