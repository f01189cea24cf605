#include "io/logger.h"

#include <cstdio>
#include <mutex>
#include <string>

namespace sluice {
namespace {

std::mutex sink_mutex;
LogSink current_sink;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "?";
}

}  // namespace

LogSink set_log_sink(LogSink sink) {
  std::lock_guard lock(sink_mutex);
  LogSink previous = std::move(current_sink);
  current_sink = std::move(sink);
  return previous;
}

void log_line(LogLevel level, std::string_view line) {
  std::lock_guard lock(sink_mutex);
  if (current_sink) {
    current_sink(level, line);
    return;
  }
  std::fprintf(stderr, "sluice %s: %.*s\n", level_name(level), static_cast<int>(line.size()),
               line.data());
}

}  // namespace sluice
