#pragma once
// Why a command got no reply, as an error code of category "redis".

#include <boost/system/error_code.hpp>

namespace redis {

enum class Error {
  not_connected = 1,  // the client was not connected when the command was given
  connection_lost,    // the connection ended before the reply came
  stopped,            // the client was stopped
  queue_full,         // too many bytes of commands are waiting to be written
  server_error,       // the server answered with an error reply
  reply_too_large,    // a reply over the size bound: the connection is dropped
  protocol_error,     // bytes that are not RESP: the connection is dropped
  handshake_failed,   // AUTH, SELECT or a subscription was refused
  timeout,            // connecting and logging in took too long
};

const boost::system::error_category& error_category();

inline boost::system::error_code make_error_code(Error e) {
  return {static_cast<int>(e), error_category()};
}

}  // namespace redis

template <>
struct boost::system::is_error_code_enum<redis::Error> : std::true_type {};
