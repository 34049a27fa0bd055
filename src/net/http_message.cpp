#include "net/http_message.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>

namespace net {

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::optional<std::string_view> HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

std::string_view HttpRequest::bearer_token() const {
  auto value = header("authorization");
  constexpr std::string_view scheme = "bearer ";
  if (!value || value->size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>((*value)[i])) != scheme[i]) return {};
  }
  auto token = value->substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

HttpResponse HttpResponse::text(unsigned status, std::string body) {
  return HttpResponse{status, "text/plain; charset=UTF-8", {}, std::move(body)};
}

HttpResponse HttpResponse::json(unsigned status, std::string body) {
  return HttpResponse{status, "application/json", {}, std::move(body)};
}

HttpResponse HttpResponse::json_error(unsigned status, std::string_view code,
                                      std::string_view message) {
  boost::json::value v = {{"error", {{"code", code}, {"message", message}}}};
  return json(status, boost::json::serialize(v));
}

}  // namespace net
