#include "api/json_io.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <charconv>

namespace api {

namespace json = boost::json;
using service::Error;
using Kind = service::Error::Kind;

Error bad_request(std::string code, const std::string& message) {
  return Error(Kind::bad_request, std::move(code), message);
}

std::optional<std::int64_t> positive_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

json::object json_body(const net::HttpRequest& request) {
  if (!request.has_media_type("application/json")) {
    throw Error(Kind::unsupported_media_type, "unsupported_media_type",
                "the body must be application/json");
  }
  boost::system::error_code ec;
  auto value = json::parse(request.body, ec);
  if (ec) throw bad_request("malformed_json", "the body is not valid JSON");
  if (!value.is_object()) throw bad_request("invalid_body", "the body must be a JSON object");
  return std::move(value.as_object());
}

void refuse_unknown_fields(const json::object& body,
                           std::initializer_list<std::string_view> known) {
  for (const auto& field : body) {
    if (std::find(known.begin(), known.end(), field.key()) == known.end()) {
      // Named when short: it is the client's own text (valid UTF-8, escaped in the answer).
      const auto name = field.key();
      throw bad_request("unknown_field", name.size() <= 64
                                             ? "unknown field \"" + std::string(name) + "\""
                                             : std::string("an unknown field"));
    }
  }
}

std::string required_string(const json::object& body, std::string_view field) {
  const auto* value = body.if_contains(field);
  if (!value || !value->is_string()) {
    throw bad_request("invalid_" + std::string(field), std::string(field) + " must be a string");
  }
  return std::string(value->get_string());
}

std::optional<std::string> optional_string(const json::object& body, std::string_view field) {
  const auto* value = body.if_contains(field);
  if (!value || value->is_null()) return std::nullopt;
  return required_string(body, field);
}

std::optional<double> optional_number(const json::object& body, std::string_view field) {
  const auto* value = body.if_contains(field);
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_number()) {
    throw bad_request("invalid_" + std::string(field), std::string(field) + " must be a number");
  }
  return value->to_number<double>();
}

std::optional<bool> optional_bool(const json::object& body, std::string_view field) {
  const auto* value = body.if_contains(field);
  if (!value) return std::nullopt;
  if (!value->is_bool()) {
    throw bad_request("invalid_" + std::string(field), std::string(field) + " must be a boolean");
  }
  return value->get_bool();
}

Paging paging_of(const net::HttpRequest& request) {
  Paging paging;
  auto url = boost::urls::parse_origin_form(request.target);
  if (!url) return paging;
  for (const auto& param : url->params()) {
    if (param.value.empty()) continue;  // "?cursor=" means no cursor
    if (param.key == "cursor") {
      paging.after = positive_integer(param.value);
      if (!paging.after) throw bad_request("invalid_cursor", "cursor must be a positive integer");
    } else if (param.key == "limit") {
      auto limit = positive_integer(param.value);
      if (!limit || *limit > 100) throw bad_request("invalid_limit", "limit must be 1..100");
      paging.limit = static_cast<int>(*limit);
    } else if (param.key == "status") {
      paging.status = param.value;
    }
  }
  return paging;
}

net::HttpResponse json_response(unsigned status, const json::value& body) {
  return net::HttpResponse::json(status, json::serialize(body));
}

}  // namespace api
