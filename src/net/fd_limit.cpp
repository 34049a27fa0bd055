#include "net/fd_limit.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "base/log_value.hpp"

namespace net {

long raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("event=fd_limit_unknown error={}", base::quoted(std::strerror(errno)));
    return -1;
  }
  const auto before = limit.rlim_cur;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      spdlog::warn("event=fd_limit_not_raised soft={} hard={} error={}", before, limit.rlim_max,
                   base::quoted(std::strerror(errno)));
      return static_cast<long>(before);
    }
  }
  spdlog::info("event=fd_limit soft_before={} soft={} hard={}", before, limit.rlim_cur,
               limit.rlim_max);
  return static_cast<long>(limit.rlim_cur);
}

}  // namespace net
