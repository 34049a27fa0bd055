#pragma once
// An event received from a client: its name, its arguments (with binary attachments), and the
// acknowledgement the client may be waiting for.

#include <boost/json/value_to.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "socketio/packet.hpp"

namespace socketio {

class Socket;

class Event {
 public:
  Event(std::shared_ptr<Socket> socket, Packet&& packet);

  const std::string& name() const { return name_; }
  std::size_t arg_count() const { return args_.size(); }
  // Argument `i` (after the event name); null when there is no such argument.
  const boost::json::value& arg(std::size_t i) const;
  // Argument `i` converted to T, or nullopt when it is missing or of another shape.
  template <class T>
  std::optional<T> arg_as(std::size_t i) const {
    auto converted = boost::json::try_value_to<T>(arg(i));
    if (!converted) return std::nullopt;
    return std::move(*converted);
  }
  const boost::json::array& args() const { return args_; }
  boost::json::array take_args() { return std::move(args_); }
  // Binary attachments; arguments refer to them by placeholder (see placeholder_index).
  const std::vector<std::string>& attachments() const { return attachments_; }
  std::vector<std::string> take_attachments() { return std::move(attachments_); }

  bool wants_ack() const { return ack_id_.has_value(); }
  // Answers the client's acknowledgement; any thread, first call only; ignored if none wanted.
  void ack(boost::json::array args, std::vector<std::string> attachments = {});

 private:
  std::shared_ptr<Socket> socket_;
  std::string name_;
  boost::json::array args_;
  std::vector<std::string> attachments_;
  std::optional<std::uint64_t> ack_id_;
};

// The answer to an emit_with_ack: the client's arguments, or a timeout.
struct AckResult {
  bool timed_out = false;
  boost::json::array args;
  std::vector<std::string> attachments;
};

}  // namespace socketio
