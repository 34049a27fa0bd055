#include "net/fd_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "net/log.hpp"

namespace net {

long raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    log_event(LogLevel::warn, "fd_limit_unknown", {{"error", std::strerror(errno)}});
    return -1;
  }
  const auto before = limit.rlim_cur;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      log_event(LogLevel::warn, "fd_limit_not_raised",
                {{"soft", std::to_string(before)},
                 {"hard", std::to_string(limit.rlim_max)},
                 {"error", std::strerror(errno)}});
      return static_cast<long>(before);
    }
  }
  log_event(LogLevel::info, "fd_limit",
            {{"soft_before", std::to_string(before)},
             {"soft", std::to_string(limit.rlim_cur)},
             {"hard", std::to_string(limit.rlim_max)}});
  return static_cast<long>(limit.rlim_cur);
}

}  // namespace net
