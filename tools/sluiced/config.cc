#include "tools/sluiced/config.h"

#include "io/socket.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

namespace sluice::sluiced {
namespace {

using Setter = std::function<Result<void>(Config&, const std::string& value)>;

struct Option {
  const char* flag;  // "kafka-listen"
  const char* help;
  Setter set;
};

Result<uint64_t> parse_unsigned(const std::string& value, uint64_t max) {
  uint64_t out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || out > max) {
    return Error(Errc::invalid_argument,
                 "'" + value + "' is not a whole number from 0 to " + std::to_string(max));
  }
  return out;
}

Result<bool> parse_bool(const std::string& value) {
  if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "0" || value == "no" || value == "off") return false;
  return Error(Errc::invalid_argument, "'" + value + "' is not true or false");
}

Result<void> set_endpoint(server::Endpoint& endpoint, const std::string& value) {
  Result<io::HostPort> parsed = io::parse_host_port(value);
  if (!parsed.ok()) return parsed.error();
  endpoint.host = parsed->host;
  endpoint.port = parsed->port;
  return {};
}

template <typename T>
Setter number_setter(T Config::*section, auto member, uint64_t min, uint64_t max) {
  return [section, member, min, max](Config& config, const std::string& value) -> Result<void> {
    Result<uint64_t> n = parse_unsigned(value, max);
    if (!n.ok()) return n.error();
    if (*n < min) {
      return Error(Errc::invalid_argument,
                   "'" + value + "' is below the minimum " + std::to_string(min));
    }
    (config.*section).*member =
        static_cast<std::remove_reference_t<decltype((config.*section).*member)>>(*n);
    return {};
  };
}

const std::vector<Option>& options() {
  static const std::vector<Option> all = {
      {"data-dir", "the data directory (default ./data)",
       [](Config& c, const std::string& v) -> Result<void> {
         if (v.empty()) return Error(Errc::invalid_argument, "empty path");
         c.engine.data_dir = v;
         return {};
       }},
      {"kafka-listen", "HOST:PORT for Kafka clients (default 127.0.0.1:9092)",
       [](Config& c, const std::string& v) { return set_endpoint(c.server.kafka, v); }},
      {"http-listen", "HOST:PORT for the HTTP API (default 127.0.0.1:8080)",
       [](Config& c, const std::string& v) { return set_endpoint(c.server.http, v); }},
      {"shards", "shard threads (default: one per core)",
       number_setter(&Config::engine, &EngineOptions::shards, 1, 256)},
      {"wait", "how idle shards wait: spin or park (default park)",
       [](Config& c, const std::string& v) -> Result<void> {
         if (v == "spin") {
           c.engine.wait = WaitStrategy::spin;
         } else if (v == "park") {
           c.engine.wait = WaitStrategy::park;
         } else {
           return Error(Errc::invalid_argument, "'" + v + "' is not spin or park");
         }
         return {};
       }},
      {"direct-io",
       "write segments with O_DIRECT (default true); false goes through the page cache: lower "
       "latency for small writes, lower throughput (bench/RESULTS.md)",
       [](Config& c, const std::string& v) -> Result<void> {
         Result<bool> b = parse_bool(v);
         if (!b.ok()) return b.error();
         c.engine.direct_io = *b;
         return {};
       }},
      {"small-write-bytes",
       "with O_DIRECT, writes shorter than this go through the page cache (default 65536; 0: "
       "none)",
       [](Config& c, const std::string& v) -> Result<void> {
         Result<uint64_t> n = parse_unsigned(v, 64u << 20);
         if (!n.ok()) return n.error();
         c.engine.small_write_bytes = static_cast<uint32_t>(*n);
         return {};
       }},
      {"write-interval-us",
       "write each partition at most every so many microseconds (default 0: at once); "
       "`written` acks wait up to that long",
       [](Config& c, const std::string& v) -> Result<void> {
         Result<uint64_t> n = parse_unsigned(v, 1'000'000);
         if (!n.ok()) return n.error();
         c.engine.write_interval = std::chrono::microseconds(*n);
         return {};
       }},
      {"auto-create-topics", "create a topic on first use (default true)",
       [](Config& c, const std::string& v) -> Result<void> {
         Result<bool> b = parse_bool(v);
         if (!b.ok()) return b.error();
         c.server.auto_create_topics = *b;
         return {};
       }},
      {"default-partitions", "partitions of an auto-created topic (default 1)",
       number_setter(&Config::server, &server::ServerOptions::default_partitions, 1, 100000)},
      {"advertised-host", "the host Metadata names for this broker (default: the Kafka listener's)",
       [](Config& c, const std::string& v) -> Result<void> {
         c.server.advertised_host = v;
         return {};
       }},
      {"advertised-port", "the port Metadata names (default: the Kafka listener's)",
       number_setter(&Config::server, &server::ServerOptions::advertised_port, 0, 65535)},
      {"max-connections", "open connections at most (default 10000)",
       number_setter(&Config::server, &server::ServerOptions::max_connections, 1, 1000000)},
      {"kafka-max-request-bytes", "the largest Kafka request (default 104857600)",
       [](Config& c, const std::string& v) -> Result<void> {
         Result<uint64_t> n = parse_unsigned(v, 1u << 30);
         if (!n.ok()) return n.error();
         if (*n < 1024) return Error(Errc::invalid_argument, "below the minimum 1024");
         c.server.kafka_limits.max_request_bytes = static_cast<uint32_t>(*n);
         return {};
       }},
      {"kafka-max-in-flight", "pipelined Kafka requests per connection (default 64)",
       [](Config& c, const std::string& v) -> Result<void> {
         Result<uint64_t> n = parse_unsigned(v, 100000);
         if (!n.ok()) return n.error();
         if (*n < 1) return Error(Errc::invalid_argument, "below the minimum 1");
         c.server.kafka_limits.max_in_flight_requests = static_cast<uint32_t>(*n);
         return {};
       }},
      {"http-max-header-bytes", "the largest HTTP request line and headers (default 16384)",
       [](Config& c, const std::string& v) -> Result<void> {
         Result<uint64_t> n = parse_unsigned(v, 1u << 20);
         if (!n.ok()) return n.error();
         if (*n < 256) return Error(Errc::invalid_argument, "below the minimum 256");
         c.server.http_limits.max_header_bytes = static_cast<uint32_t>(*n);
         return {};
       }},
      {"http-max-body-bytes", "the largest HTTP request body (default 8388608)",
       [](Config& c, const std::string& v) -> Result<void> {
         Result<uint64_t> n = parse_unsigned(v, 1u << 30);
         if (!n.ok()) return n.error();
         c.server.http_limits.max_body_bytes = static_cast<uint32_t>(*n);
         return {};
       }},
      {"http-max-in-flight", "pipelined HTTP requests per connection (default 16)",
       [](Config& c, const std::string& v) -> Result<void> {
         Result<uint64_t> n = parse_unsigned(v, 100000);
         if (!n.ok()) return n.error();
         if (*n < 1) return Error(Errc::invalid_argument, "below the minimum 1");
         c.server.http_limits.max_in_flight_requests = static_cast<uint32_t>(*n);
         return {};
       }},
  };
  return all;
}

