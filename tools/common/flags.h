// Flags: the words after a command of `sluice` or `sluice-bench`, split into positionals and
// `--name value` (or `--name=value`) options, with typed getters that fail on malformed values.
// Commands ask for the options they know; one nobody asked for is reported, so a typo is a
// usage error instead of a silently ignored option.
//
// Thread-safety: a plain value.
#pragma once

#include <sluice/result.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::tools {

class Flags {
 public:
  // Fails with Errc::invalid_argument on an option without a value or one given twice.
  // `switches` name options that take no value: a bare `--json` means "--json true" (and
  // `--json=false` still works); read them with boolean().
  static Result<Flags> parse(std::span<const std::string> words,
                             std::initializer_list<std::string_view> switches = {});

  const std::vector<std::string>& positionals() const { return positionals_; }
  // The option's value (and marks it as asked for).

  std::optional<std::string> text(const std::string& name);
  // A non-negative integer, with an optional K, M or G suffix (powers of 1024).
  Result<uint64_t> size(const std::string& name, uint64_t fallback);
  Result<double> number(const std::string& name, double fallback);
  Result<bool> boolean(const std::string& name, bool fallback);
  std::optional<std::string> first_unknown() const;

 private:
  std::vector<std::string> positionals_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> taken_;
};

}  // namespace sluice::tools
