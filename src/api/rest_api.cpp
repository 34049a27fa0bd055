#include "api/rest_api.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/openapi.hpp"
#include "net/log.hpp"
#include "net/request_id.hpp"
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

// The id in the path; an id that cannot exist is as unknown as one that does not.
std::int64_t id_segment(std::string_view text, std::string code, const std::string& message) {
  auto id = positive_integer(text);
  if (!id) throw Error(Kind::not_found, std::move(code), message);
  return *id;
}

net::HttpResponse method_not_allowed(std::string allow) {
  auto response = net::HttpResponse::json_error(405, "method_not_allowed", "method not allowed");
  response.headers.emplace_back("Allow", std::move(allow));
  return response;
}

// The response for a failure thrown by route() or reported by the comment writer.
net::HttpResponse error_response_for(const net::HttpRequest& request, std::string_view request_id,
                                     std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    auto response = net::HttpResponse::json_error(status_of(e.kind()), e.code(), e.what());
    if (e.retry_after) {
      response.headers.emplace_back("Retry-After", std::to_string(e.retry_after->count()));
    }
    return response;
  } catch (const std::exception& e) {
    net::log_event(net::LogLevel::error, "request_failed",
                   {{"method", request.method},
                    {"target", request.target},
                    {"request_id", request_id},
                    {"error", e.what()}});
    return net::HttpResponse::json_error(500, "internal_error", "internal error");
  }
}

}  // namespace

RestApi::RestApi(service::AuthService& auth, service::UserAdmin& users,
                 service::ReportService& reports, boost::asio::thread_pool& workers,
                 Observer& observer)
    : auth_(auth), users_(users), reports_(reports), workers_(workers), observer_(observer) {}

void RestApi::handle(net::HttpRequest&& request, net::HttpExchangePtr exchange) {
  ++in_flight_;
  const auto started = std::chrono::steady_clock::now();
  boost::asio::post(workers_, [this, request = std::move(request), exchange, started] {
    const auto found = match(request.path(), request.method);
    const auto trace = trace_of(request, found.pattern, started);
    // A request counts as in flight until its response is written, so that shutdown never
    // drops the 201 of a committed comment.
    Reply reply = [this, exchange, trace](net::HttpResponse response) {
      answer(exchange, trace, std::move(response));
    };
    std::optional<net::HttpResponse> response;
    try {
      response = route(request, found, trace->request_id, reply);
    } catch (...) {
      response = error_response_for(request, trace->request_id, std::current_exception());
    }
    if (response) reply(std::move(*response));
  });
}

void RestApi::handle_oversized(net::HttpRequest&& head, net::HttpExchangePtr exchange) {
  ++in_flight_;
  auto trace =
      trace_of(head, match(head.path(), head.method).pattern, std::chrono::steady_clock::now());
  answer(exchange, std::move(trace),
         net::HttpResponse::json_error(413, "payload_too_large", "request body too large"));
}

std::shared_ptr<const RestApi::Trace> RestApi::trace_of(
    const net::HttpRequest& request, std::string_view pattern,
    std::chrono::steady_clock::time_point started) {
  return std::make_shared<const Trace>(Trace{.method = request.method,
                                             .route = pattern.empty() ? kUnmatchedRoute : pattern,
                                             .request_id = net::request_id_of(request),
                                             .remote_address = request.remote_address,
                                             .started = started});
}

void RestApi::answer(const net::HttpExchangePtr& exchange, std::shared_ptr<const Trace> trace,
                     net::HttpResponse response) {
  response.headers.emplace_back(net::kRequestIdHeader, trace->request_id);
  const unsigned status = response.status;
  exchange->respond_then(std::move(response), [this, trace = std::move(trace), status] {
    finished(trace->method, trace->route, status, std::chrono::steady_clock::now() - trace->started,
             trace->request_id, trace->remote_address);
    --in_flight_;
  });
}

void RestApi::finished(std::string_view method, std::string_view route, unsigned status,
                       std::chrono::duration<double, std::milli> duration,
                       std::string_view request_id, std::string_view remote_address) {
  observer_.request_completed(
      {method, route, status,
       std::chrono::duration_cast<std::chrono::steady_clock::duration>(duration)});
  net::log_event(net::LogLevel::info, "http_request",
                 {{"method", method},
                  {"route", route},
                  {"status", std::to_string(status)},
                  {"duration_ms", fmt::format("{:.3f}", duration.count())},
                  {"request_id", request_id},
                  {"remote", remote_address}});
}

