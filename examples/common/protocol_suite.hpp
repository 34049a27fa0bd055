#pragma once
// The Engine.IO settings that the public protocol test suites expect of the server they test.

#include <chrono>
#include <string>

#include "engineio/options.hpp"

namespace examples {

inline engineio::ServerOptions protocol_suite_options(std::string path) {
  engineio::ServerOptions options;
  options.path = std::move(path);
  options.ping_interval = std::chrono::milliseconds(300);
  options.ping_timeout = std::chrono::milliseconds(200);
  options.max_payload = 1'000'000;
  return options;
}

}  // namespace examples
