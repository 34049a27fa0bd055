#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/store.hpp"
#include "store_backends.hpp"
#include "temp_dir.hpp"

using store::Timestamp;

namespace {

Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

struct Fixture {
  std::unique_ptr<store::Store> db;
  store::User user;
  store::Report report;

  explicit Fixture(const std::string& url) : db(store::open_store(url)) {
    user = db->create_user({"operator", "hash", "operator", true}, now());
    store::NewReport r;
    r.owner_id = user.id;
    r.title = "busy report";
    r.description = "everyone comments here";
    report = db->create_report(r, now());
  }
};

constexpr int kThreads = 8;
constexpr int kPerThread = 25;

// 8 threads each create 25 comments on one report and, after each, read it back through the
// store (on a file database: from a read connection, not the one that wrote it; on PostgreSQL:
// from whichever pooled connection is free).
void hammer_comments(Fixture& f) {
  std::mutex mutex;
  std::vector<std::int64_t> ids;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        try {
          const std::string text = "t" + std::to_string(t) + "-" + std::to_string(i);
          auto c = f.db->create_comment(f.report.id, f.user.id, text, now());
          auto page = f.db->list_comments(f.report.id, c.id - 1, 1);
          if (page.items.size() != 1 || page.items[0].id != c.id || page.items[0].text != text) {
            ++failures;
          }
          std::lock_guard lock(mutex);
          ids.push_back(c.id);
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << "thread " << t << ": " << e.what();
        }
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::set<std::int64_t> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());

  std::vector<std::int64_t> listed;
  std::optional<std::int64_t> after;
  do {
    auto page = f.db->list_comments(f.report.id, after, 100);
    for (const auto& c : page.items) listed.push_back(c.id);
    after = page.next_after;
  } while (after);
  EXPECT_EQ(listed, std::vector<std::int64_t>(unique.begin(), unique.end()));
}

}  // namespace

class StoreConcurrency : public ::testing::TestWithParam<Backend> {
 protected:
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreConcurrency,
                         ::testing::Values(Backend::sqlite_file, Backend::sqlite_memory,
                                           Backend::postgres),
                         backend_test_name);

TEST_P(StoreConcurrency, ParallelComments) {
  Fixture f(fresh_database_url(GetParam(), dir_));
  hammer_comments(f);
}

// Readers (more threads than read connections) run while writers add reports; every read
// succeeds and sees a consistent, growing set.
TEST_P(StoreConcurrency, ReadsDuringWrites) {
  Fixture f(fresh_database_url(GetParam(), dir_));
  std::atomic<bool> writing{true};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers, readers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        store::NewReport r;
        r.owner_id = f.user.id;
        r.title = "r" + std::to_string(i);
        r.description = "d";
        try {
          auto made = f.db->create_report(r, now());
          if (!f.db->find_report(made.id)) ++failures;
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (int t = 0; t < 6; ++t) {
    readers.emplace_back([&] {
      std::size_t last = 0;
      while (writing.load()) {
        try {
          store::ReportQuery q;
          q.limit = 100;
          auto page = f.db->list_reports(q);
          if (page.items.size() < last) ++failures;  // a later read never sees fewer
          last = page.items.size();
          for (std::size_t i = 1; i < page.items.size(); ++i) {
            if (page.items[i - 1].id <= page.items[i].id) ++failures;
          }
          if (f.db->count_users() != 1) ++failures;
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& th : writers) th.join();
  writing = false;
  for (auto& th : readers) th.join();
  EXPECT_EQ(failures.load(), 0);
  store::ReportQuery q;
  q.limit = 100;
  EXPECT_EQ(f.db->list_reports(q).items.size(), 81u);
}
