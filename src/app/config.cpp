#include "app/config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/private_file.hpp"
#include "base/random.hpp"
#include "net/log.hpp"
#include "net/spdlog_sink.hpp"
#include "net/trusted_proxies.hpp"

namespace app {
namespace {

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
  const auto hex = base::random_hex(kMinSecretBytes);
  base::create_private_folders(dir);
  base::create_private_file(file, hex);
  net::log_event(net::LogLevel::warn, "jwt_secret_generated",
                 {{"file", file.string()}, {"note", "set JWT_SECRET in production"}});
  return hex;
}

}  // namespace

// Each setting is a flag that falls back to its environment variable; CLI11 parses and checks
// both the same way (a PORT of 70000 or "3k" is refused, not wrapped or cut).
void Config::bind(CLI::App& cli) {
  // Only from the environment: a secret on the command line would show in `ps`.
  if (const char* secret = std::getenv("JWT_SECRET"); secret && *secret) jwt_secret = secret;

  cli.add_option("--host", host, "listen address")->envname("HOST");
  cli.add_option("--port", port, "listen port")->envname("PORT");
  cli.add_option("--database-url", database_url, "sqlite:<file> or postgres://user:pass@host/db")
      ->envname("DATABASE_URL");
  cli.add_option("--database-pool-size", database_pool_size,
                 "PostgreSQL connections open at most (SQLite ignores it)")
      ->envname("DATABASE_POOL_SIZE")
      ->check(CLI::Range(1u, 64u));
  cli.add_option("--jwt-public-key", jwt_public_key, "PEM public key or its path")
      ->envname("JWT_PUBLIC_KEY");
  cli.add_option("--jwt-algorithms", jwt_algorithms, "accepted: HS256,RS256,ES256")
      ->envname("JWT_ALGORITHMS");
  cli.add_option("--jwt-issuer", jwt_issuer, "iss of issued tokens, checked")
      ->envname("JWT_ISSUER");
  cli.add_option("--jwt-audience", jwt_audience, "aud to require")->envname("JWT_AUDIENCE");
  cli.add_option("--jwt-ttl-seconds", jwt_ttl_seconds, "lifetime of issued tokens")
      ->envname("JWT_TTL_SECONDS")
      ->check(CLI::Range(1L, 365L * 24 * 3600));
  cli.add_option("--recovery-seconds", recovery_seconds,
                 "how long a lost live connection can resume its session (0: never)")
      ->envname("RECOVERY_SECONDS")
      ->check(CLI::Range(0L, 7L * 24 * 3600));
  cli.add_option("--cors-origins", cors_origins, "comma-separated origins")
      ->envname("CORS_ORIGINS");
  cli.add_option("--redis-url", redis_url, "redis://[:password@]host[:port][/db] (empty: no Redis)")
      ->envname("REDIS_URL");
  cli.add_option("--redis-prefix", redis_prefix, "prefix of the Socket.IO Redis channels")
      ->envname("REDIS_PREFIX")
      ->check([](const std::string& prefix) {
        return prefix.empty() ? std::string("must not be empty") : std::string();
      });
  cli.add_option("--max-sessions-per-address", max_sessions_per_address,
                 "Engine.IO sessions per client address")
      ->envname("MAX_SESSIONS_PER_ADDRESS")
      ->check(CLI::Range(1u, 1'000'000u));
  cli.add_option("--trusted-proxies", trusted_proxies,
                 "addresses or CIDR ranges of our reverse proxies, whose X-Forwarded-For is "
                 "believed")
      ->envname("TRUSTED_PROXIES")
      ->check([](const std::string& list) {
        try {
          net::TrustedProxies::from_list(list);
          return std::string();
        } catch (const std::invalid_argument& e) {
          return std::string(e.what());
        }
      });
  cli.add_option("--user-recheck-seconds", user_recheck_seconds,
                 "how often live users' access is read again (0: never)")
      ->envname("USER_RECHECK_SECONDS");
  cli.add_option("--console-dir", console_dir,
                 "folder of the staff console served at / (empty: no console)")
      ->envname("CONSOLE_DIR");
  cli.add_option("--io-threads", io_threads, "network threads (0: one per core)")
      ->envname("IO_THREADS");
  cli.add_option("--worker-threads", worker_threads, "database/hashing threads (0: one per core)")
      ->envname("WORKER_THREADS");
  cli.add_option("--log-format", log_format, "text (logfmt) or json (one object per line)")
      ->envname("LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  cli.add_option("--log-level", log_level, "the least severe level written")
      ->envname("LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
}

void Config::install_logging() const {
  static const std::map<std::string, net::LogLevel, std::less<>> kLevels = {
      {"debug", net::LogLevel::debug},
      {"info", net::LogLevel::info},
      {"warn", net::LogLevel::warn},
      {"error", net::LogLevel::error}};
  net::log_to_spdlog(log_format == "json" ? net::LogFormat::json : net::LogFormat::text,
                     kLevels.at(log_level));
}

auth::JwtConfig Config::jwt() const {
  auth::JwtConfig config;
  // RFC 7518 §3.2: an HS256 key must have at least 256 bits; shorter secrets can be guessed.
  if (!jwt_secret.empty() && jwt_secret.size() < kMinSecretBytes) {
    throw std::invalid_argument("JWT_SECRET must be at least 32 bytes long");
  }
  // Nodes sharing a database must verify each other's tokens: a secret made up by each node
  // would sign out every user whose next request reaches another node.
  if (jwt_secret.empty() && !database_url.starts_with("sqlite:")) {
    throw std::invalid_argument(
        "JWT_SECRET must be set when the database is shared (every node signs and verifies "
        "tokens with it)");
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
    const auto algorithm = auth::algorithm_named(name);
    if (!algorithm) throw std::invalid_argument("unsupported JWT algorithm: " + name);
    config.algorithms.push_back(*algorithm);
  }
  config.issuer = jwt_issuer;
  config.audience = jwt_audience;
  config.lifetime = std::chrono::seconds(jwt_ttl_seconds);
  return config;
}

}  // namespace app
