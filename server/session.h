// Session: one connection's protocol state (Kafka or HTTP), free of any transport. The
// connection (server/net/connection.h) feeds it the bytes it receives and sends the bytes it
// produces; tests drive a Session directly with byte strings.
//
// Requests may complete later than they arrive (a produce waiting for its durability, a fetch
// long-polling for data, a JoinGroup waiting for the other members), but responses leave in
// request order, as both protocols require. Deferred work moves on in poll(), which the
// connection calls every round of its shard's loop.
//
// Thread-safety: a Session belongs to one shard thread: every call, and every completion it
// arranges, runs there. Sessions are held by std::shared_ptr, so that completions arriving after
// the connection closed can find out through a weak_ptr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::server {

class Session {
 public:
  virtual ~Session() = default;

  // Parses and handles the complete requests at the front of `input` and returns how many
  // bytes they used; a partial request is left for the next call, offered again with more
  // bytes behind it. Malformed input is answered with an error response where the protocol
  // allows one, else the session asks to close (should_close()).
  virtual size_t on_input(std::span<const std::byte> input) = 0;
  // Moves deferred requests on (completions, long polls, timeouts). Returns the work done
  // (0 when there was none), which keeps a busy shard from sleeping.
  virtual size_t poll(int64_t now_ms) = 0;

  // The bytes ready to send, in order. The connection sends them while other calls go on, so
  // they must stay valid and unchanged until sent() reports them, however much output the
  // session adds meanwhile (keep two buffers: the one being sent and the one being filled).
  // The connection sends the whole span, then calls sent(span.size()), and only then asks for
  // more.
  virtual std::span<const std::byte> pending_output() = 0;
  virtual void sent(size_t bytes) = 0;
  // True when output is waiting (cheap; does not swap buffers).
  virtual bool has_output() const = 0;

  // True while the session takes no more input: its in-flight request limit is reached, or
  // its output is backed up past its bound. The connection stops reading until it clears.
  virtual bool input_paused() const = 0;
  // True when the connection should close once pending output is sent (a protocol error, an
  // HTTP "Connection: close", a frame over the size limit).
  virtual bool should_close() const = 0;
  // The peer closed or the server is stopping: no more input comes. Requests in flight still
  // complete (the connection goes on polling until in_flight() is 0 and output is sent).
  virtual void input_closed() = 0;
  // Requests accepted whose responses are not complete yet.
  virtual size_t in_flight() const = 0;
};

}  // namespace sluice::server
