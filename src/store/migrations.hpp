#pragma once
// The schema, as numbered migrations recorded in schema_migrations(version, applied_at).

#include "store/sqlite_handle.hpp"
#include "store/store.hpp"

namespace store::sqlite {

// The newest schema version this binary knows.
int latest_schema_version();

// The highest version recorded in `db` (0 for a new database).
int current_schema_version(Connection& db);

// Applies every migration newer than the database's version, each in its own transaction, and
// records it with `now`. Idempotent. Throws StoreError(unavailable) when the database's version
// is newer than latest_schema_version() or a migration fails.
void migrate(Connection& db, Timestamp now);

}  // namespace store::sqlite
