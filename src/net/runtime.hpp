#pragma once
// Runs an io_context on several threads until SIGINT or SIGTERM, then shuts down gracefully.

#include <chrono>
#include <functional>

#include "net/executor.hpp"

namespace net {

struct ShutdownPlan {
  // Called once on the first signal: stop accepting, tell clients goodbye.
  std::function<void()> begin;
  // Polled after begin(): true once everything worth waiting for is done.
  std::function<bool()> drained;
  // The io_context is stopped after this long even if not drained.
  std::chrono::milliseconds grace{5000};
};

// Returns once the io_context has stopped and all threads have joined.
void run_until_signalled(IoContext& ioc, unsigned threads, ShutdownPlan plan);

// The number of IO threads to use when none is configured: one per core this process may use.
unsigned default_io_threads();

}  // namespace net
