// Flags: `--name value` (or `--name=value`) options of a sluice-bench command, with typed
// getters that fail on malformed values. A flag nobody asked for is reported, so a typo never
// runs a different benchmark than the one meant.
//
// Thread-safety: a plain value.
#pragma once

#include <sluice/result.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

namespace sluice::bench {

class Flags {
 public:
  static Result<Flags> parse(std::span<const std::string> words);

  std::optional<std::string> text(const std::string& name);
  // A non-negative integer, with an optional K, M or G suffix (powers of 1024).
  Result<uint64_t> size(const std::string& name, uint64_t fallback);
  Result<double> number(const std::string& name, double fallback);
  Result<bool> boolean(const std::string& name, bool fallback);
  std::optional<std::string> first_unknown() const;

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> taken_;
};

}  // namespace sluice::bench
