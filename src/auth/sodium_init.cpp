#include "auth/sodium_init.hpp"

#include <sodium.h>

#include <stdexcept>

namespace auth::detail {

void ensure_sodium() {
  // A function-local static is initialised exactly once, even with concurrent callers.
  static const int result = sodium_init();
  if (result < 0) throw std::runtime_error("libsodium could not be initialised");
}

}  // namespace auth::detail
