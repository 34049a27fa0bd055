#pragma once
// The SQLite implementation of store::Store.
//
// A file database has one write connection, guarded by a mutex, for every write (each in a
// BEGIN IMMEDIATE ... COMMIT transaction, synchronous=FULL so a returned write is durable), and
// up to kMaxReaders read-only connections for reads, opened on demand and each lent to one
// thread at a time. WAL lets the readers run alongside the writer; each read statement sees
// every write committed before it started. An in-memory database (":memory:") has a single
// connection for both, under the same mutex.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite_handle.hpp"
#include "store/store.hpp"

namespace store::sqlite {

class SqliteStore final : public Store {
 public:
  static constexpr std::size_t kMaxReaders = 4;

  // `path` is a file name or ":memory:". Opens (creating the file if needed), configures and
  // migrates; throws StoreError(unavailable) on failure.
  explicit SqliteStore(std::string path);
  ~SqliteStore() override;

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

 private:
  class ReaderLease;

  // Runs `f(Connection&)` on a read connection.
  template <class F>
  auto read(F&& f);
  // Runs `f(Connection&)` inside a write transaction and commits before returning.
  template <class F>
  auto write(F&& f);

  std::unique_ptr<Connection> acquire_reader();
  void release_reader(std::unique_ptr<Connection> conn);
  std::unique_ptr<Connection> open_reader() const;

  const std::string path_;
  const bool memory_;

  std::mutex write_mutex_;
  std::unique_ptr<Connection> writer_;

  std::mutex readers_mutex_;
  std::condition_variable reader_returned_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  std::size_t open_readers_ = 0;  // idle and lent
};

}  // namespace store::sqlite
