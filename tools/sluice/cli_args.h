// CliArgs: the words after a command, split into positionals and `--name value` flags
// (`--name=value` too). Commands ask for the flags they know and reject the rest, so a typo is
// a usage error instead of a silently ignored option.
//
// Thread-safety: a plain value.
#pragma once

#include <sluice/result.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sluice::cli {

class CliArgs {
 public:
  // Fails with Errc::invalid_argument on a flag without a value or a flag given twice.
  static Result<CliArgs> parse(std::span<const std::string> words);

  const std::vector<std::string>& positionals() const { return positionals_; }
  // The flag's value, and marks it as known.
  std::optional<std::string> take(const std::string& name);
  // A flag that was given but never taken: a usage error for the caller to report.
  std::optional<std::string> first_unknown() const;

 private:
  std::vector<std::string> positionals_;
  std::map<std::string, std::string> flags_;
  std::map<std::string, bool> taken_;
};

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the command ran and found a problem
inline constexpr int kExitUsage = 2;   // bad usage, or an I/O error that stopped the command

// Prints "sluice <command>: <message>" and the usage text to stderr; returns kExitUsage.
int usage_error(const std::string& command, const std::string& message, const char* usage);

}  // namespace sluice::cli
