#include "net/response_wire.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <string_view>

namespace net {
namespace {

bool is_token_char(unsigned char c) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         kSymbols.find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 9110 §6.4.1, §15.3.5, §15.4.5: these answers never have content, so no length either.
bool has_no_content(unsigned status) {
  return status < 200 || status == 204 || status == 304;
}

// Fields that say where the answer ends or what becomes of the connection: written only from
// the connection's own knowledge.
bool is_framing_field(std::string_view name) {
  for (std::string_view framing : {"content-length", "transfer-encoding", "connection"}) {
    if (boost::beast::iequals(name, framing)) return true;
  }
  return false;
}

std::size_t body_size(const HttpResponse& response) {
  std::size_t total = response.body.size();
  for (const auto& piece : response.shared_body) total += piece->size();
  return total;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

void append_number(std::string& out, std::size_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

}  // namespace

bool is_valid_field_name(std::string_view name) {
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) { return is_token_char(c); });
}

bool is_valid_field_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(),
                      [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; });
}

ResponseHead response_head(const HttpResponse& response, bool keep_alive) {
  namespace http = boost::beast::http;
  const std::size_t content_length = body_size(response);
  ResponseHead head{{}, 0, has_no_content(response.status) && content_length > 0};
  auto& out = head.text;
  out.reserve(160);
  out.append("HTTP/1.1 ");
  append_number(out, response.status);
  out.push_back(' ');
  out.append(http::obsolete_reason(static_cast<http::status>(response.status)));
  out.append("\r\n");
  append_field(out, "Server", "reportd");
  auto add = [&](std::string_view name, std::string_view value) {
    if (is_valid_field_name(name) && is_valid_field_value(value) && !is_framing_field(name)) {
      append_field(out, name, value);
    } else {
      ++head.dropped_fields;
    }
  };
  if (!response.content_type.empty()) add("Content-Type", response.content_type);
  for (const auto& [name, value] : response.headers) add(name, value);
  if (!has_no_content(response.status)) {
    out.append("Content-Length: ");
    append_number(out, content_length);
    out.append("\r\n");
  }
  if (!keep_alive) append_field(out, "Connection", "close");
  out.append("\r\n");
  return head;
}

void append_body_buffers(const HttpResponse& response,
                         std::vector<boost::asio::const_buffer>& buffers) {
  if (has_no_content(response.status)) return;
  if (!response.body.empty()) buffers.emplace_back(boost::asio::buffer(response.body));
  for (const auto& piece : response.shared_body) {
    if (!piece->empty()) buffers.emplace_back(boost::asio::buffer(*piece));
  }
}

}  // namespace net
