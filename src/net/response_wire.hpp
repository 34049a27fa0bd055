#pragma once
// A response as it goes on the wire: a head written here, then the body's own bytes and the
// pieces it shares with other responses, as one list of buffers for one gather write.
//
// Why not Beast's serializer: a long-polling answer is a few header lines around one shared
// packet, and in the profile of the long-polling bench (d) Beast's fields (an allocation per
// field), its serializer's buffer views and the composed write operations cost about as much CPU
// as the rest of the answer outside the kernel. The head is text built from values this server
// chose; every field is still checked (a name must be a token, a value must hold no control
// character), because some values echo a request (a CORS origin).

#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_message.hpp"

namespace net {

struct ResponseHead {
  std::string text;            // status line and fields, through the empty line
  std::size_t dropped_fields;  // fields left out: not valid, or framing that is ours to write
  bool dropped_body;           // a 1xx, 204 or 304 answer came with content, which is left out
};

// The head of `response` on an HTTP/1.1 connection: "Connection: close" when it will not be kept
// alive, and a Content-Length of the whole body, except where RFC 9110 §8.6 forbids one (1xx,
// 204, 304). The framing is the connection's alone: a handler's Content-Length,
// Transfer-Encoding or Connection field is left out, since a second, different length would let
// a proxy read the answer's end elsewhere. The answer to HEAD uses the head of the GET answer as
// it is.
ResponseHead response_head(const HttpResponse& response, bool keep_alive);

// `body`, then every non-empty shared piece: the bytes to write after the head, in order (none
// for a 1xx, 204 or 304 answer). They stay in `response`, which must outlive the write.
void append_body_buffers(const HttpResponse& response,
                         std::vector<boost::asio::const_buffer>& buffers);

// RFC 9110 §5.1, §5.5: a field name is a token, and a value is visible characters, spaces and tabs.
bool is_valid_field_name(std::string_view name);
bool is_valid_field_value(std::string_view value);

}  // namespace net
