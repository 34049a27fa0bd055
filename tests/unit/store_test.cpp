#include "store/store.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/id_list.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_handle.hpp"
#include "store_backends.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using store::StoreError;
using store::Timestamp;

namespace {

Timestamp at(std::chrono::sys_days day, std::chrono::milliseconds since_midnight) {
  return Timestamp{day} + since_midnight;
}

const Timestamp kT0 =
    at(std::chrono::sys_days{std::chrono::year{2026} / 3 / 29}, 0h + 59min + 59s + 123ms);

store::NewUser new_user(std::string name, std::string role = "operator", bool internal = true) {
  return store::NewUser{std::move(name), "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
                        std::move(role), internal};
}

store::NewReport new_report(std::int64_t owner, std::string title) {
  store::NewReport r;
  r.owner_id = owner;
  r.title = std::move(title);
  r.description = "description of " + r.title;
  return r;
}

store::UserUpdate set_active(bool active) {
  store::UserUpdate update;
  update.active = active;
  return update;
}

store::UserUpdate set_role(std::string role, std::optional<bool> internal = std::nullopt) {
  store::UserUpdate update;
  update.role = std::move(role);
  update.internal = internal;
  return update;
}

store::UserUpdate set_password_hash(std::string hash) {
  store::UserUpdate update;
  update.password_hash = std::move(hash);
  return update;
}

using RecoveryKind = store::RecoveryWrite::Kind;

// A session of user 7, attached to node-a, with no rooms yet.
store::RecoverySession recovery_session(std::string pid, std::string owner, Timestamp expires_at) {
  store::RecoverySession session;
  session.sid = "sid-" + pid;
  session.pid = std::move(pid);
  session.user_id = 7;
  session.owner = std::move(owner);
  session.node = "node-a";
  session.expires_at = expires_at;
  return session;
}

std::vector<std::int64_t> ids_of(const std::vector<store::Comment>& comments) {
  std::vector<std::int64_t> ids;
  for (const auto& c : comments) ids.push_back(c.id);
  return ids;
}

StoreError::Kind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const StoreError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no StoreError thrown";
  return StoreError::Kind::unavailable;
}

// The rows of schema_migrations, read with a connection of our own.
std::vector<std::int64_t> recorded_versions(const std::string& file) {
  store::sqlite::Connection db(file, store::sqlite::Connection::Mode::read_only);
  auto q = db.query("SELECT version FROM schema_migrations ORDER BY version");
  std::vector<std::int64_t> versions;
  while (q->step()) versions.push_back(q->column_int64(0));
  return versions;
}

// Runs the tests on an SQLite file, on SQLite's ":memory:" and on PostgreSQL.
class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    url_ = fresh_database_url(GetParam(), dir_);
    db_ = store::open_store(url_);
  }

  // Runs `sql` on the database behind the store's back, as an operator would (not possible on
  // a private in-memory database).
  void exec_behind_the_store(const std::string& sql) {
    if (GetParam() == Backend::postgres) {
      PgCluster::get().query(url_, sql);
      return;
    }
    store::sqlite::Connection db(url_.substr(std::string("sqlite:").size()),
                                 store::sqlite::Connection::Mode::read_write_create);
    db.exec(sql);
  }

  TempDir dir_;
  std::string url_;
  std::unique_ptr<store::Store> db_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::sqlite_file, Backend::sqlite_memory,
                                           Backend::postgres),
                         backend_test_name);

// The same, for the backends whose data outlives the store object.
class StoreReopenTest : public ::testing::TestWithParam<Backend> {
 protected:
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreReopenTest,
                         ::testing::Values(Backend::sqlite_file, Backend::postgres),
                         backend_test_name);

}  // namespace

// --- open_store and migrations ---

TEST(StoreOpen, RejectsUnsupportedUrls) {
  EXPECT_THROW(store::open_store(""), std::invalid_argument);
  EXPECT_THROW(store::open_store("sqlite:"), std::invalid_argument);
  EXPECT_THROW(store::open_store("mysql://u:p@host/db"), std::invalid_argument);
  EXPECT_THROW(store::open_store("/tmp/x.db"), std::invalid_argument);
  EXPECT_THROW(store::open_store("postgres:/localhost/reportd"), std::invalid_argument);
}

// A PostgreSQL URL is taken; a server that is not there is unavailable, and the message (which
// gets logged) does not carry the password.
TEST(StoreOpen, UnreachablePostgresIsUnavailable) {
  for (const char* url : {"postgres://user:secret@127.0.0.1:1/reportd?connect_timeout=2",
                          "postgresql://user:secret@127.0.0.1:1/reportd?sslmode=disable"}) {
    try {
      store::open_store(url);
      FAIL() << "connected to " << url;
    } catch (const StoreError& e) {
      EXPECT_EQ(e.kind(), StoreError::Kind::unavailable);
      EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
    }
  }
}

TEST(StoreOpen, RedactsPasswordsInUrls) {
  EXPECT_EQ(store::redact_database_url("postgres://user:secret@db:5432/reportd?sslmode=require"),
            "postgres://user:***@db:5432/reportd?sslmode=require");
  EXPECT_EQ(store::redact_database_url("postgresql://u:p@ss:w@rd@db/x"), "postgresql://u:***@db/x");
  EXPECT_EQ(store::redact_database_url("postgresql://user@db/x?password=secret&sslmode=disable"),
            "postgresql://user@db/x?password=***&sslmode=disable");
  EXPECT_EQ(store::redact_database_url("postgresql:///x?host=/run/pg"),
            "postgresql:///x?host=/run/pg");
  EXPECT_EQ(store::redact_database_url("sqlite:./data/reportd.db"), "sqlite:./data/reportd.db");
}

