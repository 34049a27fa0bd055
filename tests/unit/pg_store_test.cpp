// What only the PostgreSQL store has: its schema and migrations under an advisory lock, the
// connection pool (bounded, with a bounded wait), connection loss and recovery, the pipelined
// comment batch. The behaviour it shares with SQLite is tested for both in store_test.cpp.

#include "store/pg_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "pg_cluster.hpp"
#include "store/pg_migrations.hpp"
#include "store/store.hpp"

using namespace std::chrono_literals;
using store::StoreError;
using store::Timestamp;

namespace {

const Timestamp kT0 =
    Timestamp{std::chrono::sys_days{std::chrono::year{2026} / 3 / 29}} + 59min + 59s + 123ms;

StoreError::Kind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const StoreError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no StoreError thrown";
  return StoreError::Kind::unavailable;
}

class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override { url_ = cluster().create_database(); }

  static PgCluster& cluster() { return PgCluster::get(); }
  std::vector<std::vector<std::string>> sql(const std::string& text) {
    return cluster().query(url_, text);
  }
  std::unique_ptr<store::pg::PgStore> open(store::pg::PoolOptions options = {}) {
    return std::make_unique<store::pg::PgStore>(url_, options);
  }
  // Backends of reportd (application_name) connected to this test's database.
  int reportd_backends() {
    auto rows = sql(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'reportd' AND datname = "
        "current_database()");
    return std::stoi(rows.at(0).at(0));
  }

  std::string url_;
};

store::NewReport report_of(std::int64_t owner) {
  store::NewReport r;
  r.owner_id = owner;
  r.title = "t";
  r.description = "d";
  return r;
}

}  // namespace

// --- schema and migrations ---

TEST_F(PostgresStore, MigratesOnceAndReopensIdempotently) {
  ASSERT_EQ(store::pg::latest_schema_version(), 3);
  open();
  const std::vector<std::vector<std::string>> expected = {{"1"}, {"2"}, {"3"}};
  EXPECT_EQ(sql("SELECT version FROM schema_migrations ORDER BY version"), expected);
  open();
  open();
  EXPECT_EQ(sql("SELECT version FROM schema_migrations ORDER BY version"), expected);
  // timestamptz, UTC, and the advisory lock is not left behind.
  EXPECT_EQ(sql("SELECT data_type FROM information_schema.columns WHERE table_name = 'comments' "
                "AND column_name = 'created_at'"),
            (std::vector<std::vector<std::string>>{{"timestamp with time zone"}}));
  EXPECT_EQ(sql("SELECT data_type FROM information_schema.columns WHERE table_name = "
                "'recovery_sessions' AND column_name = 'expires_at'"),
            (std::vector<std::vector<std::string>>{{"timestamp with time zone"}}));
  EXPECT_EQ(sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"),
            (std::vector<std::vector<std::string>>{{"0"}}));
}

// Nodes that start together on an empty database: one migrates, the others wait for the
// advisory lock and find the schema done; none fails, nothing is applied twice.
TEST_F(PostgresStore, NodesStartingAtOnceMigrateOnce) {
  for (int round = 0; round < 3; ++round) {
    if (round > 0) url_ = cluster().create_database();
    constexpr int kNodes = 4;
    std::atomic<int> ready{0};
    std::vector<std::future<void>> nodes;
    for (int i = 0; i < kNodes; ++i) {
      nodes.push_back(std::async(std::launch::async, [&] {
        ++ready;
        while (ready.load() < kNodes) std::this_thread::yield();
        store::pg::PgStore node(url_, {});
        node.count_users();
      }));
    }
    for (auto& node : nodes) EXPECT_NO_THROW(node.get()) << "round " << round;
    EXPECT_EQ(sql("SELECT version FROM schema_migrations ORDER BY version"),
              (std::vector<std::vector<std::string>>{{"1"}, {"2"}, {"3"}}));
    EXPECT_EQ(sql("SELECT count(*) FROM pg_tables WHERE tablename = 'comments'"),
              (std::vector<std::vector<std::string>>{{"1"}}));
  }
}

TEST_F(PostgresStore, RefusesNewerSchema) {
  open();
  sql("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, now())");
  try {
    open();
    FAIL() << "newer schema accepted";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::unavailable);
    EXPECT_NE(std::string(e.what()).find("9999"), std::string::npos) << e.what();
  }
  // Nothing was downgraded or dropped.
  EXPECT_EQ(sql("SELECT max(version) FROM schema_migrations"),
            (std::vector<std::vector<std::string>>{{"9999"}}));
}

// Migration 1's CHECK constraint and kReportStatuses must name the same statuses.
TEST_F(PostgresStore, SchemaAcceptsExactlyTheKnownStatuses) {
  auto db = open();
  auto owner = db->create_user({"owner", "hash", "operator", true}, kT0);
  store::UserUpdate deactivate;
  deactivate.active = false;
  const auto id = std::to_string(db->create_report(report_of(owner.id), kT0).id);
  for (auto status : store::kReportStatuses) {
    EXPECT_NO_THROW(
        sql("UPDATE reports SET status = '" + std::string(status) + "' WHERE id = " + id))
        << status;
  }
  EXPECT_ANY_THROW(sql("UPDATE reports SET status = 'closed' WHERE id = " + id));
}

