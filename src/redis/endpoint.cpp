#include "redis/endpoint.hpp"

#include <boost/url/parse.hpp>
#include <charconv>
#include <stdexcept>

namespace redis {

namespace {

template <class Number>
Number parse_number(std::string_view text, Number max, const char* what) {
  Number value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max) {
    throw std::invalid_argument(std::string("redis URL: bad ") + what + " '" + std::string(text) +
                                "'");
  }
  return value;
}

}  // namespace

Endpoint parse_url(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::invalid_argument("redis URL: not a URL: '" + std::string(url) + "'");
  const auto scheme = parsed->scheme();
  if (scheme == "rediss") {
    throw std::invalid_argument("redis URL: rediss (TLS) is not supported; use redis://");
  }
  if (scheme != "redis") {
    throw std::invalid_argument("redis URL: the scheme must be redis, not '" + std::string(scheme) +
                                "'");
  }
  Endpoint endpoint;
  if (parsed->encoded_host().empty()) throw std::invalid_argument("redis URL: no host");
  endpoint.host = parsed->host_address();
  if (parsed->has_port()) {
    endpoint.port = parse_number<unsigned short>(parsed->port(), 65535, "port");
    if (endpoint.port == 0) throw std::invalid_argument("redis URL: bad port '0'");
  }
  if (parsed->has_userinfo()) {
    endpoint.username = parsed->user();
    endpoint.password = parsed->password();
  }
  auto path = std::string_view(parsed->encoded_path());
  if (path.starts_with('/')) path.remove_prefix(1);
  if (!path.empty()) endpoint.db = parse_number<unsigned>(path, 1u << 20, "database number");
  if (parsed->has_query() || parsed->has_fragment()) {
    throw std::invalid_argument("redis URL: query and fragment are not supported");
  }
  return endpoint;
}

}  // namespace redis
