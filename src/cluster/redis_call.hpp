#pragma once
// A Redis command whose caller waits for the reply: for code that already runs on a worker
// thread (where blocking on the database is the rule too) and needs an answer before it can go
// on, such as a login. Never call it on an IO thread: the reply is delivered there.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "redis/client.hpp"

namespace cluster {

// The reply, or nullopt when there is none within `timeout` (Redis away, an error reply).
std::optional<redis::Reply> call_and_wait(redis::Client& client, std::vector<std::string> args,
                                          std::chrono::milliseconds timeout);

}  // namespace cluster
