#pragma once

namespace net {

// Raises the soft limit on open files to the hard limit, logs both, and returns the new soft
// limit: every connection costs one descriptor.
long raise_open_file_limit();

}  // namespace net
