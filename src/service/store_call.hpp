#pragma once
// The services' one way to call the store. A store that cannot answer (store::StoreError)
// leaves the service as its own Error(unavailable), with the cause logged here, so that
// service::Error is the only exception its callers (the REST edge, the live channel) handle.

#include <utility>

#include "service/errors.hpp"
#include "store/store.hpp"

namespace service {

// Logs the store's failure and returns what clients are told: 503, try again.
Error store_unavailable(const store::StoreError& failure);

template <class Call>
auto store_call(Call&& call) -> decltype(std::forward<Call>(call)()) {
  try {
    return std::forward<Call>(call)();
  } catch (const store::StoreError& failure) {
    throw store_unavailable(failure);
  }
}

}  // namespace service
