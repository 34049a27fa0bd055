#pragma once
// A fresh directory under /tmp for one test, removed with everything in it afterwards.

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "reportd_test") {
    std::string pattern = "/tmp/" + prefix + ".XXXXXX";
    const char* dir = mkdtemp(pattern.data());
    if (dir == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = dir;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};
