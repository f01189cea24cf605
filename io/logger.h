// A minimal process-wide log: lines go to a sink (stderr by default). Recovery and other cold
// paths report what they did here; the hot path never logs.
//
// Thread-safety: log_line may be called from any thread; set_log_sink must be called before
// other threads log (tests use it to capture lines).
#pragma once

#include <functional>
#include <string_view>

namespace sluice {

enum class LogLevel { info, warning, error };

using LogSink = std::function<void(LogLevel, std::string_view)>;

// Replaces the sink; an empty sink restores stderr. Returns the previous sink.
LogSink set_log_sink(LogSink sink);
void log_line(LogLevel level, std::string_view line);

}  // namespace sluice
