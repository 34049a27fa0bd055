#include "store/sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "store/id_list.hpp"
#include "store/migrations.hpp"
#include "store/timestamps.hpp"

namespace store::sqlite {

namespace {

constexpr int kMaxPageSize = 100;

// Applied to every connection. synchronous=FULL: a commit that returned is on disk (a 201 is
// sent only after a durable commit); in WAL mode that is one fsync of the log per commit.
constexpr const char* kConnectionPragmas =
    "PRAGMA busy_timeout = 5000;"
    "PRAGMA foreign_keys = ON;"
    "PRAGMA synchronous = FULL;";

const std::string kUserColumns = "id, username, password_hash, role, internal, active, created_at";
const std::string kReportColumns =
    "id, owner_id, title, description, category, latitude, longitude, status, created_at, "
    "updated_at";
const std::string kCommentColumns = "id, report_id, owner_id, text, created_at";
const std::string kRecoverySessionColumns =
    "pid, sid, user_id, report_ids, since, owner, node, expires_at";
// The highest comment id now: where a session's client resumes, written in the same statement.
const std::string kLatestCommentId = "(SELECT coalesce(max(id), 0) FROM comments)";

int clamp_limit(int limit) {
  return std::clamp(limit, 1, kMaxPageSize);
}

Timestamp column_timestamp(const Statement& s, int column) {
  const std::string text = s.column_text(column);
  auto t = parse_timestamp(text);
  if (!t) {
    throw StoreError(StoreError::Kind::unavailable,
                     "malformed timestamp '" + text + "' in the database");
  }
  return *t;
}

User user_from_row(const Statement& s) {
  User u;
  u.id = s.column_int64(0);
  u.username = s.column_text(1);
  u.password_hash = s.column_text(2);
  u.role = s.column_text(3);
  u.internal = s.column_int64(4) != 0;
  u.active = s.column_int64(5) != 0;
  u.created_at = column_timestamp(s, 6);
  return u;
}

Report report_from_row(const Statement& s) {
  Report r;
  r.id = s.column_int64(0);
  r.owner_id = s.column_int64(1);
  r.title = s.column_text(2);
  r.description = s.column_text(3);
  r.category = s.column_optional_text(4);
  r.latitude = s.column_optional_double(5);
  r.longitude = s.column_optional_double(6);
  r.status = s.column_text(7);
  r.created_at = column_timestamp(s, 8);
  r.updated_at = column_timestamp(s, 9);
  return r;
}

Comment comment_from_row(const Statement& s) {
  Comment c;
  c.id = s.column_int64(0);
  c.report_id = s.column_int64(1);
  c.owner_id = s.column_int64(2);
  c.text = s.column_text(3);
  c.created_at = column_timestamp(s, 4);
  return c;
}

// nullopt when its report_ids is not a list that reportd wrote: no session to restore.
std::optional<RecoverySession> recovery_session_from_row(const Statement& s) {
  auto report_ids = parse_id_list(s.column_text(3));
  if (!report_ids) return std::nullopt;
  RecoverySession session;
  session.pid = s.column_text(0);
  session.sid = s.column_text(1);
  session.user_id = s.column_int64(2);
  session.report_ids = std::move(*report_ids);
  session.since = s.column_int64(4);
  session.owner = s.column_text(5);
  session.node = s.column_optional_text(6);
  session.expires_at = column_timestamp(s, 7);
  return session;
}

void open_recovery_session(Connection& db, const RecoverySession& session) {
  auto q = db.query("INSERT INTO recovery_sessions (" + kRecoverySessionColumns +
                    ") VALUES (?1, ?2, ?3, ?4, " + kLatestCommentId +
                    ", ?5, ?6, ?7) ON CONFLICT (pid) DO NOTHING");
  q->bind(1, std::string_view(session.pid));
  q->bind(2, std::string_view(session.sid));
  q->bind(3, session.user_id);
  q->bind(4, std::string_view(format_id_list(session.report_ids)));
  q->bind(5, std::string_view(session.owner));
  q->bind(6, session.node);
  q->bind(7, std::string_view(format_timestamp(session.expires_at)));
  q->run();
}

void set_recovery_rooms(Connection& db, const RecoverySession& session) {
  auto q = db.query("UPDATE recovery_sessions SET report_ids = ?1, since = " + kLatestCommentId +
                    " WHERE pid = ?2 AND owner = ?3");
  q->bind(1, std::string_view(format_id_list(session.report_ids)));
  q->bind(2, std::string_view(session.pid));
  q->bind(3, std::string_view(session.owner));
  q->run();
}

void detach_recovery_session(Connection& db, const RecoverySession& session) {
  auto q = db.query(
      "UPDATE recovery_sessions SET node = NULL, expires_at = ?1 WHERE pid = ?2 AND owner = ?3");
  q->bind(1, std::string_view(format_timestamp(session.expires_at)));
  q->bind(2, std::string_view(session.pid));
  q->bind(3, std::string_view(session.owner));
  q->run();
}

void remove_recovery_session(Connection& db, const RecoverySession& session) {
  auto q = db.query("DELETE FROM recovery_sessions WHERE pid = ?1 AND owner = ?2");
  q->bind(1, std::string_view(session.pid));
  q->bind(2, std::string_view(session.owner));
  q->run();
}

void apply_recovery_write(Connection& db, const RecoveryWrite& write) {
  switch (write.kind) {
    case RecoveryWrite::Kind::open:
      return open_recovery_session(db, write.session);
    case RecoveryWrite::Kind::rooms:
      return set_recovery_rooms(db, write.session);
    case RecoveryWrite::Kind::detach:
      return detach_recovery_session(db, write.session);
    case RecoveryWrite::Kind::remove:
      return remove_recovery_session(db, write.session);
  }
}

// Reads up to limit + 1 rows: the extra one only tells that another page follows.
template <class T, class FromRow>
Page<T> read_page(Statement& s, int limit, FromRow from_row) {
  Page<T> page;
  page.items.reserve(static_cast<std::size_t>(limit));
  bool more = false;
  while (s.step()) {
    if (page.items.size() == static_cast<std::size_t>(limit)) {
      more = true;
      break;
    }
    page.items.push_back(from_row(s));
  }
  if (more) page.next_after = page.items.back().id;
  return page;
}

std::optional<Report> find_report_on(Connection& db, std::int64_t id) {
  auto q = db.query("SELECT " + kReportColumns + " FROM reports WHERE id = ?1");
  q->bind(1, id);
  if (!q->step()) return std::nullopt;
  return report_from_row(*q);
}

// An absolute file name: readers opened later find the same file even if the working directory
// changed, and a name such as "file:x.db" is not taken for an SQLite URI (this SQLite is built
// with URI file names on).
constexpr std::string_view kMemory = ":memory:";

std::string resolve_path(const std::string& path) {
  if (path == kMemory) return path;
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  if (ec) {
    throw StoreError(StoreError::Kind::unavailable,
                     "cannot resolve database path '" + path + "': " + ec.message());
  }
  return absolute.string();
}

}  // namespace

// --- connections ---

SqliteStore::SqliteStore(std::string path) : path_(resolve_path(path)), memory_(path == kMemory) {
  try {
    writer_ = std::make_unique<Connection>(path_, Connection::Mode::read_write_create);
    writer_->exec(kConnectionPragmas);
    if (!memory_) {
      // Persistent in the file. Readers then never block the writer, nor it them.
      auto q = writer_->query("PRAGMA journal_mode = WAL");
      q->run();
    }
    migrate(*writer_, std::chrono::time_point_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now()));
  } catch (const StoreError& e) {
    throw StoreError(e.kind(), "database '" + path_ + "': " + e.what());
  }
}

