#pragma once
// The PostgreSQL implementation of store::Store, on libpq.
//
// Every call borrows a connection from a bounded pool (pg_pool.hpp) and runs prepared
// statements on it (prepared once per connection). Single-statement writes run in autocommit;
// create_comments, write_recovery_sessions and refresh_recovery_sessions write in one
// transaction, sent as one pipeline. Timestamps are timestamptz, passed in and read out as UTC
// epoch milliseconds, so they round-trip exactly as with SQLite. A failure that loses the server
// is StoreError(unavailable); the pool drops the connection and reconnects on later calls, with
// backoff.

#include <memory>
#include <string>

#include "store/pg_pool.hpp"
#include "store/store.hpp"

namespace store::pg {

class PgStore final : public Store {
 public:
  // Connects and migrates (under an advisory lock); throws StoreError(unavailable) on failure.
  PgStore(std::string url, PoolOptions options);
  ~PgStore() override;

  std::optional<User> find_user(std::int64_t id) override;
  std::optional<User> find_user_by_name(std::string_view username) override;
  User create_user(const NewUser& user, Timestamp now) override;
  std::int64_t count_users() override;
  Page<User> list_users(std::optional<std::int64_t> after, int limit) override;
  std::optional<User> update_user(std::int64_t id, const UserUpdate& update) override;
  std::int64_t latest_user_change() override;
  std::vector<UserChange> user_changes_after(std::int64_t after, int limit) override;

  Report create_report(const NewReport& report, Timestamp now) override;
  std::optional<Report> find_report(std::int64_t id) override;
  Page<Report> list_reports(const ReportQuery& query) override;
  std::optional<Report> update_report_status(std::int64_t id, std::string_view status,
                                             Timestamp now) override;

  std::vector<std::optional<Comment>> create_comments(const std::vector<NewComment>& batch,
                                                      Timestamp now) override;
  Page<Comment> list_comments(std::int64_t report_id, std::optional<std::int64_t> after,
                              int limit) override;
  std::optional<Comment> find_comment(std::int64_t id) override;
  std::int64_t latest_comment_id() override;
  std::vector<Comment> comments_after(const std::vector<std::int64_t>& report_ids,
                                      std::int64_t after, int limit) override;

  void write_recovery_sessions(const std::vector<RecoveryWrite>& writes) override;
  std::optional<RecoverySession> claim_recovery_session(std::string_view pid,
                                                        std::string_view owner,
                                                        std::string_view node, Timestamp now,
                                                        Timestamp expires_at) override;
  std::size_t refresh_recovery_sessions(std::string_view node, Timestamp expires_at,
                                        Timestamp now) override;

  Pool& pool() { return pool_; }

 private:
  Result run(const Statement& stmt, const Params& params);
  // For statements that only read: sent again, once, when the connection broke under them.
  Result read(const Statement& stmt, const Params& params);

  Pool pool_;
};

}  // namespace store::pg
