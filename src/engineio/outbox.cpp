#include "engineio/outbox.hpp"

#include <utility>

namespace engineio {

Outbox::Taken::Taken(Node* oldest) : oldest_(oldest) {}

Outbox::Taken::~Taken() {
  while (oldest_ != nullptr) delete std::exchange(oldest_, oldest_->next);
}

Outbox::Entry Outbox::Taken::pop() {
  Node* node = std::exchange(oldest_, oldest_->next);
  Entry entry = std::move(node->entry);
  delete node;
  return entry;
}

Outbox::~Outbox() {
  take();  // what no strand took (the io_context stopped first) is dropped with the session
}

bool Outbox::push_chain(Node* newest, Node* oldest) {
  // Once the exchange succeeds the nodes belong to the taker, which may turn them around or free
  // them at once: what was in front is kept here, not read back from `oldest`.
  Node* in_front = newest_.load(std::memory_order_relaxed);
  do {
    oldest->next = in_front;
    // Release: the taker that finds these nodes also sees what they hold.
  } while (!newest_.compare_exchange_weak(in_front, newest, std::memory_order_release,
                                          std::memory_order_relaxed));
  return in_front == nullptr;
}

bool Outbox::put(SharedPacket packet, bool is_volatile) {
  auto* node = new Node{Entry{std::move(packet), {}, is_volatile, 0}};
  return push_chain(node, node);
}

bool Outbox::put(std::function<void()> task) {
  auto* node = new Node{Entry{nullptr, std::move(task), false, 0}};
  return push_chain(node, node);
}

bool Outbox::put(std::vector<SharedPacket> group) {
  if (group.empty()) return false;
  Node* oldest = nullptr;
  Node* newest = nullptr;
  auto rest = static_cast<std::uint32_t>(group.size());
  for (auto& packet : group) {
    auto* node = new Node{Entry{std::move(packet), {}, false, --rest}, newest};
    if (oldest == nullptr) oldest = node;
    newest = node;
  }
  return push_chain(newest, oldest);
}

Outbox::Taken Outbox::take() {
  // Acquire: pairs with the release in push_chain.
  Node* node = newest_.exchange(nullptr, std::memory_order_acquire);
  // The list runs newest to oldest; turned around, it is handed out in the order it was put.
  Node* oldest = nullptr;
  while (node != nullptr) oldest = std::exchange(node, std::exchange(node->next, oldest));
  return Taken(oldest);
}

}  // namespace engineio
