#include "cluster/redis_call.hpp"

#include <future>
#include <memory>

#include "net/log.hpp"

namespace cluster {

std::optional<redis::Reply> call_and_wait(redis::Client& client, std::vector<std::string> args,
                                          std::chrono::milliseconds timeout) {
  // Shared: a reply that comes after the wait gave up still has somewhere to go.
  auto promise = std::make_shared<std::promise<std::optional<redis::Reply>>>();
  auto reply = promise->get_future();
  client.command(std::move(args), [promise](boost::system::error_code ec, redis::Reply r) {
    // Redis away is expected now and then (the caller falls back); an error reply is a bug.
    if (ec == redis::Error::server_error || r.is_error()) {
      net::log_event(net::LogLevel::error, "redis_command_failed", {{"error", r.text}});
    }
    promise->set_value(ec || r.is_error() ? std::nullopt : std::optional(std::move(r)));
  });
  if (reply.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return reply.get();
}

}  // namespace cluster