TEST(StoreOpen, CreatesMissingFolders) {
  TempDir dir;
  const auto file = dir.path() / "no" / "such" / "dir.db";
  store::open_store("sqlite:" + file.string());
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST(StoreOpen, UnwritableLocationIsUnavailable) {
  TempDir dir;
  const auto blocker = dir.path() / "file";
  std::ofstream(blocker) << "not a folder";
  auto url = "sqlite:" + (blocker / "reportd.db").string();
  EXPECT_EQ(kind_of([&] { store::open_store(url); }), StoreError::Kind::unavailable);
}

TEST(StoreOpen, MigratesOnceAndReopensIdempotently) {
  TempDir dir;
  const std::string file = (dir.path() / "reportd.db").string();
  ASSERT_GE(store::sqlite::latest_schema_version(), 1);
  std::vector<std::int64_t> expected;
  for (int v = 1; v <= store::sqlite::latest_schema_version(); ++v) expected.push_back(v);

  store::open_store("sqlite:" + file);
  EXPECT_EQ(recorded_versions(file), expected);
  {
    store::sqlite::Connection db(file, store::sqlite::Connection::Mode::read_only);
    EXPECT_EQ(store::sqlite::current_schema_version(db), store::sqlite::latest_schema_version());
    auto mode = db.query("PRAGMA journal_mode");
    ASSERT_TRUE(mode->step());
    EXPECT_EQ(mode->column_text(0), "wal");
    auto applied = db.query("SELECT applied_at FROM schema_migrations WHERE version = 1");
    ASSERT_TRUE(applied->step());
    EXPECT_EQ(applied->column_text(0).size(), std::string("2026-03-29T00:59:59.123Z").size());
  }

  store::open_store("sqlite:" + file);
  store::open_store("sqlite:" + file);
  EXPECT_EQ(recorded_versions(file), expected);
}

TEST(StoreOpen, RefusesNewerSchema) {
  TempDir dir;
  const std::string file = (dir.path() / "reportd.db").string();
  store::open_store("sqlite:" + file);
  {
    store::sqlite::Connection db(file, store::sqlite::Connection::Mode::read_write_create);
    db.exec(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, "
        "'2030-01-01T00:00:00.000Z')");
  }
  try {
    store::open_store("sqlite:" + file);
    FAIL() << "newer schema accepted";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::unavailable);
    EXPECT_NE(std::string(e.what()).find("9999"), std::string::npos) << e.what();
  }
}

TEST(StoreOpen, NotADatabaseIsUnavailable) {
  TempDir dir;
  const auto file = dir.path() / "garbage.db";
  {
    std::FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::string junk(8192, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  EXPECT_EQ(kind_of([&] { store::open_store("sqlite:" + file.string()); }),
            StoreError::Kind::unavailable);
}

TEST_P(StoreReopenTest, DataSurvivesReopening) {
  const std::string url = fresh_database_url(GetParam(), dir_);
  std::int64_t user_id = 0, report_id = 0, comment_id = 0;
  {
    auto db = store::open_store(url);
    user_id = db->create_user(new_user("alice"), kT0).id;
    auto report = new_report(user_id, "Pothole");
    report.category = "roads";
    report.latitude = 52.370216;
    report.longitude = 4.895168;
    report_id = db->create_report(report, kT0).id;
    db->update_report_status(report_id, "in_progress", kT0 + 1s);
    comment_id = db->create_comment(report_id, user_id, "on it", kT0 + 2s).id;
  }
  auto db = store::open_store(url);
  EXPECT_EQ(db->count_users(), 1);
  auto user = db->find_user(user_id);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->username, "alice");
  auto report = db->find_report(report_id);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->title, "Pothole");
  EXPECT_EQ(report->category, "roads");
  EXPECT_EQ(report->latitude, 52.370216);
  EXPECT_EQ(report->longitude, 4.895168);
  EXPECT_EQ(report->status, "in_progress");
  EXPECT_EQ(report->created_at, kT0);
  EXPECT_EQ(report->updated_at, kT0 + 1s);
  auto comments = db->list_comments(report_id, std::nullopt, 20);
  ASSERT_EQ(comments.items.size(), 1u);
  EXPECT_EQ(comments.items[0].id, comment_id);
  EXPECT_EQ(comments.items[0].text, "on it");
}

// --- users ---

TEST_P(StoreTest, CreatesAndFindsUsers) {
  EXPECT_EQ(db_->count_users(), 0);
  EXPECT_FALSE(db_->find_user(1));
  EXPECT_FALSE(db_->find_user_by_name("alice"));

  auto alice = db_->create_user(new_user("alice", "admin", true), kT0);
  auto bob = db_->create_user(new_user("bob", "citizen", false), kT0 + 1ms);
  EXPECT_GT(alice.id, 0);
  EXPECT_NE(alice.id, bob.id);
  EXPECT_TRUE(alice.active);
  EXPECT_EQ(db_->count_users(), 2);

  auto found = db_->find_user(alice.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, alice.id);
  EXPECT_EQ(found->username, "alice");
  EXPECT_EQ(found->password_hash, new_user("x").password_hash);
  EXPECT_EQ(found->role, "admin");
  EXPECT_TRUE(found->internal);
  EXPECT_TRUE(found->active);
  EXPECT_EQ(found->created_at, kT0);

  auto by_name = db_->find_user_by_name("bob");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->id, bob.id);
  EXPECT_EQ(by_name->role, "citizen");
  EXPECT_FALSE(by_name->internal);
  EXPECT_EQ(by_name->created_at, kT0 + 1ms);
  // Names are case-sensitive.
  EXPECT_FALSE(db_->find_user_by_name("Bob"));
}

TEST_P(StoreTest, DuplicateUsernameIsConflict) {
  db_->create_user(new_user("alice"), kT0);
  EXPECT_EQ(kind_of([&] { db_->create_user(new_user("alice", "citizen", false), kT0); }),
            StoreError::Kind::conflict);
  EXPECT_EQ(db_->count_users(), 1);
  // A differently-cased name is another user.
  EXPECT_NO_THROW(db_->create_user(new_user("Alice"), kT0));
  EXPECT_EQ(db_->count_users(), 2);
}

TEST_P(StoreTest, InternalCitizenIsRefused) {
  try {
    db_->create_user(new_user("mallory", "citizen", true), kT0);
    FAIL() << "internal citizen accepted";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::conflict);
    std::string what = e.what();
    for (auto& c : what) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(what.find("check"), std::string::npos) << e.what();
  }
  EXPECT_EQ(db_->count_users(), 0);
  // The store still works after a failed write.
  EXPECT_NO_THROW(db_->create_user(new_user("mallory", "citizen", false), kT0));
}

