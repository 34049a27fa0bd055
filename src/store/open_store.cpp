#include <filesystem>
#include <stdexcept>
#include <string_view>

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
    // file name, relative to the working directory unless absolute. Its folder is created, so
    // that the default works on a fresh checkout with no set-up.
    if (path != ":memory:") {
      const auto folder = std::filesystem::path(path).parent_path();
      std::error_code ignored;  // a failure shows up as "cannot open" just below
      if (!folder.empty()) std::filesystem::create_directories(folder, ignored);
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
