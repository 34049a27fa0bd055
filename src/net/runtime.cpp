#include "net/runtime.hpp"

#include <sched.h>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <thread>
#include <vector>

#include "net/log.hpp"

namespace net {
namespace {

namespace asio = boost::asio;
constexpr std::chrono::milliseconds kDrainPollInterval{20};

struct Shutdown : std::enable_shared_from_this<Shutdown> {
  Shutdown(IoContext& ioc, ShutdownPlan plan)
      : ioc(ioc), signals(ioc, SIGINT, SIGTERM), timer(ioc), plan(std::move(plan)) {}

  void arm() {
    signals.async_wait([self = shared_from_this()](boost::system::error_code ec, int signal) {
      if (ec) return;
      log_event(LogLevel::info, "shutdown_started",
                {{"signal", std::to_string(signal)},
                 {"grace_ms", std::to_string(self->plan.grace.count())}});
      self->deadline = std::chrono::steady_clock::now() + self->plan.grace;
      self->plan.begin();
      self->poll();
    });
  }

  void poll() {
    if (plan.drained() || std::chrono::steady_clock::now() >= deadline) {
      log_event(LogLevel::info, "shutdown_finished",
                {{"drained", plan.drained() ? "true" : "false"}});
      ioc.stop();
      return;
    }
    timer.expires_after(kDrainPollInterval);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->poll();
    });
  }

  IoContext& ioc;
  asio::signal_set signals;
  asio::steady_timer timer;
  ShutdownPlan plan;
  std::chrono::steady_clock::time_point deadline{};
};

}  // namespace

unsigned default_io_threads() {
  // The cores this process may run on (taskset, a container's cpuset), which
  // hardware_concurrency ignores: more threads than those only take turns on them.
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    return std::max(1, CPU_COUNT(&allowed));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

// An exception that escapes a handler is a bug, but one request's bug must not end every
// connection of the process: log it and keep the thread serving.
void run_guarded(IoContext& ioc) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      log_event(LogLevel::error, "handler_exception", {{"error", e.what()}});
    } catch (...) {
      log_event(LogLevel::error, "handler_exception", {{"error", "unknown"}});
    }
  }
}

void run_until_signalled(IoContext& ioc, unsigned threads, ShutdownPlan plan) {
  std::make_shared<Shutdown>(ioc, std::move(plan))->arm();
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&ioc] { run_guarded(ioc); });
  run_guarded(ioc);
  for (auto& worker : workers) worker.join();
}

}  // namespace net
