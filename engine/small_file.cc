#include "engine/small_file.h"

#include <span>

namespace sluice::engine {

Result<std::string> read_small_file(io::FileSystem& fs, const std::string& path, uint64_t max_bytes,
                                    std::string_view what) {
  auto file = fs.open(path, io::OpenOptions{});
  if (!file.ok()) return std::move(file).error();
  std::string text;
  auto size = fs.size(*file);
  Result<void> status;
  if (!size.ok()) {
    status = std::move(size).error();
  } else if (*size > max_bytes) {
    status = Error(Errc::corruption, path + ": " + std::to_string(*size) +
                                         " bytes, too large for " + std::string(what));
  } else {
    text.resize(*size);
    auto got = fs.read(*file, 0, std::as_writable_bytes(std::span(text.data(), text.size())));
    if (!got.ok()) {
      status = std::move(got).error();
    } else if (*got != *size) {
      status = Error(Errc::corruption, path + ": shorter than its size");
    }
  }
  (void)fs.close(*file);
  if (!status.ok()) return std::move(status).error();
  return text;
}

Result<void> write_file_atomically(io::FileSystem& fs, const std::string& dir,
                                   const std::string& temp, const std::string& path,
                                   std::string_view text) {
  auto file = fs.open(temp, io::OpenOptions{.create = true, .writable = true});
  if (!file.ok()) return std::move(file).error();
  auto written = [&]() -> Result<void> {
    SLUICE_TRY(fs.truncate(*file, 0));
    SLUICE_TRY(fs.write(*file, 0, std::as_bytes(std::span(text.data(), text.size()))));
    return fs.datasync(*file);
  }();
  auto closed = fs.close(*file);
  SLUICE_TRY(written);
  SLUICE_TRY(closed);
  SLUICE_TRY(fs.rename(temp, path));
  return fs.sync_directory(dir);
}

}  // namespace sluice::engine