TEST_P(StoreTest, ListsUsersByIdInPages) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(db_->create_user(new_user("u" + std::to_string(i)), kT0).id);
  auto first = db_->list_users(std::nullopt, 2);
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].id, ids[0]);
  EXPECT_EQ(first.items[0].username, "u0");
  EXPECT_EQ(first.items[0].created_at, kT0);
  EXPECT_EQ(first.items[1].id, ids[1]);
  ASSERT_EQ(first.next_after, ids[1]);
  auto second = db_->list_users(first.next_after, 2);
  ASSERT_EQ(second.items.size(), 2u);
  EXPECT_EQ(second.items[0].id, ids[2]);
  auto last = db_->list_users(second.next_after, 2);
  ASSERT_EQ(last.items.size(), 1u);
  EXPECT_EQ(last.items[0].id, ids[4]);
  EXPECT_FALSE(last.next_after) << "no page after the last";
  EXPECT_EQ(db_->list_users(std::nullopt, 5).next_after, std::nullopt) << "exactly one full page";
  EXPECT_EQ(db_->list_users(std::nullopt, 0).items.size(), 1u) << "the limit is at least 1";
  EXPECT_EQ(db_->list_users(std::nullopt, 1000).items.size(), 5u);
}

TEST_P(StoreTest, UpdatesOnlyTheFieldsGiven) {
  auto alice = db_->create_user(new_user("alice", "citizen", false), kT0);
  const auto before = db_->latest_user_change();
  auto promoted = db_->update_user(alice.id, set_role("operator", true));
  ASSERT_TRUE(promoted);
  EXPECT_EQ(promoted->role, "operator");
  EXPECT_TRUE(promoted->internal);
  EXPECT_TRUE(promoted->active);
  EXPECT_EQ(promoted->password_hash, alice.password_hash);
  EXPECT_EQ(promoted->created_at, kT0);
  EXPECT_GT(db_->latest_user_change(), before) << "a change of access is in the feed";

  const auto after_promotion = db_->latest_user_change();
  auto reset = db_->update_user(alice.id, set_password_hash("$argon2id$new"));
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->password_hash, "$argon2id$new");
  EXPECT_EQ(reset->role, "operator");
  EXPECT_TRUE(reset->internal);
  EXPECT_EQ(db_->find_user(alice.id)->password_hash, "$argon2id$new");
  EXPECT_EQ(db_->latest_user_change(), after_promotion) << "a new password is no change of access";

  auto same = db_->update_user(alice.id, {});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->password_hash, "$argon2id$new");

  // The schema's rule holds on updates too, and a refused update changes nothing.
  EXPECT_EQ(kind_of([&] { db_->update_user(alice.id, set_role("citizen")); }),
            StoreError::Kind::conflict);
  EXPECT_EQ(db_->find_user(alice.id)->role, "operator");
  EXPECT_FALSE(db_->update_user(alice.id + 1000, set_role("admin")));
}

TEST_P(StoreTest, ValuesRoundTripUnchanged) {
  const std::string tricky[] = {
      "'); DROP TABLE users;--",
      "O'Brien \"quoted\" `back` \\slash\\ %_ ?1 :name @x $y",
      "Grüße aus Köln — 東京 🚲 مرحبا",
      "line one\nline two\ttabbed\r\n",
      "",
  };
  auto owner = db_->create_user(new_user("'); DROP TABLE users;--"), kT0);
  ASSERT_TRUE(db_->find_user_by_name("'); DROP TABLE users;--"));
  for (const auto& value : tricky) {
    store::NewReport r;
    r.owner_id = owner.id;
    r.title = value;
    r.description = value;
    r.category = value;
    auto report = db_->create_report(r, kT0);
    auto found = db_->find_report(report.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->title, value);
    EXPECT_EQ(found->description, value);
    EXPECT_EQ(found->category, value);
    auto comment = db_->create_comment(report.id, owner.id, value, kT0);
    auto comments = db_->list_comments(report.id, std::nullopt, 10);
    ASSERT_EQ(comments.items.size(), 1u);
    EXPECT_EQ(comments.items[0].text, value);
    EXPECT_EQ(comments.items[0].id, comment.id);
  }
  EXPECT_EQ(db_->count_users(), 1);
  // A key with a NUL matches nothing (PostgreSQL cannot store one; a lookup must not fail).
  const std::string nul("al\0ce", 5);
  EXPECT_FALSE(db_->find_user_by_name(nul));
  store::ReportQuery by_status;
  by_status.status = nul;
  EXPECT_TRUE(db_->list_reports(by_status).items.empty());
  auto by_name = db_->find_user_by_name("'); DROP TABLE users;--");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->id, owner.id);
}

TEST_P(StoreTest, UserChangeFeedRecordsAccessChanges) {
  EXPECT_EQ(db_->latest_user_change(), 0);
  EXPECT_TRUE(db_->user_changes_after(0, 10).empty());
  auto alice = db_->create_user(new_user("alice"), kT0);
  auto bob = db_->create_user(new_user("bob"), kT0);
  EXPECT_EQ(db_->latest_user_change(), 0) << "creating a user is no change of access";

  auto off = db_->update_user(alice.id, set_active(false));
  ASSERT_TRUE(off);
  EXPECT_EQ(off->id, alice.id);
  EXPECT_FALSE(off->active);
  EXPECT_FALSE(db_->find_user(alice.id)->active);
  const auto first = db_->latest_user_change();
  EXPECT_GT(first, 0);
  // The same value again changes nothing and records nothing.
  ASSERT_TRUE(db_->update_user(alice.id, set_active(false)));
  EXPECT_EQ(db_->latest_user_change(), first);
  EXPECT_FALSE(db_->update_user(bob.id + 1000, set_active(true)));
  auto on = db_->update_user(alice.id, set_active(true));
  ASSERT_TRUE(on);
  EXPECT_TRUE(on->active);

  auto changes = db_->user_changes_after(0, 100);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].seq, first);
  EXPECT_EQ(changes[0].user_id, alice.id);
  EXPECT_GT(changes[1].seq, changes[0].seq);
  EXPECT_EQ(changes[1].user_id, alice.id);
  EXPECT_EQ(changes[1].seq, db_->latest_user_change());
  EXPECT_EQ(db_->user_changes_after(changes[0].seq, 100).size(), 1u);
  EXPECT_EQ(db_->user_changes_after(0, 1).size(), 1u);
  EXPECT_EQ(db_->user_changes_after(0, 0).size(), 1u) << "the limit is at least 1";

  if (GetParam() == Backend::sqlite_memory) return;  // nobody else can reach that database
  // Changes made behind reportd's back are recorded too, by the trigger.
  const auto before = db_->latest_user_change();
  exec_behind_the_store("UPDATE users SET role = 'admin' WHERE username = 'bob'");
  exec_behind_the_store("UPDATE users SET role = 'admin' WHERE username = 'bob'");  // no change
  exec_behind_the_store("UPDATE users SET username = 'robert' WHERE username = 'bob'");
  exec_behind_the_store("DELETE FROM users WHERE username = 'robert'");
  auto behind = db_->user_changes_after(before, 100);
  ASSERT_EQ(behind.size(), 2u);
  EXPECT_EQ(behind[0].user_id, bob.id);
  EXPECT_EQ(behind[1].user_id, bob.id);
  EXPECT_EQ(db_->latest_user_change(), behind[1].seq);
}

