// Journal: the thread that sends the engine's own records and runs their callbacks once they
// are synced. See journal.h for the contract.
#include "engine/journal.h"

#include "engine/producer_impl.h"
#include "io/assert.h"

#include <chrono>

namespace sluice::engine {

Journal::Journal(Engine::Impl& engine) {
  ProducerOptions options;
  options.durability = Durability::synced;
  producer_ = std::make_unique<Producer::Impl>(engine, options, true);
  bell_ = producer_->bell;
  thread_ = std::thread([this] { run(); });
}

Journal::~Journal() {
  SLUICE_ASSERT_MSG(!on_journal_thread(), "the journal cannot stop itself");
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  bell_->ring();
  if (thread_.joinable()) thread_.join();
  // Joined: nothing is in flight, and the producer is this thread's now.
  producer_.reset();
}

void Journal::append(std::string topic, Event event, Done done) {
  SLUICE_ASSERT(done != nullptr);
  push(Item{std::move(topic), std::move(event), std::move(done), nullptr});
}

void Journal::post(std::function<void()> task) {
  SLUICE_ASSERT(task != nullptr);
  push(Item{{}, {}, nullptr, std::move(task)});
}

void Journal::push(Item item) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(item));
    // Release: pairs with the acquire load in run()'s doorbell wait.
    queued_.store(true, std::memory_order_release);
  }
  wake_.notify_one();
  bell_->ring();
}

size_t Journal::take_queued() {
  std::deque<Item> taken;
  {
    std::lock_guard lock(mutex_);
    taken.swap(queue_);
    queued_.store(false, std::memory_order_relaxed);
  }
  for (Item& item : taken) {
    if (item.task) {
      item.task();
      continue;
    }
    // The producer runs the callback from run_completions(), on this thread.
    auto shared_done = std::make_shared<Done>(std::move(item.done));
    Result<void> sent = producer_->send(
        item.topic, std::move(item.event),
        [shared_done](const Result<Delivery>& delivered) { (*shared_done)(delivered); }, nullptr);
    if (!sent.ok()) (*shared_done)(std::move(sent).error());
  }
  return taken.size();
}

void Journal::run() {
  while (true) {
    size_t work = take_queued();
    work += producer_->run_completions();
    if (work > 0) continue;
    if (producer_->in_flight_bytes > 0) {
      // Batches are out: the shards' completions ring the producer's bell, and so does push().
      // The wait ends at once when either is ready; the deadline only bounds one nap.
      producer_->bell->wait(
          WaitStrategy::park, std::chrono::steady_clock::now() + std::chrono::seconds(1), [this] {
            return producer_->completions_ready() || queued_.load(std::memory_order_acquire);
          });
      continue;
    }
    std::unique_lock lock(mutex_);
    if (!queue_.empty()) continue;
    if (stopping_) break;
    wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
  }
}

}  // namespace sluice::engine
