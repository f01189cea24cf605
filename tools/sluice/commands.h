// The sluice CLI's commands. Each takes the words after its name and returns the process exit
// code (cli_args.h: 0 ok, 1 a problem found, 2 usage or I/O error).
#pragma once

#include <span>
#include <string>

namespace sluice::cli {

int run_log_dump(std::span<const std::string> args);
int run_log_verify(std::span<const std::string> args);
int run_demo(std::span<const std::string> args);
// dlq list|show|replay: a topic's dead-letter topic, through sluiced's HTTP API (dlq.cc).
int run_dlq(std::span<const std::string> args);

}  // namespace sluice::cli
