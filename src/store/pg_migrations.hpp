#pragma once
// The PostgreSQL schema: the same numbered migrations as SQLite's (same versions, same meaning,
// in PostgreSQL's dialect), recorded in schema_migrations(version, applied_at).

#include <cstdint>

#include "store/pg_connection.hpp"
#include "store/store.hpp"

namespace store::pg {

// Keys of the advisory locks reportd takes (pg_advisory_lock's one-bigint key space): the
// migration lock ("reportd" + 0), the order of comment ids and the order of user changes.
inline constexpr std::int64_t kMigrationLock = 0x7265706f72746400;
inline constexpr std::int64_t kCommentOrderLock = 0x7265706f72746401;
inline constexpr std::int64_t kUserChangeOrderLock = 0x7265706f72746402;

// The newest schema version this binary knows.
int latest_schema_version();

// Under the migration advisory lock (so that nodes starting together migrate one after the
// other, and the later ones find nothing to do), applies every migration newer than the
// database's version, each in its own transaction, and records it with `now`. Throws
// StoreError(unavailable) when the database's version is newer than latest_schema_version()
// (never downgrades) or a migration fails.
void migrate(Connection& conn, Timestamp now);

}  // namespace store::pg
