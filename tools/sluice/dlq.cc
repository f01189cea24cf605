// sluice dlq list|show|replay: the dead-letter topic `<topic>.dlq` of a topic consumed as a
// queue (include/sluice/queue.h), through sluiced's HTTP API:
// - list: GET /v1/topics/{topic}/dlq?partition=P&from=O&limit=N, page after page (each page
//   says where the next starts), on every DLQ partition (GET /v1/topics/{topic}.dlq says how
//   many) or the one asked for; one line per event, or each event's JSON with --json.
// - show: GET /v1/topics/{topic}.dlq/partitions/{p}/events/{offset}, printed as indented JSON.
// - replay: POST /v1/topics/{topic}/dlq/replay; the server replays each DLQ offset once.
//
// Exit codes (cli_args.h): 0 done; 1 the server answered that something is not there or
// failed (404, 409, 5xx); 2 bad usage (a 400 too) or no usable answer from the server.
#include "tools/common/http_client.h"
#include "tools/sluice/cli_args.h"
#include "tools/sluice/commands.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace sluice::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kUsage =
    "usage: sluice dlq list <topic> [--partition P] [--from O] [--limit N] [--json]\n"
    "       sluice dlq show <topic> <partition> <offset>\n"
    "       sluice dlq replay <topic> [--group G] [--from O] [--to O] [--key K]\n"
    "  list    the events dead-lettered from <topic> (kept in <topic>.dlq): one line each with\n"
    "          the DLQ partition:offset, where it came from, the group, its deliveries, when\n"
    "          and why; every DLQ partition unless --partition, from DLQ offset --from, at\n"
    "          most --limit events in all; --json prints each event's JSON, one per line\n"
    "  show    one dead-lettered event, headers included, as JSON\n"
    "  replay  puts dead-lettered events back on <topic> (those of --group, DLQ offsets\n"
    "          --from..--to, with key --key; all by default), each DLQ offset at most once\n"
    "  --server HOST:PORT  sluiced's HTTP address (default $SLUICE_HTTP, else 127.0.0.1:8080)\n";

constexpr const char* kDefaultServer = "127.0.0.1:8080";
// The most events one GET .../dlq returns (sluiced's bound).
constexpr uint64_t kPageEvents = 1000;
// Pages read per partition at most: a server whose `next` never stops cannot loop for ever.
constexpr uint64_t kMaxPagesPerPartition = 1u << 20;
// Bytes of a key, value or reason shown on a list line; --json or show print everything.
constexpr size_t kShownValueBytes = 40;
constexpr size_t kShownReasonBytes = 120;

// What a command needs: its name for messages and its connection to sluiced.
struct Call {
  std::string command;  // "dlq list"
  tools::HttpClient http;
};

// An answer with its status; the body parsed as JSON (null when empty or not JSON).
struct Answer {
  int status = 0;
  Json body;
  std::string raw;
};

// "http://HOST:PORT/" and "HOST:PORT" both name the server.
std::string server_address(std::optional<std::string> flag) {
  std::string address = flag ? *flag : "";
  if (address.empty()) {
    const char* env = std::getenv("SLUICE_HTTP");
    address = env != nullptr && *env != '\0' ? env : kDefaultServer;
  }
  if (address.rfind("http://", 0) == 0) address.erase(0, 7);
  while (!address.empty() && address.back() == '/')
    address.pop_back();
  return address;
}

Result<Answer> exchange(Call& call, std::string_view method, const std::string& path,
                        const std::string& body = {}) {
  Result<tools::HttpResponse> response = call.http.request(method, path, body);
  if (!response.ok()) return std::move(response).error();
  Answer answer;
  answer.status = response->status;
  answer.raw = std::move(response->body);
  if (!answer.raw.empty()) {
    answer.body = Json::parse(answer.raw, nullptr, /*allow_exceptions=*/false);
    if (answer.body.is_discarded()) answer.body = Json();
  }
  if (answer.status >= 200 && answer.status < 300 && !answer.body.is_object()) {
    return Error(Errc::invalid_argument,
                 std::string(method) + " " + path + ": sluiced at " + call.http.address() +
                     " answered " + std::to_string(answer.status) + " without a JSON object");
  }
  return answer;
}

