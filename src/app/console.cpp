#include "app/console.hpp"

#include <filesystem>

#include "net/static_files.hpp"

namespace app {
namespace {

namespace fs = std::filesystem;

// Both set by src/app/CMakeLists.txt: the install layout relative to the executable's folder,
// and the folder console/CMakeLists.txt assembles in the build tree.
constexpr const char* kInstalledRelativeToExecutable = REPORTD_CONSOLE_INSTALLED_RELATIVE;
constexpr const char* kBuildTreeFolder = REPORTD_CONSOLE_BUILD_DIR;

bool is_folder(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

}  // namespace

std::string default_console_dir() {
  std::error_code ec;
  const auto executable = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed =
        (executable.parent_path() / kInstalledRelativeToExecutable).lexically_normal();
    if (is_folder(installed)) return installed.string();
  }
  return is_folder(kBuildTreeFolder) ? kBuildTreeFolder : "";
}

std::unique_ptr<net::StaticFiles> load_console(const std::string& folder) {
  net::StaticFilesOptions options;
  // The console loads only its own files and talks only to this server (REST, and Socket.IO
  // over polling or WebSocket); no inline script, no frames, no plugins.
  options.headers = {
      {"Content-Security-Policy",
       "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
  };
  return std::make_unique<net::StaticFiles>(folder, std::move(options));
}

}  // namespace app
