#include "service/store_call.hpp"

#include "net/log.hpp"

namespace service {

Error store_unavailable(const store::StoreError& failure) {
  net::log_event(net::LogLevel::error, "store_failed", {{"error", failure.what()}});
  Error error(Error::Kind::unavailable, "unavailable", "storage unavailable");
  error.retry_after = std::chrono::seconds(1);
  return error;
}

}  // namespace service
