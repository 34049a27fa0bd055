#include "api/rest_api.hpp"

#include <spdlog/spdlog.h>

#include <array>
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
    case Kind::unsupported_media_type:
      return 415;
    case Kind::too_many_requests:
      return 429;
    case Kind::unavailable:
      return 503;
  }
  return 500;
}

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
    throw Error(Kind::unsupported_media_type, "unsupported_media_type",
                "the body must be application/json");
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

net::HttpResponse json_response(unsigned status, const json::value& body) {
  return net::HttpResponse::json(status, json::serialize(body));
}

// One page of a list, its times in Rome time, with the cursor of the next page.
template <class T>
net::HttpResponse page_response(const store::Page<T>& page,
                                json::object (*render)(const T&, TimeStyle)) {
  json::array items;
  items.reserve(page.items.size());
  for (const auto& item : page.items) items.push_back(render(item, TimeStyle::rome));
  json::object out{{"items", std::move(items)}};
  out["next_cursor"] = page.next_after ? json::value(std::to_string(*page.next_after)) : nullptr;
  return json_response(200, out);
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
  } catch (const Error& e) {
    auto response = net::HttpResponse::json_error(status_of(e.kind()), e.code(), e.what());
    if (e.retry_after) {
      response.headers.emplace_back("Retry-After", std::to_string(e.retry_after->count()));
    }
    return response;
  } catch (const std::exception& e) {
    spdlog::error("event=request_failed method={} target={} error={}", request.method,
                  base::quoted(request.target), base::quoted(e.what()));
    return net::HttpResponse::json_error(500, "internal_error", "internal error");
  }
}

}  // namespace

RestApi::RestApi(service::AuthService& auth, service::ReportService& reports,
                 boost::asio::thread_pool& workers, Observer& observer)
    : auth_(auth), reports_(reports), workers_(workers), observer_(observer) {}

void RestApi::handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) {
  ++in_flight_;
  const auto arrived = std::chrono::steady_clock::now();
  boost::asio::post(workers_, [this, request = std::move(request), exchange, arrived] {
    const auto match = match_route(request);
    // A request counts as in flight until its response is written, so that shutdown never
    // drops the 201 of a committed comment.
    Reply reply = [this, exchange, method = request.method, route = match.pattern,
                   arrived](net::HttpResponse response) {
      observer_.request_completed(
          {method, route, response.status, std::chrono::steady_clock::now() - arrived});
      exchange->respond_then(std::move(response), [this] { --in_flight_; });
    };
    std::optional<net::HttpResponse> response;
    try {
      response = route(match, request, reply);
    } catch (...) {
      response = error_response_for(request, std::current_exception());
    }
    if (response) reply(std::move(*response));
  });
}

// The routing table: a path pattern, where ":id" stands for a report id, a method, whether the
// handler acts for the bearer token's user, and the member that answers.
const std::array<RestApi::Route, 8> RestApi::kRoutes = {{
    {"/api/auth/login", "POST", false, &RestApi::login},
    {"/api/auth/me", "GET", true, &RestApi::me},
    {"/api/reports", "GET", true, &RestApi::list_reports},
    {"/api/reports", "POST", true, &RestApi::create_report},
    {"/api/reports/:id", "GET", true, &RestApi::get_report},
    {"/api/reports/:id", "PATCH", true, &RestApi::update_report},
    {"/api/reports/:id/comments", "GET", true, &RestApi::list_comments},
    {"/api/reports/:id/comments", "POST", true, &RestApi::create_comment},
}};

namespace {

// Whether `path` fits `pattern`; the segment in place of ":id", if any, goes to `id_text`.
bool matches(std::string_view pattern, const std::vector<std::string_view>& path,
             std::optional<std::string_view>& id_text) {
  const auto parts = segments_of(pattern);
  if (parts.size() != path.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == ":id") {
      id_text = path[i];
    } else if (parts[i] != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

RestApi::Match RestApi::match_route(const net::HttpRequest& request) {
  const auto path = segments_of(request.path());
  Match match;
  for (const auto& route : kRoutes) {
    if (!matches(route.pattern, path, match.id_text)) continue;
    match.pattern = route.pattern;
    match.allowed += match.allowed.empty() ? "" : ", ";
    match.allowed += route.method;
    if (route.method == request.method) match.route = &route;
  }
  return match;
}

// The path (404), then the method (405 with Allow), then the token (401), then the id (404).
std::optional<net::HttpResponse> RestApi::route(const Match& match, const net::HttpRequest& request,
                                                const Reply& reply) {
  if (match.allowed.empty()) {
    return net::HttpResponse::json_error(404, "not_found", "no such resource");
  }
  if (!match.route) return method_not_allowed(match.allowed);

  Call call{request, reply, {}, 0};
  if (match.route->signed_in) call.user = auth_.authenticate(request.bearer_token()).user;
  if (match.id_text) call.report_id = id_segment(*match.id_text);
  return (this->*(match.route->handler))(call);
}

std::optional<net::HttpResponse> RestApi::login(const Call& call) {
  auto body = json_body(call.request);
  auto result = auth_.login(required_string(body, "username"), required_string(body, "password"),
                            call.request.remote_address);
  return json_response(200, {{"token", result.token}, {"user", service::user_json(result.user)}});
}

std::optional<net::HttpResponse> RestApi::me(const Call& call) {
  return json_response(200, service::user_json(call.user));
}

std::optional<net::HttpResponse> RestApi::list_reports(const Call& call) {
  const auto paging = paging_of(call.request);
  return page_response(reports_.list_reports(call.user, paging.status, paging.after, paging.limit),
                       service::report_json);
}

std::optional<net::HttpResponse> RestApi::create_report(const Call& call) {
  auto body = json_body(call.request);
  store::NewReport input{.title = required_string(body, "title"),
                         .description = required_string(body, "description"),
                         .category = optional_string(body, "category"),
                         .latitude = optional_number(body, "latitude"),
                         .longitude = optional_number(body, "longitude")};
  return json_response(
      201,
      service::report_json(reports_.create_report(call.user, std::move(input)), TimeStyle::utc));
}

std::optional<net::HttpResponse> RestApi::get_report(const Call& call) {
  return json_response(
      200, service::report_json(reports_.get_report(call.user, call.report_id), TimeStyle::rome));
}

std::optional<net::HttpResponse> RestApi::update_report(const Call& call) {
  auto body = json_body(call.request);
  auto report = reports_.update_status(call.user, call.report_id, required_string(body, "status"));
  return json_response(200, service::report_json(report, TimeStyle::utc));
}

std::optional<net::HttpResponse> RestApi::list_comments(const Call& call) {
  const auto paging = paging_of(call.request);
  return page_response(
      reports_.list_comments(call.user, call.report_id, paging.after, paging.limit),
      service::comment_json);
}

// Committed in a group with other comments; answered once committed and announced.
std::optional<net::HttpResponse> RestApi::create_comment(const Call& call) {
  if (!call.user.internal) throw Error(Kind::forbidden, "forbidden", "internal users only");
  auto body = json_body(call.request);
  reports_.create_comment_async(
      call.user, call.report_id, required_string(body, "comment"),
      [reply = call.reply, request = call.request](service::CommentWriter::Outcome outcome) {
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
