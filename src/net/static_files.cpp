#include "net/static_files.hpp"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace net {
namespace {

namespace fs = std::filesystem;

std::string_view content_type_of(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
      {".webmanifest", "application/manifest+json"},
  }};
  const auto extension = file.extension().string();
  for (const auto& [suffix, type] : kTypes) {
    if (extension == suffix) return type;
  }
  return "application/octet-stream";
}

// A strong validator: the first 128 bits of the content's SHA-256, stable across restarts.
std::string etag_of(std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(body.data(), body.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (unsigned i = 0; i < 16; ++i) {
    tag += kHex[digest[i] >> 4];
    tag += kHex[digest[i] & 15];
  }
  return tag + "\"";
}

std::string read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read " + file.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool hidden(const fs::path& relative) {
  for (const auto& part : relative) {
    if (part.string().starts_with('.')) return true;
  }
  return false;
}

// Whether an If-None-Match list ("*", or tags separated by commas, maybe weak) names `etag`.
bool none_match_names(std::string_view list, std::string_view etag) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto tag = list.substr(0, comma);
    list = comma == std::string_view::npos ? "" : list.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);  // RFC 9110 §13.1.2: weak comparison
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

}  // namespace

StaticFiles::StaticFiles(const fs::path& folder, StaticFilesOptions options)
    : options_(std::move(options)) {
  load(folder);
}

void StaticFiles::load(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw std::invalid_argument("static files: " + folder.string() + " is not a folder");
  }
  std::size_t total = 0;
  for (auto it = fs::recursive_directory_iterator(folder); it != fs::recursive_directory_iterator();
       ++it) {
    const auto relative = fs::relative(it->path(), folder);
    if (hidden(relative) || !it->is_regular_file()) continue;
    if (files_.size() == options_.max_files) {
      throw std::invalid_argument("static files: more than " + std::to_string(options_.max_files) +
                                  " files in " + folder.string());
    }
    auto body = read_whole(it->path());
    total += body.size();
    if (total > options_.max_total_bytes) {
      throw std::invalid_argument("static files: more than " +
                                  std::to_string(options_.max_total_bytes) + " bytes in " +
                                  folder.string());
    }
    auto etag = etag_of(body);
    files_.emplace("/" + relative.generic_string(), File{std::string(content_type_of(it->path())),
                                                         std::move(etag), std::move(body)});
  }
  if (!files_.contains("/" + options_.index_file)) {
    throw std::invalid_argument("static files: no " + options_.index_file + " in " +
                                folder.string());
  }
}

HttpResponse StaticFiles::with_headers(HttpResponse response) const {
  response.headers.insert(response.headers.end(), options_.headers.begin(), options_.headers.end());
  return response;
}

HttpResponse StaticFiles::respond_to(const HttpRequest& request) const {
  const auto path = request.path();
  const auto found = files_.find(path == "/" ? "/" + options_.index_file : std::string(path));
  if (found == files_.end()) {
    return with_headers(HttpResponse::json_error(404, "not_found", "no such resource"));
  }
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = HttpResponse::json_error(405, "method_not_allowed", "method not allowed");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return with_headers(std::move(response));
  }
  const auto& file = found->second;
  HttpResponse response{200, file.content_type, {}, {}, {}};
  response.headers.emplace_back("ETag", file.etag);
  response.headers.emplace_back("Cache-Control", options_.cache_control);
  if (none_match_names(request.header("if-none-match").value_or(""), file.etag)) {
    response.status = 304;
    response.content_type.clear();
  } else {
    response.body = file.body;
  }
  return with_headers(std::move(response));
}

void StaticFiles::handle(HttpRequest&& request, HttpExchangePtr exchange) {
  exchange->respond(respond_to(request));
}

}  // namespace net
