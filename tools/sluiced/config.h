// sluiced's configuration: the engine's and the server's options, from (lowest to highest
// precedence) the defaults, a TOML file, SLUICE_* environment variables and command-line
// flags. Every option has one name in each form: `--kafka-listen` (flag), `kafka_listen`
// (TOML key), `SLUICE_KAFKA_LISTEN` (environment). `sluiced --help` lists them.
//
// Thread-safety: plain values and pure functions (the environment is passed in).
#pragma once

#include "server/server_options.h"

#include <sluice/engine.h>
#include <sluice/result.h>

#include <map>
#include <span>
#include <string>

namespace sluice::sluiced {

struct Config {
  EngineOptions engine;
  server::ServerOptions server;
  bool help = false;  // --help: print the usage and exit
};

// The defaults: ./data, Kafka on 127.0.0.1:9092, HTTP on 127.0.0.1:8080, one shard per core.
Config default_config();

// Builds the configuration from flags (argv without the program name) and the environment
// (NAME -> value). The TOML file is named by --config or SLUICE_CONFIG. Errors
// (invalid_argument) name the option and its source: an unknown flag or TOML key, a malformed
// value, a file that does not parse; not_found for a missing file.
Result<Config> load_config(std::span<const std::string> args,
                           const std::map<std::string, std::string>& environment);

// The usage text, with every option and its default.
std::string usage();

}  // namespace sluice::sluiced
