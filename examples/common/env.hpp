#pragma once
// Reading numeric settings of the example servers from the environment.

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace examples {

// The variable's value, or `fallback` when it is unset; exits with status 2 when it is not a
// non-negative integer.
inline long env_number(const char* name, long fallback) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (*end != '\0' || parsed < 0) {
    spdlog::error("event=bad_environment variable={} value=\"{}\"", name, value);
    std::exit(2);
  }
  return parsed;
}

}  // namespace examples