// --- reports ---

TEST_P(StoreTest, CreatesAndFindsReports) {
  auto owner = db_->create_user(new_user("citizen1", "citizen", false), kT0);
  auto bare = db_->create_report(new_report(owner.id, "No extras"), kT0);
  EXPECT_EQ(bare.status, "open");
  EXPECT_EQ(bare.created_at, kT0);
  EXPECT_EQ(bare.updated_at, kT0);

  auto found = db_->find_report(bare.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, bare.id);
  EXPECT_EQ(found->owner_id, owner.id);
  EXPECT_EQ(found->title, "No extras");
  EXPECT_EQ(found->description, "description of No extras");
  EXPECT_FALSE(found->category);
  EXPECT_FALSE(found->latitude);
  EXPECT_FALSE(found->longitude);
  EXPECT_EQ(found->status, "open");
  EXPECT_EQ(found->created_at, kT0);
  EXPECT_EQ(found->updated_at, kT0);

  auto full = new_report(owner.id, "Streetlight out");
  full.category = "lighting";
  full.latitude = -33.8688;
  full.longitude = 151.2093;
  auto created = db_->create_report(full, kT0 + 5ms);
  found = db_->find_report(created.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->category, "lighting");
  EXPECT_EQ(found->latitude, -33.8688);
  EXPECT_EQ(found->longitude, 151.2093);
  EXPECT_EQ(found->created_at, kT0 + 5ms);

  EXPECT_FALSE(db_->find_report(created.id + 100));
}

TEST_P(StoreTest, ReportForUnknownOwnerIsNotFound) {
  EXPECT_EQ(kind_of([&] { db_->create_report(new_report(42, "orphan"), kT0); }),
            StoreError::Kind::not_found);
}

TEST_P(StoreTest, ListsReportsNewestFirstWithFilters) {
  auto a = db_->create_user(new_user("a", "citizen", false), kT0);
  auto b = db_->create_user(new_user("b", "citizen", false), kT0);
  std::vector<store::Report> made;
  for (int i = 0; i < 10; ++i) {
    made.push_back(db_->create_report(new_report(i % 2 ? b.id : a.id, "r" + std::to_string(i)),
                                      kT0 + std::chrono::milliseconds(i)));
  }
  db_->update_report_status(made[3].id, "resolved", kT0 + 1s);
  db_->update_report_status(made[6].id, "resolved", kT0 + 1s);
  db_->update_report_status(made[7].id, "rejected", kT0 + 1s);

  auto all = db_->list_reports({});
  ASSERT_EQ(all.items.size(), 10u);
  EXPECT_FALSE(all.next_after);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(all.items[i].id, made[9 - i].id);

  store::ReportQuery by_a;
  by_a.owner_id = a.id;
  auto of_a = db_->list_reports(by_a);
  ASSERT_EQ(of_a.items.size(), 5u);
  EXPECT_EQ(of_a.items[0].id, made[8].id);
  EXPECT_EQ(of_a.items[4].id, made[0].id);
  for (const auto& r : of_a.items) EXPECT_EQ(r.owner_id, a.id);

  store::ReportQuery resolved;
  resolved.status = "resolved";
  auto res = db_->list_reports(resolved);
  ASSERT_EQ(res.items.size(), 2u);
  EXPECT_EQ(res.items[0].id, made[6].id);
  EXPECT_EQ(res.items[1].id, made[3].id);

  store::ReportQuery both;
  both.owner_id = b.id;
  both.status = "open";
  auto open_b = db_->list_reports(both);
  std::vector<std::int64_t> ids;
  for (const auto& r : open_b.items) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{made[9].id, made[5].id, made[1].id}));

  both.after = made[5].id;
  open_b = db_->list_reports(both);
  ASSERT_EQ(open_b.items.size(), 1u);
  EXPECT_EQ(open_b.items[0].id, made[1].id);

  store::ReportQuery none;
  none.status = "no such status";
  EXPECT_TRUE(db_->list_reports(none).items.empty());
}

