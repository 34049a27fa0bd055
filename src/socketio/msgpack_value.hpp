#pragma once
// MessagePack values as the Node.js Socket.IO cluster adapters write them (notepack.io): JSON
// values whose binary strings (Buffers) travel as msgpack bin. Here they are a JSON value with
// each bin replaced by a placeholder {"_placeholder":true,"num":i} and its bytes in
// `attachments[i]`, the shape a Socket.IO packet has (packet.hpp), so a packet read from another
// node is sent to clients as it is, and ours are written as Node writes them.
//
// Decoding takes untrusted bytes: it never reads past them, refuses nesting deeper than
// kMaxDepth, strings that are not UTF-8, map keys that are not strings, maps shaped like a
// placeholder (they would stand for an attachment once decoded), and extension types other than
// the timestamp (a JavaScript Date, which becomes its ISO 8601 string, as JSON.stringify writes
// it).

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace socketio::msgpack {

inline constexpr std::size_t kMaxDepth = 32;
// Values one message may hold at most. A value costs a byte on the wire but tens of bytes
// decoded: without a bound, a message of one-byte values would take many times its size.
inline constexpr std::size_t kMaxValues = 100'000;

struct Value {
  boost::json::value json;
  std::vector<std::string> attachments;
};

// Exactly one value, filling `bytes`; nullopt for anything else.
std::optional<Value> decode(std::string_view bytes);

// Appends `json` to `out` as notepack.io would write the same JavaScript value: integers (also
// integral doubles) in the smallest form, other numbers as float64, placeholders that name one
// of `attachments` as bin.
void encode(const boost::json::value& json, const std::vector<std::string>& attachments,
            std::string& out);

}  // namespace socketio::msgpack
