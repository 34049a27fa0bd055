#include "redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace {

sockaddr_in loopback(unsigned short port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

unsigned short free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  auto address = loopback(0);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// An answer to PING, read with a plain socket.
bool answers(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  auto address = loopback(port);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::write(fd, "PING\r\n", 6) == 6) {
    char reply[8] = {};
    ok = ::read(fd, reply, 7) >= 5 && std::string_view(reply).starts_with("+PONG");
  }
  ::close(fd);
  return ok;
}

}  // namespace

RedisServer::RedisServer() : port_(free_port()) {
  start();
}

RedisServer::~RedisServer() {
  stop();
}

void RedisServer::start() {
  if (pid_ > 0) return;
  const auto port = std::to_string(port_);
  const auto dir = dir_.path().string();
  const auto log = dir + "/redis.log";
  std::vector<std::string> args{
      "redis-server", "--port", port,    "--bind", "127.0.0.1", "--save", "",
      "--appendonly", "no",     "--dir", dir,      "--logfile", log};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  if (posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start redis-server (is it installed? scripts/install-deps)");
  }
  for (int i = 0; i < 100; ++i) {
    if (answers(port_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop();
  throw std::runtime_error("redis-server did not answer on port " + port);
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}
