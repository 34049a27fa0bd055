#pragma once
// reportd's configuration: defaults, overridden by a config file (config_file.hpp), overridden
// by environment variables, overridden by flags.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

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
  // The Socket.IO server's options, named after Node's socket.io (pingInterval, ...).
  long ping_interval_ms = 25'000;
  long ping_timeout_ms = 20'000;
  std::size_t max_http_buffer_size = 1'000'000;
  long connect_timeout_ms = 45'000;
  long upgrade_timeout_ms = 10'000;
  std::vector<std::string> transports = {"polling", "websocket"};
  std::string socketio_path = "/socket.io/";
  // How long a shutdown waits for clients and requests in progress before it stops anyway.
  long shutdown_grace_ms = 5'000;
  bool demo = false;        // create demo users and a report in an empty database
  std::string config_file;  // --config / REPORTD_CONFIG
  // LOG_FORMAT (text or json) and LOG_LEVEL (debug, info, warn, error): see net/spdlog_sink.hpp.
  std::string log_format = "text";
  std::string log_level = "info";

  // Registers a flag for each setting on `cli`, with its environment variable as fallback, and
  // --config. A setting is exactly such an option: config_file.hpp finds them on `cli`.
  void bind(CLI::App& cli);
  // After cli.parse: applies the --config file (or REPORTD_CONFIG) if one was given.
  void apply_file(CLI::App& cli) const;
  // The effective configuration, as `reportd config` prints it, secrets masked.
  std::string describe(CLI::App& cli) const;
  // Sends every log event to standard output in the format and from the level configured.
  void install_logging() const;
  // The JWT configuration; reads the key file and creates a secret for local use if needed.
  auth::JwtConfig jwt() const;
};

}  // namespace app
