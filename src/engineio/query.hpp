#pragma once
// The Engine.IO query parameters of a request target.

#include <optional>
#include <string>
#include <string_view>

namespace engineio {

struct HandshakeQuery {
  std::optional<std::string> eio;
  std::optional<std::string> transport;
  std::optional<std::string> sid;
};

// Reads EIO, transport and sid from an origin-form target; a target that does not parse gives
// an empty query (which the server then refuses).
HandshakeQuery parse_query(std::string_view target);

}  // namespace engineio
