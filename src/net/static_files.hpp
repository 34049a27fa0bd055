#pragma once
// Serves the files of one folder, read into memory once at start: GET and HEAD of exact paths
// ("/" is the index file), with Content-Type, Cache-Control and an ETag (304 on If-None-Match).
// A path is looked up as a key, never joined to the folder, so no request can reach another file.
// Unknown paths get the JSON 404 of the router, so the handler can take every path as the last
// route. HEAD gets GET's answer: the connection sends it without the content.

#include <cstddef>
#include <filesystem>
#include <string>
#include <unordered_map>

#include "net/http_handler.hpp"

namespace net {

struct StaticFilesOptions {
  // Bounds of what is loaded: a folder beyond them is refused at start.
  std::size_t max_files = 200;
  std::size_t max_total_bytes = 20 * 1024 * 1024;
  std::string index_file = "index.html";
  // Every answer revalidates (cheap with the ETag), so a new version is seen at once.
  std::string cache_control = "no-cache";
  // Added to every answer, e.g. Content-Security-Policy.
  HeaderList headers;
};

class StaticFiles : public HttpHandler {
 public:
  // Reads every regular file below `folder` (names starting with '.' are skipped); throws
  // std::invalid_argument naming the problem when the folder cannot be read or is over a bound.
  explicit StaticFiles(const std::filesystem::path& folder, StaticFilesOptions options = {});

  void handle(HttpRequest&& request, HttpExchangePtr exchange) override;
  // GET and HEAD carry no body.
  std::size_t max_body_bytes(const HttpRequest&) const override { return 0; }

  std::size_t file_count() const { return files_.size(); }

  // The answer to `request`; handle() sends it.
  HttpResponse respond_to(const HttpRequest& request) const;

 private:
  struct File {
    std::string content_type;
    std::string etag;
    std::string body;
  };
  void load(const std::filesystem::path& folder);
  HttpResponse with_headers(HttpResponse response) const;

  StaticFilesOptions options_;
  std::unordered_map<std::string, File> files_;  // by URL path, e.g. "/vendor/app.js"
};

}  // namespace net
