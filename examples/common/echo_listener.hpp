#pragma once
// The Engine.IO echo of the public protocol test suite: each message goes back to its session
// as it came (text or binary). Shared by the engineio-echo example and the polling fuzz target,
// which drives the same server. It keeps no state, so one serves every session.

#include <string>

#include "engineio/session.hpp"

namespace examples {

class EchoListener final : public engineio::SessionListener {
 public:
  void on_session_message(engineio::Session& from, std::string&& data, bool binary) override {
    if (binary) {
      from.send_binary(std::move(data));
    } else {
      from.send_text(data);
    }
  }
  void on_session_closed(engineio::Session&, engineio::CloseReason) override {}
};

}  // namespace examples
