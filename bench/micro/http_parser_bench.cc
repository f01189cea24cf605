// The HTTP side of sluiced without the network: the request parser alone (a GET as load tools
// send it, pipelined GETs, a POST with a body, a chunked body), and one whole single-event read
// through HttpSession (parse, route, Engine::read, JSON, response) on a real engine.
#include "server/http/http_session.h"
#include "server/http/request_parser.h"
#include "server/offloader.h"
#include "server/shard_context.h"

#include "engine/engine_impl.h"

#include <sluice/sluice.h>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace {

using namespace sluice;
using namespace sluice::server;
using namespace sluice::server::http;

const std::string kGet =
    "GET /v1/topics/orders/partitions/3/events/123456 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
    "User-Agent: sluice-bench/0.1\r\nAccept: */*\r\n\r\n";

// Parses every request in `input`, over and over.
void parse_all(benchmark::State& state, const std::string& input, size_t requests) {
  RequestParser parser(HttpLimits{});
  Request request;
  for (auto _ : state) {
    size_t offset = 0;
    while (offset < input.size()) {
      const ParseStatus status = parser.parse(std::string_view(input).substr(offset), request);
      if (status != ParseStatus::complete) state.SkipWithError("not complete");
      benchmark::DoNotOptimize(request.body.data());
      offset += parser.consumed();
      parser.reset();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * requests));
}

void BM_ParseGet(benchmark::State& state) {
  parse_all(state, kGet, 1);
}
BENCHMARK(BM_ParseGet);

void BM_ParsePipelinedGets(benchmark::State& state) {
  std::string input;
  for (int i = 0; i < 16; ++i)
    input += kGet;
  parse_all(state, input, 16);
}
BENCHMARK(BM_ParsePipelinedGets);

void BM_ParsePost(benchmark::State& state) {
  const std::string body(static_cast<size_t>(state.range(0)), 'x');
  parse_all(state,
            "POST /v1/topics/orders/events?acks=written HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            "Content-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body,
            1);
}
BENCHMARK(BM_ParsePost)->Arg(1024)->Arg(64 * 1024);

void BM_ParseChunked(benchmark::State& state) {
  std::string input =
      "POST /v1/topics/orders/events HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i)
    input += "200\r\n" + std::string(512, 'x') + "\r\n";
  parse_all(state, input + "0\r\n\r\n", 1);
}
BENCHMARK(BM_ParseChunked);

// GET one event through a whole HttpSession: what a shard does per request, less the socket.
void BM_SessionReadOneEvent(benchmark::State& state) {
  char pattern[] = "/tmp/sluice-http-bench-XXXXXX";
  const std::string dir = mkdtemp(pattern);
  {
    EngineOptions options;
    options.data_dir = dir;
    options.shards = 1;
    Result<std::unique_ptr<Engine>> engine = Engine::open(options);
    if (!engine.ok()) {
      state.SkipWithError(engine.error().to_string().c_str());
      return;
    }
    TopicConfig config;
    config.segment_bytes = 4u << 20;
    (void)(*engine)->create_topic("orders", config);
    {
      Result<Producer> producer = (*engine)->producer();
      for (int i = 0; i < 1000; ++i) {
        Event event;
        event.key = "key-" + std::to_string(i);
        event.value = std::string(100, 'v');
        event.headers.push_back({"trace", std::string("abc")});
        (void)producer->send("orders", std::move(event));
      }
      (void)producer->flush();
    }
    Offloader offloader;
    Metrics metrics;
    ServerOptions server_options;
    ShardContext ctx(**engine, (*engine)->impl().shard(0), offloader, metrics, server_options);
    auto session = std::make_shared<HttpSession>(ctx);
    std::string requests[1000];
    for (int i = 0; i < 1000; ++i) {
      requests[i] = "GET /v1/topics/orders/partitions/0/events/" + std::to_string(i) +
                    " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench\r\n\r\n";
    }
    size_t i = 0;
    size_t bytes = 0;
    for (auto _ : state) {
      const std::string& request = requests[i++ % 1000];
      session->on_input(std::as_bytes(std::span(request.data(), request.size())));
      const auto out = session->pending_output();
      bytes += out.size();
      session->sent(out.size());
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.counters["response_bytes"] =
        benchmark::Counter(static_cast<double>(bytes) / static_cast<double>(state.iterations()));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SessionReadOneEvent);

}  // namespace
