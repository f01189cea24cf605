// The inside of Consumer (include/sluice/consumer.h). Private to engine/.
//
// Thread-safety: the consumer's own thread only (like Consumer). Its subscriptions are
// registered with, and removed from, the owning shards through their task queues.
#pragma once

#include "engine/callback_delivery.h"
#include "engine/doorbell.h"
#include "engine/engine_impl.h"
#include "engine/subscription.h"

#include <sluice/consumer.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace sluice {

struct Consumer::Impl {
  Impl(Engine::Impl& engine, const ConsumerOptions& options);
  ~Impl();

  // One partition of the current assignment.
  struct Assigned {
    TopicPartition tp;
    std::shared_ptr<engine::PartitionSlot> slot;
    std::unique_ptr<engine::Subscription> subscription;
    // Callback delivery only: the shard's delivery of this partition, which owns the position.
    std::shared_ptr<engine::CallbackDelivery> delivery;
    int64_t position = 0;           // the next offset poll() returns (poll delivery)
    int64_t committed = -1;         // what this member last committed (-1: nothing yet)
    std::vector<std::byte> buffer;  // reused for reads

    // The next offset to deliver, whichever the delivery.
    int64_t current() const { return delivery ? delivery->position() : position; }
  };

  Result<std::vector<Record>> poll(std::chrono::milliseconds timeout);
  Result<void> commit_positions();
  Result<void> commit_one(const TopicPartition& tp, int64_t offset);
  Result<void> seek(const TopicPartition& tp, SeekTarget target);
  Result<std::vector<PartitionLag>> lag() const;
  Result<void> close();

  // Membership: joins until stable or `until`; true once stable.
  Result<bool> ensure_member(std::chrono::steady_clock::time_point until);
  Result<void> heartbeat_if_due();
  std::chrono::milliseconds heartbeat_interval() const;
  // Gives the assignment up (auto-commit first when on); the member must rejoin.
  void revoke();
  // Removes every subscription from its shard (no callback runs after it returns), commits the
  // positions when `commit` (auto-commit), and forgets the assignment.
  Result<void> unsubscribe_all(bool commit);
  bool callback_delivery() const { return static_cast<bool>(options.on_events); }
  // Callback delivery: the first error that stopped a partition's delivery, if any.
  Result<void> take_delivery_error();
  Result<void> take_assignment(const std::vector<TopicPartition>& partitions);
  Result<int64_t> resolve(const engine::PartitionSlot& slot, SeekTarget target) const;
  Result<void> maybe_auto_commit();
  // Reads what is there from the assigned partitions into `out`.
  Result<void> fetch(std::vector<Record>& out);
  bool data_ready() const;
  Assigned* find(const TopicPartition& tp);
  // The assigned partition; closed, or invalid_argument when it is not assigned.
  Result<Assigned*> assigned_partition(const TopicPartition& tp);

  Engine::Impl& engine;
  ConsumerOptions options;
  engine::Doorbell bell;
  std::string member_id;
  int32_t generation = -1;
  bool stable = false;
  bool closed = false;
  std::vector<Assigned> assigned;
  size_t next_partition = 0;  // where the next fetch starts, for fairness
  std::chrono::steady_clock::time_point next_heartbeat;
  std::chrono::steady_clock::time_point next_auto_commit;
};

}  // namespace sluice