const Option* find_option(const std::string& flag) {
  for (const Option& option : options()) {
    if (flag == option.flag) return &option;
  }
  return nullptr;
}

std::string env_name(const std::string& flag) {
  std::string name = "SLUICE_";
  for (char c : flag)
    name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

Result<void> apply(Config& config, const Option& option, const std::string& value,
                   const std::string& source) {
  Result<void> set = option.set(config, value);
  if (!set.ok()) {
    return Error(Errc::invalid_argument, source + ": " + set.error().message());
  }
  return {};
}

// A TOML value as the text a flag would carry.
std::optional<std::string> toml_text(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (node.is_integer()) {
    int64_t n = *node.value<int64_t>();
    if (n < 0) return "-" + std::to_string(-n);
    return std::to_string(n);
  }
  return std::nullopt;
}

Result<void> apply_file(Config& config, const std::string& path) {
  // toml++ (Debian's build) reports parse errors by exception; none leaves this function.
  toml::table parsed;
  try {
    parsed = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    if (error.description().find("File could not be opened") != std::string_view::npos) {
      return Error(Errc::not_found, "config file " + path + " could not be opened");
    }
    std::ostringstream where;
    where << error.source().begin;
    return Error(Errc::invalid_argument, "config file " + path + " " + where.str() + ": " +
                                             std::string(error.description()));
  }
  for (auto&& [key, node] : parsed) {
    std::string name(key.str());
    std::string flag = name;
    for (char& c : flag)
      if (c == '_') c = '-';
    const Option* option = find_option(flag);
    if (option == nullptr || name == "config") {
      return Error(Errc::invalid_argument, "config file " + path + ": unknown key '" + name + "'");
    }
    std::optional<std::string> text = toml_text(node);
    if (!text) {
      return Error(Errc::invalid_argument, "config file " + path + ": key '" + name +
                                               "' must be a string, an integer or a boolean");
    }
    SLUICE_TRY(apply(config, *option, *text, "config file " + path + ": " + name));
  }
  return {};
}

}  // namespace

Config default_config() {
  Config config;
  config.engine.data_dir = "./data";
  return config;
}

Result<Config> load_config(std::span<const std::string> args,
                           const std::map<std::string, std::string>& environment) {
  Config config = default_config();
  // Flags first parsed into (option, value), so that --config is known before anything is set.
  std::vector<std::pair<const Option*, std::string>> flags;
  std::optional<std::string> config_file;
  if (auto it = environment.find("SLUICE_CONFIG"); it != environment.end() && !it->second.empty()) {
    config_file = it->second;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string word = args[i];
    if (word == "--help" || word == "-h") {
      config.help = true;
      return config;
    }
    if (word.rfind("--", 0) != 0) {
      return Error(Errc::invalid_argument, "unexpected argument '" + word + "'");
    }
    std::string name = word.substr(2);
    std::string value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Error(Errc::invalid_argument, "flag --" + name + " needs a value");
    }
    if (name == "config") {
      config_file = value;
      continue;
    }
    const Option* option = find_option(name);
    if (option == nullptr) return Error(Errc::invalid_argument, "unknown flag --" + name);
    flags.emplace_back(option, value);
  }
  if (config_file) SLUICE_TRY(apply_file(config, *config_file));
  for (const Option& option : options()) {
    auto it = environment.find(env_name(option.flag));
    if (it != environment.end()) {
      SLUICE_TRY(apply(config, option, it->second, "environment " + it->first));
    }
  }
  for (const auto& [option, value] : flags) {
    SLUICE_TRY(apply(config, *option, value, std::string("flag --") + option->flag));
  }
  return config;
}

std::string usage() {
  std::string out =
      "usage: sluiced [--config FILE] [--OPTION VALUE ...]\n"
      "Each option is also a TOML key (with _ for -) in the --config file and an environment\n"
      "variable SLUICE_<OPTION> (upper case, _ for -); flags win over the environment, which\n"
      "wins over the file.\n\n";
  for (const Option& option : options()) {
    std::string flag = std::string("  --") + option.flag;
    flag.resize(std::max<size_t>(flag.size() + 2, 28), ' ');
    out += flag + option.help + "\n";
  }
  out += "  --config FILE               a TOML file with any of the options above\n";
  return out;
}

}  // namespace sluice::sluiced
