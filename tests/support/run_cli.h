// Runs the built `sluice` program ($SLUICE_BIN_DIR/sluice, set by ctest) through the shell and
// captures what it printed, for the tests of the CLI.
#pragma once

#include <string>

namespace sluice::testing {

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CliRun run_sluice(const std::string& args);

}  // namespace sluice::testing
