#pragma once
// Files that hold secrets or private data (the JWT key, the SQLite database): created for the
// running user alone, and refused when anyone else could have read or changed them.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace base {

// Creates `folder` and any missing parents with mode 0700; folders that exist are left as they
// are. Throws std::runtime_error naming the folder on failure.
void create_private_folders(const std::filesystem::path& folder);

// Creates `file` with mode 0600 and `content`, refusing to follow a symbolic link or to touch a
// file that exists (O_CREAT|O_EXCL|O_NOFOLLOW). Throws std::runtime_error naming the file.
void create_private_file(const std::filesystem::path& file, std::string_view content);

// Creates an empty `file` with mode 0600 unless it exists. Throws like create_private_file.
void ensure_private_file(const std::filesystem::path& file);

// Reads `file`, which must be a regular file (not a link) owned by the running user, with no
// permission for group or others, and at least `min_bytes` long. Throws std::runtime_error
// naming the file and what is wrong with it.
std::string read_private_file(const std::filesystem::path& file, std::size_t min_bytes);

}  // namespace base
