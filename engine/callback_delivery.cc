#include "engine/callback_delivery.h"

#include "engine/record_decoding.h"
#include "engine/shard.h"
#include "io/assert.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <span>
#include <string>

namespace sluice::engine {

CallbackDelivery::CallbackDelivery(Plan plan) : plan_(std::move(plan)), position_(plan_.position) {
  SLUICE_ASSERT(plan_.slot != nullptr && plan_.shard != nullptr);
  SLUICE_ASSERT(plan_.on_events != nullptr && *plan_.on_events);
  SLUICE_ASSERT(plan_.bell != nullptr && plan_.max_events > 0);
}

void CallbackDelivery::on_tail(const TailNotice& /*notice*/) {
  // While a catch-up task is queued, it delivers: the order stays that of the offsets.
  if (!catch_up_posted_) deliver();
}

void CallbackDelivery::seek(int64_t position) {
  failed_ = false;
  position_.store(position, std::memory_order_release);
  if (!catch_up_posted_) deliver();
}

std::optional<Error> CallbackDelivery::take_error() {
  std::lock_guard lock(error_mutex_);
  error_pending_.store(false, std::memory_order_relaxed);
  std::optional<Error> error = std::move(error_);
  error_.reset();
  return error;
}

void CallbackDelivery::deliver() {
  if (stopped_ || failed_) return;
  const partitions::LogReader& reader = *plan_.slot->reader;
  const int64_t position = position_.load(std::memory_order_relaxed);
  if (position >= reader.high_watermark()) return;
  Result<partitions::ReadInfo> read = reader.read_into(position, plan_.max_bytes, buffer_);
  if (!read.ok()) {
    if (read.code() == Errc::offset_out_of_range && position < reader.start_offset()) {
      // Retention removed what was not delivered yet: go on from `reset`, as poll() does.
      position_.store(
          plan_.reset == OffsetReset::earliest ? reader.start_offset() : reader.high_watermark(),
          std::memory_order_release);
      catch_up_later();
      return;
    }
    fail(std::move(read).error());
    return;
  }
  records_.clear();
  Result<DecodeProgress> decoded = decode_into(plan_.slot->topic, plan_.slot->partition, buffer_,
                                               position, plan_.max_events, records_);
  if (!decoded.ok()) {
    fail(std::move(decoded).error());
    return;
  }
  const int64_t next = decoded->records == plan_.max_events && decoded->next_offset >= 0
                           ? decoded->next_offset
                           : std::max(read->next_offset, position);
  if (!records_.empty()) {
    std::optional<std::string> thrown;
    try {
      (*plan_.on_events)(std::span<const Record>(records_));
    } catch (const std::exception& e) {
      thrown = e.what();
    } catch (...) {
      thrown = "an exception that is not a std::exception";
    }
    if (thrown) {
      fail(Error(Errc::invalid_argument, "on_events threw for " + plan_.slot->topic + "/" +
                                             std::to_string(plan_.slot->partition) + " at offset " +
                                             std::to_string(records_.front().offset) + ": " +
                                             *thrown));
      return;
    }
  }
  position_.store(next, std::memory_order_release);
  if (next < reader.high_watermark()) catch_up_later();
}

void CallbackDelivery::catch_up_later() {
  if (catch_up_posted_ || stopped_) return;
  catch_up_posted_ = true;
  plan_.shard->post([self = shared_from_this()] {
    self->catch_up_posted_ = false;
    self->deliver();
  });
}

void CallbackDelivery::fail(Error error) {
  failed_ = true;
  {
    std::lock_guard lock(error_mutex_);
    error_ = std::move(error);
    error_pending_.store(true, std::memory_order_release);
  }
  plan_.bell->ring();
}

}  // namespace sluice::engine
