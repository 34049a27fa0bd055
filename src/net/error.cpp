#include "net/error.hpp"

#include "base/error_category.hpp"

namespace net {
namespace {

std::string_view describe(Error e) {
  switch (e) {
    case Error::closed_by_peer:
      return "closed by the peer";
    case Error::closed_by_server:
      return "closed by the server";
    case Error::handshake_timeout:
      return "handshake timeout";
    case Error::handshake_failed:
      return "handshake failed";
    case Error::send_queue_overflow:
      return "send queue overflow";
    case Error::message_too_big:
      return "message too big";
    case Error::protocol_violation:
      return "protocol violation";
    case Error::close_timeout:
      return "close timeout";
    case Error::connection_failed:
      return "connection failed";
  }
  return "unknown net error";
}

}  // namespace

const boost::system::error_category& error_category() {
  static const base::EnumErrorCategory<Error> category("net", describe);
  return category;
}

boost::system::error_code make_error_code(Error e) {
  return {static_cast<int>(e), error_category()};
}

}  // namespace net
