#pragma once
// Standard base64 (RFC 4648 §4, padded), as polling carries binary packets.

#include <optional>
#include <string>
#include <string_view>

namespace engineio {

std::string base64_encode(std::string_view bytes);
// nullopt for anything that is not valid padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace engineio
