// Request targets with query strings: the Engine.IO handshake parameters (EIO, transport, sid)
// and the REST list parameters (status, cursor, limit). The input is the target; it goes to
// engineio::parse_query and, as a GET, to the REST API. REST answers must be JSON and never 500.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.hpp"
#include "engineio/query.hpp"
#include "rest_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  const auto query = engineio::parse_query(target);
  // A parameter is only ever taken from the target itself.
  for (const auto* value : {&query.eio, &query.transport, &query.sid}) {
    FUZZ_CHECK(!*value || (*value)->size() <= target.size());
  }
  if (target.find("login") != std::string_view::npos) return 0;
  fuzz::check_rest_response(fuzz::send_rest_request("GET", std::string(target), "", ""));
  return 0;
}
