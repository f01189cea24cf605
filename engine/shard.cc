#include "engine/shard.h"

#include "engine/tail_waiters.h"

#include "engine/subscription.h"
#include "io/assert.h"
#include "io/logger.h"
#include "io/uring_file_system.h"

#include <immintrin.h>

#include <algorithm>

namespace sluice::engine {
namespace {

// A parking shard spins at most kSpinBeforePark (the Doorbell's budget) after its last work,
// and only while the recent gaps between its works were shorter than that; while it spins it
// reads the clock every kRoundsPerClockRead idle rounds, when it also yields the core.
constexpr uint32_t kRoundsPerClockRead = 8;
// An idle period counts at most this much in the typical gap, so that one long pause does not
// keep a shard from spinning once steady traffic resumes.
constexpr std::chrono::nanoseconds kMaxGapCounted = std::chrono::milliseconds(1);
// The longest sleep: a lost wake-up (which the protocol rules out) would cost no more.
constexpr std::chrono::milliseconds kMaxSleep{100};
// Batches taken from one channel per round, so that one busy producer cannot starve the rest.
constexpr size_t kBatchesPerRound = 64;

}  // namespace

Result<std::unique_ptr<Shard>> Shard::start(const Options& options) {
  Result<std::unique_ptr<io::FileSystem>> fs = io::make_uring_file_system();
  if (!fs.ok()) return std::move(fs).error();
  std::unique_ptr<Shard> shard(new Shard(options, std::move(*fs)));
  shard->thread_ = std::thread([raw = shard.get()] { raw->loop(); });
  return shard;
}

Shard::Shard(const Options& options, std::unique_ptr<io::FileSystem> fs)
    : options_(options), fs_(std::move(fs)) {
  next_retention_ = std::chrono::steady_clock::now() + options_.retention_check_interval;
}

Shard::~Shard() {
  stop();
}

void Shard::stop() {
  stopping_.store(true, std::memory_order_seq_cst);
  wake();
  if (thread_.joinable()) thread_.join();
}

void Shard::post(std::function<void()> task) {
  {
    std::lock_guard lock(tasks_mutex_);
    tasks_.push_back(std::move(task));
  }
  tasks_queued_.fetch_add(1, std::memory_order_seq_cst);
  wake();
}

void Shard::add_channel(std::shared_ptr<Channel> channel) {
  post([this, channel = std::move(channel)]() mutable { channels_.push_back(std::move(channel)); });
}

void Shard::wake() {
  // A read-modify-write reads the latest value of sleeping_ and, being a locked instruction,
  // keeps the caller's push (a release store) from moving after it: either the shard's check
  // before it sleeps sees the push, or this sees it asleep. (The shard's sleep is capped at
  // kMaxSleep besides.)
  if (sleeping_.fetch_add(0, std::memory_order_seq_cst) != 0) fs_->wake();
}

void Shard::attach(ShardService* service) {
  SLUICE_ASSERT(service != nullptr);
  run([this, service] { services_.push_back(service); });
}

void Shard::detach(ShardService* service) {
  run([this, service] { std::erase(services_, service); });
}

void Shard::adopt(std::shared_ptr<PartitionSlot> slot) {
  SLUICE_ASSERT(on_shard_thread());
  SLUICE_ASSERT(slot->log != nullptr);
  slots_.push_back(std::move(slot));
}

void Shard::release(PartitionSlot& slot) {
  SLUICE_ASSERT(on_shard_thread());
  slot.log.reset();  // writes and syncs what it holds
  std::erase_if(slots_, [&](const auto& held) { return held.get() == &slot; });
}

void Shard::loop() {
  uint32_t idle_rounds = 0;
  for (uint64_t round = 0;; ++round) {
    size_t work = run_tasks();
    work += drain_channels();
    work += fs_->poll(std::chrono::microseconds(0));
    for (ShardService* service : services_)
      work += service->poll();
    // The clock costs as much as a round: look at it every 1024 rounds.
    if ((round & 1023) == 0) {
      update_ring_gauges();
      if (std::chrono::steady_clock::now() >= next_retention_) apply_retention();
    }
    if (work > 0) {
      if (idle_rounds > 0 && options_.wait == WaitStrategy::park) end_idle();
      idle_rounds = 0;
      continue;
    }
    if (stopping_.load(std::memory_order_acquire) && !input_pending()) break;
    idle(++idle_rounds);
  }
  close_all();
}

void Shard::idle(uint32_t idle_rounds) {
  if (options_.wait == WaitStrategy::spin) {
    if ((idle_rounds % kRoundsPerClockRead) == 0) {
      std::this_thread::yield();
    } else {
      _mm_pause();
    }
    return;
  }
  using Clock = std::chrono::steady_clock;
  if (idle_rounds == 1) {
    idle_since_ = Clock::now();
    // Spin only while work has been coming in gaps shorter than the budget: with longer gaps
    // the spin would end in a sleep anyway, and on shared cores it takes the time slices of
    // the threads that make the work (a client on the same machine).
    if (typical_gap_ < kSpinBeforePark) return;
  } else if ((idle_rounds % kRoundsPerClockRead) != 0) {
    _mm_pause();
    return;
  } else if (Clock::now() - idle_since_ < kSpinBeforePark) {
    std::this_thread::yield();
    return;
  }
  sleeping_.store(1, std::memory_order_seq_cst);
  if (!input_pending() && !stopping_.load(std::memory_order_seq_cst)) {
    // Ends on an I/O completion, on wake(), or after kMaxSleep.
    fs_->poll(std::chrono::duration_cast<std::chrono::microseconds>(kMaxSleep));
  }
  sleeping_.store(0, std::memory_order_relaxed);
  sleeps_.fetch_add(1, std::memory_order_relaxed);
}

void Shard::end_idle() {
  // An exponential average over about the last 8 idle periods (spin or sleep).
  const auto gap = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now() - idle_since_);
  typical_gap_ += (std::min(gap, kMaxGapCounted) - typical_gap_) / 8;
}

