#include <sluice/durability.h>
#include <sluice/errc.h>
#include <sluice/result.h>

namespace sluice {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::io_error:
      return "io_error";
    case Errc::no_space:
      return "no_space";
    case Errc::corruption:
      return "corruption";
    case Errc::not_found:
      return "not_found";
    case Errc::already_exists:
      return "already_exists";
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::too_large:
      return "too_large";
    case Errc::empty_batch:
      return "empty_batch";
    case Errc::offset_out_of_range:
      return "offset_out_of_range";
    case Errc::would_block:
      return "would_block";
    case Errc::unsupported:
      return "unsupported";
    case Errc::closed:
      return "closed";
    case Errc::timed_out:
      return "timed_out";
    case Errc::permission_denied:
      return "permission_denied";
    case Errc::busy:
      return "busy";
    case Errc::out_of_order_sequence:
      return "out_of_order_sequence";
    case Errc::invalid_producer_epoch:
      return "invalid_producer_epoch";
    case Errc::unknown_producer_id:
      return "unknown_producer_id";
    case Errc::lock_lost:
      return "lock_lost";
    case Errc::conflict:
      return "conflict";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string text(errc_name(code_));
  text += ": ";
  text += message_;
  return text;
}

std::string_view durability_name(Durability durability) {
  switch (durability) {
    case Durability::none:
      return "none";
    case Durability::written:
      return "written";
    case Durability::synced:
      return "synced";
  }
  return "unknown";
}

bool parse_durability(std::string_view text, Durability* out) {
  for (Durability d : {Durability::none, Durability::written, Durability::synced}) {
    if (text == durability_name(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

}  // namespace sluice