TEST_F(PostgresStore, StoresUtcTimestamptzWithMilliseconds) {
  auto db = open();
  auto owner = db->create_user({"owner", "hash", "operator", true}, kT0);
  store::UserUpdate deactivate;
  deactivate.active = false;
  auto report = db->create_report(report_of(owner.id), kT0);
  db->create_comment(report.id, owner.id, "hi", kT0);
  EXPECT_EQ(sql("SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') "
                "FROM comments"),
            (std::vector<std::vector<std::string>>{{"2026-03-29T00:59:59.123"}}));
  // A time written behind reportd's back with microseconds reads back cut to the millisecond,
  // as SQLite's text is.
  sql("UPDATE comments SET created_at = '1969-12-31 23:59:59.999999+00'");
  const auto listed = db->list_comments(report.id, std::nullopt, 10);
  ASSERT_EQ(listed.items.size(), 1u);
  EXPECT_EQ(listed.items[0].created_at.time_since_epoch(), -1ms);
}

// --- the comment batch ---

TEST_F(PostgresStore, CommentBatchIsOneTransaction) {
  auto db = open();
  auto owner = db->create_user({"owner", "hash", "operator", true}, kT0);
  store::UserUpdate deactivate;
  deactivate.active = false;
  auto a = db->create_report(report_of(owner.id), kT0);
  auto b = db->create_report(report_of(owner.id), kT0);

  // Missing reports are nullopt in their place; the others get ids in input order.
  auto created = db->create_comments({{a.id, owner.id, "one"},
                                      {b.id + 100, owner.id, "nowhere"},
                                      {b.id, owner.id, "two"},
                                      {a.id, owner.id, "three"}},
                                     kT0);
  ASSERT_EQ(created.size(), 4u);
  ASSERT_TRUE(created[0] && created[2] && created[3]);
  EXPECT_FALSE(created[1]);
  EXPECT_LT(created[0]->id, created[2]->id);
  EXPECT_LT(created[2]->id, created[3]->id);
  EXPECT_EQ(created[2]->report_id, b.id);
  EXPECT_EQ(created[3]->text, "three");
  EXPECT_EQ(created[3]->created_at, kT0);

  // One bad comment (an unknown author) and none of the batch is stored.
  const auto count = [&] { return sql("SELECT count(*) FROM comments").at(0).at(0); };
  EXPECT_EQ(count(), "3");
  EXPECT_EQ(
      kind_of([&] {
        db->create_comments(
            {{a.id, owner.id, "four"}, {a.id, owner.id + 42, "ghost"}, {a.id, owner.id, "five"}},
            kT0);
      }),
      StoreError::Kind::not_found);
  EXPECT_EQ(count(), "3");
  // A NUL is refused before anything is sent.
  EXPECT_EQ(kind_of([&] {
              db->create_comments(
                  {{a.id, owner.id, "six"}, {a.id, owner.id, std::string("nu\0l", 4)}}, kT0);
            }),
            StoreError::Kind::conflict);
  EXPECT_EQ(count(), "3");
  EXPECT_TRUE(db->create_comments({}, kT0).empty());

  // The connection is still good for the next batch (the failed one was rolled back).
  auto next = db->create_comments({{b.id, owner.id, "after"}}, kT0);
  ASSERT_TRUE(next[0]);
  EXPECT_GT(next[0]->id, created[3]->id);
  EXPECT_EQ(count(), "4");
  EXPECT_EQ(sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'reportd' "
                "AND state = 'idle in transaction'"),
            (std::vector<std::vector<std::string>>{{"0"}}));

  // A big batch in one pipeline.
  std::vector<store::NewComment> many;
  for (int i = 0; i < 1000; ++i) many.push_back({a.id, owner.id, std::string(2000, 'x')});
  auto all = db->create_comments(many, kT0);
  ASSERT_EQ(all.size(), many.size());
  for (std::size_t i = 1; i < all.size(); ++i) ASSERT_EQ(all[i]->id, all[i - 1]->id + 1);
  EXPECT_EQ(count(), "1004");
}

// --- the pool ---

