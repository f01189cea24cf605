// The workloads of sluice-bench embedded, each run against an open engine and a fresh
// topic, filling in the result (see embedded_bench.h for what each measures).
//
// Thread-safety: called from the command's thread; they start and join their own threads.
#pragma once

#include "bench/sluice_bench/embedded_bench.h"

#include <sluice/sluice.h>

#include <string>

namespace sluice::bench {

struct WorkloadSetup {
  Engine* engine = nullptr;
  const EmbeddedOptions* options = nullptr;
  std::string topic;  // created, with options->partitions partitions
  std::string group;  // unused by any earlier run
};

Result<void> run_produce_workload(const WorkloadSetup& setup, EmbeddedResult& result);
Result<void> run_e2e_workload(const WorkloadSetup& setup, EmbeddedResult& result);
Result<void> run_query_workload(const WorkloadSetup& setup, EmbeddedResult& result);
Result<void> run_queue_workload(const WorkloadSetup& setup, EmbeddedResult& result);

}  // namespace sluice::bench
