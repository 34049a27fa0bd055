#include <filesystem>
#include <stdexcept>
#include <string_view>

#include "base/private_file.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"

namespace store {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::unique_ptr<Store> open_store(const std::string& database_url, const StoreOptions& options) {
  constexpr std::string_view kSqlite = "sqlite:";
  const std::string_view url = database_url;
  if (starts_with(url, kSqlite)) {
    const std::string_view path = url.substr(kSqlite.size());
    if (path.empty()) {
      throw std::invalid_argument("database URL '" + database_url + "' names no file");
    }
    // ":memory:" is SQLite's own name for a private in-memory database; any other text is a
    // file name, relative to the working directory unless absolute. Its folder (0700) and the
    // file (0600) are created for the running user alone, so that the default works on a fresh
    // checkout with no set-up and keeps the data private; SQLite gives its journal files the
    // database file's permissions.
    if (path != ":memory:") {
      try {
        base::create_private_folders(std::filesystem::path(path).parent_path());
        base::ensure_private_file(std::string(path));
      } catch (const std::runtime_error& e) {
        throw StoreError(StoreError::Kind::unavailable, e.what());
      }
    }
    return std::make_unique<sqlite::SqliteStore>(std::string(path));
  }
  if (starts_with(url, "postgres://") || starts_with(url, "postgresql://")) {
    if (options.pool_size < 1) throw std::invalid_argument("database pool size must be at least 1");
    pg::PoolOptions pool;
    pool.size = options.pool_size;
    return std::make_unique<pg::PgStore>(database_url, pool);
  }
  // The URL itself is left out of the message: it may carry a password.
  throw std::invalid_argument(
      "unsupported database URL (expected sqlite:<path>, sqlite::memory: or "
      "postgres://user:password@host:port/database)");
}

std::string redact_database_url(std::string_view url) {
  std::string out(url);
  // postgres://user:password@host/...: the password is between the first ':' after the scheme
  // and the last '@' before the path.
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const auto authority = scheme + 3;
    const auto path = out.find_first_of("/?", authority);
    const auto at = out.rfind('@', path == std::string::npos ? std::string::npos : path);
    if (at != std::string::npos && at > authority) {
      const auto colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // ...?password=secret&...
  for (auto key = out.find("password="); key != std::string::npos;
       key = out.find("password=", key + 1)) {
    if (key > 0 && out[key - 1] != '?' && out[key - 1] != '&' && out[key - 1] != ' ') continue;
    const auto value = key + 9;
    const auto end = out.find_first_of("& ", value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

}  // namespace store
