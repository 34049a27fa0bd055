#pragma once
// The executor types shared by the network layer and the protocol layers above it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace net {

using IoContext = boost::asio::io_context;
// Everything that touches one connection (or one Engine.IO session) runs on one strand,
// so its state needs no lock.
using Strand = boost::asio::strand<IoContext::executor_type>;

}  // namespace net
