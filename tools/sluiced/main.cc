// sluiced: the sluice ingestion server. Opens the engine on its data directory, serves Kafka
// clients and the HTTP API on io_uring sockets, and stops cleanly on SIGTERM or SIGINT: the
// listeners close, requests in flight complete, the logs are written and synced, exit 0.
#include "server/http/http_session.h"
#include "server/kafka/kafka_session.h"
#include "server/server.h"
#include "server/shard_context.h"
#include "tools/sluiced/config.h"

#include <sluice/engine.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text(*entry);
    size_t eq = text.find('=');
    if (eq != std::string::npos && text.rfind("SLUICE_", 0) == 0) {
      out[text.substr(0, eq)] = text.substr(eq + 1);
    }
  }
  return out;
}

// Blocks the stop signals in every thread (the engine's and server's threads inherit the
// mask), so that only sigwait in main sees them.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sluice;
  std::vector<std::string> args(argv + 1, argv + argc);
  Result<sluiced::Config> config = sluiced::load_config(args, environment());
  if (!config.ok()) {
    std::fprintf(stderr, "sluiced: %s\n\n%s", config.error().message().c_str(),
                 sluiced::usage().c_str());
    return 2;
  }
  if (config->help) {
    std::fputs(sluiced::usage().c_str(), stdout);
    return 0;
  }
  const sigset_t stop_signals = block_stop_signals();

  Result<std::unique_ptr<Engine>> engine = Engine::open(config->engine);
  if (!engine.ok()) {
    std::fprintf(stderr, "sluiced: cannot open %s: %s\n", config->engine.data_dir.c_str(),
                 engine.error().to_string().c_str());
    return 1;
  }
  server::SessionFactories factories;
  factories.kafka = [](server::ShardContext& context, const std::string& peer) {
    return std::make_shared<server::kafka::KafkaSession>(context, peer);
  };
  factories.http = [](server::ShardContext& context, const std::string&) {
    return std::make_shared<server::http::HttpSession>(context);
  };
  Result<std::unique_ptr<server::Server>> server =
      server::Server::start(**engine, config->server, factories);
  if (!server.ok()) {
    std::fprintf(stderr, "sluiced: %s\n", server.error().to_string().c_str());
    return 1;
  }
  std::printf("sluiced: Kafka on %s:%u, HTTP on %s:%u, data in %s, %u shards\n",
              config->server.kafka.host.c_str(), (*server)->kafka_port(),
              config->server.http.host.c_str(), (*server)->http_port(),
              config->engine.data_dir.c_str(), (*engine)->shard_count());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::printf("sluiced: %s: stopping\n", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  std::fflush(stdout);
  (*server)->stop();
  server->reset();
  engine->reset();  // writes and syncs every log
  std::printf("sluiced: stopped\n");
  return 0;
}
