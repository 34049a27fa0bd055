#include "service/report_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "auth/password.hpp"

namespace service {
namespace {

using Kind = Error::Kind;

constexpr std::array kStatuses = {"open", "in_progress", "resolved", "rejected"};

// Decodes the code point at text[i] and advances i; nullopt for invalid UTF-8.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  const std::size_t length = byte < 0x80           ? 1
                             : (byte >> 5) == 0x6  ? 2
                             : (byte >> 4) == 0xE  ? 3
                             : (byte >> 3) == 0x1E ? 4
                                                   : 0;
  if (length == 0 || i + length > text.size()) return std::nullopt;
  char32_t code = length == 1 ? byte : byte & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next >> 6) != 0x2) return std::nullopt;
    code = (code << 6) | (next & 0x3F);
  }
  i += length;
  return code;
}

// White space as JavaScript's String.prototype.trim sees it, so that what the front end shows
// as empty is empty here too.
bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000 || c == 0xFEFF;
}

struct TextShape {
  std::size_t length = 0;  // in code points
  bool blank = true;
};

std::optional<TextShape> shape_of(std::string_view text) {
  TextShape shape;
  for (std::size_t i = 0; i < text.size();) {
    auto code = next_code_point(text, i);
    if (!code) return std::nullopt;
    ++shape.length;
    shape.blank = shape.blank && is_space(*code);
  }
  return shape;
}

void require_text(std::string_view field, std::string_view value, std::size_t max_chars) {
  const std::string name(field);
  auto shape = shape_of(value);
  if (!shape) throw Error(Kind::bad_request, "invalid_" + name, name + " is not valid UTF-8");
  if (shape->blank) throw Error(Kind::bad_request, "empty_" + name, name + " must not be empty");
  if (shape->length > max_chars) {
    throw Error(Kind::bad_request, name + "_too_long",
                name + " is longer than " + std::to_string(max_chars) + " characters");
  }
}

void require_internal(const store::User& user) {
  if (!user.internal) throw Error(Kind::forbidden, "forbidden", "internal users only");
}

Error unauthorized(const std::string& message) {
  return Error(Kind::unauthorized, "unauthorized", message);
}

}  // namespace

bool is_valid_status(std::string_view status) {
  return std::find(kStatuses.begin(), kStatuses.end(), status) != kStatuses.end();
}

ReportService::ReportService(store::Store& store, CommentEmitter& emitter,
                             const auth::JwtVerifier& verifier, const auth::JwtIssuer& issuer,
                             auth::LoginLimiter& limiter, Limits limits)
    : store_(store),
      verifier_(verifier),
      issuer_(issuer),
      limiter_(limiter),
      limits_(limits),
      writer_(store, emitter) {}

store::Timestamp ReportService::now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(Clock::now());
}

LoginResult ReportService::login(const std::string& username, const std::string& password,
                                 const std::string& address) {
  const auto attempt = auth::LoginLimiter::Clock::now();
  if (auto wait = limiter_.refused(username, address, attempt)) {
    Error error(Kind::too_many_requests, "too_many_attempts",
                "too many failed logins; try again later");
    error.retry_after = *wait;
    throw error;
  }
  auto user = store_.find_user_by_name(username);
  // A missing user still costs a hash verification, so timing does not reveal which names exist.
  static const std::string decoy = auth::hash_password("decoy password for timing");
  const bool valid = auth::verify_password(password, user ? user->password_hash : decoy);
  if (!user || !valid || !user->active) {
    limiter_.record_failure(username, address, attempt);
    spdlog::info("event=login_failed username=\"{}\" remote={}", username, address);
    throw unauthorized("invalid username or password");
  }
  limiter_.record_success(username);
  spdlog::info("event=login user_id={} remote={}", user->id, address);
  return {issuer_.issue(user->id, user->role, user->internal, Clock::now()), std::move(*user)};
}

