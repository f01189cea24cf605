// What every `sluice` command shares: its arguments (tools::Flags), its exit codes, and how it
// reports a usage error.
//
// Thread-safety: a plain value.
#pragma once

#include "tools/common/flags.h"

#include <sluice/result.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sluice::cli {

using tools::Flags;

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the command ran and found a problem
inline constexpr int kExitUsage = 2;   // bad usage, or an I/O error that stopped the command

// Prints "sluice <command>: <message>" and the usage text to stderr; returns kExitUsage.
int usage_error(const std::string& command, const std::string& message, const char* usage);

}  // namespace sluice::cli
