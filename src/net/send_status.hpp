#pragma once
// What became of a message handed to a connection, as µWebSockets' SendStatus: the caller learns
// when it was dropped, and why, instead of the drop passing silently.

namespace net {

enum class SendStatus {
  queued,             // accepted: it leaves in order with what was sent before
  dropped_closed,     // the connection is closing or closed
  dropped_not_ready,  // a volatile message the connection could not take at once
  dropped_overflow,   // over the send queue limit: the connection is being closed as too slow
};

inline bool was_dropped(SendStatus status) {
  return status != SendStatus::queued;
}

}  // namespace net
