#pragma once
// Why a connection of net/ ended, as Beast does errors: an enum with its error category, so that
// an end can be passed and compared as a boost::system::error_code next to Asio's own (a reset
// or broken connection arrives as the socket's error code unchanged).

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <type_traits>

namespace net {

enum class Error : std::uint8_t {
  closed_by_peer = 1,   // a close frame, or the end of the stream
  closed_by_server,     // close() was called
  handshake_timeout,    // the WebSocket handshake did not finish in time
  handshake_failed,     // the WebSocket handshake could not be answered
  send_queue_overflow,  // the peer let more bytes pile up than the limit: too slow
  message_too_big,      // a message over the configured limit (close code 1009)
  protocol_violation,   // a frame that breaks RFC 6455, or text that is not UTF-8
  close_timeout,        // the peer did not finish the close handshake in time
  connection_failed,    // the socket failed (its own error code says how, where it is kept)
};

const boost::system::error_category& error_category();
boost::system::error_code make_error_code(Error e);

}  // namespace net

template <>
struct boost::system::is_error_code_enum<net::Error> : std::true_type {};
