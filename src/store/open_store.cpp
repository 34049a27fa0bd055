#include <filesystem>
#include <stdexcept>
#include <string_view>

#include "base/private_file.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"

namespace store {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::unique_ptr<Store> open_store(const std::string& database_url) {
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
    throw std::invalid_argument("PostgreSQL support is not built yet");
  }
  // The URL itself is left out of the message: it may carry a password.
  throw std::invalid_argument(
      "unsupported database URL (expected sqlite:<path> or sqlite::memory:)");
}

}  // namespace store
