#pragma once
// The packets (and tasks) that other threads hand to one session, kept in the order they were
// handed over until the session's strand takes them all at once. One hand-off to the strand then
// carries every packet that arrived before the strand got to it (four comments broadcast in a row
// reach a busy session as one batch, and leave in one write), and the hand-off itself holds only
// the session.
//
// A list linked through an atomic head: any thread pushes with one compare-and-swap, the strand
// takes the whole list with one exchange. Boost.Lockfree's stack would do the pushing, but it
// keeps a node pool in every instance and cannot take all nodes at once; a session that is not
// being sent to holds one null pointer here.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "engineio/packet.hpp"

namespace engineio {

class Outbox {
  struct Node;

 public:
  struct Entry {
    SharedPacket packet;  // or, when null, the task to run in its place
    std::function<void()> task;
    bool is_volatile = false;
    // How many entries after this one belong to the same group (a packet and its binary
    // attachments): sent whole or not at all.
    std::uint32_t rest_of_group = 0;
  };

  // Everything taken at once, oldest first; owns what it has not handed out yet.
  class Taken {
   public:
    explicit Taken(Node* oldest);
    Taken(Taken&& other) noexcept : oldest_(std::exchange(other.oldest_, nullptr)) {}
    Taken& operator=(Taken&&) = delete;
    ~Taken();

    bool empty() const { return oldest_ == nullptr; }
    bool holds_several() const { return oldest_ != nullptr && oldest_->next != nullptr; }
    Entry pop();

   private:
    Node* oldest_;
  };

  Outbox() = default;
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;
  ~Outbox();

  // Any thread. Appends the packets, together and in order. True if the outbox was empty: the
  // caller then has the strand take them (an outbox that was not empty has that on its way).
  bool put(SharedPacket packet, bool is_volatile);
  bool put(std::vector<SharedPacket> group);
  bool put(std::function<void()> task);

  // The strand only (a single taker). Everything put so far.
  Taken take();

 private:
  struct Node {
    Entry entry;
    Node* next = nullptr;  // in the list: the one put before; once taken: the one put after
  };

  // Links the chain newest..oldest in front of the list; true if the list was empty.
  bool push_chain(Node* newest, Node* oldest);

  std::atomic<Node*> newest_{nullptr};
};

}  // namespace engineio
