// What the sluice-bench tests read in a JSON report: the text of a file, the number after a
// key (at the top level or inside an object), and the sanity of a latency object.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice::testing {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The number after `"key": ` in `json`, searching from the start of `object` (a key whose
// value is an object, or "" for the top level); NaN when missing.
inline double number(const std::string& json, const std::string& object, const std::string& key) {
  size_t from = 0;
  if (!object.empty()) {
    from = json.find("\"" + object + "\": {");
    if (from == std::string::npos) return std::nan("");
  }
  const std::string needle = "\"" + key + "\": ";
  const size_t at = json.find(needle, from);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(json.c_str() + at + needle.size(), nullptr);
}

inline void expect_sane_latency(const std::string& json, const std::string& object) {
  SCOPED_TRACE(object);
  const double p50 = number(json, object, "p50");
  const double p99 = number(json, object, "p99");
  const double p999 = number(json, object, "p999");
  const double p9999 = number(json, object, "p9999");
  const double max = number(json, object, "max");
  EXPECT_GE(p50, 0.0);
  EXPECT_LE(p50, p99);
  EXPECT_LE(p99, p999);
  EXPECT_LE(p999, p9999);
  EXPECT_LE(p9999, max);
  EXPECT_LT(max, 60e6);  // under a minute
}

}  // namespace sluice::testing
