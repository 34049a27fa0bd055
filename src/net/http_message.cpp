#include "net/http_message.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

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
