#pragma once
// The service's idea of now: wall-clock time in the milliseconds that the store keeps.

#include <chrono>

#include "store/store.hpp"

namespace service {

inline store::Timestamp service_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace service
