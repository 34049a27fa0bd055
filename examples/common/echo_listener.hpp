#pragma once
// The Engine.IO echo of the public protocol test suite: each message goes back to its session
// as it came (text or binary). Shared by the engineio-echo example and the polling fuzz target,
// which drives the same server.

#include <string>

#include "engineio/session.hpp"

namespace examples {

class EchoListener final : public engineio::SessionListener {
 public:
  explicit EchoListener(engineio::Session& session) : session_(session) {}
  void on_session_message(std::string&& data, bool binary) override {
    if (binary) {
      session_.send_binary(std::move(data));
    } else {
      session_.send_text(data);
    }
  }
  void on_session_closed(engineio::CloseReason) override {}

 private:
  engineio::Session& session_;  // which holds this listener until it closes
};

}  // namespace examples
