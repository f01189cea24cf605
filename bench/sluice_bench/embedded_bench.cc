// sluice-bench embedded: opens an engine on a data directory (a temporary one unless given),
// makes a fresh topic and runs the workload asked for (embedded_flow.cc, embedded_query.cc).
#include "bench/sluice_bench/embedded_bench.h"

#include "bench/sluice_bench/embedded_workloads.h"
#include "tools/common/scratch_dir.h"

#include <sluice/sluice.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>

namespace sluice::bench {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
// Bytes a stored event takes beyond its key and value: its framing in the record batch, and a
// share of the batch header.
constexpr uint64_t kEventOverheadBytes = 32;

// The query workload reads what it filled from memory: unless told otherwise, each partition's
// tail cache holds twice its share of the fill.
uint64_t tail_cache_bytes(const EmbeddedOptions& options, uint64_t engine_default) {
  if (options.tail_cache_bytes > 0) return options.tail_cache_bytes;
  if (options.workload != EmbeddedWorkload::query && options.workload != EmbeddedWorkload::queue) {
    return engine_default;
  }
  const uint64_t per_partition = (options.fill_events + options.partitions - 1) /
                                 options.partitions *
                                 (options.event_bytes + options.key_bytes + kEventOverheadBytes);
  const uint64_t wanted = (2 * per_partition + kMiB - 1) / kMiB * kMiB;
  return std::max(engine_default, wanted);
}

// A name no earlier run on the same data directory used.
std::string run_name() {
  using namespace std::chrono;
  return "sluice-bench-" +
         std::to_string(
             duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

Result<void> run_workload(const WorkloadSetup& setup, EmbeddedResult& result) {
  switch (setup.options->workload) {
    case EmbeddedWorkload::produce:
      return run_produce_workload(setup, result);
    case EmbeddedWorkload::e2e:
      return run_e2e_workload(setup, result);
    case EmbeddedWorkload::query:
      return run_query_workload(setup, result);
    case EmbeddedWorkload::queue:
      return run_queue_workload(setup, result);
  }
  return Error(Errc::invalid_argument, "unknown workload");
}

Result<void> run_on(const std::string& data_dir, const EmbeddedOptions& options,
                    EmbeddedResult& result) {
  EngineOptions engine_options;
  engine_options.data_dir = data_dir;
  engine_options.shards = options.shards;
  engine_options.wait = options.wait;
  engine_options.write_interval = std::chrono::microseconds(options.write_interval_us);
  engine_options.direct_io = options.direct_io;
  engine_options.small_write_bytes = static_cast<uint32_t>(options.small_write_bytes);
  engine_options.tail_cache_bytes_per_partition =
      tail_cache_bytes(options, engine_options.tail_cache_bytes_per_partition);
  if (options.internal_compaction_bytes) {
    engine_options.internal_compaction_min_bytes = *options.internal_compaction_bytes;
  }
  Result<std::unique_ptr<Engine>> engine = Engine::open(engine_options);
  if (!engine.ok()) return std::move(engine).error();
  result.shards = (*engine)->shard_count();
  result.tail_cache_bytes = (*engine)->options().tail_cache_bytes_per_partition;

  WorkloadSetup setup;
  setup.engine = engine->get();
  setup.options = &options;
  setup.topic = run_name();
  setup.group = setup.topic;
  TopicConfig topic;
  topic.partitions = static_cast<int32_t>(options.partitions);
  if (options.segment_bytes > 0) topic.segment_bytes = options.segment_bytes;
  result.segment_bytes = topic.segment_bytes;
  SLUICE_TRY((*engine)->create_topic(setup.topic, topic));
  return run_workload(setup, result);
  // The engine closes here (writing and syncing what it holds), outside the measured time.
}

}  // namespace

Result<EmbeddedResult> run_embedded_bench(const EmbeddedOptions& options) {
  EmbeddedResult result;
  std::optional<tools::ScratchDir> scratch;
  Result<std::string> base =
      tools::ScratchDir::given_or_scratch(options.data_dir, "sluice-bench", scratch);
  if (!base.ok()) return std::move(base).error();
  SLUICE_TRY(run_on(*base + "/engine", options, result));
  return result;
}

}  // namespace sluice::bench
