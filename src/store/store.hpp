#pragma once
// What the service needs from storage. Implementations: SQLite (default) and PostgreSQL. All
// timestamps are UTC instants with millisecond precision. Calls block: run them on the worker pool,
// never on a network thread. Implementations are thread-safe.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace store {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

struct User {
  std::int64_t id = 0;
  std::string username;
  std::string password_hash;  // argon2id, encoded
  std::string role;           // e.g. "operator", "admin", "citizen"
  bool internal = false;      // municipal staff
  bool active = true;
  Timestamp created_at{};
};

struct NewUser {
  std::string username;
  std::string password_hash;
  std::string role;
  bool internal = false;
};

// What to change on a user: each field that is set; the others stay as they are.
struct UserUpdate {
  std::optional<std::string> role;
  std::optional<bool> internal;
  std::optional<bool> active;
  std::optional<std::string> password_hash;
};

// One change to a user's access (active, internal, role, or the user deleted), in the order
// they happened.
struct UserChange {
  std::int64_t seq = 0;
  std::int64_t user_id = 0;
};

// The statuses a report can have, in the order of its life. Migration 1's CHECK constraint
// lists the same words: migrations are history and never change, so a new status needs a new
// migration (store_test checks that the schema accepts exactly these).
inline constexpr std::array<std::string_view, 4> kReportStatuses = {"open", "in_progress",
                                                                    "resolved", "rejected"};
constexpr bool is_report_status(std::string_view status) {
  for (auto known : kReportStatuses) {
    if (status == known) return true;
  }
  return false;
}

struct Report {
  std::int64_t id = 0;
  std::int64_t owner_id = 0;
  std::string title;
  std::string description;
  std::optional<std::string> category;
  std::optional<double> latitude;
  std::optional<double> longitude;
  std::string status;  // one of kReportStatuses
  Timestamp created_at{};
  Timestamp updated_at{};
};

// A report to create: what its owner wrote. The service sets owner_id to the signed-in user.
struct NewReport {
  std::int64_t owner_id = 0;
  std::string title;
  std::string description;
  std::optional<std::string> category;
  std::optional<double> latitude;
  std::optional<double> longitude;
};

// The user that `user` becomes once stored with this id at `now`: every backend answers a
// create with exactly this.
inline User stored_user(std::int64_t id, const NewUser& user, Timestamp now) {
  return {.id = id,
          .username = user.username,
          .password_hash = user.password_hash,
          .role = user.role,
          .internal = user.internal,
          .active = true,
          .created_at = now};
}

// The report that `report` becomes once stored with this id at `now`: every backend answers a
// create with exactly this.
inline Report stored_report(std::int64_t id, const NewReport& report, Timestamp now) {
  return {.id = id,
          .owner_id = report.owner_id,
          .title = report.title,
          .description = report.description,
          .category = report.category,
          .latitude = report.latitude,
          .longitude = report.longitude,
          .status = "open",
          .created_at = now,
          .updated_at = now};
}

struct NewComment {
  std::int64_t report_id = 0;
  std::int64_t owner_id = 0;
  std::string text;
};

struct Comment {
  std::int64_t id = 0;
  std::int64_t report_id = 0;
  std::int64_t owner_id = 0;
  std::string text;
  Timestamp created_at{};
};

// Keyset pagination. Comments: ids above `after`, oldest first. Reports: ids below `after`,
// newest first. `next_after` (the last item's id) is set only when another page follows; pass
// it back as `after` for the next page. Limits are clamped to 1..100.
template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::int64_t> next_after;
};

struct ReportQuery {
  std::optional<std::int64_t> owner_id;  // only this owner's reports
  std::optional<std::string> status;
  std::optional<std::int64_t> after;  // cursor: continue after this id
  int limit = 20;                     // 1..100
};

// A live-channel session kept so that its client can resume it after a lost connection
// (Socket.IO connection state recovery). Whoever holds it (`owner`, a random token per
// attachment) is the only one whose writes apply: a session that another node took over is
// never overwritten by the node that lost it.
struct RecoverySession {
  std::string pid;  // the private id the client sends back; the key
  std::string sid;  // the socket id it restores
  std::int64_t user_id = 0;
  std::vector<std::int64_t> report_ids;  // the rooms report:<id> it follows, ascending
  // The highest comment id when its rooms last changed: where a client that had received no
  // comment yet resumes.
  std::int64_t since = 0;
  std::string owner;
  std::optional<std::string> node;  // the node it is attached to; nullopt while it waits
  Timestamp expires_at{};
};

// One change to the recovery sessions, applied only if the session's owner is `owner`.
struct RecoveryWrite {
  enum class Kind {
    open,    // insert `session` (since: the highest comment id now; a pid taken already: no-op)
    rooms,   // set report_ids, and since to the highest comment id now
    detach,  // the connection was lost: node none, expires_at as given
    remove,  // the client left deliberately: delete it
  };
  Kind kind = Kind::open;
  RecoverySession session;  // pid and owner always; the other fields as `kind` says
};

