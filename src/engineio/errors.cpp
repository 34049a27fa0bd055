#include "engineio/errors.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "base/error_category.hpp"

namespace engineio {
namespace {

// The reference server's texts: clients and the protocol suite read them.
std::string_view describe(Error e) {
  switch (e) {
    case Error::unknown_transport:
      return "Transport unknown";
    case Error::unknown_sid:
      return "Session ID unknown";
    case Error::bad_handshake_method:
      return "Bad handshake method";
    case Error::bad_request:
      return "Bad request";
    case Error::forbidden:
      return "Forbidden";
    case Error::unsupported_protocol_version:
      return "Unsupported protocol version";
  }
  return "Bad request";
}

}  // namespace

const boost::system::error_category& error_category() {
  static const base::EnumErrorCategory<Error> category("engineio", describe);
  return category;
}

boost::system::error_code make_error_code(Error e) {
  return {static_cast<int>(e), error_category()};
}

int protocol_code(Error e) {
  return static_cast<int>(e) - 1;
}

net::HttpResponse error_response(Error error, std::string_view message, unsigned status) {
  boost::json::value body = {{"code", protocol_code(error)},
                             {"message", message.empty() ? describe(error) : message}};
  return net::HttpResponse::json(status, boost::json::serialize(body));
}

}  // namespace engineio
