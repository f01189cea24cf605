// For the tests of RawBatchSender (engine/raw_batch_sender.h): send one Kafka batch and wait for
// its delivery, polling the sender as its owner thread does.
#pragma once

#include "engine/raw_batch_sender.h"

#include <sluice/durability.h>
#include <sluice/result.h>

#include <chrono>
#include <optional>
#include <span>
#include <string_view>

namespace sluice::testing {

// Sends and polls until the callback ran (at most 30 s: timed_out then).
inline Result<engine::BatchDelivery> send_wait(engine::RawBatchSender& sender,
                                               std::string_view topic, int32_t partition,
                                               std::span<const std::byte> batch,
                                               Durability durability = Durability::written) {
  using Clock = std::chrono::steady_clock;
  std::optional<Result<engine::BatchDelivery>> outcome;
  Result<void> sent =
      sender.send_batch(topic, partition, batch, durability,
                        [&](const Result<engine::BatchDelivery>& r) { outcome.emplace(r); });
  if (!sent.ok()) return std::move(sent).error();
  const auto until = Clock::now() + std::chrono::seconds(30);
  while (!outcome && Clock::now() < until) {
    sender.poll();
    if (!outcome) sender.wait(Clock::now() + std::chrono::milliseconds(100));
  }
  if (!outcome) return Error(Errc::timed_out, "the batch never completed");
  return *outcome;
}

}  // namespace sluice::testing
