#include "net/http_message.hpp"

#include <algorithm>
#include <boost/json/value.hpp>
#include <cctype>

#include "net/json_text.hpp"

namespace net {

std::string_view RequestHead::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::optional<std::string_view> RequestHead::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

namespace {

bool equals_ignoring_case(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() &&
         std::equal(text.begin(), text.end(), lower.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view RequestHead::bearer_token() const {
  auto value = header("authorization");
  constexpr std::string_view scheme = "bearer ";
  if (!value || value->size() <= scheme.size()) return {};
  if (!equals_ignoring_case(value->substr(0, scheme.size()), scheme)) return {};
  auto token = value->substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

bool HttpRequest::has_media_type(std::string_view lower_type) const {
  const auto type = header("content-type").value_or("");
  return equals_ignoring_case(trim_blanks(type.substr(0, type.find(';'))), lower_type);
}

std::string HttpResponse::body_text() const {
  std::string text = body;
  for (const auto& piece : shared_body) text += *piece;
  return text;
}

HttpResponse HttpResponse::text(unsigned status, std::string body) {
  return HttpResponse{status, "text/plain; charset=UTF-8", {}, std::move(body), {}};
}

HttpResponse HttpResponse::json(unsigned status, std::string body) {
  return HttpResponse{status, "application/json", {}, std::move(body), {}};
}

HttpResponse HttpResponse::json_value(unsigned status, const boost::json::value& body) {
  return json(status, json_text(body));
}

HttpResponse HttpResponse::json_error(unsigned status, std::string_view code,
                                      std::string_view message) {
  boost::json::value v = {{"error", {{"code", code}, {"message", message}}}};
  return json_value(status, v);
}

}  // namespace net
