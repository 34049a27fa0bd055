#include "service/report_service.hpp"

#include "service/auth_service.hpp"
#include "service/clock.hpp"
#include "service/store_call.hpp"
#include "service/text_rules.hpp"

namespace service {
namespace {

using Kind = Error::Kind;

}  // namespace

ReportService::ReportService(store::Store& store, CommentEmitter& emitter, Limits limits,
                             Observer& observer)
    : store_(store), limits_(limits), writer_(store, emitter, observer) {}

store::Report ReportService::create_report(const store::User& user, store::NewReport input) {
  require_text("title", input.title, limits_.max_title_chars, TextKind::line);
  require_text("description", input.description, limits_.max_description_chars, TextKind::text);
  if (input.category) {
    require_text("category", *input.category, limits_.max_category_chars, TextKind::line);
  }
  if (input.latitude && (*input.latitude < -90 || *input.latitude > 90)) {
    throw Error(Kind::bad_request, "invalid_latitude", "latitude must be within -90..90");
  }
  if (input.longitude && (*input.longitude < -180 || *input.longitude > 180)) {
    throw Error(Kind::bad_request, "invalid_longitude", "longitude must be within -180..180");
  }
  input.owner_id = user.id;
  return store_call([&] { return store_.create_report(input, service_now()); });
}

store::Report ReportService::get_report(const store::User& user, std::int64_t id) {
  auto report = store_call([&] { return store_.find_report(id); });
  // Citizens see only their own reports; someone else's looks like no report at all.
  if (!report || (!user.internal && report->owner_id != user.id)) {
    throw Error(Kind::not_found, "report_not_found", "no such report");
  }
  return std::move(*report);
}

store::Page<store::Report> ReportService::list_reports(const store::User& user,
                                                       std::optional<std::string> status,
                                                       std::optional<std::int64_t> after,
                                                       int limit) {
  if (status && !store::is_report_status(*status)) {
    throw Error(Kind::bad_request, "invalid_status", "unknown status filter");
  }
  store::ReportQuery query;
  if (!user.internal) query.owner_id = user.id;
  query.status = std::move(status);
  query.after = after;
  query.limit = limit;
  return store_call([&] { return store_.list_reports(query); });
}

store::Report ReportService::update_status(const store::User& user, std::int64_t id,
                                           const std::string& status) {
  require_internal(user);
  if (!store::is_report_status(status)) {
    throw Error(Kind::bad_request, "invalid_status",
                "status must be one of open, in_progress, resolved, rejected");
  }
  auto report = store_call([&] { return store_.update_report_status(id, status, service_now()); });
  if (!report) throw Error(Kind::not_found, "report_not_found", "no such report");
  return std::move(*report);
}

void ReportService::check_report_exists(std::int64_t id) {
  if (known_reports_.contains(id)) return;
  if (!store_call([&] { return store_.find_report(id); }))
    throw Error(Kind::not_found, "report_not_found", "no such report");
  known_reports_.add(id);
}

void ReportService::create_comment_async(const store::User& user, std::int64_t report_id,
                                         const std::string& text, CommentWriter::Done done) {
  require_internal(user);
  require_text("comment", text, limits_.max_comment_chars, TextKind::text);
  writer_.submit({report_id, user.id, text}, std::move(done));
}

store::Page<store::Comment> ReportService::list_comments(const store::User& user,
                                                         std::int64_t report_id,
                                                         std::optional<std::int64_t> after,
                                                         int limit) {
  require_internal(user);
  check_report_exists(report_id);
  return store_call([&] { return store_.list_comments(report_id, after, limit); });
}

}  // namespace service
