#pragma once
// What every REST route reads and writes: a JSON object body and its fields, the paging
// parameters of a list, and JSON responses. Failures are service::Error(bad_request, ...) with a
// code naming the field, which the API answers as 400 {"error":{"code","message"}}.

#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_message.hpp"
#include "service/errors.hpp"
#include "service/representation.hpp"
#include "store/store.hpp"

namespace api {

service::Error bad_request(std::string code, const std::string& message);
std::optional<std::int64_t> positive_integer(std::string_view text);

// The body as a JSON object (415 unless application/json, 400 unless a JSON object).
boost::json::object json_body(const net::HttpRequest& request);
// 400 "unknown_field" when the body has a field not in `known`: a misspelt field is an error,
// not a silent no-op.
void refuse_unknown_fields(const boost::json::object& body,
                           std::initializer_list<std::string_view> known);
std::string required_string(const boost::json::object& body, std::string_view field);
std::optional<std::string> optional_string(const boost::json::object& body, std::string_view field);
std::optional<double> optional_number(const boost::json::object& body, std::string_view field);
// Absent: nullopt; present: must be true or false.
std::optional<bool> optional_bool(const boost::json::object& body, std::string_view field);

struct Paging {
  std::optional<std::int64_t> after;
  int limit = 20;
  std::optional<std::string> status;
};
// ?cursor=&limit=&status= of a list.
Paging paging_of(const net::HttpRequest& request);

net::HttpResponse json_response(unsigned status, const boost::json::value& body);

// One page of a list, its times in Rome time, with the cursor of the next page.
template <class T>
net::HttpResponse page_response(const store::Page<T>& page,
                                boost::json::object (*render)(const T&, service::TimeStyle)) {
  boost::json::array items;
  items.reserve(page.items.size());
  for (const auto& item : page.items) items.push_back(render(item, service::TimeStyle::rome));
  boost::json::object out{{"items", std::move(items)}};
  out["next_cursor"] =
      page.next_after ? boost::json::value(std::to_string(*page.next_after)) : nullptr;
  return json_response(200, out);
}

}  // namespace api
