// REST requests with bodies, as the API gets them once HTTP is parsed. The input is three
// parts, one per line: "METHOD /target", the Content-Type, then the body up to the end, e.g.
//   POST /api/reports
//   application/json
//   {"title":"Pothole","description":"Via Roma 1"}
// Every answer must be a JSON response other than 500, and whatever reaches the store must be
// valid UTF-8 (rest_harness.cpp). Login is left out: it hashes a password on every attempt.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rest_harness.hpp"

namespace {

// The text before the first '\n' (all of it when there is none); `rest` keeps what follows.
std::string_view take_line(std::string_view& rest) {
  const auto newline = rest.find('\n');
  const auto line = rest.substr(0, newline);
  rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const auto request_line = take_line(rest);
  const auto content_type = take_line(rest);
  const auto space = request_line.find(' ');
  if (space == std::string_view::npos) return 0;
  const auto target = request_line.substr(space + 1);
  if (target.find("login") != std::string_view::npos) return 0;
  const auto response =
      fuzz::send_rest_request(std::string(request_line.substr(0, space)), std::string(target),
                              std::string(content_type), std::string(rest));
  fuzz::check_rest_response(response);
  return 0;
}
