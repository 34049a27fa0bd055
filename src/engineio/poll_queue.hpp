#pragma once
// The long-polling side of a session, on its strand: the GET a client left waiting, and the
// packets waiting for it, counted at their real cost (bytes, slot and shared allocation), so
// that many tiny packets cannot hide behind their size.

#include <cstddef>
#include <span>
#include <vector>

#include "engineio/packet.hpp"
#include "net/http_handler.hpp"

namespace engineio {

class PollQueue {
 public:
  bool has_poll() const { return poll_ != nullptr; }
  bool holds(const net::HttpExchange* poll) const { return poll != nullptr && poll_.get() == poll; }
  bool empty() const { return packets_.empty(); }
  std::size_t cost() const { return cost_; }

  // Keeps a client's GET until there is something to answer it with.
  void hold(net::HttpExchangePtr poll) { poll_ = std::move(poll); }
  // Adds a packet for the next answer.
  void push(SharedPacket packet);
  // Answers the waiting GET with every waiting packet, if there is a GET and a packet.
  void flush();
  // Answers the waiting GET with a noop, if there is one: the client pauses (during an
  // upgrade) or ends quietly.
  void answer_noop();
  // The waiting packets, taken out (for the WebSocket that takes over).
  std::vector<SharedPacket> take();
  void clear();

 private:
  net::HttpExchangePtr poll_;
  std::vector<SharedPacket> packets_;
  std::size_t cost_ = 0;
};

// The answer to a GET: the packets as one payload.
net::HttpResponse packets_response(std::span<const SharedPacket> packets);

// The noop packet, the same bytes for every session.
const SharedPacket& noop_packet();

}  // namespace engineio
