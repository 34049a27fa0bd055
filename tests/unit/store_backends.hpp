#pragma once
// The store backends the store tests run against: an SQLite file, SQLite in memory, and a
// fresh database in this test binary's PostgreSQL cluster (pg_cluster.hpp). Test names end in
// the backend's name; CTest runs the "Postgres" ones in one process, so the cluster starts once.

#include <gtest/gtest.h>

#include <string>

#include "pg_cluster.hpp"
#include "temp_dir.hpp"

enum class Backend { sqlite_file, sqlite_memory, postgres };

inline std::string backend_name(Backend backend) {
  switch (backend) {
    case Backend::sqlite_file:
      return "SqliteFile";
    case Backend::sqlite_memory:
      return "SqliteMemory";
    case Backend::postgres:
      return "Postgres";
  }
  return "?";
}

inline std::string backend_test_name(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

// The URL of a new, empty database on `backend`; an SQLite file goes into `dir`.
inline std::string fresh_database_url(Backend backend, const TempDir& dir) {
  switch (backend) {
    case Backend::sqlite_file:
      return "sqlite:" + (dir.path() / "reportd.db").string();
    case Backend::sqlite_memory:
      return "sqlite::memory:";
    case Backend::postgres:
      return PgCluster::get().create_database();
  }
  return {};
}