TEST_P(StoreTest, PagesThroughReportsWithoutGapsOrDuplicates) {
  auto owner = db_->create_user(new_user("owner"), kT0);
  auto other = db_->create_user(new_user("other"), kT0);
  std::vector<std::int64_t> mine;
  for (int i = 0; i < 23; ++i) {
    mine.push_back(db_->create_report(new_report(owner.id, "r"), kT0).id);
    db_->create_report(new_report(other.id, "x"), kT0);
  }
  std::vector<std::int64_t> expected(mine.rbegin(), mine.rend());

  store::ReportQuery q;
  q.owner_id = owner.id;
  q.limit = 5;
  std::vector<std::int64_t> seen;
  int pages = 0;
  while (true) {
    auto page = db_->list_reports(q);
    ++pages;
    ASSERT_LE(page.items.size(), 5u);
    for (const auto& r : page.items) seen.push_back(r.id);
    if (!page.next_after) break;
    EXPECT_EQ(page.items.size(), 5u);
    EXPECT_EQ(*page.next_after, page.items.back().id);
    q.after = page.next_after;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(seen, expected);

  // A full last page with nothing after it has no cursor.
  q.after = std::nullopt;
  q.limit = 23;
  auto exact = db_->list_reports(q);
  EXPECT_EQ(exact.items.size(), 23u);
  EXPECT_FALSE(exact.next_after);
}

TEST_P(StoreTest, ClampsReportPageSize) {
  auto owner = db_->create_user(new_user("owner"), kT0);
  for (int i = 0; i < 105; ++i) db_->create_report(new_report(owner.id, "r"), kT0);
  store::ReportQuery q;
  q.limit = 0;
  auto one = db_->list_reports(q);
  EXPECT_EQ(one.items.size(), 1u);
  EXPECT_TRUE(one.next_after);
  q.limit = -5;
  EXPECT_EQ(db_->list_reports(q).items.size(), 1u);
  q.limit = 1000;
  auto hundred = db_->list_reports(q);
  EXPECT_EQ(hundred.items.size(), 100u);
  ASSERT_TRUE(hundred.next_after);
  q.after = hundred.next_after;
  auto rest = db_->list_reports(q);
  EXPECT_EQ(rest.items.size(), 5u);
  EXPECT_FALSE(rest.next_after);
}

TEST_P(StoreTest, UpdatesReportStatus) {
  auto owner = db_->create_user(new_user("owner"), kT0);
  auto report = db_->create_report(new_report(owner.id, "r"), kT0);

  auto updated = db_->update_report_status(report.id, "in_progress", kT0 + 1min);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->id, report.id);
  EXPECT_EQ(updated->status, "in_progress");
  EXPECT_EQ(updated->created_at, kT0);
  EXPECT_EQ(updated->updated_at, kT0 + 1min);
  EXPECT_EQ(db_->find_report(report.id)->status, "in_progress");

  for (const char* status : {"resolved", "rejected", "open"}) {
    updated = db_->update_report_status(report.id, status, kT0 + 2min);
    ASSERT_TRUE(updated);
    EXPECT_EQ(updated->status, status);
  }

  EXPECT_EQ(kind_of([&] { db_->update_report_status(report.id, "closed", kT0); }),
            StoreError::Kind::conflict);
  EXPECT_EQ(kind_of([&] { db_->update_report_status(report.id, "", kT0); }),
            StoreError::Kind::conflict);
  EXPECT_EQ(db_->find_report(report.id)->status, "open");
  EXPECT_EQ(db_->find_report(report.id)->updated_at, kT0 + 2min);

  EXPECT_FALSE(db_->update_report_status(report.id + 1000, "resolved", kT0));
}

// --- comments ---

TEST_P(StoreTest, CreatesCommentsWithExactTimestamps) {
  auto owner = db_->create_user(new_user("owner"), kT0);
  auto report = db_->create_report(new_report(owner.id, "r"), kT0);
  auto comment = db_->create_comment(report.id, owner.id, "first", kT0);
  EXPECT_GT(comment.id, 0);
  EXPECT_EQ(comment.report_id, report.id);
  EXPECT_EQ(comment.owner_id, owner.id);
  EXPECT_EQ(comment.text, "first");
  EXPECT_EQ(comment.created_at, kT0);

  auto listed = db_->list_comments(report.id, std::nullopt, 20);
  ASSERT_EQ(listed.items.size(), 1u);
  EXPECT_EQ(listed.items[0].created_at, kT0);
  EXPECT_EQ(listed.items[0].created_at.time_since_epoch().count() % 1000, 123);

  // The current time, to the millisecond, comes back as it went in.
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  db_->create_comment(report.id, owner.id, "now", now);
  // And an instant before 1970.
  const auto old = Timestamp{std::chrono::sys_days{std::chrono::year{1969} / 12 / 31}} + 23h +
                   59min + 59s + 999ms;
  db_->create_comment(report.id, owner.id, "old", old);
  listed = db_->list_comments(report.id, std::nullopt, 20);
  ASSERT_EQ(listed.items.size(), 3u);
  EXPECT_EQ(listed.items[1].created_at, now);
  EXPECT_EQ(listed.items[2].created_at, old);
}

TEST(StoreComments, StoredAsUtcIsoText) {
  TempDir dir;
  const std::string file = (dir.path() / "reportd.db").string();
  auto db = store::open_store("sqlite:" + file);
  auto owner = db->create_user(new_user("owner"), kT0);
  auto report = db->create_report(new_report(owner.id, "r"), kT0);
  db->create_comment(report.id, owner.id, "hi", kT0);
  store::sqlite::Connection raw(file, store::sqlite::Connection::Mode::read_only);
  auto q = raw.query("SELECT created_at FROM comments");
  ASSERT_TRUE(q->step());
  EXPECT_EQ(q->column_text(0), "2026-03-29T00:59:59.123Z");
}

// Migration 1's CHECK constraint and kReportStatuses must name the same statuses.
TEST(StoreReports, SchemaAcceptsExactlyTheKnownStatuses) {
  TempDir dir;
  const std::string file = (dir.path() / "reportd.db").string();
  auto db = store::open_store("sqlite:" + file);
  auto owner = db->create_user(new_user("owner"), kT0);
  const auto id = db->create_report(new_report(owner.id, "r"), kT0).id;
  store::sqlite::Connection raw(file, store::sqlite::Connection::Mode::read_write_create);
  const auto set_status = [&](std::string_view status) {
    auto q = raw.query("UPDATE reports SET status = ? WHERE id = ?");
    q->bind(1, status);
    q->bind(2, id);
    q->step();
  };
  for (auto status : store::kReportStatuses) {
    EXPECT_NO_THROW(set_status(status)) << status;
    EXPECT_TRUE(store::is_report_status(status));
  }
  EXPECT_ANY_THROW(set_status("closed"));
  EXPECT_FALSE(store::is_report_status("closed"));
}

TEST_P(StoreTest, CommentOnMissingReportIsNotFound) {
  auto owner = db_->create_user(new_user("owner"), kT0);
  EXPECT_EQ(kind_of([&] { db_->create_comment(999, owner.id, "hello?", kT0); }),
            StoreError::Kind::not_found);
  auto report = db_->create_report(new_report(owner.id, "r"), kT0);
  // An unknown author is refused by the foreign key.
  EXPECT_EQ(kind_of([&] { db_->create_comment(report.id, owner.id + 50, "ghost", kT0); }),
            StoreError::Kind::not_found);
  EXPECT_TRUE(db_->list_comments(report.id, std::nullopt, 20).items.empty());
  EXPECT_TRUE(db_->list_comments(999, std::nullopt, 20).items.empty());
}