SqliteStore::~SqliteStore() = default;

std::unique_ptr<Connection> SqliteStore::open_reader() const {
  auto conn = std::make_unique<Connection>(path_, Connection::Mode::read_only);
  conn->exec(kConnectionPragmas);
  return conn;
}

std::unique_ptr<Connection> SqliteStore::acquire_reader() {
  std::unique_lock lock(readers_mutex_);
  reader_returned_.wait(lock,
                        [&] { return !idle_readers_.empty() || open_readers_ < kMaxReaders; });
  if (!idle_readers_.empty()) {
    auto conn = std::move(idle_readers_.back());
    idle_readers_.pop_back();
    return conn;
  }
  ++open_readers_;
  lock.unlock();
  try {
    return open_reader();
  } catch (...) {
    lock.lock();
    --open_readers_;
    reader_returned_.notify_one();
    throw;
  }
}

void SqliteStore::release_reader(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(readers_mutex_);
    idle_readers_.push_back(std::move(conn));
  }
  reader_returned_.notify_one();
}

class SqliteStore::ReaderLease {
 public:
  explicit ReaderLease(SqliteStore& store) : store_(store), conn_(store.acquire_reader()) {}
  ~ReaderLease() { store_.release_reader(std::move(conn_)); }
  ReaderLease(const ReaderLease&) = delete;
  ReaderLease& operator=(const ReaderLease&) = delete;