bool Shard::input_pending() const {
  if (tasks_queued_.load(std::memory_order_seq_cst) > 0) return true;
  for (const auto& channel : channels_) {
    if (channel->stalled != nullptr || channel->to_shard.read_available() > 0) return true;
  }
  return fs_->in_flight() > 0 && stopping_.load(std::memory_order_relaxed);
}

size_t Shard::run_tasks() {
  if (tasks_queued_.load(std::memory_order_acquire) == 0) return 0;
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(tasks_mutex_);
    batch.swap(tasks_);
  }
  tasks_queued_.fetch_sub(static_cast<uint32_t>(batch.size()), std::memory_order_acq_rel);
  for (auto& task : batch)
    task();
  return batch.size();
}

void Shard::update_ring_gauges() {
  uint64_t backlog = 0;
  for (const auto& channel : channels_) {
    backlog += channel->to_shard.read_available() + (channel->stalled != nullptr ? 1 : 0);
  }
  ring_backlog_.store(backlog, std::memory_order_relaxed);
  ring_count_.store(channels_.size(), std::memory_order_relaxed);
}

size_t Shard::drain_channels() {
  size_t work = 0;
  for (size_t i = 0; i < channels_.size();) {
    Channel& channel = *channels_[i];
    work += drain(channel);
    // A closed channel has nothing in flight (the producer waited for every batch).
    if (channel.closed.load(std::memory_order_acquire) && channel.stalled == nullptr &&
        channel.to_shard.read_available() == 0) {
      channels_[i] = std::move(channels_.back());
      channels_.pop_back();
      continue;
    }
    ++i;
  }
  return work;
}

size_t Shard::drain(Channel& channel) {
  size_t taken = 0;
  if (channel.stalled != nullptr) {
    if (!append(channel.stalled)) return 0;
    channel.stalled = nullptr;
    ++taken;
  }
  ProduceBatch* batch = nullptr;
  while (taken < kBatchesPerRound && channel.to_shard.pop(batch)) {
    ++taken;
    if (!append(batch)) {
      channel.stalled = batch;
      break;
    }
  }
  return taken;
}

bool Shard::append(ProduceBatch* batch) {
  PartitionSlot& slot = *batch->slot;
  if (!slot.log) {
    complete(batch, Error(Errc::not_found, "topic " + slot.topic + " was deleted"));
    return true;
  }
  partitions::AppendCallback done;
  if (batch->durability != Durability::none) {
    done = [this, batch](const Result<partitions::AppendInfo>& result) { complete(batch, result); };
  }
  Result<partitions::AppendInfo> appended =
      slot.log->append(batch->bytes, batch->durability, std::move(done));
  if (!appended.ok()) {
    if (appended.code() == Errc::would_block) return false;
    complete(batch, appended);
    return true;
  }
  const partitions::AppendInfo info = *appended;
  // A duplicate (an idempotent producer's retry) wrote nothing: its keys and subscribers saw
  // the original. It is complete now, or once the original reaches the batch's durability.
  if (info.duplicate) {
    if (info.completed) complete(batch, info);
    return true;
  }
  if (slot.keys) {
    for (const auto& [index, hash] : batch->key_hashes)
      slot.keys->put(hash, info.base_offset + index);
  }
  for (Subscription* subscription : slot.subscriptions) {
    subscription->notify({info.base_offset, info.last_offset + 1});
  }
  if (options_.peers != nullptr) wake_tail_waiters(slot, *options_.peers);
  if (batch->durability == Durability::none) complete(batch, info);
  return true;
}

void Shard::complete(ProduceBatch* batch, const Result<partitions::AppendInfo>& result) {
  if (result.ok()) {
    batch->info = *result;
  } else {
    batch->error = result.error();
  }
  for (auto& [index, promise] : batch->promises) {
    if (result.ok()) {
      promise.set_value(Delivery{batch->slot->partition, result->base_offset + index});
    } else {
      promise.set_value(result.error());
    }
  }
  Channel& channel = *batch->channel;
  const bool pushed = channel.to_producer.push(batch);
  // The producer keeps at most kChannelCapacity batches in flight per channel.
  SLUICE_ASSERT_MSG(pushed, "a channel's return ring overflowed");
  channel.producer_bell->ring();
}

void Shard::apply_retention() {
  next_retention_ = std::chrono::steady_clock::now() + options_.retention_check_interval;
  for (const auto& slot : slots_) {
    Result<uint32_t> deleted = slot->log->apply_retention();
    if (!deleted.ok()) {
      log_line(LogLevel::error, "retention of " + slot->topic + "/" +
                                    std::to_string(slot->partition) +
                                    " failed: " + deleted.error().to_string());
    }
  }
}

void Shard::close_all() {
  // Producers are gone (the engine outlives them), so nothing is left in the channels.
  for (const auto& slot : slots_)
    slot->log.reset();
  slots_.clear();
  channels_.clear();
  run_tasks();
}

}  // namespace sluice::engine
