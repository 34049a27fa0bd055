#pragma once
// Plain request/response values exchanged between the HTTP server and its handlers,
// so that handlers never include Beast.

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/shared_bytes.hpp"

namespace net {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// What a long-lived connection keeps of the request that opened it (an Engine.IO session keeps
// this, not the whole HttpRequest: no method, no body).
struct RequestHead {
  std::string target;  // origin-form, e.g. "/socket.io/?EIO=4&transport=polling"
  HeaderList headers;  // names in lower case
  std::string remote_address;

  // The path part of the target (before '?').
  std::string_view path() const;
  // The value of the first header with this lower-case name.
  std::optional<std::string_view> header(std::string_view lower_name) const;
  // The credentials of "Authorization: Bearer <token>" (scheme matched case-insensitively, as
  // RFC 9110 says); empty when there are none.
  std::string_view bearer_token() const;
};

struct HttpRequest : RequestHead {
  std::string method;  // upper case, as sent: "GET", "POST", ...
  std::string body;
  bool websocket_upgrade = false;
  // Whether the Content-Type names this media type (lower case), ignoring parameters such as
  // charset and, as RFC 9110 §8.3.1 says, case.
  bool has_media_type(std::string_view lower_type) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=UTF-8";
  HeaderList headers;
  std::string body;
  // The rest of the body, after `body`: bytes shared with other responses (one broadcast's
  // packet in every polling answer), written as they are in one gather write, never copied.
  std::vector<SharedBytes> shared_body;

  // The whole body: `body`, then `shared_body`.
  std::string body_text() const;

  static HttpResponse text(unsigned status, std::string body);
  static HttpResponse json(unsigned status, std::string body);
  // `body` written as JavaScript writes JSON (json_text.hpp): every JSON response goes this way.
  // (Not an overload of json(): a string literal would convert to either.)
  static HttpResponse json_value(unsigned status, const boost::json::value& body);
  // The REST error shape: {"error":{"code":"...","message":"..."}}.
  static HttpResponse json_error(unsigned status, std::string_view code, std::string_view message);
};

}  // namespace net
