#pragma once
// The HTTP errors of the Engine.IO protocol: 400 with {"code":N,"message":"..."}.

#include <string_view>

#include "net/http_message.hpp"

namespace engineio {

enum class ErrorCode {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};

// `message` defaults to the protocol's standard text for the code.
net::HttpResponse error_response(ErrorCode code, std::string_view message = {},
                                 unsigned status = 400);

}  // namespace engineio
