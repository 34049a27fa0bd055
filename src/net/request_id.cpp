#include "net/request_id.hpp"

#include <algorithm>

#include "base/random.hpp"

namespace net {

bool is_sane_request_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxRequestIdBytes &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

std::string request_id_of(const HttpRequest& request) {
  if (auto sent = request.header("x-request-id"); sent && is_sane_request_id(*sent)) {
    return std::string(*sent);
  }
  return base::random_token(15);  // 120 bits: unique without coordination between nodes
}

}  // namespace net
