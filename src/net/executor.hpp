#pragma once
// The executor types shared by the network layer and the protocol layers above it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace net {

// An io_context whose pending handlers can be dropped on purpose, before the objects they hold
// (sockets, strands of other pools) lose what they depend on.
class IoContext : public boost::asio::io_context {
 public:
  using boost::asio::io_context::io_context;

  // Call only after run() has returned on every thread. Destroys every handler still waiting
  // (and so every connection, session and socket they keep alive) now, while the objects those
  // hold references to still exist. I/O objects stay valid to destroy afterwards; the
  // io_context itself can no longer run.
  void discard_pending_handlers() { shutdown(); }
};

// Everything that touches one connection (or one Engine.IO session) runs on one strand,
// so its state needs no lock.
using Strand = boost::asio::strand<IoContext::executor_type>;

}  // namespace net
