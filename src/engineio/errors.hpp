#pragma once
// The errors of the Engine.IO protocol, as Beast does errors: an enum with its error category.
// An HTTP request that the protocol refuses gets 400 (or the status given) with the body
// {"code":N,"message":"..."}, N being the protocol's number for the error.

#include <boost/system/error_code.hpp>
#include <string_view>
#include <type_traits>

#include "net/http_message.hpp"

namespace engineio {

enum class Error {
  unknown_transport = 1,
  unknown_sid,
  bad_handshake_method,
  bad_request,
  forbidden,
  unsupported_protocol_version,
};

const boost::system::error_category& error_category();
boost::system::error_code make_error_code(Error e);

// The number the protocol gives the error in its HTTP error bodies (0 for unknown_transport).
int protocol_code(Error e);

// `message` defaults to the protocol's standard text for the error.
net::HttpResponse error_response(Error error, std::string_view message = {}, unsigned status = 400);

}  // namespace engineio

template <>
struct boost::system::is_error_code_enum<engineio::Error> : std::true_type {};
