#pragma once
// Where a Redis server is and how to log in to it, read from a URL:
// redis://[[user]:password@]host[:port][/db]. `rediss` (TLS) is refused: see the README.

#include <string>
#include <string_view>

namespace redis {

struct Endpoint {
  std::string host = "127.0.0.1";
  unsigned short port = 6379;
  std::string username;  // Redis 6 ACL user; empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  unsigned db = 0;       // SELECTed when not 0
};

// Throws std::invalid_argument naming what is wrong with the URL.
Endpoint parse_url(std::string_view url);

}  // namespace redis