TEST_P(StoreTest, ListsCommentsOldestFirstInPages) {
  auto owner = db_->create_user(new_user("owner"), kT0);
  auto report = db_->create_report(new_report(owner.id, "r"), kT0);
  auto elsewhere = db_->create_report(new_report(owner.id, "other"), kT0);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 17; ++i) {
    ids.push_back(
        db_->create_comment(report.id, owner.id, "c" + std::to_string(i), kT0 + 1ms * i).id);
    db_->create_comment(elsewhere.id, owner.id, "noise", kT0);
  }

  std::vector<std::int64_t> seen;
  std::optional<std::int64_t> after;
  int pages = 0;
  do {
    auto page = db_->list_comments(report.id, after, 4);
    ++pages;
    for (const auto& c : page.items) {
      EXPECT_EQ(c.report_id, report.id);
      EXPECT_EQ(c.text, "c" + std::to_string(seen.size()));
      seen.push_back(c.id);
    }
    if (page.next_after) {
      EXPECT_EQ(*page.next_after, page.items.back().id);
    }
    after = page.next_after;
    ASSERT_LT(pages, 10);
  } while (after);
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(seen, ids);

  auto tail = db_->list_comments(report.id, ids[14], 100);
  ASSERT_EQ(tail.items.size(), 2u);
  EXPECT_EQ(tail.items[0].id, ids[15]);
  EXPECT_FALSE(tail.next_after);
  EXPECT_EQ(db_->list_comments(report.id, std::nullopt, 0).items.size(), 1u);
}

TEST_P(StoreTest, FindsCommentsByIdAndTheLatestId) {
  EXPECT_EQ(db_->latest_comment_id(), 0);
  EXPECT_FALSE(db_->find_comment(1));
  auto owner = db_->create_user(new_user("owner"), kT0);
  auto report = db_->create_report(new_report(owner.id, "r"), kT0);
  auto first = db_->create_comment(report.id, owner.id, "first", kT0);
  auto second = db_->create_comment(report.id, owner.id, "second", kT0 + 1ms);
  EXPECT_EQ(db_->latest_comment_id(), second.id);

  auto found = db_->find_comment(first.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, first.id);
  EXPECT_EQ(found->report_id, report.id);
  EXPECT_EQ(found->owner_id, owner.id);
  EXPECT_EQ(found->text, "first");
  EXPECT_EQ(found->created_at, kT0);
  EXPECT_EQ(db_->find_comment(second.id)->text, "second");
  EXPECT_FALSE(db_->find_comment(second.id + 1));
}

TEST_P(StoreTest, ListsCommentsOfSeveralReportsInIdOrder) {
  auto owner = db_->create_user(new_user("owner"), kT0);
  auto a = db_->create_report(new_report(owner.id, "a"), kT0);
  auto b = db_->create_report(new_report(owner.id, "b"), kT0);
  auto c = db_->create_report(new_report(owner.id, "c"), kT0);
  std::vector<std::int64_t> of_a_and_c;
  for (int i = 0; i < 6; ++i) {
    for (const auto& report : {a, b, c}) {
      auto comment = db_->create_comment(report.id, owner.id, "c" + std::to_string(i), kT0 + 1ms);
      if (report.id != b.id) of_a_and_c.push_back(comment.id);
    }
  }

  auto all = db_->comments_after({c.id, a.id}, 0, 100);
  EXPECT_EQ(ids_of(all), of_a_and_c);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0].report_id, a.id);
  EXPECT_EQ(all[0].owner_id, owner.id);
  EXPECT_EQ(all[0].text, "c0");
  EXPECT_EQ(all[0].created_at, kT0 + 1ms);
  EXPECT_EQ(ids_of(db_->comments_after({a.id, c.id, a.id}, 0, 100)), of_a_and_c);

  EXPECT_EQ(ids_of(db_->comments_after({a.id, c.id}, of_a_and_c[4], 3)),
            (std::vector<std::int64_t>{of_a_and_c[5], of_a_and_c[6], of_a_and_c[7]}));
  EXPECT_EQ(ids_of(db_->comments_after({a.id, c.id}, 0, 0)),
            (std::vector<std::int64_t>{of_a_and_c[0]}))
      << "the limit is at least 1";
  EXPECT_TRUE(db_->comments_after({a.id, c.id}, of_a_and_c.back(), 100).empty());
  EXPECT_TRUE(db_->comments_after({}, 0, 100).empty());
  EXPECT_TRUE(db_->comments_after({c.id + 100}, 0, 100).empty());
}

TEST_P(StoreTest, ClampsCommentsOfReports) {
  auto owner = db_->create_user(new_user("owner"), kT0);
  auto report = db_->create_report(new_report(owner.id, "r"), kT0);
  db_->create_comments(
      std::vector<store::NewComment>(store::kMaxCommentsAfter + 5, {report.id, owner.id, "c"}),
      kT0);
  EXPECT_EQ(db_->comments_after({report.id}, 0, 100'000).size(),
            static_cast<std::size_t>(store::kMaxCommentsAfter));
}

// --- connection state recovery ---

TEST(StoreIdList, FormatsAscendingAndParsesOnlyThat) {
  EXPECT_EQ(store::format_id_list({}), "");
  EXPECT_EQ(store::format_id_list({42}), "42");
  EXPECT_EQ(store::format_id_list({17, 3, 17}), "3,17");
  EXPECT_EQ(store::parse_id_list(""), std::vector<std::int64_t>{});
  EXPECT_EQ(store::parse_id_list("42"), std::vector<std::int64_t>{42});
  EXPECT_EQ(store::parse_id_list("3,17"), (std::vector<std::int64_t>{3, 17}));
  for (const char* malformed : {"x", ",", "1,", ",1", "1,,2", "2,1", "1,1", " 1", "1 ", "+1", "1;2",
                                "1.5", "99999999999999999999"}) {
    EXPECT_FALSE(store::parse_id_list(malformed)) << malformed;
  }
}

TEST(StoreRecoverySessions, StoredAsTextWithUtcIsoExpiry) {
  TempDir dir;
  const std::string file = (dir.path() / "reportd.db").string();
  auto db = store::open_store("sqlite:" + file);
  auto session = recovery_session("p", "o1", kT0);
  session.report_ids = {3, 17};
  session.node = std::nullopt;
  db->write_recovery_sessions({{RecoveryKind::open, session}});
  store::sqlite::Connection raw(file, store::sqlite::Connection::Mode::read_only);
  auto q = raw.query("SELECT report_ids, node IS NULL, expires_at FROM recovery_sessions");
  ASSERT_TRUE(q->step());
  EXPECT_EQ(q->column_text(0), "3,17");
  EXPECT_EQ(q->column_int64(1), 1);
  EXPECT_EQ(q->column_text(2), "2026-03-29T00:59:59.123Z");
}

TEST_P(StoreTest, OpensARecoverySessionOnceAtTheLatestComment) {
  auto owner = db_->create_user(new_user("owner"), kT0);
  auto report = db_->create_report(new_report(owner.id, "r"), kT0);
  db_->write_recovery_sessions({{RecoveryKind::open, recovery_session("early", "o1", kT0 + 1min)}});
  auto early = db_->claim_recovery_session("early", "o1", "node-a", kT0, kT0 + 1min);
  ASSERT_TRUE(early);
  EXPECT_EQ(early->since, 0) << "no comment yet";
  EXPECT_TRUE(early->report_ids.empty());

  db_->create_comment(report.id, owner.id, "one", kT0);
  const auto latest = db_->create_comment(report.id, owner.id, "two", kT0).id;
  auto session = recovery_session("p", "o1", kT0 + 1min);
  session.report_ids = {report.id};
  session.since = 12345;  // not taken: the store sets it
  db_->write_recovery_sessions({{RecoveryKind::open, session}});
  db_->create_comment(report.id, owner.id, "three", kT0);

  // The pid is taken: opening it again changes nothing, whoever asks.
  auto again = recovery_session("p", "intruder", kT0 + 1h);
  again.sid = "other";
  again.user_id = 99;
  again.node = std::nullopt;
  db_->write_recovery_sessions({{RecoveryKind::open, again}});

  auto claimed = db_->claim_recovery_session("p", "o2", "node-b", kT0, kT0 + 2min);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->pid, "p");
  EXPECT_EQ(claimed->sid, "sid-p");
  EXPECT_EQ(claimed->user_id, 7);
  EXPECT_EQ(claimed->report_ids, std::vector<std::int64_t>{report.id});
  EXPECT_EQ(claimed->since, latest);
  EXPECT_EQ(claimed->owner, "o2");
  EXPECT_EQ(claimed->node, "node-b");
  EXPECT_EQ(claimed->expires_at, kT0 + 2min);
}

