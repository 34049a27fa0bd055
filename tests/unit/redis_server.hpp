#pragma once
// A redis-server of the test's own, on a free loopback port, with no persistence, in a
// temporary folder; stopped (and restartable on the same port) by its PID. A missing
// redis-server fails the test that needs it: it is a dependency of the build
// (scripts/install-deps).

#include <sys/types.h>

#include <string>

#include "temp_dir.hpp"

class RedisServer {
 public:
  // Starts it and waits until it answers; throws std::runtime_error when it cannot.
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // SIGTERM, and waits for it to exit.
  void stop();
  // Starts it again on the same port.
  void start();

  unsigned short port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  TempDir dir_{"reportd_redis"};
  unsigned short port_ = 0;
  pid_t pid_ = -1;
};
