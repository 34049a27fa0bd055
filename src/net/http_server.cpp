#include "net/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/http_connection.hpp"
#include "net/log.hpp"

namespace net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HttpServer::Listener : std::enable_shared_from_this<Listener> {
  Listener(IoContext& ioc, HttpServerOptions opts, HttpHandler& h)
      : ioc(ioc),
        acceptor(asio::make_strand(ioc)),
        retry_timer(acceptor.get_executor()),
        options(std::move(opts)),
        handler(h) {}

  void accept() {
    acceptor.async_accept(
        asio::make_strand(ioc),
        [self = shared_from_this()](boost::system::error_code ec, HttpSocket socket) {
          self->on_accept(ec, std::move(socket));
        });
  }

  void on_accept(boost::system::error_code ec, HttpSocket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      if (is_resource_exhaustion(ec)) {
        // Out of descriptors or memory: back off instead of spinning; connections closing
        // elsewhere will free what the next accept needs.
        auto now = std::chrono::steady_clock::now();
        if (now - last_exhaustion_log > std::chrono::seconds(1)) {
          log_event(LogLevel::warn, "accept_exhausted",
                    {{"error", ec.message()}, {"retry_ms", "100"}});
          last_exhaustion_log = now;
        }
        retry_timer.expires_after(std::chrono::milliseconds(100));
        retry_timer.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
          if (!wait_ec) self->accept();
        });
        return;
      }
      log_event(LogLevel::warn, "accept_failed", {{"error", ec.message()}});
      accept();
      return;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    serve_http_connection(std::move(socket), options, handler);
    accept();
  }

  static bool is_resource_exhaustion(const boost::system::error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
           ec == asio::error::no_memory || ec.value() == ENFILE;
  }

  IoContext& ioc;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  HttpServerOptions options;
  HttpHandler& handler;
  std::chrono::steady_clock::time_point last_exhaustion_log{};
};

HttpServer::HttpServer(IoContext& ioc, HttpServerOptions options, HttpHandler& handler)
    : listener_(std::make_shared<Listener>(ioc, std::move(options), handler)) {}

HttpServer::~HttpServer() {
  stop_accepting();
}

unsigned short HttpServer::listen(const std::string& address, unsigned short port) {
  tcp::endpoint endpoint(asio::ip::make_address(address), port);
  auto& acceptor = listener_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  listener_->accept();
  return acceptor.local_endpoint().port();
}

void HttpServer::stop_accepting() {
  asio::post(listener_->acceptor.get_executor(), [listener = listener_] {
    boost::system::error_code ignored;
    listener->acceptor.close(ignored);
    listener->retry_timer.cancel();
  });
}

}  // namespace net