TEST_P(StoreTest, RecoveryWritesApplyOnlyForTheSessionsOwner) {
  auto owner = db_->create_user(new_user("owner"), kT0);
  auto r1 = db_->create_report(new_report(owner.id, "r1"), kT0);
  auto r2 = db_->create_report(new_report(owner.id, "r2"), kT0);
  const auto session = recovery_session("p", "o1", kT0 + 10min);
  db_->write_recovery_sessions({{RecoveryKind::open, session}});
  const auto before_rooms = db_->create_comment(r1.id, owner.id, "c", kT0).id;

  // Writes of an owner that lost the session (or never had it) change nothing.
  auto stale = session;
  stale.owner = "o0";
  stale.report_ids = {r1.id};
  stale.expires_at = kT0;
  db_->write_recovery_sessions(
      {{RecoveryKind::rooms, stale}, {RecoveryKind::detach, stale}, {RecoveryKind::remove, stale}});
  auto unchanged = db_->claim_recovery_session("p", "o1", "node-a", kT0 + 1min, kT0 + 10min);
  ASSERT_TRUE(unchanged) << "neither detached until kT0 nor removed";
  EXPECT_TRUE(unchanged->report_ids.empty());
  EXPECT_EQ(unchanged->since, 0);

  // Its owner's apply: rooms (stored ascending) and since; detach: no node, a new expiry.
  auto rooms = session;
  rooms.report_ids = {r2.id, r1.id};
  db_->write_recovery_sessions({{RecoveryKind::rooms, rooms}});
  db_->create_comment(r2.id, owner.id, "later", kT0);
  auto detach = session;
  detach.expires_at = kT0 + 3min;
  db_->write_recovery_sessions({{RecoveryKind::detach, detach}});
  EXPECT_EQ(db_->refresh_recovery_sessions("node-a", kT0 + 1h, kT0 + 1min), 0u);
  EXPECT_FALSE(db_->claim_recovery_session("p", "o2", "node-b", kT0 + 3min, kT0 + 1h))
      << "node-a's heartbeat no longer keeps it";
  auto taken = db_->claim_recovery_session("p", "o2", "node-b", kT0 + 3min - 1ms, kT0 + 1h);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->report_ids, (std::vector<std::int64_t>{r1.id, r2.id}));
  EXPECT_EQ(taken->since, before_rooms);
  EXPECT_EQ(taken->owner, "o2");
  EXPECT_EQ(taken->node, "node-b");

  // The first owner lost it: its remove changes nothing; the new owner's removes it.
  db_->write_recovery_sessions({{RecoveryKind::remove, session}});
  ASSERT_TRUE(db_->claim_recovery_session("p", "o3", "node-c", kT0 + 4min, kT0 + 1h));
  db_->write_recovery_sessions({{RecoveryKind::remove, recovery_session("p", "o3", kT0)}});
  EXPECT_FALSE(db_->claim_recovery_session("p", "o4", "node-d", kT0 + 4min, kT0 + 1h));
}

TEST_P(StoreTest, RecoveryWritesOfOneCallApplyInOrder) {
  EXPECT_NO_THROW(db_->write_recovery_sessions({}));
  auto owner = db_->create_user(new_user("owner"), kT0);
  auto report = db_->create_report(new_report(owner.id, "r"), kT0);
  const auto latest = db_->create_comment(report.id, owner.id, "c", kT0).id;
  auto p = recovery_session("p", "o1", kT0 + 1min);
  auto p_rooms = p;
  p_rooms.report_ids = {report.id};
  auto p_detached = p;
  p_detached.expires_at = kT0 + 2min;
  const auto q = recovery_session("q", "o1", kT0 + 1min);
  db_->write_recovery_sessions({{RecoveryKind::open, p},
                                {RecoveryKind::rooms, p_rooms},
                                {RecoveryKind::open, q},
                                {RecoveryKind::detach, p_detached},
                                {RecoveryKind::remove, q}});

  EXPECT_FALSE(db_->claim_recovery_session("q", "o2", "node-b", kT0, kT0 + 1h));
  EXPECT_EQ(db_->refresh_recovery_sessions("node-a", kT0 + 1h, kT0), 0u);
  EXPECT_FALSE(db_->claim_recovery_session("p", "o2", "node-b", kT0 + 2min, kT0 + 1h));
  auto claimed = db_->claim_recovery_session("p", "o2", "node-b", kT0 + 1min, kT0 + 1h);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->report_ids, std::vector<std::int64_t>{report.id});
  EXPECT_EQ(claimed->since, latest);
}

