#include "tools/sluice/cli_args.h"

#include <cstdio>

namespace sluice::cli {

int usage_error(const std::string& command, const std::string& message, const char* usage) {
  std::fprintf(stderr, "sluice %s: %s\n%s", command.c_str(), message.c_str(), usage);
  return kExitUsage;
}

}  // namespace sluice::cli
