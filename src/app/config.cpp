#include "app/config.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log_value.hpp"
#include "base/private_file.hpp"

namespace app {
namespace {

void from_env(const char* name, std::string& value) {
  if (const char* set = std::getenv(name); set && *set) value = set;
}

template <class Number>
void from_env(const char* name, Number& value) {
  const char* set = std::getenv(name);
  if (!set || !*set) return;
  char* end = nullptr;
  const long parsed = std::strtol(set, &end, 10);
  if (*end != '\0' || parsed < 0)
    throw std::invalid_argument(std::string(name) + " must be a number");
  value = static_cast<Number>(parsed);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read " + path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// RFC 7518 §3.2: an HS256 key must have at least 256 bits; shorter secrets can be guessed.
constexpr std::size_t kMinSecretBytes = 32;

// A secret for a developer's machine, kept next to the SQLite database so that tokens survive a
// restart. Production sets JWT_SECRET. Whoever can read this file can sign tokens for any user,
// and whoever can write it can choose the key: so it is created for the running user alone and
// refused when it is short or anyone else could have touched it.
std::string local_secret(const std::string& database_url) {
  std::filesystem::path dir = "data";
  if (database_url.starts_with("sqlite:") && database_url != "sqlite::memory:") {
    dir = std::filesystem::path(database_url.substr(7)).parent_path();
  }
  if (dir.empty()) dir = ".";
  const auto file = dir / "jwt-secret";
  if (std::filesystem::exists(std::filesystem::symlink_status(file))) {
    return base::read_private_file(file, kMinSecretBytes);
  }
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  char hex[sizeof random * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, random, sizeof random);
  base::create_private_folders(dir);
  base::create_private_file(file, hex);
  spdlog::warn("event=jwt_secret_generated file={} note=\"set JWT_SECRET in production\"",
               base::quoted(file.string()));
  return hex;
}

}  // namespace

void Config::bind(CLI::App& cli) {
  from_env("HOST", host);
  from_env("PORT", port);
  from_env("DATABASE_URL", database_url);
  from_env("JWT_SECRET", jwt_secret);
  from_env("JWT_PUBLIC_KEY", jwt_public_key);
  from_env("JWT_ALGORITHMS", jwt_algorithms);
  from_env("JWT_ISSUER", jwt_issuer);
  from_env("JWT_AUDIENCE", jwt_audience);
  from_env("JWT_TTL_SECONDS", jwt_ttl_seconds);
  from_env("CORS_ORIGINS", cors_origins);
  from_env("MAX_SESSIONS_PER_ADDRESS", max_sessions_per_address);
  from_env("USER_RECHECK_SECONDS", user_recheck_seconds);
  from_env("IO_THREADS", io_threads);
  from_env("WORKER_THREADS", worker_threads);

  cli.add_option("--host", host, "listen address (HOST)");
  cli.add_option("--port", port, "listen port (PORT)");
  cli.add_option("--database-url", database_url, "sqlite:<file> (DATABASE_URL)");
  cli.add_option("--jwt-public-key", jwt_public_key, "PEM public key or its path (JWT_PUBLIC_KEY)");
  cli.add_option("--jwt-algorithms", jwt_algorithms,
                 "accepted: HS256,RS256,ES256 (JWT_ALGORITHMS)");
  cli.add_option("--jwt-issuer", jwt_issuer, "iss of issued tokens, checked (JWT_ISSUER)");
  cli.add_option("--jwt-audience", jwt_audience, "aud to require (JWT_AUDIENCE)");
  cli.add_option("--jwt-ttl-seconds", jwt_ttl_seconds,
                 "lifetime of issued tokens (JWT_TTL_SECONDS)");
  cli.add_option("--cors-origins", cors_origins, "comma-separated origins (CORS_ORIGINS)");
  cli.add_option("--max-sessions-per-address", max_sessions_per_address,
                 "Engine.IO sessions per client address (MAX_SESSIONS_PER_ADDRESS)")
      ->check(CLI::Range(1u, 1'000'000u));
  cli.add_option("--user-recheck-seconds", user_recheck_seconds,
                 "how often live users' access is read again (USER_RECHECK_SECONDS)");
  cli.add_option("--io-threads", io_threads, "network threads (IO_THREADS)");
  cli.add_option("--worker-threads", worker_threads, "database/hashing threads (WORKER_THREADS)");
}

auth::JwtConfig Config::jwt() const {
  auth::JwtConfig config;
  // RFC 7518 §3.2: an HS256 key must have at least 256 bits; shorter secrets can be guessed.
  if (!jwt_secret.empty() && jwt_secret.size() < kMinSecretBytes) {
    throw std::invalid_argument("JWT_SECRET must be at least 32 bytes long");
  }
  config.hs256_secret = jwt_secret.empty() ? local_secret(database_url) : jwt_secret;
  if (!jwt_public_key.empty()) {
    config.public_key_pem =
        jwt_public_key.starts_with("-----BEGIN") ? jwt_public_key : read_file(jwt_public_key);
  }
  config.algorithms.clear();
  if (jwt_algorithms.empty()) {
    // Our own tokens, and an external issuer's when its key is configured.
    config.algorithms.push_back(auth::JwtAlgorithm::hs256);
    if (!config.public_key_pem.empty()) {
      auto algorithm = auth::algorithm_for_public_key(config.public_key_pem);
      if (!algorithm) {
        throw std::invalid_argument(
            "JWT_PUBLIC_KEY is not an RSA (2048 bits or more) or EC P-256 public key");
      }
      config.algorithms.push_back(*algorithm);
    }
  }
  std::stringstream list(jwt_algorithms);
  for (std::string name; std::getline(list, name, ',');) {
    if (name == "HS256") {
      config.algorithms.push_back(auth::JwtAlgorithm::hs256);
    } else if (name == "RS256") {
      config.algorithms.push_back(auth::JwtAlgorithm::rs256);
    } else if (name == "ES256") {
      config.algorithms.push_back(auth::JwtAlgorithm::es256);
    } else {
      throw std::invalid_argument("unsupported JWT algorithm: " + name);
    }
  }
  config.issuer = jwt_issuer;
  config.audience = jwt_audience;
  config.lifetime = std::chrono::seconds(jwt_ttl_seconds);
  return config;
}

}  // namespace app
