#include "tests/support/run_cli.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

namespace sluice::testing {

CliRun run_sluice(const std::string& args) {
  return run_program("sluice", args);
}

CliRun run_program(const std::string& program, const std::string& args) {
  const char* bin_dir = std::getenv("SLUICE_BIN_DIR");
  const std::string bin = std::string(bin_dir ? bin_dir : "build/bin") + "/" + program;
  CliRun run;
  FILE* pipe = popen((bin + " " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace sluice::testing
