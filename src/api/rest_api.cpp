#include "api/rest_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <charconv>

#include "base/log_value.hpp"
#include "service/representation.hpp"

namespace api {
namespace {

namespace json = boost::json;
using service::Error;
using Kind = service::Error::Kind;
using service::TimeStyle;

unsigned status_of(Kind kind) {
  switch (kind) {
    case Kind::bad_request:
      return 400;
    case Kind::unauthorized:
      return 401;
    case Kind::forbidden:
      return 403;
    case Kind::not_found:
      return 404;
    case Kind::conflict:
      return 409;
    case Kind::too_many_requests:
      return 429;
    case Kind::unavailable:
      return 503;
  }
  return 500;
}

// A failure that belongs to HTTP itself rather than to the service.
struct HttpError {
  unsigned status;
  std::string code;
  std::string message;
};

Error bad_request(std::string code, const std::string& message) {
  return Error(Kind::bad_request, std::move(code), message);
}

std::vector<std::string_view> segments_of(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? "" : path.substr(slash);
  }
  return out;
}

std::optional<std::int64_t> positive_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

std::int64_t id_segment(std::string_view text) {
  auto id = positive_integer(text);
  if (!id) throw Error(Kind::not_found, "report_not_found", "no such report");
  return *id;
}

json::object json_body(const net::HttpRequest& request) {
  if (!request.has_media_type("application/json")) {
    throw HttpError{415, "unsupported_media_type", "the body must be application/json"};
  }
  boost::system::error_code ec;
  auto value = json::parse(request.body, ec);
  if (ec) throw bad_request("malformed_json", "the body is not valid JSON");
  if (!value.is_object()) throw bad_request("invalid_body", "the body must be a JSON object");
  return std::move(value.as_object());
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

struct Paging {
  std::optional<std::int64_t> after;
  int limit = 20;
  std::optional<std::string> status;
};

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

template <class T, class Render>
json::object page_json(const store::Page<T>& page, Render render) {
  json::array items;
  items.reserve(page.items.size());
  for (const auto& item : page.items) items.push_back(render(item));
  json::object out{{"items", std::move(items)}};
  out["next_cursor"] = page.next_after ? json::value(std::to_string(*page.next_after)) : nullptr;
  return out;
}

net::HttpResponse json_response(unsigned status, const json::value& body) {
  return net::HttpResponse::json(status, json::serialize(body));
}

net::HttpResponse method_not_allowed(std::string allow) {
  auto response = net::HttpResponse::json_error(405, "method_not_allowed", "method not allowed");
  response.headers.emplace_back("Allow", std::move(allow));
  return response;
}

// The response for a failure thrown by route() or reported by the comment writer.
net::HttpResponse error_response_for(const net::HttpRequest& request, std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const HttpError& e) {
    return net::HttpResponse::json_error(e.status, e.code, e.message);
  } catch (const Error& e) {
    auto response = net::HttpResponse::json_error(status_of(e.kind()), e.code(), e.what());
    if (e.retry_after) {
      response.headers.emplace_back("Retry-After", std::to_string(e.retry_after->count()));
    }
    return response;
  } catch (const store::StoreError& e) {
    spdlog::error("event=store_failed method={} target={} error={}", request.method,
                  base::quoted(request.target), base::quoted(e.what()));
    return net::HttpResponse::json_error(503, "unavailable", "storage unavailable");
  } catch (const std::exception& e) {
    spdlog::error("event=request_failed method={} target={} error={}", request.method,
                  base::quoted(request.target), base::quoted(e.what()));
    return net::HttpResponse::json_error(500, "internal_error", "internal error");
  }
}

}  // namespace

RestApi::RestApi(service::ReportService& service, boost::asio::thread_pool& workers)
    : service_(service), workers_(workers) {}

