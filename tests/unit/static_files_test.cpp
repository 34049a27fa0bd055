#include "net/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "temp_dir.hpp"

using net::HttpRequest;
using net::HttpResponse;
using net::StaticFiles;
using net::StaticFilesOptions;

namespace {

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

std::optional<std::string> header(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

HttpRequest request(std::string method, std::string target, net::HeaderList headers = {}) {
  HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.headers = std::move(headers);
  return req;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest() {
    write_file(dir.path() / "index.html", "<!doctype html><title>x</title>");
    write_file(dir.path() / "app.js", "export {};");
    write_file(dir.path() / "vendor" / "lib.css", "body{}");
    write_file(dir.path() / ".hidden", "secret");
    write_file(dir.path() / "data.bin", "\x01\x02");
  }
  StaticFiles files() const {
    StaticFilesOptions options;
    options.headers = {{"X-Content-Type-Options", "nosniff"}};
    return StaticFiles(dir.path(), options);
  }
  TempDir dir;
};

}  // namespace

TEST_F(StaticFilesTest, ServesExactPathsWithTheirTypeAndHeaders) {
  const auto handler = files();
  EXPECT_EQ(handler.file_count(), 4u);  // not the hidden one
  struct Case {
    std::string target, type, body;
  };
  for (const auto& [target, type, body] : std::vector<Case>{
           {"/", "text/html; charset=utf-8", "<!doctype html><title>x</title>"},
           {"/index.html?x=1", "text/html; charset=utf-8", "<!doctype html><title>x</title>"},
           {"/app.js", "text/javascript; charset=utf-8", "export {};"},
           {"/vendor/lib.css", "text/css; charset=utf-8", "body{}"},
           {"/data.bin", "application/octet-stream", "\x01\x02"},
       }) {
    const auto r = handler.respond_to(request("GET", target));
    EXPECT_EQ(r.status, 200u) << target;
    EXPECT_EQ(r.content_type, type) << target;
    EXPECT_EQ(r.body, body) << target;
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache") << target;
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff") << target;
    EXPECT_TRUE(header(r, "ETag").has_value()) << target;
  }
}

TEST_F(StaticFilesTest, UnknownAndTraversingPathsAre404) {
  const auto handler = files();
  for (std::string target : {"/nope", "/.hidden", "/vendor", "/vendor/", "/../etc/passwd",
                             "/vendor/../app.js", "//app.js", "/app.js/", "/APP.JS", "app.js"}) {
    const auto r = handler.respond_to(request("GET", target));
    EXPECT_EQ(r.status, 404u) << target;
    EXPECT_EQ(r.content_type, "application/json") << target;
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff") << target;
  }
}

TEST_F(StaticFilesTest, OtherMethodsAre405WithAllow) {
  const auto r = files().respond_to(request("POST", "/app.js"));
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(header(r, "Allow"), "GET, HEAD");
  EXPECT_EQ(files().respond_to(request("HEAD", "/app.js")).status, 200u);
}

TEST_F(StaticFilesTest, IfNoneMatchWithTheEtagIs304WithoutBody) {
  const auto handler = files();
  const auto etag = *header(handler.respond_to(request("GET", "/app.js")), "ETag");
  EXPECT_EQ(etag.size(), 34u);
  EXPECT_EQ(etag.front(), '"');
  for (std::string condition : {etag, "\"other\", " + etag, "W/" + etag, std::string("*")}) {
    const auto r = handler.respond_to(request("GET", "/app.js", {{"if-none-match", condition}}));
    EXPECT_EQ(r.status, 304u) << condition;
    EXPECT_EQ(r.body, "") << condition;
    EXPECT_EQ(header(r, "ETag"), etag) << condition;
  }
  const auto other = handler.respond_to(request("GET", "/app.js", {{"if-none-match", "\"x\""}}));
  EXPECT_EQ(other.status, 200u);
  EXPECT_EQ(other.body, "export {};");
  // Another file's tag does not match.
  const auto index_etag = *header(handler.respond_to(request("GET", "/")), "ETag");
  EXPECT_NE(index_etag, etag);
  EXPECT_EQ(handler.respond_to(request("GET", "/app.js", {{"if-none-match", index_etag}})).status,
            200u);
}

TEST_F(StaticFilesTest, RefusesAFolderOverItsBoundsOrWithoutIndex) {
  StaticFilesOptions few;
  few.max_files = 3;
  EXPECT_THROW(StaticFiles(dir.path(), few), std::invalid_argument);
  StaticFilesOptions small;
  small.max_total_bytes = 40;
  EXPECT_THROW(StaticFiles(dir.path(), small), std::invalid_argument);
  StaticFilesOptions exact;
  exact.max_files = 4;
  exact.max_total_bytes = 31 + 10 + 6 + 2;
  EXPECT_NO_THROW(StaticFiles(dir.path(), exact));

  std::filesystem::remove(dir.path() / "index.html");
  EXPECT_THROW(StaticFiles(dir.path(), {}), std::invalid_argument);
  EXPECT_THROW(StaticFiles(dir.path() / "missing", {}), std::invalid_argument);
}
