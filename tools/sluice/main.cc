// sluice: the command-line tool. `sluice help` lists the commands.
#include "tools/sluice/cli_args.h"
#include "tools/sluice/commands.h"

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: sluice <command> [arguments]\n"
    "  log dump <partition dir>       print every batch of every segment\n"
    "  log verify --data-dir <dir>    check every partition under <dir> as recovery would,\n"
    "                                 changing nothing (exit 0 ok, 1 corruption, 2 error)\n"
    "  demo [--data-dir <dir>]        append, read back and recover a small partition\n"
    "  dlq list <topic>               the events dead-lettered from a topic, through sluiced\n"
    "  dlq show <topic> <p> <offset>  one dead-lettered event, headers included\n"
    "  dlq replay <topic>             put dead-lettered events back on their topic\n"
    "                                 (sluice dlq --help: options, --server HOST:PORT)\n";

int dispatch(const std::vector<std::string>& words) {
  using namespace sluice::cli;
  const std::span<const std::string> all(words);
  if (words.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string& command = words[0];
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (command == "demo") return run_demo(all.subspan(1));
  if (command == "dlq") return run_dlq(all.subspan(1));
  if (command == "log" && words.size() >= 2 && words[1] == "dump")
    return run_log_dump(all.subspan(2));
  if (command == "log" && words.size() >= 2 && words[1] == "verify") {
    return run_log_verify(all.subspan(2));
  }
  std::fprintf(stderr, "sluice: unknown command '%s'\n%s", command.c_str(), kUsage);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  return dispatch(words);
}
