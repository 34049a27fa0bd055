#include "service/report_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "auth/password.hpp"
#include "base/log_value.hpp"

namespace service {
namespace {

using Kind = Error::Kind;

constexpr std::array kStatuses = {"open", "in_progress", "resolved", "rejected"};
constexpr std::array kRoles = {"citizen", "operator", "admin"};

// Decodes the code point at text[i] and advances i; nullopt for invalid UTF-8, strictly as
// RFC 3629 says: no overlong forms, no surrogates, nothing above U+10FFFF.
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
  static constexpr char32_t kSmallestOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallestOfLength[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return std::nullopt;
  }
  i += length;
  return code;
}

// White space as JavaScript's String.prototype.trim sees it, so that what the front end shows
// as empty is empty here too, and the characters that show nothing at all.
bool is_invisible(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200D) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x2060 || c == 0x3000 || c == 0xFEFF || c == 0x180E || c == 0xAD;
}

bool is_control(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

// Characters that reorder the text around them: shown in a title, they can make it read as
// something else than what was typed.
bool is_bidi_override(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

enum class TextKind {
  line,  // a title, a name: shown alone on one line, so no control characters or bidi overrides
  text,  // a description, a comment: any text, shown as text by the front end
};

bool is_allowed(char32_t c, TextKind kind) {
  return kind == TextKind::text || (!is_control(c) && !is_bidi_override(c));
}

struct TextShape {
  std::size_t length = 0;  // in code points
  bool blank = true;
  bool allowed = true;
};

std::optional<TextShape> shape_of(std::string_view text, TextKind kind) {
  TextShape shape;
  for (std::size_t i = 0; i < text.size();) {
    auto code = next_code_point(text, i);
    if (!code) return std::nullopt;
    ++shape.length;
    shape.blank = shape.blank && is_invisible(*code);
    shape.allowed = shape.allowed && is_allowed(*code, kind);
  }
  return shape;
}

void require_text(std::string_view field, std::string_view value, std::size_t max_chars,
                  TextKind kind) {
  const std::string name(field);
  // Checked first, so that a huge value costs nothing more than its size.
  if (value.size() > 4 * max_chars) {
    throw Error(Kind::bad_request, name + "_too_long",
                name + " is longer than " + std::to_string(max_chars) + " characters");
  }
  auto shape = shape_of(value, kind);
  if (!shape) throw Error(Kind::bad_request, "invalid_" + name, name + " is not valid UTF-8");
  if (shape->blank) throw Error(Kind::bad_request, "empty_" + name, name + " must not be empty");
  if (!shape->allowed) {
    throw Error(Kind::bad_request, "invalid_" + name,
                name + " contains control or text-direction characters");
  }
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

bool is_valid_role(std::string_view role) {
  return std::find(kRoles.begin(), kRoles.end(), role) != kRoles.end();
}

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
  // Refused before any work: a name that no user can have is neither looked up, nor counted by
  // the limiter, nor logged.
  if (username.size() > kMaxUsernameBytes) {
    throw Error(Kind::bad_request, "invalid_username", "username is too long");
  }
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
    spdlog::info("event=login_failed username={} remote={}", base::quoted(username), address);
    throw unauthorized("invalid username or password");
  }
  limiter_.record_success(username, address);
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
  require_text("comment", text, limits_.max_comment_chars, TextKind::text);
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

void ReportService::check_still_internal(std::int64_t user_id) {
  auto user = store_.find_user(user_id);
  if (!user || !user->active) throw unauthorized("unknown or inactive user");
  require_internal(*user);
}

store::User ReportService::set_user_active(const std::string& username, bool active) {
  auto user = store_.set_user_active(username, active);
  if (!user) throw Error(Kind::not_found, "user_not_found", "no such user");
  spdlog::info("event=user_access_changed user_id={} active={}", user->id, active);
  return std::move(*user);
}

std::int64_t ReportService::latest_user_change() {
  return store_.latest_user_change();
}

std::vector<store::UserChange> ReportService::user_changes_after(std::int64_t seq) {
  return store_.user_changes_after(seq, 1000);
}

store::User ReportService::add_user(const std::string& username, const std::string& password,
                                    const std::string& role, bool internal) {
  require_text("username", username, kMaxUsernameBytes, TextKind::line);
  if (password.size() < 8) {
    throw Error(Kind::bad_request, "weak_password", "password must have at least 8 characters");
  }
  if (!is_valid_role(role)) {
    throw Error(Kind::bad_request, "invalid_role", "role must be one of citizen, operator, admin");
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
