#include "base/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace base {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
  throw std::runtime_error(path.string() + ": " + problem);
}

std::string os_error() {
  return std::strerror(errno);
}

// Closes the descriptor on every way out.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

void create_private_folders(const std::filesystem::path& folder) {
  if (folder.empty()) return;
  std::filesystem::path partial;
  for (const auto& part : folder) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      fail(partial, "cannot create folder: " + os_error());
    }
  }
}

void create_private_file(const std::filesystem::path& file, std::string_view content) {
  Descriptor out{::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (out.fd < 0) fail(file, "cannot create: " + os_error());
  while (!content.empty()) {
    const auto written = ::write(out.fd, content.data(), content.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail(file, "cannot write: " + os_error());
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::fsync(out.fd) != 0) fail(file, "cannot write: " + os_error());
}

void ensure_private_file(const std::filesystem::path& file) {
  Descriptor out{::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (out.fd < 0 && errno != EEXIST) fail(file, "cannot create: " + os_error());
}

std::string read_private_file(const std::filesystem::path& file, std::size_t min_bytes) {
  Descriptor in{::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (in.fd < 0) fail(file, "cannot open (a symbolic link is refused): " + os_error());
  struct stat info {};
  if (::fstat(in.fd, &info) != 0) fail(file, "cannot inspect: " + os_error());
  if (!S_ISREG(info.st_mode)) fail(file, "is not a regular file");
  if (info.st_uid != ::geteuid()) {
    fail(file, "is owned by user " + std::to_string(info.st_uid) +
                   ", not by the user running reportd (" + std::to_string(::geteuid()) + ")");
  }
  if ((info.st_mode & 077) != 0) {
    fail(file,
         "is accessible to group or others: `chmod 600` it, and replace the secret if "
         "anyone may have read or changed it");
  }
  if (static_cast<std::size_t>(info.st_size) < min_bytes) {
    fail(file, "is too short: " + std::to_string(info.st_size) + " bytes, at least " +
                   std::to_string(min_bytes) + " needed");
  }
  std::string content(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < content.size()) {
    const auto n = ::read(in.fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(file, "cannot read: " + os_error());
    done += static_cast<std::size_t>(n);
  }
  return content;
}

}  // namespace base
