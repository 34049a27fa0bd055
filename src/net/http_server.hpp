#pragma once
// The HTTP/1.1 listener: accepts connections and feeds their requests to one handler.

#include <chrono>
#include <memory>
#include <string>

#include "net/cors.hpp"
#include "net/executor.hpp"
#include "net/http_handler.hpp"
#include "net/trusted_proxies.hpp"

namespace net {

struct HttpServerOptions {
  std::size_t max_header_bytes = 8 * 1024;  // larger header blocks get 431
  // A client must deliver a whole request header within this time (slowloris defence).
  std::chrono::milliseconds header_timeout{10'000};
  // How long a keep-alive connection may sit between requests.
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  CorsPolicy cors;
  // Peers whose X-Forwarded-For names the client (HttpRequest::remote_address).
  TrustedProxies trusted_proxies;
};

class HttpServer {
 public:
  // `handler` must outlive the io_context's run.
  HttpServer(IoContext& ioc, HttpServerOptions options, HttpHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; returns the bound port (useful with port 0). Throws on failure.
  unsigned short listen(const std::string& address, unsigned short port);
  // Closes the listening socket; open connections carry on.
  void stop_accepting();

 private:
  struct Listener;
  std::shared_ptr<Listener> listener_;
};

}  // namespace net
