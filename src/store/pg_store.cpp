#include "store/pg_store.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include "store/id_list.hpp"
#include "store/pg_migrations.hpp"

namespace store::pg {

namespace {

constexpr int kMaxPageSize = 100;

// Instants go in as epoch milliseconds (int8) and come out the same way: exact, and the same
// truncation to the millisecond as SQLite's text (floor, also before 1970) for values written
// behind reportd's back with microseconds.
std::string from_millis(int param) {
  return "(timestamptz 'epoch' + $" + std::to_string(param) + "::int8 * interval '1 millisecond')";
}
std::string as_millis(const char* column) {
  return std::string("floor(extract(epoch from ") + column + ") * 1000)::int8";
}

const std::string kUserColumns =
    "id, username, password_hash, role, internal, active, " + as_millis("created_at");
const std::string kReportColumns =
    "id, owner_id, title, description, category, latitude, longitude, status, " +
    as_millis("created_at") + ", " + as_millis("updated_at");
const std::string kCommentColumns = "id, report_id, owner_id, text, " + as_millis("created_at");

const Statement kFindUser{"find_user", "SELECT " + kUserColumns + " FROM users WHERE id = $1"};
const Statement kFindUserByName{"find_user_by_name",
                                "SELECT " + kUserColumns + " FROM users WHERE username = $1"};
const Statement kCreateUser{"create_user",
                            "INSERT INTO users (username, password_hash, role, internal, "
                            "created_at) VALUES ($1, $2, $3, $4, " +
                                from_millis(5) + ") RETURNING id"};
const Statement kCountUsers{"count_users", "SELECT count(*) FROM users"};
const Statement kListUsers{"list_users",
                           "SELECT " + kUserColumns + " FROM users ORDER BY id ASC LIMIT $1"};
const Statement kListUsersAfter{
    "list_users_after",
    "SELECT " + kUserColumns + " FROM users WHERE id > $1 ORDER BY id ASC LIMIT $2"};
// A parameter left NULL keeps the column as it is.
const Statement kUpdateUser{
    "update_user",
    "UPDATE users SET role = coalesce($1::text, role), internal = coalesce($2::boolean, internal), "
    "active = coalesce($3::boolean, active), password_hash = coalesce($4::text, password_hash) "
    "WHERE id = $5 RETURNING " +
        kUserColumns};
const Statement kLatestUserChange{"latest_user_change",
                                  "SELECT coalesce(max(seq), 0) FROM user_changes"};
const Statement kUserChangesAfter{
    "user_changes_after",
    "SELECT seq, user_id FROM user_changes WHERE seq > $1 ORDER BY seq LIMIT $2"};

const Statement kCreateReport{
    "create_report",
    "INSERT INTO reports (owner_id, title, description, category, latitude, longitude, status, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', " +
        from_millis(7) + ", " + from_millis(7) + ") RETURNING id"};
const Statement kFindReport{"find_report",
                            "SELECT " + kReportColumns + " FROM reports WHERE id = $1"};
const Statement kUpdateReportStatus{
    "update_report_status", "UPDATE reports SET status = $1, updated_at = " + from_millis(2) +
                                " WHERE id = $3 RETURNING " + kReportColumns};

// One statement per combination of filters, so that each can use its index: (owner_id, id),
// (status, id) or the primary key. Bit 0: owner, bit 1: status, bit 2: cursor. Parameters are
// numbered in that order, then the limit.
std::array<Statement, 8> list_reports_statements() {
  std::array<Statement, 8> out;
  for (unsigned mask = 0; mask < out.size(); ++mask) {
    std::string sql = "SELECT " + kReportColumns + " FROM reports";
    const char* joiner = " WHERE ";
    int n = 0;
    const auto condition = [&](const char* column) {
      sql += joiner;
      sql += column;
      sql += "$" + std::to_string(++n);
      joiner = " AND ";
    };
    if (mask & 1u) condition("owner_id = ");
    if (mask & 2u) condition("status = ");
    if (mask & 4u) condition("id < ");
    sql += " ORDER BY id DESC LIMIT $" + std::to_string(++n);
    out[mask] = Statement{"list_reports_" + std::to_string(mask), std::move(sql)};
  }
  return out;
}
const std::array<Statement, 8> kListReports = list_reports_statements();

// Ids come from the sequence in the order of the inserts; a missing report inserts nothing and
// returns no row. The comment-order lock makes ids commit in the order they were drawn, across
// every node: readers page through comments (and connection state recovery replays them) by
// "id above the last one seen", which would skip a lower id that committed later.
const Statement kLockCommentOrder{"lock_comment_order", "SELECT pg_advisory_xact_lock($1::int8)"};
const Statement kInsertComment{
    "insert_comment",
    "INSERT INTO comments (report_id, owner_id, text, created_at) SELECT $1::int8, $2::int8, "
    "$3::text, " +
        from_millis(4) + " WHERE EXISTS (SELECT 1 FROM reports WHERE id = $1::int8) RETURNING id"};
const Statement kListComments{
    "list_comments",
    "SELECT " + kCommentColumns + " FROM comments WHERE report_id = $1 ORDER BY id ASC LIMIT $2"};
const Statement kListCommentsAfter{
    "list_comments_after",
    "SELECT " + kCommentColumns +
        " FROM comments WHERE report_id = $1 AND id > $2 ORDER BY id ASC LIMIT $3"};
const Statement kFindComment{"find_comment",
                             "SELECT " + kCommentColumns + " FROM comments WHERE id = $1"};
// The highest comment id now: where a session's client resumes, written in the same statement.
const std::string kLatestCommentId = "(SELECT coalesce(max(id), 0) FROM comments)";
const Statement kLatestCommentIdQuery{"latest_comment_id", "SELECT " + kLatestCommentId};
const Statement kCommentsOfReportsAfter{
    "comments_of_reports_after",
    "SELECT " + kCommentColumns +
        " FROM comments WHERE report_id = ANY($1::int8[]) AND id > $2 ORDER BY id ASC LIMIT $3"};

const std::string kRecoverySessionColumns =
    "pid, sid, user_id, report_ids, since, owner, node, " + as_millis("expires_at");
const Statement kOpenRecoverySession{
    "open_recovery_session",
    "INSERT INTO recovery_sessions (pid, sid, user_id, report_ids, since, owner, node, "
    "expires_at) VALUES ($1, $2, $3, $4, " +
        kLatestCommentId + ", $5, $6, " + from_millis(7) + ") ON CONFLICT (pid) DO NOTHING"};
const Statement kSetRecoveryRooms{"set_recovery_rooms",
                                  "UPDATE recovery_sessions SET report_ids = $1, since = " +
                                      kLatestCommentId + " WHERE pid = $2 AND owner = $3"};
const Statement kDetachRecoverySession{"detach_recovery_session",
                                       "UPDATE recovery_sessions SET node = NULL, expires_at = " +
                                           from_millis(1) + " WHERE pid = $2 AND owner = $3"};
const Statement kRemoveRecoverySession{
    "remove_recovery_session", "DELETE FROM recovery_sessions WHERE pid = $1 AND owner = $2"};
const Statement kClaimRecoverySession{
    "claim_recovery_session", "UPDATE recovery_sessions SET owner = $1, node = $2, expires_at = " +
                                  from_millis(3) + " WHERE pid = $4 AND expires_at > " +
                                  from_millis(5) + " RETURNING " + kRecoverySessionColumns};
// Recovery sessions are a convenience: a crash that loses the latest writes costs their clients a
// resume, never data. Their transactions commit without waiting for the WAL flush
// (synchronous_commit off for that transaction only: still atomic and consistent).
const Statement kRelaxedCommit{"relaxed_commit",
                               "SELECT set_config('synchronous_commit', 'off', true)"};
const Statement kRefreshRecoverySessions{
    "refresh_recovery_sessions",
    "UPDATE recovery_sessions SET expires_at = " + from_millis(1) + " WHERE node = $2"};
const Statement kPurgeRecoverySessions{
    "purge_recovery_sessions",
    "WITH purged AS (DELETE FROM recovery_sessions WHERE expires_at <= " + from_millis(1) +
        " RETURNING 1) SELECT count(*) FROM purged"};

// No stored text holds a NUL (Params refuses one), so a key with a NUL matches nothing: a lookup
// answers "none" as SQLite would, instead of failing.
bool has_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

int clamp_limit(int limit) {
  return std::clamp(limit, 1, kMaxPageSize);
}

std::int64_t millis(Timestamp t) {
  return t.time_since_epoch().count();
}

User user_from_row(const Result& r, int row) {
  User u;
  u.id = r.int64(row, 0);
  u.username = r.text(row, 1);
  u.password_hash = r.text(row, 2);
  u.role = r.text(row, 3);
  u.internal = r.boolean(row, 4);
  u.active = r.boolean(row, 5);
  u.created_at = r.timestamp(row, 6);
  return u;
}

Report report_from_row(const Result& r, int row) {
  Report report;
  report.id = r.int64(row, 0);
  report.owner_id = r.int64(row, 1);
  report.title = r.text(row, 2);
  report.description = r.text(row, 3);
  report.category = r.optional_text(row, 4);
  report.latitude = r.optional_double(row, 5);
  report.longitude = r.optional_double(row, 6);
  report.status = r.text(row, 7);
  report.created_at = r.timestamp(row, 8);
  report.updated_at = r.timestamp(row, 9);
  return report;
}

Comment comment_from_row(const Result& r, int row) {
  Comment c;
  c.id = r.int64(row, 0);
  c.report_id = r.int64(row, 1);
  c.owner_id = r.int64(row, 2);
  c.text = r.text(row, 3);
  c.created_at = r.timestamp(row, 4);
  return c;
}

// nullopt when its report_ids is not a list that reportd wrote: no session to restore.
std::optional<RecoverySession> recovery_session_from_row(const Result& r, int row) {
  auto report_ids = parse_id_list(r.text(row, 3));
  if (!report_ids) return std::nullopt;
  RecoverySession session;
  session.pid = r.text(row, 0);
  session.sid = r.text(row, 1);
  session.user_id = r.int64(row, 2);
  session.report_ids = std::move(*report_ids);
  session.since = r.int64(row, 4);
  session.owner = r.text(row, 5);
  session.node = r.optional_text(row, 6);
  session.expires_at = r.timestamp(row, 7);
  return session;
}

// The statements read up to limit + 1 rows: the extra one only tells that another page follows.
template <class T, class FromRow>
Page<T> read_page(const Result& r, int limit, FromRow from_row) {
  Page<T> page;
  const int rows = std::min(r.rows(), limit);
  page.items.reserve(static_cast<std::size_t>(rows));
  for (int row = 0; row < rows; ++row) page.items.push_back(from_row(r, row));
  if (r.rows() > limit) page.next_after = page.items.back().id;
  return page;
}

// --- transactions in one round trip, as a pipeline ---

// libpq's pipeline mode on a connection: queries sent together, their answers read in order.
class Pipeline {
 public:
  explicit Pipeline(Connection& conn) : conn_(conn) {
    if (PQenterPipelineMode(conn_.get()) != 1) conn_.fail("enter pipeline mode");
  }
  // An exception in the middle leaves results unread: the connection is dropped (which rolls
  // the transaction back on the server) rather than reused.
  ~Pipeline() {
    if (PQpipelineStatus(conn_.get()) != PQ_PIPELINE_OFF && PQexitPipelineMode(conn_.get()) != 1) {
      conn_.mark_broken();
    }
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void send(const char* command) {
    if (PQsendQueryParams(conn_.get(), command, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
      broken(command);
    }
  }
  void send(const Statement& stmt, const Params& params) {
    const auto values = params.pointers();
    if (PQsendQueryPrepared(conn_.get(), stmt.name.c_str(), params.size(), values.data(), nullptr,
                            nullptr, 0) != 1) {
      broken(stmt.name);
    }
  }
  void sync() {
    if (PQpipelineSync(conn_.get()) != 1) broken("pipeline sync");
  }

  // The result of the next query sent (a failure, or PGRES_PIPELINE_ABORTED after one, too).
  Result next() {
    Result result(PQgetResult(conn_.get()));
    if (!result) broken("pipeline result");
    if (result.status() == PGRES_PIPELINE_SYNC) broken("pipeline result");
    // Each query's results end with a null.
    if (Result extra(PQgetResult(conn_.get())); extra) broken("pipeline result");
    return result;
  }
  void end() {
    Result result(PQgetResult(conn_.get()));
    if (!result || result.status() != PGRES_PIPELINE_SYNC) broken("pipeline sync");
    if (PQexitPipelineMode(conn_.get()) != 1) broken("exit pipeline mode");
  }

 private:
  [[noreturn]] void broken(std::string_view what) {
    conn_.mark_broken();
    conn_.fail(what);
  }

  Connection& conn_;
};

// One statement of a transaction, with its parameters.
struct Step {
  const Statement* stmt;
  Params params;
};

bool succeeded(const Result& r) {
  return r.status() == PGRES_COMMAND_OK || r.status() == PGRES_TUPLES_OK;
}

// Runs `steps` in one transaction, in one round trip: BEGIN, the steps and COMMIT go out
// together in libpq's pipeline mode, then the answers are read in order. (One multi-row
// statement would need the values packed into array literals; the pipeline keeps every value a
// plain parameter.) libpq reads incoming results while it waits to send, so a long pipeline
// cannot deadlock against the server in blocking mode. Returns the steps' results; throws the
// first failure, and unless the server answered the COMMIT with COMMIT.
std::vector<Result> run_transaction(Connection& conn, const std::vector<Step>& steps) {
  for (const auto& step : steps) conn.prepare(*step.stmt);  // prepared outside the pipeline
  std::vector<Result> results;
  results.reserve(steps.size());
  Result begin, commit;
  {
    Pipeline pipeline(conn);
    pipeline.send("BEGIN");
    for (const auto& step : steps) pipeline.send(*step.stmt, step.params);
    pipeline.send("COMMIT");
    pipeline.sync();
    begin = pipeline.next();
    for (std::size_t i = 0; i < steps.size(); ++i) results.push_back(pipeline.next());
    commit = pipeline.next();
    pipeline.end();
  }

  // The first failure is the cause; the statements after it were skipped (PIPELINE_ABORTED).
  const Result* failed = succeeded(begin) ? nullptr : &begin;
  std::string_view failed_name = "BEGIN";
  for (std::size_t i = 0; !failed && i < steps.size(); ++i) {
    if (!succeeded(results[i])) {
      failed = &results[i];
      failed_name = steps[i].stmt->name;
    }
  }
  if (failed) {
    // The explicit transaction outlives the sync, aborted: end it before the pool lends the
    // connection again (the pool drops it if this fails).
    if (conn.usable() && PQtransactionStatus(conn.get()) != PQTRANS_IDLE) {
      Result rollback(PQexec(conn.get(), "ROLLBACK"));
      if (!rollback || rollback.status() != PGRES_COMMAND_OK) conn.mark_broken();
    }
    conn.fail(*failed, failed_name);
  }
  // Reported committed only if the server said COMMIT.
  require_committed(conn, commit);
  return results;
}

// The statement of one recovery write, with its parameters (checked here: a NUL is refused
// before anything is sent).
Step recovery_step(const RecoveryWrite& write) {
  const RecoverySession& s = write.session;
  switch (write.kind) {
    case RecoveryWrite::Kind::open:
      return {&kOpenRecoverySession,
              std::move(Params()
                            .add(std::string_view(s.pid))
                            .add(std::string_view(s.sid))
                            .add(s.user_id)
                            .add(std::string_view(format_id_list(s.report_ids)))
                            .add(std::string_view(s.owner))
                            .add(s.node)
                            .add(millis(s.expires_at)))};
    case RecoveryWrite::Kind::rooms:
      return {&kSetRecoveryRooms, std::move(Params()
                                                .add(std::string_view(format_id_list(s.report_ids)))
                                                .add(std::string_view(s.pid))
                                                .add(std::string_view(s.owner)))};
    case RecoveryWrite::Kind::detach:
      return {&kDetachRecoverySession, std::move(Params()
                                                     .add(millis(s.expires_at))
                                                     .add(std::string_view(s.pid))
                                                     .add(std::string_view(s.owner)))};
    case RecoveryWrite::Kind::remove:
      return {&kRemoveRecoverySession,
              std::move(Params().add(std::string_view(s.pid)).add(std::string_view(s.owner)))};
  }
  // Only a value cast into the enum gets here.
  throw StoreError(StoreError::Kind::conflict, "unknown recovery write");
}

}  // namespace

PgStore::PgStore(std::string url, PoolOptions options) : pool_(std::move(url), options) {
  auto conn = pool_.acquire();
  migrate(*conn, std::chrono::time_point_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now()));
}

PgStore::~PgStore() = default;

Result PgStore::run(const Statement& stmt, const Params& params) {
  auto conn = pool_.acquire();
  return conn->run(stmt, params);
}

Result PgStore::read(const Statement& stmt, const Params& params) {
  {
    auto conn = pool_.acquire();
    try {
      return conn->run(stmt, params);
    } catch (const StoreError& e) {
      // Once more only when the connection itself broke: the pool's check of an idle connection
      // before lending it cannot always see a server end that closed a moment ago (a restart, a
      // failover, an administrator), and a read changes nothing, so it is safe to send again.
      if (e.kind() != StoreError::Kind::unavailable || conn->usable()) throw;
    }
  }
  return run(stmt, params);
}

// --- users ---

std::optional<User> PgStore::find_user(std::int64_t id) {
  auto r = read(kFindUser, Params().add(id));
  if (r.rows() == 0) return std::nullopt;
  return user_from_row(r, 0);
}

std::optional<User> PgStore::find_user_by_name(std::string_view username) {
  if (has_nul(username)) return std::nullopt;
  auto r = read(kFindUserByName, Params().add(username));
  if (r.rows() == 0) return std::nullopt;
  return user_from_row(r, 0);
}

User PgStore::create_user(const NewUser& user, Timestamp now) {
  auto r = run(kCreateUser, Params()
                                .add(std::string_view(user.username))
                                .add(std::string_view(user.password_hash))
                                .add(std::string_view(user.role))
                                .add(user.internal)
                                .add(millis(now)));
  return stored_user(r.int64(0, 0), user, now);
}

std::int64_t PgStore::count_users() {
  return read(kCountUsers, Params()).int64(0, 0);
}

Page<User> PgStore::list_users(std::optional<std::int64_t> after, int limit) {
  limit = clamp_limit(limit);
  const auto rows = std::int64_t{limit} + 1;
  auto r = after ? read(kListUsersAfter, Params().add(*after).add(rows))
                 : read(kListUsers, Params().add(rows));
  return read_page<User>(r, limit, user_from_row);
}

std::optional<User> PgStore::update_user(std::int64_t id, const UserUpdate& update) {
  Params params;
  params.add(update.role);
  for (auto flag : {update.internal, update.active}) {
    if (flag) {
      params.add(*flag);
    } else {
      params.add_null();
    }
  }
  params.add(update.password_hash).add(id);
  auto r = run(kUpdateUser, params);
  if (r.rows() == 0) return std::nullopt;
  return user_from_row(r, 0);
}

std::int64_t PgStore::latest_user_change() {
  return read(kLatestUserChange, Params()).int64(0, 0);
}

std::vector<UserChange> PgStore::user_changes_after(std::int64_t after, int limit) {
  auto r = read(kUserChangesAfter,
                Params().add(after).add(static_cast<std::int64_t>(std::clamp(limit, 1, 1000))));
  std::vector<UserChange> changes;
  changes.reserve(static_cast<std::size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) changes.push_back({r.int64(row, 0), r.int64(row, 1)});
  return changes;
}

// --- reports ---

Report PgStore::create_report(const NewReport& report, Timestamp now) {
  auto r = run(kCreateReport, Params()
                                  .add(report.owner_id)
                                  .add(std::string_view(report.title))
                                  .add(std::string_view(report.description))
                                  .add(report.category)
                                  .add(report.latitude)
                                  .add(report.longitude)
                                  .add(millis(now)));
  return stored_report(r.int64(0, 0), report, now);
}

std::optional<Report> PgStore::find_report(std::int64_t id) {
  auto r = read(kFindReport, Params().add(id));
  if (r.rows() == 0) return std::nullopt;
  return report_from_row(r, 0);
}

Page<Report> PgStore::list_reports(const ReportQuery& query) {
  const int limit = clamp_limit(query.limit);
  if (query.status && has_nul(*query.status)) return {};
  unsigned mask = 0;
  Params params;
  if (query.owner_id) {
    mask |= 1u;
    params.add(*query.owner_id);
  }
  if (query.status) {
    mask |= 2u;
    params.add(std::string_view(*query.status));
  }
  if (query.after) {
    mask |= 4u;
    params.add(*query.after);
  }
  params.add(std::int64_t{limit} + 1);
  return read_page<Report>(read(kListReports[mask], params), limit, report_from_row);
}

std::optional<Report> PgStore::update_report_status(std::int64_t id, std::string_view status,
                                                    Timestamp now) {
  if (!is_report_status(status)) {
    throw StoreError(StoreError::Kind::conflict,
                     "invalid report status '" + std::string(status) + "'");
  }
  auto r = run(kUpdateReportStatus, Params().add(status).add(millis(now)).add(id));
  if (r.rows() == 0) return std::nullopt;
  return report_from_row(r, 0);
}

// --- comments ---

// Group commit: the order lock and one prepared INSERT per comment, in one transaction sent as
// one pipeline.
std::vector<std::optional<Comment>> PgStore::create_comments(const std::vector<NewComment>& batch,
                                                             Timestamp now) {
  if (batch.empty()) return {};
  // Every parameter is checked (a NUL refused) before anything is sent.
  std::vector<Step> steps;
  steps.reserve(batch.size() + 1);
  steps.push_back({&kLockCommentOrder, std::move(Params().add(kCommentOrderLock))});
  for (const auto& c : batch) {
    steps.push_back({&kInsertComment, std::move(Params()
                                                    .add(c.report_id)
                                                    .add(c.owner_id)
                                                    .add(std::string_view(c.text))
                                                    .add(millis(now)))});
  }
  const auto results = run_transaction(*pool_.acquire(), steps);

  std::vector<std::optional<Comment>> created;
  created.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Result& inserted = results[i + 1];  // after the lock's
    if (inserted.rows() == 0) {
      created.emplace_back();
      continue;
    }
    const auto& c = batch[i];
    created.push_back(Comment{inserted.int64(0, 0), c.report_id, c.owner_id, c.text, now});
  }
  return created;
}

Page<Comment> PgStore::list_comments(std::int64_t report_id, std::optional<std::int64_t> after,
                                     int limit) {
  limit = clamp_limit(limit);
  const std::int64_t rows = std::int64_t{limit} + 1;
  auto r = after ? read(kListCommentsAfter, Params().add(report_id).add(*after).add(rows))
                 : read(kListComments, Params().add(report_id).add(rows));
  return read_page<Comment>(r, limit, comment_from_row);
}

std::optional<Comment> PgStore::find_comment(std::int64_t id) {
  auto r = read(kFindComment, Params().add(id));
  if (r.rows() == 0) return std::nullopt;
  return comment_from_row(r, 0);
}

std::int64_t PgStore::latest_comment_id() {
  return read(kLatestCommentIdQuery, Params()).int64(0, 0);
}

std::vector<Comment> PgStore::comments_after(const std::vector<std::int64_t>& report_ids,
                                             std::int64_t after, int limit) {
  if (report_ids.empty()) return {};
  auto r = read(kCommentsOfReportsAfter,
                Params()
                    .add(std::string_view("{" + format_id_list(report_ids) + "}"))
                    .add(after)
                    .add(static_cast<std::int64_t>(std::clamp(limit, 1, kMaxCommentsAfter))));
  std::vector<Comment> comments;
  comments.reserve(static_cast<std::size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) comments.push_back(comment_from_row(r, row));
  return comments;
}

// --- connection state recovery ---

void PgStore::write_recovery_sessions(const std::vector<RecoveryWrite>& writes) {
  if (writes.empty()) return;
  std::vector<Step> steps;
  steps.reserve(writes.size() + 1);
  steps.push_back({&kRelaxedCommit, Params()});
  for (const auto& w : writes) steps.push_back(recovery_step(w));
  run_transaction(*pool_.acquire(), steps);
}

std::optional<RecoverySession> PgStore::claim_recovery_session(std::string_view pid,
                                                               std::string_view owner,
                                                               std::string_view node, Timestamp now,
                                                               Timestamp expires_at) {
  if (has_nul(pid)) return std::nullopt;  // the client's: no stored pid holds one
  auto r = run(kClaimRecoverySession,
               Params().add(owner).add(node).add(millis(expires_at)).add(pid).add(millis(now)));
  if (r.rows() == 0) return std::nullopt;
  return recovery_session_from_row(r, 0);
}

std::size_t PgStore::refresh_recovery_sessions(std::string_view node, Timestamp expires_at,
                                               Timestamp now) {
  // Two statements, not one: the statements of one WITH share a snapshot, so a DELETE there
  // would not see the expiry the UPDATE just moved on.
  const auto results = run_transaction(
      *pool_.acquire(),
      {{&kRefreshRecoverySessions, std::move(Params().add(millis(expires_at)).add(node))},
       {&kPurgeRecoverySessions, Params().add(millis(now))}});
  return static_cast<std::size_t>(results[1].int64(0, 0));
}

}  // namespace store::pg
