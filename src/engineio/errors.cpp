#include "engineio/errors.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace engineio {
namespace {

std::string_view standard_message(ErrorCode code) {
  switch (code) {
    case ErrorCode::unknown_transport:
      return "Transport unknown";
    case ErrorCode::unknown_sid:
      return "Session ID unknown";
    case ErrorCode::bad_handshake_method:
      return "Bad handshake method";
    case ErrorCode::bad_request:
      return "Bad request";
    case ErrorCode::forbidden:
      return "Forbidden";
    case ErrorCode::unsupported_protocol_version:
      return "Unsupported protocol version";
  }
  return "Bad request";
}

}  // namespace

net::HttpResponse error_response(ErrorCode code, std::string_view message, unsigned status) {
  boost::json::value body = {{"code", static_cast<int>(code)},
                             {"message", message.empty() ? standard_message(code) : message}};
  return net::HttpResponse::json(status, boost::json::serialize(body));
}

}  // namespace engineio
