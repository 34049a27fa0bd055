#pragma once
// Bytes that many connections may send at once without copying them (one broadcast's packet to
// every WebSocket, or inside every polling answer).

#include <memory>
#include <string>

namespace net {

using SharedBytes = std::shared_ptr<const std::string>;

}  // namespace net
