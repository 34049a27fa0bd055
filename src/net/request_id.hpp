#pragma once
// X-Request-Id: the id that ties a request's log lines to its response. The id a client or its
// proxy sent is kept when it is sane; any other header gets a fresh id instead, so that the header
// can neither forge log content nor make the log or the response grow.

#include <cstddef>
#include <string>
#include <string_view>

#include "net/http_message.hpp"

namespace net {

inline constexpr std::string_view kRequestIdHeader = "X-Request-Id";
inline constexpr std::size_t kMaxRequestIdBytes = 128;

// 1 to kMaxRequestIdBytes characters, each of A-Z, a-z, 0-9, '.', '_' and '-'.
bool is_sane_request_id(std::string_view id);

// The request's X-Request-Id when it is sane, otherwise a new random one of 20 characters.
std::string request_id_of(const HttpRequest& request);

}  // namespace net
