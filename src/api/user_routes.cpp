// The user administration routes of RestApi: GET and POST /api/users, PATCH /api/users/:user.
// The rules are service::UserAdmin's, the same as the CLI's; bodies with a field these routes do
// not take are refused.

#include "api/json_io.hpp"
#include "api/rest_api.hpp"
#include "service/representation.hpp"

namespace api {

using service::TimeStyle;

std::optional<net::HttpResponse> RestApi::list_users(const Call& call) {
  const auto paging = paging_of(call.request);
  return page_response(users_.list_users(call.user, paging.after, paging.limit),
                       service::account_json);
}

std::optional<net::HttpResponse> RestApi::create_user(const Call& call) {
  auto body = json_body(call.request);
  refuse_unknown_fields(body, {"username", "password", "role", "internal"});
  service::NewAccount account{.username = required_string(body, "username"),
                              .password = required_string(body, "password"),
                              .role = required_string(body, "role"),
                              .internal = optional_bool(body, "internal").value_or(false)};
  return json_response(201,
                       service::account_json(users_.add_user(call.user, account), TimeStyle::utc));
}

std::optional<net::HttpResponse> RestApi::update_user(const Call& call) {
  auto body = json_body(call.request);
  refuse_unknown_fields(body, {"role", "internal", "active", "password"});
  service::AccountChanges changes{.role = optional_string(body, "role"),
                                  .internal = optional_bool(body, "internal"),
                                  .active = optional_bool(body, "active"),
                                  .password = optional_string(body, "password")};
  return json_response(
      200, service::account_json(users_.change_user(call.user, call.account_id, changes),
                                 TimeStyle::utc));
}

}  // namespace api
