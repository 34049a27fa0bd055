#include "store/pg_migrations.hpp"

#include <string>

namespace store::pg {

namespace {

struct Migration {
  int version;
  const char* sql;
};

// Never edit a migration that has shipped: add a new one. Each has the number and the meaning of
// its SQLite twin (migrations.cpp); a new one is added to both.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE users (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text        NOT NULL UNIQUE,
  password_hash text        NOT NULL,
  role          text        NOT NULL,
  internal      boolean     NOT NULL,
  active        boolean     NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL,
  CHECK (NOT (role = 'citizen' AND internal))
);

CREATE TABLE reports (
  id          bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_id    bigint           NOT NULL REFERENCES users(id),
  title       text             NOT NULL,
  description text             NOT NULL,
  category    text,
  latitude    double precision,
  longitude   double precision,
  status      text             NOT NULL DEFAULT 'open'
              CHECK (status IN ('open', 'in_progress', 'resolved', 'rejected')),
  created_at  timestamptz      NOT NULL,
  updated_at  timestamptz      NOT NULL
);
CREATE INDEX reports_owner_id_id ON reports(owner_id, id);
CREATE INDEX reports_status_id ON reports(status, id);

CREATE TABLE comments (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_id  bigint      NOT NULL REFERENCES reports(id),
  owner_id   bigint      NOT NULL REFERENCES users(id),
  text       text        NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX comments_report_id_id ON comments(report_id, id);
)sql"},
    // Every change to what a user may do, whoever makes it (reportd, or an operator with psql),
    // leaves a row here: every node follows this feed and drops the live connections of users
    // who lost their access. The feed is read as "seq above the last one seen", so a seq must
    // never become visible after a higher one: the trigger takes a transaction advisory lock
    // (kUserChangeOrderLock) before it draws a seq, and holds it until its commit.
    {2, R"sql(
CREATE TABLE user_changes (
  seq        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint      NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE FUNCTION record_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(8243118316935472130);
  IF TG_OP = 'DELETE' THEN
    INSERT INTO user_changes (user_id) VALUES (OLD.id);
  ELSE
    INSERT INTO user_changes (user_id) VALUES (NEW.id);
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER users_access_changed AFTER UPDATE OF active, internal, role ON users
FOR EACH ROW
WHEN (OLD.active IS DISTINCT FROM NEW.active OR OLD.internal IS DISTINCT FROM NEW.internal
      OR OLD.role IS DISTINCT FROM NEW.role)
EXECUTE FUNCTION record_user_change();
CREATE TRIGGER users_deleted AFTER DELETE ON users
FOR EACH ROW EXECUTE FUNCTION record_user_change();
)sql"},
    // Live-channel sessions a client may resume after a lost connection (Socket.IO connection
    // state recovery), on whichever node it reconnects to. report_ids: ascending, comma-separated
    // ("3,17"; "" for none). node is NULL while the session waits for its client; expires_at
    // is when it may be purged, moved on by its node's heartbeat while attached.
    {3, R"sql(
CREATE TABLE recovery_sessions (
  pid        text        PRIMARY KEY,
  sid        text        NOT NULL,
  user_id    bigint      NOT NULL,
  report_ids text        NOT NULL,
  since      bigint      NOT NULL,
  owner      text        NOT NULL,
  node       text,
  expires_at timestamptz NOT NULL
);
CREATE INDEX recovery_sessions_node ON recovery_sessions(node);
CREATE INDEX recovery_sessions_expires_at ON recovery_sessions(expires_at);
)sql"},
};
static_assert(kUserChangeOrderLock == 8243118316935472130, "migration 2 names this key");

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " applied_at timestamptz NOT NULL)";

const Statement kRecordedVersion{"migrations_version",
                                 "SELECT coalesce(max(version), 0) FROM schema_migrations"};
const Statement kRecordMigration{
    "migrations_record",
    "INSERT INTO schema_migrations (version, applied_at)"
    " VALUES ($1, timestamptz 'epoch' + $2::int8 * interval '1 millisecond')"};
const Statement kLock{"migrations_lock", "SELECT pg_advisory_lock($1::int8)"};
const Statement kUnlock{"migrations_unlock", "SELECT pg_advisory_unlock($1::int8)"};

int recorded_version(Connection& conn) {
  auto result = conn.run(kRecordedVersion, Params());
  return static_cast<int>(result.int64(0, 0));
}

void refuse_newer(int version) {
  if (version <= latest_schema_version()) return;
  throw StoreError(StoreError::Kind::unavailable,
                   "database schema version " + std::to_string(version) +
                       " is newer than this binary supports (" +
                       std::to_string(latest_schema_version()) + ")");
}

void apply_all(Connection& conn, Timestamp now) {
  conn.exec(kCreateMigrationsTable);
  for (const auto& m : kMigrations) {
    // Read again in each transaction (under the lock, so nobody else migrates meanwhile).
    Transaction tx(conn);
    const int current = recorded_version(conn);
    refuse_newer(current);
    if (m.version <= current) continue;  // already applied; tx rolls back, nothing to undo
    conn.exec(m.sql);
    conn.run(
        kRecordMigration,
        Params().add(std::int64_t{m.version}).add(std::int64_t{now.time_since_epoch().count()}));
    tx.commit();
  }
}

}  // namespace

int latest_schema_version() {
  int latest = 0;
  for (const auto& m : kMigrations) latest = m.version > latest ? m.version : latest;
  return latest;
}

void migrate(Connection& conn, Timestamp now) {
  // A session lock, released below or, should this process die, when its connection ends.
  conn.run(kLock, Params().add(kMigrationLock));
  try {
    apply_all(conn, now);
  } catch (...) {
    if (conn.usable()) {
      try {
        conn.run(kUnlock, Params().add(kMigrationLock));
      } catch (const StoreError&) {
        conn.mark_broken();  // closing the connection releases the lock
      }
    }
    throw;
  }
  conn.run(kUnlock, Params().add(kMigrationLock));
}

}  // namespace store::pg
