#include "tools/common/scratch_dir.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace sluice::tools {

Result<ScratchDir> ScratchDir::create(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Error(Errc::io_error,
                 "cannot create a directory like " + pattern + ": " + std::strerror(errno));
  }
  return ScratchDir(pattern);
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  std::error_code ignored;  // best effort: a leftover temporary directory harms nothing
  std::filesystem::remove_all(path_, ignored);
}

Result<std::string> ScratchDir::given_or_scratch(const std::string& given,
                                                 const std::string& prefix,
                                                 std::optional<ScratchDir>& holder) {
  if (!given.empty()) return given;
  Result<ScratchDir> created = create(prefix);
  if (!created.ok()) return std::move(created).error();
  holder.emplace(std::move(created).value());
  return holder->path();
}

}  // namespace sluice::tools