void RestApi::handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) {
  ++in_flight_;
  boost::asio::post(workers_, [this, request = std::move(request), exchange] {
    // A request counts as in flight until its response is written, so that shutdown never
    // drops the 201 of a committed comment.
    Reply reply = [this, exchange](net::HttpResponse response) {
      exchange->respond_then(std::move(response), [this] { --in_flight_; });
    };
    std::optional<net::HttpResponse> response;
    try {
      response = route(request, reply);
    } catch (...) {
      response = error_response_for(request, std::current_exception());
    }
    if (response) reply(std::move(*response));
  });
}

std::optional<net::HttpResponse> RestApi::route(const net::HttpRequest& request,
                                                const Reply& reply) {
  const auto segments = segments_of(request.path());
  const auto& method = request.method;
  const auto n = segments.size();
  if (n < 2 || segments[0] != "api") {
    return net::HttpResponse::json_error(404, "not_found", "no such resource");
  }

  if (n == 3 && segments[1] == "auth" && segments[2] == "login") {
    if (method != "POST") return method_not_allowed("POST");
    auto body = json_body(request);
    auto result = service_.login(required_string(body, "username"),
                                 required_string(body, "password"), request.remote_address);
    return json_response(200, {{"token", result.token}, {"user", service::user_json(result.user)}});
  }
  if (n == 3 && segments[1] == "auth" && segments[2] == "me") {
    if (method != "GET") return method_not_allowed("GET");
    return json_response(200,
                         service::user_json(service_.authenticate(request.bearer_token()).user));
  }
  if (segments[1] != "reports" || n > 4 || (n == 4 && segments[3] != "comments")) {
    return net::HttpResponse::json_error(404, "not_found", "no such resource");
  }

  const auto user = service_.authenticate(request.bearer_token()).user;
  if (n == 2) {
    if (method == "GET") {
      auto paging = paging_of(request);
      auto page = service_.list_reports(user, paging.status, paging.after, paging.limit);
      return json_response(200, page_json(page, [](const store::Report& r) {
                             return service::report_json(r, TimeStyle::rome);
                           }));
    }
    if (method != "POST") return method_not_allowed("GET, POST");
    auto body = json_body(request);
    service::ReportInput input{required_string(body, "title"), required_string(body, "description"),
                               optional_string(body, "category"), optional_number(body, "latitude"),
                               optional_number(body, "longitude")};
    return json_response(
        201, service::report_json(service_.create_report(user, std::move(input)), TimeStyle::utc));
  }

  const auto id = id_segment(segments[2]);
  if (n == 3) {
    if (method == "GET") {
      return json_response(200,
                           service::report_json(service_.get_report(user, id), TimeStyle::rome));
    }
    if (method != "PATCH") return method_not_allowed("GET, PATCH");
    auto body = json_body(request);
    return json_response(
        200, service::report_json(service_.update_status(user, id, required_string(body, "status")),
                                  TimeStyle::utc));
  }

  if (method == "GET") {
    auto paging = paging_of(request);
    auto page = service_.list_comments(user, id, paging.after, paging.limit);
    return json_response(200, page_json(page, [](const store::Comment& c) {
                           return service::comment_json(c, TimeStyle::rome);
                         }));
  }
  if (method != "POST") return method_not_allowed("GET, POST");
  if (!user.internal) throw Error(Kind::forbidden, "forbidden", "internal users only");
  auto body = json_body(request);
  // Committed in a group with other comments; answered once committed and announced.
  service_.create_comment_async(
      user, id, required_string(body, "comment"),
      [reply, request](service::CommentWriter::Outcome outcome) {
        net::HttpResponse response;
        try {
          if (auto* comment = std::get_if<store::Comment>(&outcome)) {
            response = json_response(201, service::comment_json(*comment, TimeStyle::utc));
          } else {
            response =
                error_response_for(request, std::make_exception_ptr(std::get<Error>(outcome)));
          }
        } catch (...) {
          response = error_response_for(request, std::current_exception());
        }
        reply(std::move(response));
      });
  return std::nullopt;
}

}  // namespace api
