#include "service/representation.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include "store/timestamps.hpp"

namespace service {
namespace {

const date::time_zone& rome() {
  // Looked up once; the tz database comes from the system (Debian's tzdata).
  static const date::time_zone* zone = date::locate_zone("Europe/Rome");
  return *zone;
}

}  // namespace

std::string format_time(store::Timestamp time, TimeStyle style) {
  if (style == TimeStyle::utc) return store::format_timestamp(time);
  const auto info = rome().get_info(time);
  const auto local =
      date::local_time<std::chrono::milliseconds>(time.time_since_epoch() + info.offset);
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(info.offset).count();
  const auto magnitude = minutes < 0 ? -minutes : minutes;
  return fmt::format("{}{}{:02}:{:02}", date::format("%FT%T", local), minutes < 0 ? '-' : '+',
                     magnitude / 60, magnitude % 60);
}

boost::json::object comment_json(const store::Comment& comment, TimeStyle style) {
  return {{"id", comment.id},
          {"comment", comment.text},
          {"commentOwner_id", comment.owner_id},
          {"creation_date", format_time(comment.created_at, style)},
          {"report_id", comment.report_id}};
}

boost::json::object report_json(const store::Report& report, TimeStyle style) {
  boost::json::object json{{"id", report.id},
                           {"owner_id", report.owner_id},
                           {"title", report.title},
                           {"description", report.description},
                           {"status", report.status},
                           {"created_at", format_time(report.created_at, style)},
                           {"updated_at", format_time(report.updated_at, style)}};
  json["category"] = report.category ? boost::json::value(*report.category) : nullptr;
  json["latitude"] = report.latitude ? boost::json::value(*report.latitude) : nullptr;
  json["longitude"] = report.longitude ? boost::json::value(*report.longitude) : nullptr;
  return json;
}

boost::json::object user_json(const store::User& user) {
  return {{"id", user.id},
          {"username", user.username},
          {"role", user.role},
          {"internal", user.internal}};
}

boost::json::object account_json(const store::User& user, TimeStyle style) {
  auto json = user_json(user);
  json["active"] = user.active;
  json["created_at"] = format_time(user.created_at, style);
  return json;
}

}  // namespace service
