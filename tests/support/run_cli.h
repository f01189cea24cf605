// Runs a built program ($SLUICE_BIN_DIR/<program>, set by ctest; `sluice`, `sluice-bench`)
// through the shell and captures what it printed, for the tests of the command lines.
#pragma once

#include <string>

namespace sluice::testing {

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs $SLUICE_BIN_DIR/<program> <args>.
CliRun run_program(const std::string& program, const std::string& args);
CliRun run_sluice(const std::string& args);

}  // namespace sluice::testing