// The writes of one call are one transaction: a write that fails undoes those before it.
TEST_P(StoreTest, RecoveryWritesOfOneCallAreOneTransaction) {
  if (GetParam() == Backend::sqlite_memory) return;  // nobody else can reach that database
  // An operator's rule, which the second write breaks.
  exec_behind_the_store(GetParam() == Backend::postgres
                            ? "ALTER TABLE recovery_sessions ADD CHECK (sid <> 'refused')"
                            : "CREATE TRIGGER refuse BEFORE INSERT ON recovery_sessions"
                              " WHEN NEW.sid = 'refused' BEGIN SELECT RAISE(ABORT, 'no'); END");
  const auto p = recovery_session("p", "o1", kT0 + 1min);
  auto refused = recovery_session("q", "o1", kT0 + 1min);
  refused.sid = "refused";
  EXPECT_THROW(
      db_->write_recovery_sessions({{RecoveryKind::open, p}, {RecoveryKind::open, refused}}),
      StoreError);
  EXPECT_FALSE(db_->claim_recovery_session("p", "o2", "node-b", kT0, kT0 + 1h));
  // The store still works.
  db_->write_recovery_sessions({{RecoveryKind::open, p}});
  EXPECT_TRUE(db_->claim_recovery_session("p", "o2", "node-b", kT0, kT0 + 1h));
}

TEST_P(StoreTest, ClaimsARecoverySessionOnlyBeforeItExpires) {
  auto session = recovery_session("p", "o1", kT0 + 1min);
  session.report_ids = {5, 9};
  db_->write_recovery_sessions({{RecoveryKind::open, session}});

  EXPECT_FALSE(db_->claim_recovery_session("unknown", "o2", "node-b", kT0, kT0 + 1h));
  EXPECT_FALSE(db_->claim_recovery_session("P", "o2", "node-b", kT0, kT0 + 1h));
  EXPECT_FALSE(db_->claim_recovery_session(std::string("p\0", 2), "o2", "node-b", kT0, kT0 + 1h));
  EXPECT_FALSE(db_->claim_recovery_session("p", "o2", "node-b", kT0 + 1min, kT0 + 1h))
      << "expired at its expiry";

  auto taken = db_->claim_recovery_session("p", "o2", "node-b", kT0 + 1min - 1ms, kT0 + 5min);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->pid, "p");
  EXPECT_EQ(taken->sid, "sid-p");
  EXPECT_EQ(taken->user_id, 7);
  EXPECT_EQ(taken->report_ids, (std::vector<std::int64_t>{5, 9}));
  EXPECT_EQ(taken->owner, "o2");
  EXPECT_EQ(taken->node, "node-b");
  EXPECT_EQ(taken->expires_at, kT0 + 5min);

  // Whoever holds it, until it expires.
  auto again = db_->claim_recovery_session("p", "o3", "node-c", kT0 + 4min, kT0 + 6min);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->owner, "o3");
  EXPECT_EQ(again->node, "node-c");
  EXPECT_EQ(again->report_ids, (std::vector<std::int64_t>{5, 9}));
  EXPECT_FALSE(db_->claim_recovery_session("p", "o4", "node-d", kT0 + 7min, kT0 + 1h));
}

TEST_P(StoreTest, RefreshKeepsANodesSessionsAndPurgesExpiredOnes) {
  const auto on = [](std::string pid, std::optional<std::string> node, Timestamp expires_at) {
    auto session = recovery_session(std::move(pid), "o1", expires_at);
    session.node = std::move(node);
    return store::RecoveryWrite{RecoveryKind::open, session};
  };
  db_->write_recovery_sessions({on("a1", "node-a", kT0 + 1min), on("a2", "node-a", kT0 + 1min),
                                on("b1", "node-b", kT0 + 1min), on("b2", "node-b", kT0 + 10min),
                                on("w", std::nullopt, kT0 + 30s)});

  // a1 and a2 had expired too, but their node is alive: kept.
  EXPECT_EQ(db_->refresh_recovery_sessions("node-a", kT0 + 5min, kT0 + 2min), 2u) << "b1, w";
  EXPECT_FALSE(db_->claim_recovery_session("b1", "o2", "node-c", kT0, kT0 + 1h));
  EXPECT_FALSE(db_->claim_recovery_session("w", "o2", "node-c", kT0, kT0 + 1h));
  EXPECT_FALSE(db_->claim_recovery_session("a2", "o2", "node-c", kT0 + 5min, kT0 + 1h))
      << "kept until kT0 + 5min exactly";
  EXPECT_TRUE(db_->claim_recovery_session("a1", "o2", "node-c", kT0 + 5min - 1ms, kT0 + 1h));
  EXPECT_TRUE(db_->claim_recovery_session("b2", "o2", "node-c", kT0 + 10min - 1ms, kT0 + 1h))
      << "another node's session keeps its expiry";

  // A session expires at its expiry exactly. Left: a2 (expired), a1 and b2 (node-c, kT0 + 1h).
  EXPECT_EQ(db_->refresh_recovery_sessions("node-z", kT0 + 2h, kT0 + 1h), 3u);
  EXPECT_EQ(db_->refresh_recovery_sessions("node-z", kT0 + 2h, kT0 + 1h), 0u);
}

// A value in report_ids that reportd did not write is no session to restore, not a failure.
TEST_P(StoreTest, ARecoverySessionWithMalformedRoomsIsNoSession) {
  if (GetParam() == Backend::sqlite_memory) return;  // nobody else can reach that database
  db_->write_recovery_sessions({{RecoveryKind::open, recovery_session("p", "o1", kT0 + 1min)}});
  for (const char* malformed : {"x", "2,1", "1,"}) {
    exec_behind_the_store("UPDATE recovery_sessions SET report_ids = '" + std::string(malformed) +
                          "'");
    EXPECT_FALSE(db_->claim_recovery_session("p", "o2", "node-b", kT0, kT0 + 1min)) << malformed;
  }
  exec_behind_the_store("UPDATE recovery_sessions SET report_ids = '4,10'");
  auto claimed = db_->claim_recovery_session("p", "o2", "node-b", kT0, kT0 + 1min);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->report_ids, (std::vector<std::int64_t>{4, 10}));
}
