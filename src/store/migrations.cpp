#include "store/migrations.hpp"

#include <string>

#include "store/timestamps.hpp"

namespace store::sqlite {

namespace {

struct Migration {
  int version;
  const char* sql;
};

// Never edit a migration that has shipped: add a new one.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  role          TEXT    NOT NULL,
  internal      INTEGER NOT NULL CHECK (internal IN (0, 1)),
  active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at    TEXT    NOT NULL,
  CHECK (NOT (role = 'citizen' AND internal = 1))
) STRICT;

CREATE TABLE reports (
  id          INTEGER PRIMARY KEY,
  owner_id    INTEGER NOT NULL REFERENCES users(id),
  title       TEXT    NOT NULL,
  description TEXT    NOT NULL,
  category    TEXT,
  latitude    REAL,
  longitude   REAL,
  status      TEXT    NOT NULL DEFAULT 'open'
              CHECK (status IN ('open', 'in_progress', 'resolved', 'rejected')),
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX reports_owner_id_id ON reports(owner_id, id);
CREATE INDEX reports_status_id ON reports(status, id);

CREATE TABLE comments (
  id         INTEGER PRIMARY KEY,
  report_id  INTEGER NOT NULL REFERENCES reports(id),
  owner_id   INTEGER NOT NULL REFERENCES users(id),
  text       TEXT    NOT NULL,
  created_at TEXT    NOT NULL
) STRICT;
CREATE INDEX comments_report_id_id ON comments(report_id, id);
)sql"},
    // Every change to what a user may do, whoever makes it (reportd, or an operator with the
    // sqlite3 shell), leaves a row here: every node follows this feed and drops the live
    // connections of users who lost their access.
    {2, R"sql(
CREATE TABLE user_changes (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id    INTEGER NOT NULL,
  changed_at TEXT    NOT NULL
) STRICT;
CREATE TRIGGER users_access_changed AFTER UPDATE OF active, internal, role ON users
WHEN OLD.active IS NOT NEW.active OR OLD.internal IS NOT NEW.internal OR OLD.role IS NOT NEW.role
BEGIN
  INSERT INTO user_changes (user_id, changed_at)
  VALUES (NEW.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER users_deleted AFTER DELETE ON users
BEGIN
  INSERT INTO user_changes (user_id, changed_at)
  VALUES (OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
)sql"},
    // Live-channel sessions a client may resume after a lost connection (Socket.IO connection
    // state recovery), on whichever node it reconnects to. report_ids: ascending, comma-separated
    // ("3,17"; "" for none). node is NULL while the session waits for its client; expires_at
    // is when it may be purged, moved on by its node's heartbeat while attached.
    {3, R"sql(
CREATE TABLE recovery_sessions (
  pid        TEXT    NOT NULL PRIMARY KEY,
  sid        TEXT    NOT NULL,
  user_id    INTEGER NOT NULL,
  report_ids TEXT    NOT NULL,
  since      INTEGER NOT NULL,
  owner      TEXT    NOT NULL,
  node       TEXT,
  expires_at TEXT    NOT NULL
) STRICT;
CREATE INDEX recovery_sessions_node ON recovery_sessions(node);
CREATE INDEX recovery_sessions_expires_at ON recovery_sessions(expires_at);
)sql"},
};

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " applied_at TEXT NOT NULL"
    ") STRICT";

int recorded_version(Connection& db) {
  auto q = db.query("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!q->step()) return 0;
  return static_cast<int>(q->column_int64(0));
}

void refuse_newer(int version) {
  if (version <= latest_schema_version()) return;
  throw StoreError(StoreError::Kind::unavailable,
                   "database schema version " + std::to_string(version) +
                       " is newer than this binary supports (" +
                       std::to_string(latest_schema_version()) + ")");
}

}  // namespace

int latest_schema_version() {
  int latest = 0;
  for (const auto& m : kMigrations) latest = m.version > latest ? m.version : latest;
  return latest;
}

int current_schema_version(Connection& db) {
  auto exists =
      db.query("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
  if (!exists->step()) return 0;
  return recorded_version(db);
}

void migrate(Connection& db, Timestamp now) {
  {
    Transaction tx(db);
    db.exec(kCreateMigrationsTable);
    refuse_newer(recorded_version(db));
    tx.commit();
  }
  const std::string applied_at = format_timestamp(now);
  for (const auto& m : kMigrations) {
    // Read again inside each write transaction: another process migrating the same file at the
    // same time cannot make us apply a migration twice.
    Transaction tx(db);
    const int current = recorded_version(db);
    refuse_newer(current);
    if (m.version <= current) continue;  // already applied; tx rolls back, nothing to undo
    db.exec(m.sql);
    auto insert = db.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
    insert->bind(1, static_cast<std::int64_t>(m.version));
    insert->bind(2, std::string_view(applied_at));
    insert->run();
    tx.commit();
  }
}

}  // namespace store::sqlite
