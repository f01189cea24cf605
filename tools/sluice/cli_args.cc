#include "tools/sluice/cli_args.h"

#include <cstdio>

namespace sluice::cli {

Result<CliArgs> CliArgs::parse(std::span<const std::string> words) {
  CliArgs args;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.size() < 3 || word.compare(0, 2, "--") != 0) {
      args.positionals_.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    std::string value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < words.size()) {
      value = words[++i];
    } else {
      return Error(Errc::invalid_argument, "option --" + name + " needs a value");
    }
    if (!args.flags_.emplace(name, value).second) {
      return Error(Errc::invalid_argument, "option --" + name + " given twice");
    }
  }
  return args;
}

std::optional<std::string> CliArgs::take(const std::string& name) {
  auto it = flags_.find(name);
  if (it == flags_.end()) return std::nullopt;
  taken_[name] = true;
  return it->second;
}

std::optional<std::string> CliArgs::first_unknown() const {
  for (const auto& [name, value] : flags_) {
    if (!taken_.contains(name)) return "--" + name;
  }
  return std::nullopt;
}

int usage_error(const std::string& command, const std::string& message, const char* usage) {
  std::fprintf(stderr, "sluice %s: %s\n%s", command.c_str(), message.c_str(), usage);
  return kExitUsage;
}

}  // namespace sluice::cli
