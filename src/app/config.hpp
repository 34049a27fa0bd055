#pragma once
// reportd's configuration: defaults, overridden by environment variables, overridden by flags.

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>

#include "app/console.hpp"
#include "auth/jwt.hpp"

namespace app {

struct Config {
  std::string host = "0.0.0.0";
  unsigned short port = 3000;
  std::string database_url = "sqlite:./data/reportd.db";
  // PostgreSQL connections open at most (DATABASE_POOL_SIZE, 1..64); SQLite ignores it.
  unsigned database_pool_size = 8;
  std::string jwt_secret;  // JWT_SECRET; generated into data/ for local runs if empty
  // JWT_PUBLIC_KEY: a PEM public key (RS256 or ES256), given inline or as a file path.
  std::string jwt_public_key;
  // JWT_ALGORITHMS, comma-separated; by default HS256, plus the public key's algorithm if any.
  std::string jwt_algorithms;
  std::string jwt_issuer = "reportd";
  std::string jwt_audience;
  long jwt_ttl_seconds = 3600;
  // Connection state recovery on /ws/internal: how long a lost session can be resumed; 0: off.
  long recovery_seconds = 600;
  std::string cors_origins;
  // REDIS_URL: redis://[[user]:password@]host[:port][/db]; empty: a single node, no Redis.
  std::string redis_url;
  // REDIS_PREFIX: the channel prefix, the `key` option of @socket.io/redis-adapter.
  std::string redis_prefix = "socket.io";
  // Engine.IO sessions one client address may hold at once (MAX_SESSIONS_PER_ADDRESS).
  unsigned max_sessions_per_address = 256;
  // Our reverse proxies (TRUSTED_PROXIES): behind them, the client address that the caps and the
  // logs use is read from X-Forwarded-For. Empty: the TCP peer is the client.
  std::string trusted_proxies;
  // How often every connected user's access is read again, in case a change escaped the
  // user-change feed (USER_RECHECK_SECONDS; 0 turns the recheck off).
  unsigned user_recheck_seconds = 30;
  unsigned io_threads = 0;      // 0: one per core
  unsigned worker_threads = 0;  // 0: one per core, at least 2
  // CONSOLE_DIR: the staff console's files, served at "/"; empty (--console-dir ''): none.
  std::string console_dir = default_console_dir();
  bool demo = false;  // create demo users and a report in an empty database
  // LOG_FORMAT (text or json) and LOG_LEVEL (debug, info, warn, error): see net/spdlog_sink.hpp.
  std::string log_format = "text";
  std::string log_level = "info";

  // Registers a flag for each setting on `cli`, with its environment variable as fallback.
  void bind(CLI::App& cli);
  // Sends every log event to standard output in the format and from the level configured.
  void install_logging() const;
  // The JWT configuration; reads the key file and creates a secret for local use if needed.
  auth::JwtConfig jwt() const;
};

}  // namespace app