TEST_F(PostgresStore, PoolStaysWithinItsSize) {
  store::pg::PoolOptions options;
  options.size = 2;
  auto db = open(options);
  auto owner = db->create_user({"owner", "hash", "operator", true}, kT0);
  store::UserUpdate deactivate;
  deactivate.active = false;
  auto report = db->create_report(report_of(owner.id), kT0);

  constexpr int kThreads = 12;
  std::atomic<int> failures{0};
  std::atomic<int> most_backends{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        try {
          if (i % 2) {
            db->create_comment(report.id, owner.id, "t" + std::to_string(t), kT0);
          } else {
            db->list_comments(report.id, std::nullopt, 5);
          }
          const int open = static_cast<int>(db->pool().open_connections());
          for (int seen = most_backends.load(); open > seen;) {
            most_backends.compare_exchange_weak(seen, open);
          }
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(most_backends.load(), 2);
  EXPECT_LE(reportd_backends(), 2);
  EXPECT_EQ(sql("SELECT count(*) FROM comments").at(0).at(0), std::to_string(kThreads * 10));
}

// A caller that finds every connection busy waits at most the acquire timeout.
TEST_F(PostgresStore, WaitForAFreeConnectionIsBounded) {
  store::pg::PoolOptions options;
  options.size = 1;
  options.acquire_timeout = 300ms;
  auto db = open(options);
  // Hold the only connection: a count that waits for a lock held by another session.
  PGconn* blocker = PQconnectdb(url_.c_str());
  ASSERT_EQ(PQstatus(blocker), CONNECTION_OK);
  PQclear(PQexec(blocker, "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE"));
  auto busy = std::async(std::launch::async, [&] { return db->count_users(); });
  ASSERT_TRUE(eventually(
      [&] {
        return sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'reportd' AND "
                   "wait_event_type = 'Lock'")
                   .at(0)
                   .at(0) == "1";
      },
      15s));

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(kind_of([&] { db->find_user(1); }), StoreError::Kind::unavailable);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 3s);

  PQclear(PQexec(blocker, "COMMIT"));
  PQfinish(blocker);
  EXPECT_EQ(busy.get(), 0);
  EXPECT_EQ(db->count_users(), 0);
}

// --- connection loss ---

// The server ends the backend in the middle of a call (an operator's pg_terminate_backend, a
// failover): that call is unavailable, the connection is dropped, the next call reconnects.
TEST_F(PostgresStore, TerminatedBackendFailsTheCallThenReconnects) {
  auto db = open();
  auto owner = db->create_user({"owner", "hash", "operator", true}, kT0);
  store::UserUpdate deactivate;
  deactivate.active = false;
  PGconn* blocker = PQconnectdb(url_.c_str());
  ASSERT_EQ(PQstatus(blocker), CONNECTION_OK);
  PQclear(PQexec(blocker, "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE"));
  // A write: a read whose connection breaks is sent once more (and would wait again here).
  auto call = std::async(std::launch::async,
                         [&] { return kind_of([&] { db->update_user(owner.id, deactivate); }); });
  ASSERT_TRUE(eventually(
      [&] {
        return sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'reportd' AND "
                   "wait_event_type = 'Lock'")
                   .at(0)
                   .at(0) == "1";
      },
      15s));
  sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'reportd' AND wait_event_type = 'Lock'");
  EXPECT_EQ(call.get(), StoreError::Kind::unavailable);
  PQclear(PQexec(blocker, "COMMIT"));
  PQfinish(blocker);

  EXPECT_EQ(db->count_users(), 1);
  // Idle connections whose backends were terminated are noticed before use, not failed on.
  sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'reportd'");
  EXPECT_TRUE(eventually([&] { return reportd_backends() == 0; }, 15s));
  EXPECT_EQ(db->count_users(), 1);
  // And at once, whether or not the pool has noticed yet: a read is sent again on a new
  // connection when the one it was given turns out to be gone.
  for (int i = 0; i < 5; ++i) {
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
        "'reportd'");
    EXPECT_EQ(db->count_users(), 1) << "read " << i;
  }
}

// The whole server goes away: calls are unavailable, and fail fast while the pool backs off;
// once the server is back the store recovers by itself.
TEST_F(PostgresStore, ServerRestartIsUnavailableThenRecovers) {
  store::pg::PoolOptions options;
  options.min_backoff = 100ms;
  options.max_backoff = 1s;
  auto db = open(options);
  auto owner = db->create_user({"owner", "hash", "operator", true}, kT0);
  store::UserUpdate deactivate;
  deactivate.active = false;
  auto report = db->create_report(report_of(owner.id), kT0);

  cluster().stop_server();
  EXPECT_EQ(kind_of([&] { db->count_users(); }), StoreError::Kind::unavailable);
  EXPECT_EQ(kind_of([&] { db->create_comment(report.id, owner.id, "lost", kT0); }),
            StoreError::Kind::unavailable);
  // In backoff: no attempt to connect, an answer at once.
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(kind_of([&] { db->find_report(report.id); }), StoreError::Kind::unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  }

  cluster().start_server();
  EXPECT_TRUE(eventually(
      [&] {
        try {
          return db->count_users() == 1;
        } catch (const StoreError&) {
          return false;
        }
      },
      15s))
      << "the store did not reconnect";
  auto comment = db->create_comment(report.id, owner.id, "back", kT0);
  auto listed = db->list_comments(report.id, std::nullopt, 10);
  ASSERT_EQ(listed.items.size(), 1u) << "a comment that failed must not be stored";
  EXPECT_EQ(listed.items[0].id, comment.id);
}
