#pragma once
// A bounded wait, in tests, for something another thread or process makes happen.

#include <chrono>
#include <functional>
#include <thread>

// Polls `done` every 10 ms until it holds or `limit` has passed; returns done().
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}
