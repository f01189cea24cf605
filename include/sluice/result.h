// Result<T>: a value or an Error (an Errc and a message). Every fallible call in sluice returns
// one; no exception crosses the library boundary. Result is [[nodiscard]]: an ignored error is
// a compile error under -Werror.
//
// Thread-safety: a Result is a plain value, owned by whoever holds it.
#pragma once

#include <sluice/errc.h>

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace sluice {

class Error {
 public:
  Error(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  Errc code() const { return code_; }
  const std::string& message() const { return message_; }
  // "no_space: segment 00000000000000000042.log: write failed: No space left on device"
  std::string to_string() const;

 private:
  Errc code_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  Result(Errc code, std::string message)
      : storage_(std::in_place_index<1>, Error(code, std::move(message))) {}

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(storage_); }
  const T& value() const& { return std::get<0>(storage_); }
  T&& value() && { return std::get<0>(std::move(storage_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(storage_); }
  Error&& error() && { return std::get<1>(std::move(storage_)); }
  Errc code() const { return error().code(); }

 private:
  std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit
  Result(Errc code, std::string message) : error_(code, std::move(message)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }
  Errc code() const { return error_.code(); }

 private:
  Error error_{Errc::io_error, ""};
  bool ok_ = true;
};

// Returns early from the calling function with the error of `expr` if it failed.
#define SLUICE_TRY(expr)                                  \
  do {                                                    \
    auto sluice_try_result_ = (expr);                     \
    if (!sluice_try_result_.ok()) {                       \
      return std::move(sluice_try_result_).error();       \
    }                                                     \
  } while (false)

}  // namespace sluice
