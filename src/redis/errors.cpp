#include "redis/errors.hpp"

#include <string_view>

#include "base/error_category.hpp"

namespace redis {

namespace {

std::string_view describe(Error e) {
  switch (e) {
    case Error::not_connected:
      return "not connected to redis";
    case Error::connection_lost:
      return "the redis connection was lost";
    case Error::stopped:
      return "the redis client was stopped";
    case Error::queue_full:
      return "too many redis commands are waiting";
    case Error::server_error:
      return "redis answered with an error";
    case Error::reply_too_large:
      return "a redis reply exceeded the size limit";
    case Error::protocol_error:
      return "redis sent bytes that are not RESP";
    case Error::handshake_failed:
      return "redis refused AUTH, SELECT or a subscription";
    case Error::timeout:
      return "connecting to redis timed out";
  }
  return "unknown redis error";
}

}  // namespace

const boost::system::error_category& error_category() {
  static const base::EnumErrorCategory<Error> category("redis", describe);
  return category;
}

}  // namespace redis