Session ReportService::authenticate(std::string_view token) {
  if (token.empty()) throw unauthorized("missing bearer token");
  auto verified = verifier_.verify(token, Clock::now());
  if (auto* error = std::get_if<auth::JwtError>(&verified)) {
    throw unauthorized("invalid token: " + error->message);
  }
  const auto& claims = std::get<auth::Claims>(verified);
  auto user = store_.find_user(claims.user_id);
  if (!user || !user->active) throw unauthorized("unknown or inactive user");
  return {std::move(*user), claims.expires_at};
}

Session ReportService::authenticate_internal(std::string_view token) {
  auto session = authenticate(token);
  require_internal(session.user);
  return session;
}

store::Report ReportService::create_report(const store::User& user, ReportInput input) {
  require_text("title", input.title, limits_.max_title_chars);
  require_text("description", input.description, limits_.max_description_chars);
  if (input.category) require_text("category", *input.category, limits_.max_category_chars);
  if (input.latitude && (*input.latitude < -90 || *input.latitude > 90)) {
    throw Error(Kind::bad_request, "invalid_latitude", "latitude must be within -90..90");
  }
  if (input.longitude && (*input.longitude < -180 || *input.longitude > 180)) {
    throw Error(Kind::bad_request, "invalid_longitude", "longitude must be within -180..180");
  }
  store::NewReport report{user.id,
                          std::move(input.title),
                          std::move(input.description),
                          std::move(input.category),
                          input.latitude,
                          input.longitude};
  return store_.create_report(report, now());
}

store::Report ReportService::get_report(const store::User& user, std::int64_t id) {
  auto report = store_.find_report(id);
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
  if (status && !is_valid_status(*status)) {
    throw Error(Kind::bad_request, "invalid_status", "unknown status filter");
  }
  store::ReportQuery query;
  if (!user.internal) query.owner_id = user.id;
  query.status = std::move(status);
  query.after = after;
  query.limit = limit;
  return store_.list_reports(query);
}

store::Report ReportService::update_status(const store::User& user, std::int64_t id,
                                           const std::string& status) {
  require_internal(user);
  if (!is_valid_status(status)) {
    throw Error(Kind::bad_request, "invalid_status",
                "status must be one of open, in_progress, resolved, rejected");
  }
  auto report = store_.update_report_status(id, status, now());
  if (!report) throw Error(Kind::not_found, "report_not_found", "no such report");
  return std::move(*report);
}

void ReportService::check_report_exists(std::int64_t id) {
  if (known_reports_.contains(id)) return;
  if (!store_.find_report(id)) throw Error(Kind::not_found, "report_not_found", "no such report");
  known_reports_.add(id);
}

void ReportService::create_comment_async(const store::User& user, std::int64_t report_id,
                                         const std::string& text, CommentWriter::Done done) {
  require_internal(user);
  require_text("comment", text, limits_.max_comment_chars);
  writer_.submit({report_id, user.id, text}, std::move(done));
}

store::Page<store::Comment> ReportService::list_comments(const store::User& user,
                                                         std::int64_t report_id,
                                                         std::optional<std::int64_t> after,
                                                         int limit) {
  require_internal(user);
  check_report_exists(report_id);
  return store_.list_comments(report_id, after, limit);
}

store::User ReportService::add_user(const std::string& username, const std::string& password,
                                    const std::string& role, bool internal) {
  require_text("username", username, 64);
  if (password.size() < 8) {
    throw Error(Kind::bad_request, "weak_password", "password must have at least 8 characters");
  }
  if (role == "citizen" && internal) {
    throw Error(Kind::bad_request, "invalid_role", "a citizen is never internal");
  }
  try {
    return store_.create_user({username, auth::hash_password(password), role, internal}, now());
  } catch (const store::StoreError& e) {
    if (e.kind() == store::StoreError::Kind::conflict) {
      throw Error(Kind::conflict, "username_taken", "username already exists");
    }
    throw;
  }
}

}  // namespace service