const Json* member(const Json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

std::optional<int64_t> integer(const Json& object, const char* name) {
  const Json* value = member(object, name);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_integer()) return value->get<int64_t>();
  // DLQ headers carry numbers as decimal text.
  if (value->is_string()) {
    const std::string& text = value->get_ref<const std::string&>();
    char* end = nullptr;
    const long long parsed = std::strtoll(text.c_str(), &end, 10);
    if (!text.empty() && end == text.c_str() + text.size()) return parsed;
  }
  return std::nullopt;
}

std::optional<std::string> text(const Json& object, const char* name) {
  const Json* value = member(object, name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

std::string pretty(const Json& json, int indent) {
  return json.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// Reports an answer that is not a success: the server's error code and message when it gave
// them. Returns the exit code.
int answer_failed(const Call& call, const std::string& what, const Answer& answer) {
  std::string message = what + ": HTTP " + std::to_string(answer.status);
  const std::optional<std::string> code = text(answer.body, "error");
  const std::optional<std::string> detail = text(answer.body, "message");
  if (code) message += " " + *code;
  if (detail) {
    message += ": " + *detail;
  } else if (!code && !answer.raw.empty()) {
    message += ": " + answer.raw.substr(0, 200);
  }
  std::fflush(stdout);
  std::fprintf(stderr, "sluice %s: %s\n", call.command.c_str(), message.c_str());
  return answer.status == 400 ? kExitUsage : kExitFailed;
}

int failed(const Call& call, const Error& error) {
  std::fflush(stdout);
  std::fprintf(stderr, "sluice %s: %s\n", call.command.c_str(), error.message().c_str());
  return kExitUsage;
}

// Milliseconds since the epoch as ISO-8601 UTC ("2025-03-01T12:00:00.250Z").
std::string iso_time(int64_t ms) {
  const time_t seconds = static_cast<time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int64_t millis = ms - static_cast<int64_t>(seconds) * 1000;
  tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return std::to_string(ms);
  char text[40];
  const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(millis));
  return text;
}

// `value` quoted for one line: control bytes escaped, cut after `limit` bytes (at a UTF-8
// character boundary) with "..." after the closing quote.
std::string shown(const std::string& value, size_t limit) {
  size_t end = std::min(value.size(), limit);
  while (end < value.size() && end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80)
    --end;  // do not split a UTF-8 sequence
  std::string out = "\"";
  for (size_t i = 0; i < end; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (end < value.size()) out += "...";
  return out;
}

// An event's key or value as the API gives it: text, base64 (name_b64) or null.
std::string shown_field(const Json& event, const char* name, size_t limit) {
  if (std::optional<std::string> plain = text(event, name)) return shown(*plain, limit);
  if (std::optional<std::string> b64 = text(event, (std::string(name) + "_b64").c_str())) {
    return "base64:" + shown(*b64, limit);
  }
  return "null";
}

// Where a dead-lettered event came from: its "source" object, else its sluice-dlq-* headers.
struct Source {
  std::string topic = "?";
  std::string group = "?";
  std::string reason;
  std::optional<int64_t> partition, offset, deliveries, time_ms;
  std::string time_text;  // a time the server gave as text
};

Source source_of(const Json& event) {
  Source s;
  const Json* object = member(event, "source");
  const Json* headers = member(event, "headers");
  const bool from_source = object != nullptr && object->is_object();
  const Json& from = from_source ? *object : (headers != nullptr ? *headers : Json());
  auto name = [&](const char* source_name, const char* header_name) {
    return from_source ? source_name : header_name;
  };
  s.topic = text(from, name("topic", "sluice-dlq-topic")).value_or("?");
  s.group = text(from, name("group", "sluice-dlq-group")).value_or("?");
  s.reason = text(from, name("reason", "sluice-dlq-reason")).value_or("");
  s.partition = integer(from, name("partition", "sluice-dlq-partition"));
  s.offset = integer(from, name("offset", "sluice-dlq-offset"));
  s.deliveries = integer(from, name("delivery_count", "sluice-dlq-delivery-count"));
  s.time_ms = integer(from, name("time", "sluice-dlq-time"));
  if (!s.time_ms) s.time_text = text(from, name("time", "sluice-dlq-time")).value_or("?");
  return s;
}

std::string number_or_unknown(std::optional<int64_t> n) {
  return n ? std::to_string(*n) : "?";
}

void print_line(const Json& event) {
  const Source s = source_of(event);
  std::printf(
      "dlq=%s:%s source=%s/%s:%s group=%s deliveries=%s time=%s reason=%s key=%s value=%s\n",
      number_or_unknown(integer(event, "partition")).c_str(),
      number_or_unknown(integer(event, "offset")).c_str(), s.topic.c_str(),
      number_or_unknown(s.partition).c_str(), number_or_unknown(s.offset).c_str(), s.group.c_str(),
      number_or_unknown(s.deliveries).c_str(),
      (s.time_ms ? iso_time(*s.time_ms) : s.time_text).c_str(),
      shown(s.reason, kShownReasonBytes).c_str(),
      shown_field(event, "key", kShownValueBytes).c_str(),
      shown_field(event, "value", kShownValueBytes).c_str());
}

struct ListOptions {
  std::string topic;
  std::optional<int32_t> partition;
  std::optional<int64_t> from;  // unset: each partition's earliest offset
  uint64_t limit = UINT64_MAX;  // events in all
  bool json = false;
};

// The DLQ's partitions: GET /v1/topics/{topic}.dlq. An empty list when the DLQ does not
// exist yet (nothing was dead-lettered) while the topic does. Sets *exit_code on failure.
std::optional<std::vector<int32_t>> dlq_partitions(Call& call, const std::string& topic,
                                                   int* exit_code) {
  const std::string dlq_path = "/v1/topics/" + tools::percent_encode(topic + ".dlq");
  Result<Answer> dlq = exchange(call, "GET", dlq_path);
  if (!dlq.ok()) {
    *exit_code = failed(call, dlq.error());
    return std::nullopt;
  }
  if (dlq->status == 404) {
    // No DLQ topic: nothing dead-lettered yet, unless the topic itself is missing.
    Result<Answer> source = exchange(call, "GET", "/v1/topics/" + tools::percent_encode(topic));
    if (!source.ok()) {
      *exit_code = failed(call, source.error());
      return std::nullopt;
    }
    if (source->status != 200) {
      *exit_code = answer_failed(call, "topic '" + topic + "'", *source);
      return std::nullopt;
    }
    return std::vector<int32_t>{};
  }
  if (dlq->status != 200) {
    *exit_code = answer_failed(call, "GET " + dlq_path, *dlq);
    return std::nullopt;
  }
  std::vector<int32_t> partitions;
  const Json* list = member(dlq->body, "partitions");
  if (list != nullptr && list->is_array()) {
    for (const Json& p : *list) {
      if (std::optional<int64_t> id = integer(p, "partition")) {
        partitions.push_back(static_cast<int32_t>(*id));
      }
    }
  }
  std::sort(partitions.begin(), partitions.end());
  return partitions;
}

// Lists one DLQ partition from o.from (else its earliest offset), page by page, until it is
// exhausted or `*left` events were printed.
int list_partition(Call& call, const ListOptions& o, int32_t partition, uint64_t* left) {
  std::optional<int64_t> from = o.from;
  for (uint64_t page = 0; page < kMaxPagesPerPartition; ++page) {
    if (*left == 0) break;
    std::string path = "/v1/topics/" + tools::percent_encode(o.topic) +
                       "/dlq?partition=" + std::to_string(partition);
    if (from) path += "&from=" + std::to_string(*from);
    path += "&limit=" + std::to_string(std::min(*left, kPageEvents));
    Result<Answer> answer = exchange(call, "GET", path);
    if (!answer.ok()) return failed(call, answer.error());
    if (answer->status != 200) return answer_failed(call, "GET " + path, *answer);
    const Json* events = member(answer->body, "events");
    if (events == nullptr || !events->is_array() || events->empty()) return kExitOk;
    for (const Json& event : *events) {
      if (*left == 0) break;
      if (o.json) {
        std::printf("%s\n", pretty(event, -1).c_str());
      } else {
        print_line(event);
      }
      --*left;
    }
    // The next page starts where the server says; past the last event when it does not say.
    const std::optional<int64_t> last = integer(events->back(), "offset");
    const std::optional<int64_t> next = integer(answer->body, "next");
    if (!next && !last) return kExitOk;  // nowhere to go on from
    const int64_t after = next ? *next : *last + 1;
    if (from && after <= *from) return kExitOk;  // a server that does not move on: stop
    from = after;
  }
  return kExitOk;
}

Result<int64_t> offset_flag(Flags& args, const char* name, int64_t fallback) {
  Result<uint64_t> value = args.size(name, static_cast<uint64_t>(fallback));
  if (!value.ok()) return std::move(value).error();
  if (*value > static_cast<uint64_t>(INT64_MAX)) {
    return Error(Errc::invalid_argument, std::string("--") + name + " is too large");
  }
  return static_cast<int64_t>(*value);
}

// A subcommand's parsed words and, once its options are checked, its connection. A usage
// error or a connection failure leaves the exit code to return.
struct Prepared {
  std::optional<Flags> args;
  std::optional<Call> call;
  int exit_code = kExitOk;
};

// Parses the words after the subcommand; `switches` are options without a value.
Prepared prepare(const std::string& command, std::span<const std::string> words,
                 std::initializer_list<std::string_view> switches) {
  Prepared p;
  Result<Flags> args = Flags::parse(words, switches);
  if (!args.ok()) {
    p.exit_code = usage_error(command, args.error().message(), kUsage);
    return p;
  }
  p.args.emplace(std::move(*args));
  return p;
}

// Connects once the options are known to be right (so that a usage error never waits for a
// server).
bool connect(Prepared& p, const std::string& command, const std::string& server) {
  tools::HttpClientOptions options;
  options.server_name = "sluiced";
  Result<tools::HttpClient> http = tools::HttpClient::connect(server, options);
  if (!http.ok()) {
    std::fprintf(stderr, "sluice %s: %s\n", command.c_str(), http.error().message().c_str());
    p.exit_code = kExitUsage;
    return false;
  }
  p.call.emplace(Call{command, std::move(*http)});
  return true;
}

// The options of `dlq list`; invalid_argument names a usage error.
Result<ListOptions> list_options(Flags& args) {
  ListOptions o;
  Result<uint64_t> partition = args.size("partition", UINT64_MAX);
  if (!partition.ok()) return std::move(partition).error();
  std::optional<int64_t> from;
  if (args.text("from")) {
    Result<int64_t> value = offset_flag(args, "from", 0);
    if (!value.ok()) return std::move(value).error();
    from = *value;
  }
  Result<uint64_t> limit = args.size("limit", UINT64_MAX);
  if (!limit.ok()) return std::move(limit).error();
  Result<bool> json = args.boolean("json", false);
  if (!json.ok()) return std::move(json).error();
  if (auto unknown = args.first_unknown()) {
    return Error(Errc::invalid_argument, "unknown option " + *unknown);
  }
  if (args.positionals().size() != 1 || args.positionals()[0].empty()) {
    return Error(Errc::invalid_argument, "give exactly one topic");
  }
  if (*partition != UINT64_MAX && *partition > INT32_MAX) {
    return Error(Errc::invalid_argument, "--partition is too large");
  }
  if (*limit == 0) return Error(Errc::invalid_argument, "--limit must be at least 1");
  o.topic = args.positionals()[0];
  if (*partition != UINT64_MAX) o.partition = static_cast<int32_t>(*partition);
  o.from = from;
  o.limit = *limit;
  o.json = *json;
  return o;
}

int run_list(std::span<const std::string> words) {
  const std::string command = "dlq list";
  Prepared p = prepare(command, words, {"json"});
  if (!p.args) return p.exit_code;
  const std::string server = server_address(p.args->text("server"));
  Result<ListOptions> o = list_options(*p.args);
  if (!o.ok()) return usage_error(command, o.error().message(), kUsage);
  if (!connect(p, command, server)) return p.exit_code;

  std::vector<int32_t> partitions;
  if (o->partition) {
    partitions.push_back(*o->partition);
  } else {
    int exit_code = kExitOk;
    std::optional<std::vector<int32_t>> found = dlq_partitions(*p.call, o->topic, &exit_code);
    if (!found) return exit_code;
    partitions = std::move(*found);
  }
  uint64_t left = o->limit;
  for (int32_t partition : partitions) {
    if (left == 0) break;
    if (int exit_code = list_partition(*p.call, *o, partition, &left); exit_code != kExitOk) {
      return exit_code;
    }
  }
  if (left == o->limit) {
    const std::string where =
        o->partition ? " partition " + std::to_string(*o->partition) : std::string();
    std::fprintf(stderr, "sluice %s: no dead-lettered events in %s.dlq%s\n", command.c_str(),
                 o->topic.c_str(), where.c_str());
  }
  return kExitOk;
}

// A non-negative decimal that fits `max`.
std::optional<int64_t> parse_index(const std::string& text, int64_t max) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
  if (value > static_cast<unsigned long long>(max)) return std::nullopt;
  return static_cast<int64_t>(value);
}

int run_show(std::span<const std::string> words) {
  const std::string command = "dlq show";
  Prepared p = prepare(command, words, {});
  if (!p.args) return p.exit_code;
  Flags& args = *p.args;
  const std::string server = server_address(args.text("server"));
  if (auto unknown = args.first_unknown()) {
    return usage_error(command, "unknown option " + *unknown, kUsage);
  }
  const std::vector<std::string>& positionals = args.positionals();
  if (positionals.size() != 3 || positionals[0].empty()) {
    return usage_error(command, "give a topic, a DLQ partition and a DLQ offset", kUsage);
  }
  const std::optional<int64_t> partition = parse_index(positionals[1], INT32_MAX);
  const std::optional<int64_t> offset = parse_index(positionals[2], INT64_MAX);
  if (!partition) {
    return usage_error(command, "partition '" + positionals[1] + "' is not a number", kUsage);
  }
  if (!offset)
    return usage_error(command, "offset '" + positionals[2] + "' is not a number", kUsage);
  if (!connect(p, command, server)) return p.exit_code;
  const std::string path = "/v1/topics/" + tools::percent_encode(positionals[0] + ".dlq") +
                           "/partitions/" + std::to_string(*partition) + "/events/" +
                           std::to_string(*offset);
  Result<Answer> answer = exchange(*p.call, "GET", path);
  if (!answer.ok()) return failed(*p.call, answer.error());
  if (answer->status != 200) {
    return answer_failed(
        *p.call, positionals[0] + ".dlq partition " + positionals[1] + " offset " + positionals[2],
        *answer);
  }
  std::printf("%s\n", pretty(answer->body, 2).c_str());
  return kExitOk;
}

int run_replay(std::span<const std::string> words) {
  const std::string command = "dlq replay";
  Prepared p = prepare(command, words, {});
  if (!p.args) return p.exit_code;
  Flags& args = *p.args;
  const std::string server = server_address(args.text("server"));
  Json body = Json::object();
  if (std::optional<std::string> group = args.text("group")) body["group"] = *group;
  if (std::optional<std::string> key = args.text("key")) body["key"] = *key;
  for (const char* name : {"from", "to"}) {
    if (!args.text(name)) continue;
    Result<int64_t> value = offset_flag(args, name, 0);
    if (!value.ok()) return usage_error(command, value.error().message(), kUsage);
    body[name] = *value;
  }
  if (auto unknown = args.first_unknown()) {
    return usage_error(command, "unknown option " + *unknown, kUsage);
  }
  if (args.positionals().size() != 1 || args.positionals()[0].empty()) {
    return usage_error(command, "give exactly one topic", kUsage);
  }
  if (body.contains("from") && body.contains("to") &&
      body["from"].get<int64_t>() > body["to"].get<int64_t>()) {
    return usage_error(command, "--from is after --to", kUsage);
  }
  const std::string& topic = args.positionals()[0];
  if (!connect(p, command, server)) return p.exit_code;
  const std::string path = "/v1/topics/" + tools::percent_encode(topic) + "/dlq/replay";
  Result<Answer> answer = exchange(*p.call, "POST", path, pretty(body, -1));
  if (!answer.ok()) return failed(*p.call, answer.error());
  if (answer->status != 200) return answer_failed(*p.call, "replay of " + topic + ".dlq", *answer);
  const std::optional<int64_t> replayed = integer(answer->body, "replayed");
  const std::optional<int64_t> already = integer(answer->body, "already_replayed");
  if (!replayed) {
    return failed(*p.call,
                  Error(Errc::invalid_argument, "POST " + path + ": no \"replayed\" count in " +
                                                    answer->raw.substr(0, 200)));
  }
  std::printf("replayed %" PRId64 ", already replayed %" PRId64 "\n", *replayed,
              already.value_or(0));
  return kExitOk;
}

}  // namespace

int run_dlq(std::span<const std::string> words) {
  if (words.empty()) return usage_error("dlq", "give list, show or replay", kUsage);
  const std::string& sub = words[0];
  if (sub == "help" || sub == "--help" || sub == "-h") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (sub == "list") return run_list(words.subspan(1));
  if (sub == "show") return run_show(words.subspan(1));
  if (sub == "replay") return run_replay(words.subspan(1));
  return usage_error("dlq", "unknown subcommand '" + sub + "'", kUsage);
}

}  // namespace sluice::cli
