#include "service/store_call.hpp"

#include <spdlog/spdlog.h>

#include "base/log_value.hpp"

namespace service {

Error store_unavailable(const store::StoreError& failure) {
  spdlog::error("event=store_failed error={}", base::quoted(failure.what()));
  Error error(Error::Kind::unavailable, "unavailable", "storage unavailable");
  error.retry_after = std::chrono::seconds(1);
  return error;
}

}  // namespace service
