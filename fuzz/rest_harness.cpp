#include "rest_harness.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <future>
#include <memory>

#include "api/rest_api.hpp"
#include "base/utf8.hpp"
#include "check.hpp"
#include "net/websocket_frame.hpp"

namespace fuzz {
namespace {

constexpr std::int64_t kUserId = 1;
constexpr std::int64_t kReportsThatExist = 1000;

// The code points of valid UTF-8.
std::u32string code_points(std::string_view text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t code = length == 1 ? lead : lead & (0xFF >> (length + 1));
    for (std::size_t k = 1; k < length; ++k) code = (code << 6) | (text[i + k] & 0x3F);
    out.push_back(code);
    i += length;
  }
  return out;
}

// Some of what shows as nothing: white space and zero-width characters.
bool shows_nothing(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || (c >= 0x2000 && c <= 0x200D) ||
         c == 0x3000 || c == 0xFEFF;
}

// Whatever the API hands to storage must be text that clients can be sent back and see: valid
// UTF-8, within its length, not blank.
void check_text(std::string_view text, std::size_t max_chars) {
  FUZZ_CHECK(base::is_valid_utf8(text));
  const auto codes = code_points(text);
  FUZZ_CHECK(codes.size() <= max_chars);
  FUZZ_CHECK(!std::all_of(codes.begin(), codes.end(), shows_nothing));
}

// A title or a category is shown on one line: no control characters, nothing that reorders it.
void check_line(std::string_view text, std::size_t max_chars) {
  check_text(text, max_chars);
  for (const char32_t c : code_points(text)) {
    FUZZ_CHECK(c >= 0x20 && !(c >= 0x7F && c <= 0x9F));
    FUZZ_CHECK(!(c >= 0x202A && c <= 0x202E) && !(c >= 0x2066 && c <= 0x2069));
  }
}

// Keeps nothing: one internal user, reports 1..1000 exist, lists are empty. Written as the
// SQLite store would answer, so that the API takes the same paths.
class NullStore final : public store::Store {
 public:
  std::optional<store::User> find_user(std::int64_t id) override {
    if (id != kUserId) return std::nullopt;
    return store::User{kUserId, "operator", "", "operator", true, true, {}};
  }
  std::optional<store::User> find_user_by_name(std::string_view) override { return std::nullopt; }
  store::User create_user(const store::NewUser&, store::Timestamp) override {
    throw store::StoreError(store::StoreError::Kind::conflict, "no users are created here");
  }
  std::int64_t count_users() override { return 1; }
  store::Page<store::User> list_users(std::optional<std::int64_t>, int) override { return {}; }
  std::optional<store::User> update_user(std::int64_t, const store::UserUpdate&) override {
    return std::nullopt;
  }
  std::int64_t latest_user_change() override { return 0; }
  std::vector<store::UserChange> user_changes_after(std::int64_t, int) override { return {}; }

