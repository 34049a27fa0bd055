#pragma once
// One RESP2 reply as a plain value, copied out of hiredis's reply object.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace redis {

struct Reply {
  enum class Type : std::uint8_t { string, array, integer, nil, status, error };

  Type type = Type::nil;
  std::string text;  // string, status, error
  long long integer = 0;
  std::vector<Reply> elements;  // array

  bool is_error() const { return type == Type::error; }
  // A string or status reply equal to `value`.
  bool is(std::string_view value) const {
    return (type == Type::string || type == Type::status) && text == value;
  }
};

}  // namespace redis
