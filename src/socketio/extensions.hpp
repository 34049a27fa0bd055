#pragma once
// Typed per-socket application data, as socketioxide's extensions: at most one value of each
// type, put there by middleware (e.g. the authenticated user) and read by handlers, with no
// casts that can throw. Eight bytes while empty; a lookup walks the few values held. Not
// synchronised: written by middleware before it lets the socket in, read by handlers after.

#include <memory>
#include <utility>

namespace socketio {

class Extensions {
 public:
  // Stores `value`, replacing any earlier value of the same type.
  template <class T>
  void insert(T value) {
    if (T* existing = get<T>()) {
      *existing = std::move(value);
      return;
    }
    head_ = std::make_unique<Holder<T>>(std::move(value), std::move(head_));
  }

  // The value of type T, or nullptr.
  template <class T>
  T* get() {
    for (Node* node = head_.get(); node; node = node->next.get()) {
      if (node->key == &kKey<T>) return &static_cast<Holder<T>*>(node)->value;
    }
    return nullptr;
  }
  template <class T>
  const T* get() const {
    return const_cast<Extensions*>(this)->get<T>();
  }

  void clear() { head_.reset(); }

 private:
  struct Node {
    Node(const void* key, std::unique_ptr<Node> next) : key(key), next(std::move(next)) {}
    virtual ~Node() = default;
    const void* key;
    std::unique_ptr<Node> next;
  };
  template <class T>
  struct Holder final : Node {
    Holder(T value, std::unique_ptr<Node> next)
        : Node(&kKey<T>, std::move(next)), value(std::move(value)) {}
    T value;
  };
  // One address per type: a key that needs no RTTI.
  template <class T>
  static constexpr char kKey = 0;

  std::unique_ptr<Node> head_;
};

}  // namespace socketio
