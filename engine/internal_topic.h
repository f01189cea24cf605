// Reading back the engine's own records: every record of partition 0 of an internal topic
// (__consumer_offsets, __queue_state, __requests, __idempotency), in log order, as the engine
// rebuilds its state from them when it opens. Private to engine/.
//
// Thread-safety: reads published data through the partition's LogReader (any thread).
#pragma once

#include "engine/engine_impl.h"

#include <sluice/event.h>
#include <sluice/result.h>

#include <functional>
#include <string_view>

namespace sluice::engine {

// Calls `apply` with each record from the log start to the high watermark. An error of
// `apply` stops the scan and comes back with the topic and the record's offset in its message;
// so do read and decode errors.
Result<void> scan_internal_topic(Engine::Impl& engine, std::string_view topic,
                                 const std::function<Result<void>(const Record&)>& apply);

}  // namespace sluice::engine
