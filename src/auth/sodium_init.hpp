#pragma once
// Internal to auth/: libsodium must be initialised once before any of its functions is used.

namespace auth::detail {

// Calls sodium_init() once (thread-safe); throws std::runtime_error when it fails.
void ensure_sodium();

}  // namespace auth::detail
