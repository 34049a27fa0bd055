#pragma once
// A throwaway PostgreSQL cluster for the tests of one test binary: started on first use (so a
// run of SQLite tests alone starts none), in a fresh folder under /tmp, listening only on a unix
// socket in that folder, with trust authentication for the superuser "postgres". The gtest
// environment stops it (pg_ctl stop -m immediate) and removes the folder at the end of the run;
// a watchdog process does the same if the test process dies first (crash, kill, timeout).
//
// As root, initdb, pg_ctl and the server run as the `postgres` user (runuser). The server
// binaries are looked up in $PG_BINDIR, then /usr/lib/postgresql/<version>/bin; when they are
// missing, get() throws, so every PostgreSQL test fails (scripts/install-deps installs them).

#include <libpq-fe.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

class PgCluster {
 public:
  // The cluster of this process; starts it on the first call. Throws std::runtime_error (with
  // the server's log) when it cannot start, now and on every later call.
  static PgCluster& get();
  // Stops the cluster if it was started (the gtest environment calls it at the end).
  static void shutdown();

  // A new, empty database (t_1, t_2, ...); returns its URL.
  std::string create_database();
  // The URL of database `name`.
  std::string url(const std::string& name) const;

  // Runs `sql` (no parameters) as the superuser in the database of `url`; returns its rows as
  // text (NULL as ""). Throws std::runtime_error on failure.
  std::vector<std::vector<std::string>> query(const std::string& url, const std::string& sql);

  // pg_ctl stop -m immediate, and start again on the same socket: for connection-loss tests.
  void stop_server();
  void start_server();

  const std::filesystem::path& folder() const { return folder_; }

  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

 private:
  PgCluster();
  void start_watchdog();
  void stop_and_remove();
  // Runs `argv` (as postgres when root), output appended to `log`; returns the exit status.
  int run(std::vector<std::string> argv, const std::filesystem::path& log) const;
  std::string server_log() const;

  std::filesystem::path bindir_;
  std::filesystem::path folder_;
  std::filesystem::path data_;
  bool as_postgres_ = false;
  int watchdog_pipe_ = -1;  // closing it makes the watchdog stop the cluster
  int watchdog_pid_ = -1;
  std::mutex mutex_;
  int databases_ = 0;
};