  Connection& operator*() const { return *conn_; }

 private:
  SqliteStore& store_;
  std::unique_ptr<Connection> conn_;
};

template <class F>
auto SqliteStore::read(F&& f) {
  if (memory_) {
    std::lock_guard lock(write_mutex_);
    return f(*writer_);
  }
  ReaderLease lease(*this);
  return f(*lease);
}

template <class F>
auto SqliteStore::write(F&& f) {
  std::lock_guard lock(write_mutex_);
  Transaction tx(*writer_);
  if constexpr (std::is_void_v<std::invoke_result_t<F&, Connection&>>) {
    f(*writer_);
    tx.commit();
  } else {
    auto result = f(*writer_);
    tx.commit();
    return result;
  }
}

// --- users ---

std::optional<User> SqliteStore::find_user(std::int64_t id) {
  return read([&](Connection& db) -> std::optional<User> {
    auto q = db.query("SELECT " + kUserColumns + " FROM users WHERE id = ?1");
    q->bind(1, id);
    if (!q->step()) return std::nullopt;
    return user_from_row(*q);
  });
}

std::optional<User> SqliteStore::find_user_by_name(std::string_view username) {
  return read([&](Connection& db) -> std::optional<User> {
    auto q = db.query("SELECT " + kUserColumns + " FROM users WHERE username = ?1");
    q->bind(1, username);
    if (!q->step()) return std::nullopt;
    return user_from_row(*q);
  });
}

User SqliteStore::create_user(const NewUser& user, Timestamp now) {
  const std::string created_at = format_timestamp(now);
  return write([&](Connection& db) {
    auto q = db.query(
        "INSERT INTO users (username, password_hash, role, internal, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5)");
    q->bind(1, std::string_view(user.username));
    q->bind(2, std::string_view(user.password_hash));
    q->bind(3, std::string_view(user.role));
    q->bind(4, std::int64_t{user.internal ? 1 : 0});
    q->bind(5, std::string_view(created_at));
    q->run();
    return stored_user(db.last_insert_rowid(), user, now);
  });
}

std::int64_t SqliteStore::count_users() {
  return read([&](Connection& db) -> std::int64_t {
    auto q = db.query("SELECT count(*) FROM users");
    if (!q->step()) return 0;
    return q->column_int64(0);
  });
}

Page<User> SqliteStore::list_users(std::optional<std::int64_t> after, int limit) {
  limit = clamp_limit(limit);
  std::string sql = "SELECT " + kUserColumns + " FROM users";
  if (after) sql += " WHERE id > ?1";
  sql += " ORDER BY id ASC LIMIT ?2";
  return read([&](Connection& db) {
    auto q = db.query(sql);
    if (after) q->bind(1, *after);
    q->bind(2, std::int64_t{limit} + 1);
    return read_page<User>(*q, limit, user_from_row);
  });
}

std::optional<User> SqliteStore::update_user(std::int64_t id, const UserUpdate& update) {
  return write([&](Connection& db) -> std::optional<User> {
    // A parameter left NULL keeps the column as it is.
    auto change = db.query(
        "UPDATE users SET role = coalesce(?1, role), internal = coalesce(?2, internal),"
        " active = coalesce(?3, active), password_hash = coalesce(?4, password_hash)"
        " WHERE id = ?5");
    change->bind(1, update.role);
    const auto bind_flag = [&](int index, std::optional<bool> flag) {
      if (flag) {
        change->bind(index, std::int64_t{*flag ? 1 : 0});
      } else {
        change->bind_null(index);
      }
    };
    bind_flag(2, update.internal);
    bind_flag(3, update.active);
    change->bind(4, update.password_hash);
    change->bind(5, id);
    change->run();
    auto q = db.query("SELECT " + kUserColumns + " FROM users WHERE id = ?1");
    q->bind(1, id);
    if (!q->step()) return std::nullopt;
    return user_from_row(*q);
  });
}

std::int64_t SqliteStore::latest_user_change() {
  return read([&](Connection& db) -> std::int64_t {
    auto q = db.query("SELECT coalesce(max(seq), 0) FROM user_changes");
    if (!q->step()) return 0;
    return q->column_int64(0);
  });
}

