#pragma once

#include <string>

namespace engineio {

// A new session id: 20 characters of URL-safe base64 over 15 random bytes (120 bits), so ids
// cannot be guessed to hijack a session.
std::string generate_sid();

}  // namespace engineio
