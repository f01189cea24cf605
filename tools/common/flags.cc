#include "tools/common/flags.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace sluice::tools {

Result<Flags> Flags::parse(std::span<const std::string> words,
                           std::initializer_list<std::string_view> switches) {
  Flags flags;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.size() < 3 || word.compare(0, 2, "--") != 0) {
      flags.positionals_.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    std::string value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (std::find(switches.begin(), switches.end(), name) != switches.end()) {
      value = "true";
    } else if (i + 1 < words.size()) {
      value = words[++i];
    } else {
      return Error(Errc::invalid_argument, "option --" + name + " needs a value");
    }
    if (!flags.values_.emplace(name, value).second) {
      return Error(Errc::invalid_argument, "option --" + name + " given twice");
    }
  }
  return flags;
}

std::optional<std::string> Flags::text(const std::string& name) {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  taken_[name] = true;
  return it->second;
}

Result<uint64_t> Flags::size(const std::string& name, uint64_t fallback) {
  auto value = text(name);
  if (!value) return fallback;
  uint64_t number = 0;
  const char* end = value->data() + value->size();
  auto [rest, ec] = std::from_chars(value->data(), end, number);
  uint64_t scale = 1;
  if (ec == std::errc() && rest + 1 == end) {
    switch (*rest) {
      case 'K':
      case 'k':
        scale = 1ull << 10;
        ++rest;
        break;
      case 'M':
      case 'm':
        scale = 1ull << 20;
        ++rest;
        break;
      case 'G':
      case 'g':
        scale = 1ull << 30;
        ++rest;
        break;
      default:
        break;
    }
  }
  if (ec != std::errc() || rest != end || number > UINT64_MAX / scale) {
    return Error(Errc::invalid_argument, "--" + name + ": '" + *value + "' is not a size");
  }
  return number * scale;
}

Result<double> Flags::number(const std::string& name, double fallback) {
  auto value = text(name);
  if (!value) return fallback;
  double number = 0;
  auto [rest, ec] = std::from_chars(value->data(), value->data() + value->size(), number);
  if (ec != std::errc() || rest != value->data() + value->size() || !std::isfinite(number) ||
      number < 0) {
    return Error(Errc::invalid_argument, "--" + name + ": '" + *value + "' is not a number >= 0");
  }
  return number;
}

Result<bool> Flags::boolean(const std::string& name, bool fallback) {
  auto value = text(name);
  if (!value) return fallback;
  if (*value == "true" || *value == "1" || *value == "yes") return true;
  if (*value == "false" || *value == "0" || *value == "no") return false;
  return Error(Errc::invalid_argument, "--" + name + ": '" + *value + "' is not true or false");
}

std::optional<std::string> Flags::first_unknown() const {
  for (const auto& [name, value] : values_) {
    if (!taken_.contains(name)) return "--" + name;
  }
  return std::nullopt;
}

}  // namespace sluice::tools