std::vector<UserChange> SqliteStore::user_changes_after(std::int64_t after, int limit) {
  return read([&](Connection& db) {
    auto q = db.query("SELECT seq, user_id FROM user_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    q->bind(1, after);
    q->bind(2, static_cast<std::int64_t>(std::clamp(limit, 1, 1000)));
    std::vector<UserChange> changes;
    while (q->step()) changes.push_back({q->column_int64(0), q->column_int64(1)});
    return changes;
  });
}

// --- reports ---

Report SqliteStore::create_report(const NewReport& report, Timestamp now) {
  const std::string created_at = format_timestamp(now);
  return write([&](Connection& db) {
    auto q = db.query(
        "INSERT INTO reports (owner_id, title, description, category, latitude, longitude,"
        " status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?7)");
    q->bind(1, report.owner_id);
    q->bind(2, std::string_view(report.title));
    q->bind(3, std::string_view(report.description));
    q->bind(4, report.category);
    q->bind(5, report.latitude);
    q->bind(6, report.longitude);
    q->bind(7, std::string_view(created_at));
    q->run();
    return stored_report(db.last_insert_rowid(), report, now);
  });
}

std::optional<Report> SqliteStore::find_report(std::int64_t id) {
  return read([&](Connection& db) { return find_report_on(db, id); });
}

Page<Report> SqliteStore::list_reports(const ReportQuery& query) {
  const int limit = clamp_limit(query.limit);
  // One statement text per combination of filters (eight at most, each cached), so that each
  // can use its index: (owner_id, id), (status, id) or the primary key.
  std::string sql = "SELECT " + kReportColumns + " FROM reports";
  const char* joiner = " WHERE ";
  if (query.owner_id) {
    sql += joiner;
    sql += "owner_id = ?1";
    joiner = " AND ";
  }
  if (query.status) {
    sql += joiner;
    sql += "status = ?2";
    joiner = " AND ";
  }
  if (query.after) {
    sql += joiner;
    sql += "id < ?3";
  }
  sql += " ORDER BY id DESC LIMIT ?4";

  return read([&](Connection& db) {
    auto q = db.query(sql);
    if (query.owner_id) q->bind(1, *query.owner_id);
    if (query.status) q->bind(2, std::string_view(*query.status));
    if (query.after) q->bind(3, *query.after);
    q->bind(4, std::int64_t{limit} + 1);
    return read_page<Report>(*q, limit, report_from_row);
  });
}

std::optional<Report> SqliteStore::update_report_status(std::int64_t id, std::string_view status,
                                                        Timestamp now) {
  if (!is_report_status(status)) {
    throw StoreError(StoreError::Kind::conflict,
                     "invalid report status '" + std::string(status) + "'");
  }
  const std::string updated_at = format_timestamp(now);
  return write([&](Connection& db) -> std::optional<Report> {
    {
      auto q = db.query("UPDATE reports SET status = ?1, updated_at = ?2 WHERE id = ?3");
      q->bind(1, status);
      q->bind(2, std::string_view(updated_at));
      q->bind(3, id);
      q->run();
    }
    if (db.changes() == 0) return std::nullopt;
    return find_report_on(db, id);
  });
}

// --- comments ---

std::vector<std::optional<Comment>> SqliteStore::create_comments(
    const std::vector<NewComment>& batch, Timestamp now) {
  const std::string created_at = format_timestamp(now);
  return write([&](Connection& db) {
    std::vector<std::optional<Comment>> created;
    created.reserve(batch.size());
    for (const auto& comment : batch) {
      auto exists = db.query("SELECT 1 FROM reports WHERE id = ?1");
      exists->bind(1, comment.report_id);
      if (!exists->step()) {
        created.emplace_back();
        continue;
      }
      auto q = db.query(
          "INSERT INTO comments (report_id, owner_id, text, created_at) VALUES (?1, ?2, ?3, ?4)");
      q->bind(1, comment.report_id);
      q->bind(2, comment.owner_id);
      q->bind(3, std::string_view(comment.text));
      q->bind(4, std::string_view(created_at));
      q->run();
      created.push_back(
          Comment{db.last_insert_rowid(), comment.report_id, comment.owner_id, comment.text, now});
    }
    return created;
  });
}

Page<Comment> SqliteStore::list_comments(std::int64_t report_id, std::optional<std::int64_t> after,
                                         int limit) {
  limit = clamp_limit(limit);
  std::string sql = "SELECT " + kCommentColumns + " FROM comments WHERE report_id = ?1";
  if (after) sql += " AND id > ?2";
  sql += " ORDER BY id ASC LIMIT ?3";
  return read([&](Connection& db) {
    auto q = db.query(sql);
    q->bind(1, report_id);
    if (after) q->bind(2, *after);
    q->bind(3, std::int64_t{limit} + 1);
    return read_page<Comment>(*q, limit, comment_from_row);
  });
}

std::optional<Comment> SqliteStore::find_comment(std::int64_t id) {
  return read([&](Connection& db) -> std::optional<Comment> {
    auto q = db.query("SELECT " + kCommentColumns + " FROM comments WHERE id = ?1");
    q->bind(1, id);
    if (!q->step()) return std::nullopt;
    return comment_from_row(*q);
  });
}

std::int64_t SqliteStore::latest_comment_id() {
  return read([&](Connection& db) -> std::int64_t {
    auto q = db.query("SELECT " + kLatestCommentId);
    if (!q->step()) return 0;
    return q->column_int64(0);
  });
}

std::vector<Comment> SqliteStore::comments_after(const std::vector<std::int64_t>& report_ids,
                                                 std::int64_t after, int limit) {
  if (report_ids.empty()) return {};
  // The ids as one JSON array parameter: one cached statement for lists of any length.
  const std::string ids = "[" + format_id_list(report_ids) + "]";
  return read([&](Connection& db) {
    auto q = db.query("SELECT " + kCommentColumns +
                      " FROM comments WHERE report_id IN (SELECT value FROM json_each(?1))"
                      " AND id > ?2 ORDER BY id ASC LIMIT ?3");
    q->bind(1, std::string_view(ids));
    q->bind(2, after);
    q->bind(3, static_cast<std::int64_t>(std::clamp(limit, 1, kMaxCommentsAfter)));
    std::vector<Comment> comments;
    while (q->step()) comments.push_back(comment_from_row(*q));
    return comments;
  });
}

// --- connection state recovery ---

void SqliteStore::write_recovery_sessions(const std::vector<RecoveryWrite>& writes) {
  if (writes.empty()) return;
  // Recovery sessions are a convenience: a crash that loses the latest writes costs their
  // clients a resume, never data. So their commits skip the disk sync that a comment's needs
  // (in WAL mode a synchronous=NORMAL commit is atomic and consistent, and the next FULL commit
  // syncs it too); a sync per batch was a tenth of the CPU of a storm of connects.
  std::lock_guard lock(write_mutex_);
  writer_->exec("PRAGMA synchronous = NORMAL");
  try {
    Transaction tx(*writer_);
    for (const auto& w : writes) apply_recovery_write(*writer_, w);
    tx.commit();
  } catch (...) {
    // Comments must never commit without their sync: restore it before reporting the failure
    // (if even that fails, the connection is unusable and the next write fails too).
    writer_->exec("PRAGMA synchronous = FULL");
    throw;
  }
  writer_->exec("PRAGMA synchronous = FULL");
}

std::optional<RecoverySession> SqliteStore::claim_recovery_session(std::string_view pid,
                                                                   std::string_view owner,
                                                                   std::string_view node,
                                                                   Timestamp now,
                                                                   Timestamp expires_at) {
  const std::string now_text = format_timestamp(now);
  const std::string expires_text = format_timestamp(expires_at);
  return write([&](Connection& db) -> std::optional<RecoverySession> {
    auto q = db.query(
        "UPDATE recovery_sessions SET owner = ?1, node = ?2, expires_at = ?3"
        " WHERE pid = ?4 AND expires_at > ?5 RETURNING " +
        kRecoverySessionColumns);
    q->bind(1, owner);
    q->bind(2, node);
    q->bind(3, std::string_view(expires_text));
    q->bind(4, pid);
    q->bind(5, std::string_view(now_text));
    if (!q->step()) return std::nullopt;
    return recovery_session_from_row(*q);
  });
}

std::size_t SqliteStore::refresh_recovery_sessions(std::string_view node, Timestamp expires_at,
                                                   Timestamp now) {
  const std::string expires_text = format_timestamp(expires_at);
  const std::string now_text = format_timestamp(now);
  return write([&](Connection& db) {
    {
      auto q = db.query("UPDATE recovery_sessions SET expires_at = ?1 WHERE node = ?2");
      q->bind(1, std::string_view(expires_text));
      q->bind(2, node);
      q->run();
    }
    auto q = db.query("DELETE FROM recovery_sessions WHERE expires_at <= ?1");
    q->bind(1, std::string_view(now_text));
    q->run();
    return static_cast<std::size_t>(db.changes());
  });
}

}  // namespace store::sqlite