// The routing table: a path pattern, where ":id" stands for a report id and ":user" for a user
// id, a method, whether the handler acts for the bearer token's user, and the member that
// answers. The user routes are in user_routes.cpp.
const std::array<RestApi::Route, 12> RestApi::kRoutes = {{
    {"/api/auth/login", "POST", false, &RestApi::login},
    {"/api/auth/me", "GET", true, &RestApi::me},
    {"/api/reports", "GET", true, &RestApi::list_reports},
    {"/api/reports", "POST", true, &RestApi::create_report},
    {"/api/reports/:id", "GET", true, &RestApi::get_report},
    {"/api/reports/:id", "PATCH", true, &RestApi::update_report},
    {"/api/reports/:id/comments", "GET", true, &RestApi::list_comments},
    {"/api/reports/:id/comments", "POST", true, &RestApi::create_comment},
    {"/api/users", "GET", true, &RestApi::list_users},
    {"/api/users", "POST", true, &RestApi::create_user},
    {"/api/users/:user", "PATCH", true, &RestApi::update_user},
    {"/api/openapi.json", "GET", false, &RestApi::openapi},
}};

namespace {

// Whether `path` fits `pattern`; the segment in place of a parameter, if any, goes to `id`.
bool matches(std::string_view pattern, const std::vector<std::string_view>& path,
             std::optional<RestApi::PathId>& id) {
  const auto parts = segments_of(pattern);
  if (parts.size() != path.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].starts_with(':')) {
      id = RestApi::PathId{parts[i], path[i]};
    } else if (parts[i] != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

RestApi::Match RestApi::match(std::string_view path, std::string_view method) {
  const auto segments = segments_of(path);
  Match found;
  for (const auto& route : kRoutes) {
    if (!matches(route.pattern, segments, found.id)) continue;
    found.pattern = route.pattern;
    found.allowed += found.allowed.empty() ? "" : ", ";
    found.allowed += route.method;
    if (route.method == method) found.chosen = &route;
  }
  return found;
}

// The path (404), then the method (405 with Allow), then the token (401), then the id (404).
std::optional<net::HttpResponse> RestApi::route(const net::HttpRequest& request, const Match& found,
                                                std::string_view request_id, const Reply& reply) {
  if (found.pattern.empty()) {
    return net::HttpResponse::json_error(404, "not_found", "no such resource");
  }
  if (!found.chosen) return method_not_allowed(found.allowed);

  Call call{request, request_id, reply, {}, 0, 0};
  if (found.chosen->signed_in) call.user = auth_.authenticate(request.bearer_token()).user;
  if (found.id && found.id->name == ":user") {
    call.account_id = id_segment(found.id->text, "user_not_found", "no such user");
  } else if (found.id) {
    call.report_id = id_segment(found.id->text, "report_not_found", "no such report");
  }
  return (this->*(found.chosen->handler))(call);
}

std::optional<net::HttpResponse> RestApi::login(const Call& call) {
  auto body = json_body(call.request);
  auto result = auth_.login(required_string(body, "username"), required_string(body, "password"),
                            call.request.remote_address);
  return json_response(200, {{"token", result.token}, {"user", service::user_json(result.user)}});
}

// This API's OpenAPI description, built into the binary (openapi.json beside this file).
std::optional<net::HttpResponse> RestApi::openapi(const Call&) {
  return net::HttpResponse::json(200, std::string(openapi_document()));
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
      [reply = call.reply, request = call.request,
       request_id = std::string(call.request_id)](service::CommentWriter::Outcome outcome) {
        net::HttpResponse response;
        try {
          if (auto* comment = std::get_if<store::Comment>(&outcome)) {
            response = json_response(201, service::comment_json(*comment, TimeStyle::utc));
          } else {
            response = error_response_for(request, request_id,
                                          std::make_exception_ptr(std::get<Error>(outcome)));
          }
        } catch (...) {
          response = error_response_for(request, request_id, std::current_exception());
        }
        reply(std::move(response));
      });
  return std::nullopt;
}

}  // namespace api