// The most comments one comments_after call returns: a replay for connection state recovery
// reads at most this many.
inline constexpr int kMaxCommentsAfter = 2000;

class StoreError : public std::runtime_error {
 public:
  enum class Kind { conflict, not_found, unavailable };
  StoreError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::optional<User> find_user(std::int64_t id) = 0;
  virtual std::optional<User> find_user_by_name(std::string_view username) = 0;
  // Throws StoreError(conflict) when the username is taken.
  virtual User create_user(const NewUser& user, Timestamp now) = 0;
  virtual std::int64_t count_users() = 0;
  // By id, ascending: `after` continues above that id.
  virtual Page<User> list_users(std::optional<std::int64_t> after, int limit) = 0;
  // Applies `update` in one statement and returns the user as it is then; nullopt when there is
  // no such user. A change of role, internal or active records a UserChange (the schema's
  // trigger). Throws StoreError(conflict) when the result breaks the schema's rules (an internal
  // citizen).
  virtual std::optional<User> update_user(std::int64_t id, const UserUpdate& update) = 0;
  // The seq of the newest UserChange, 0 when there is none.
  virtual std::int64_t latest_user_change() = 0;
  // UserChanges with seq above `after`, oldest first, at most `limit`.
  virtual std::vector<UserChange> user_changes_after(std::int64_t after, int limit) = 0;

  virtual Report create_report(const NewReport& report, Timestamp now) = 0;
  virtual std::optional<Report> find_report(std::int64_t id) = 0;
  // Newest first: `after` continues below that id.
  virtual Page<Report> list_reports(const ReportQuery& query) = 0;
  virtual std::optional<Report> update_report_status(std::int64_t id, std::string_view status,
                                                     Timestamp now) = 0;

  // One comment: a batch of one. Throws StoreError(not_found) when the report does not exist.
  Comment create_comment(std::int64_t report_id, std::int64_t owner_id, std::string_view text,
                         Timestamp now) {
    auto created = create_comments({{report_id, owner_id, std::string(text)}}, now);
    if (!created.front()) {
      throw StoreError(StoreError::Kind::not_found,
                       "report " + std::to_string(report_id) + " not found");
    }
    return std::move(*created.front());
  }
  // Several comments in one transaction (one disk sync for all: group commit), committed before
  // returning. The result has one entry per input, in order; nullopt where the report does not
  // exist. Ids are assigned in input order.
  virtual std::vector<std::optional<Comment>> create_comments(const std::vector<NewComment>& batch,
                                                              Timestamp now) = 0;
  // Oldest first: `after` continues above that id.
  virtual Page<Comment> list_comments(std::int64_t report_id, std::optional<std::int64_t> after,
                                      int limit) = 0;
  virtual std::optional<Comment> find_comment(std::int64_t id) = 0;
  // The highest comment id, 0 when there is none.
  virtual std::int64_t latest_comment_id() = 0;
  // Comments of any of `report_ids` with ids above `after`, oldest first, at most `limit`
  // (clamped to 1..kMaxCommentsAfter).
  virtual std::vector<Comment> comments_after(const std::vector<std::int64_t>& report_ids,
                                              std::int64_t after, int limit) = 0;

  // Connection state recovery. Applies the writes in order, in one transaction.
  virtual void write_recovery_sessions(const std::vector<RecoveryWrite>& writes) = 0;
  // Takes over the session `pid` if it has not expired at `now`, whoever holds it: it becomes
  // `owner`'s, attached to `node`, until `expires_at`. Returns it as it now is, or nullopt.
  virtual std::optional<RecoverySession> claim_recovery_session(std::string_view pid,
                                                                std::string_view owner,
                                                                std::string_view node,
                                                                Timestamp now,
                                                                Timestamp expires_at) = 0;
  // Keeps the sessions attached to `node` until `expires_at` (a node's heartbeat: the sessions
  // of a node that died expire a window after its last one), and deletes every session expired
  // at `now`. Returns how many were deleted.
  virtual std::size_t refresh_recovery_sessions(std::string_view node, Timestamp expires_at,
                                                Timestamp now) = 0;
};

struct StoreOptions {
  // PostgreSQL: the most connections open at once (DATABASE_POOL_SIZE). SQLite ignores it.
  std::size_t pool_size = 8;
};

// Opens the store that `database_url` names ("sqlite:path/to/file.db", "sqlite::memory:",
// "postgres://user:pass@host:port/db" or "postgresql://...", with any libpq parameters) and
// brings its schema up to date. Throws std::invalid_argument for an unsupported URL and
// StoreError(unavailable) when the database cannot be opened or migrated.
std::unique_ptr<Store> open_store(const std::string& database_url,
                                  const StoreOptions& options = {});

// The URL with its password (and any password= parameter) replaced by "***", for logs.
std::string redact_database_url(std::string_view database_url);

}  // namespace store