  store::Report create_report(const store::NewReport& report, store::Timestamp now) override {
    const service::Limits limits;
    check_line(report.title, limits.max_title_chars);
    check_text(report.description, limits.max_description_chars);
    if (report.category) check_line(*report.category, limits.max_category_chars);
    return {1,
            report.owner_id,
            report.title,
            report.description,
            report.category,
            report.latitude,
            report.longitude,
            "open",
            now,
            now};
  }
  std::optional<store::Report> find_report(std::int64_t id) override {
    if (id < 1 || id > kReportsThatExist) return std::nullopt;
    return store::Report{
        id,     kUserId, "title", "description", std::nullopt, std::nullopt, std::nullopt,
        "open", {},      {}};
  }
  store::Page<store::Report> list_reports(const store::ReportQuery& query) override {
    FUZZ_CHECK(query.limit >= 1 && query.limit <= 100);
    return {};
  }
  std::optional<store::Report> update_report_status(std::int64_t id, std::string_view status,
                                                    store::Timestamp) override {
    auto report = find_report(id);
    if (report) report->status = std::string(status);
    return report;
  }
  std::vector<std::optional<store::Comment>> create_comments(
      const std::vector<store::NewComment>& batch, store::Timestamp now) override {
    std::vector<std::optional<store::Comment>> out;
    for (const auto& comment : batch) {
      check_text(comment.text, service::Limits{}.max_comment_chars);
      if (!find_report(comment.report_id)) {
        out.emplace_back();
        continue;
      }
      out.push_back(store::Comment{1, comment.report_id, comment.owner_id, comment.text, now});
    }
    return out;
  }
  store::Page<store::Comment> list_comments(std::int64_t, std::optional<std::int64_t>,
                                            int limit) override {
    FUZZ_CHECK(limit >= 1 && limit <= 100);
    return {};
  }
  std::optional<store::Comment> find_comment(std::int64_t) override { return std::nullopt; }
  std::int64_t latest_comment_id() override { return 0; }
  std::vector<store::Comment> comments_after(const std::vector<std::int64_t>&, std::int64_t,
                                             int) override {
    return {};
  }
  void write_recovery_sessions(const std::vector<store::RecoveryWrite>&) override {}
  std::optional<store::RecoverySession> claim_recovery_session(std::string_view, std::string_view,
                                                               std::string_view, store::Timestamp,
                                                               store::Timestamp) override {
    return std::nullopt;
  }
  std::size_t refresh_recovery_sessions(std::string_view, store::Timestamp,
                                        store::Timestamp) override {
    return 0;
  }
};

class NoEmitter final : public service::CommentEmitter {
 public:
  void comment_created(const store::Comment&) override {}
};

class Exchange final : public net::HttpExchange {
 public:
  void respond(net::HttpResponse response) override {
    if (!answered_) answer_.set_value(std::move(response));
    answered_ = true;
  }
  void accept_websocket(net::Strand, const net::WebSocketLimits&,
                        std::function<void(net::WebSocketPtr)>) override {
    FUZZ_CHECK(!"the REST API never upgrades");
  }
  std::future<net::HttpResponse> answer() { return answer_.get_future(); }

 private:
  std::promise<net::HttpResponse> answer_;
  bool answered_ = false;
};

auth::JwtConfig jwt_config() {
  auth::JwtConfig config;
  config.hs256_secret = "fuzz-rest-secret-0123456789abcdef";
  config.lifetime = std::chrono::hours(24 * 365);
  return config;
}

// Built once and never destroyed: libFuzzer may exit from any thread at any time.
struct Api {
  NullStore store;
  NoEmitter emitter;
  auth::JwtVerifier verifier{jwt_config()};
  auth::JwtIssuer issuer{jwt_config()};
  auth::LoginLimiter limiter;
  service::AuthService auth{store, verifier, issuer, limiter};
  service::ReportService reports{store, emitter};
  boost::asio::thread_pool workers{1};
  service::UserAdmin users{store};
  api::RestApi rest{auth, users, reports, workers};
  std::string authorization =
      "Bearer " + issuer.issue(kUserId, "operator", true, std::chrono::system_clock::now());
};

Api& api() {
  static Api* instance = [] {
    spdlog::set_level(spdlog::level::warn);  // one info line per request would drown the output
    return new Api;
  }();
  return *instance;
}

// Returns once the worker has finished (and destroyed) every job posted before, so that an
// input's allocations are freed before the next one starts (libFuzzer counts them for leaks).
void wait_for_workers(boost::asio::thread_pool& workers) {
  std::promise<void> done;
  boost::asio::post(workers, [&done] { done.set_value(); });
  done.get_future().wait();
}

}  // namespace

net::HttpResponse send_rest_request(std::string method, std::string target,
                                    std::string content_type, std::string body) {
  auto& instance = api();
  net::HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers = {{"authorization", instance.authorization},
                     {"content-type", std::move(content_type)}};
  request.body = std::move(body);
  request.remote_address = "127.0.0.1";
  auto exchange = std::make_shared<Exchange>();
  auto answer = exchange->answer();
  instance.rest.handle(std::move(request), exchange);
  auto response = answer.get();
  wait_for_workers(instance.workers);
  return response;
}

void check_rest_response(const net::HttpResponse& response) {
  FUZZ_CHECK(response.status != 500);
  boost::system::error_code ec;
  boost::json::parse(response.body, ec);
  FUZZ_CHECK(!ec);
}

}  // namespace fuzz
