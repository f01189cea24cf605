#include "bench/sluice_bench/embedded_producer.h"

#include "bench/sluice_bench/embedded_pacer.h"

#include <cstring>
#include <random>

namespace sluice::bench {
namespace {

constexpr std::chrono::milliseconds kFlushTimeout{60000};

std::string random_bytes(uint64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes)
    c = static_cast<char>('a' + rng() % 26);
  return bytes;
}

// Writes `number` in hexadecimal into the last (at most 16) characters of `text`.
void write_hex_tail(std::string& text, uint64_t number) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < text.size() && i < 16; ++i, number >>= 4) {
    text[text.size() - 1 - i] = kDigits[number & 15];
  }
}

}  // namespace

ProducerWorker::ProducerWorker(ProducerPlan plan) : plan_(std::move(plan)) {
  value_template_ = random_bytes(plan_.options->event_bytes, 1000 + plan_.index);
  key_template_.assign(plan_.options->key_bytes, 'k');
}

Result<void> ProducerWorker::prepare() {
  const EmbeddedOptions& o = *plan_.options;
  ProducerOptions options;
  options.durability = o.acks;
  options.batch_bytes = static_cast<uint32_t>(o.batch_bytes);
  options.linger = std::chrono::microseconds(o.linger_us);
  Result<Producer> made = plan_.engine->producer(options);
  if (!made.ok()) return std::move(made).error();
  producer_.emplace(std::move(*made));
  return {};
}

Result<void> ProducerWorker::run(int64_t start_ns) {
  const EmbeddedOptions& o = *plan_.options;
  const int64_t end_ns = start_ns + static_cast<int64_t>(o.seconds * 1e9);
  Result<void> sent = o.rate > 0 ? run_open(start_ns, end_ns) : run_closed(end_ns);
  Result<void> flushed = producer_->flush(kFlushTimeout);
  producer_.reset();  // on this thread, like every other use of it
  if (plan_.tally != nullptr) {
    plan_.tally->sent.fetch_add(sent_, std::memory_order_release);
    plan_.tally->producers_done.fetch_add(1, std::memory_order_release);
  }
  if (!sent.ok()) return sent;
  return flushed;
}

Result<void> ProducerWorker::run_closed(int64_t end_ns) {
  for (int64_t now = steady_now_ns(); now < end_ns; now = steady_now_ns()) {
    SLUICE_TRY(send(now, now));
  }
  return {};
}

Result<void> ProducerWorker::run_open(int64_t start_ns, int64_t end_ns) {
  const EmbeddedOptions& o = *plan_.options;
  // The senders take turns: sender i starts i / rate seconds after the first.
  const int64_t first_ns = start_ns + static_cast<int64_t>(plan_.index * 1e9 / o.rate);
  const Pacer pacer(first_ns, o.rate / o.producers);
  Pacer::tighten_timer_slack();
  // poll() hands over every open batch, so with a linger it would defeat the batching: then
  // the callbacks run from the next send() instead.
  const bool poll_while_waiting = o.linger_us == 0;
  Producer& producer = *producer_;
  for (uint64_t k = 0;; ++k) {
    const int64_t due_ns = pacer.due_ns(k);
    if (due_ns >= end_ns) return {};
    Pacer::wait_until(due_ns, steady_now_ns, [&] {
      if (poll_while_waiting) producer.poll();
    });
    const int64_t now = steady_now_ns();
    send_delay_ns_.record(static_cast<uint64_t>(now - due_ns));
    SLUICE_TRY(send(due_ns, now));
  }
}

Event ProducerWorker::make_event(int64_t intended_ns, int64_t send_ns) const {
  Event event;
  // The one copy per event the API asks for: send() takes the Event by value.
  event.value = value_template_;
  if (plan_.stamp_value) {
    std::memcpy(event.value.data(), &send_ns, sizeof send_ns);
    std::memcpy(event.value.data() + sizeof send_ns, &intended_ns, sizeof intended_ns);
  }
  if (!key_template_.empty()) {
    event.key.emplace(key_template_);
    write_hex_tail(*event.key, (uint64_t{plan_.index} << 48) | sent_);
  }
  return event;
}

Result<void> ProducerWorker::send(int64_t intended_ns, int64_t send_ns) {
  // Two words: std::function keeps them inline, without an allocation.
  DeliveryCallback done = [this, intended_ns](const Result<Delivery>& delivery) {
    on_delivery(intended_ns, delivery);
  };
  Result<void> sent =
      producer_->send(plan_.topic, make_event(intended_ns, send_ns), std::move(done));
  if (!sent.ok()) {
    errors_.add(sent.error());
    return sent;
  }
  ++sent_;
  return {};
}

void ProducerWorker::on_delivery(int64_t intended_ns, const Result<Delivery>& delivery) {
  if (!delivery.ok()) {
    errors_.add(delivery.error());
    return;
  }
  const int64_t now = steady_now_ns();
  ack_latency_ns_.record(static_cast<uint64_t>(std::max<int64_t>(0, now - intended_ns)));
  ++completed_;
  last_completion_ns_ = now;
  if (plan_.count_progress) progress_.add(1);
}

}  // namespace sluice::bench
