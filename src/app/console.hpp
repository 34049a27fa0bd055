#pragma once
// The staff console (the repository's console/ folder, served at "/"): where its files are, and
// the handler that serves them with the browser security headers the console needs.

#include <memory>
#include <string>

namespace net {
class StaticFiles;
}

namespace app {

// The installed console (<executable>/../share/reportd/console) if it exists, else the one
// assembled in the build tree, else empty (no console).
std::string default_console_dir();

// The console in `folder`, loaded into memory; throws std::invalid_argument naming the problem.
std::unique_ptr<net::StaticFiles> load_console(const std::string& folder);

}  // namespace app
