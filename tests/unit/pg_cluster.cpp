#include "pg_cluster.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace {

namespace fs = std::filesystem;

constexpr int kPort = 5432;  // only names the socket file: the folder is ours alone

std::mutex instance_mutex;
std::unique_ptr<PgCluster> instance;
std::string start_error;

fs::path find_bindir() {
  if (const char* dir = std::getenv("PG_BINDIR"); dir && *dir) return dir;
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (fs::exists(entry.path() / "bin" / "pg_ctl")) found.push_back(entry.path() / "bin");
  }
  if (found.empty()) {
    throw std::runtime_error(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or "
        "$PG_BINDIR: install them with scripts/install-deps");
  }
  std::sort(found.begin(), found.end());
  return found.back();  // the newest version
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// gtest tears the environment down after the last test, whatever the results.
class PgClusterEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { PgCluster::shutdown(); }
};

[[maybe_unused]] const auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new PgClusterEnvironment);

}  // namespace

PgCluster& PgCluster::get() {
  std::lock_guard lock(instance_mutex);
  if (instance) return *instance;
  if (!start_error.empty()) throw std::runtime_error(start_error);
  try {
    instance.reset(new PgCluster());
  } catch (const std::exception& e) {
    start_error = std::string("cannot start a PostgreSQL cluster for the tests: ") + e.what();
    throw std::runtime_error(start_error);
  }
  return *instance;
}

void PgCluster::shutdown() {
  std::lock_guard lock(instance_mutex);
  instance.reset();
}

PgCluster::PgCluster() {
  bindir_ = find_bindir();
  std::string pattern = "/tmp/reportd_pg.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  folder_ = pattern;
  data_ = folder_ / "data";
  try {
    as_postgres_ = geteuid() == 0;
    if (as_postgres_) {
      const passwd* pw = getpwnam("postgres");
      if (pw == nullptr) throw std::runtime_error("running as root, but there is no user postgres");
      if (chown(folder_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        throw std::runtime_error("cannot give " + folder_.string() + " to postgres");
      }
    }
    start_watchdog();
    const auto log = folder_ / "commands.log";
    if (run({(bindir_ / "initdb").string(), "-D", data_.string(), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale=C", "-N"},
            log) != 0) {
      throw std::runtime_error("initdb failed:\n" + read_file(log));
    }
    start_server();
  } catch (...) {
    stop_and_remove();
    throw;
  }
}

PgCluster::~PgCluster() {
  stop_and_remove();
}

void PgCluster::start_server() {
  const auto log = folder_ / "commands.log";
  const std::string options = "-c listen_addresses='' -k " + folder_.string() + " -p " +
                              std::to_string(kPort) + " -c fsync=off";
  // -w waits (at most -t seconds) until the server accepts connections.
  if (run({(bindir_ / "pg_ctl").string(), "-D", data_.string(), "-l",
           (folder_ / "server.log").string(), "-w", "-t", "30", "-o", options, "start"},
          log) != 0) {
    throw std::runtime_error("pg_ctl start failed:\n" + read_file(log) + server_log());
  }
}

void PgCluster::stop_server() {
  run({(bindir_ / "pg_ctl").string(), "-D", data_.string(), "-m", "immediate", "-w", "-t", "30",
       "stop"},
      folder_ / "commands.log");
}

std::string PgCluster::server_log() const {
  return "\nserver log:\n" + read_file(folder_ / "server.log");
}

// A child that waits for the end of the pipe's write side, which only this process holds (it is
// close-on-exec): when the test process ends, however it ends, the child stops the server and
// removes the folder. In its own session, so that a kill of the test's process group spares it.
void PgCluster::start_watchdog() {
  std::string stop = (bindir_ / "pg_ctl").string() + " -D " + data_.string() +
                     " -m immediate -w -t 30 stop >/dev/null 2>&1";
  if (as_postgres_) stop = "runuser -u postgres -- " + stop;
  const std::string script = "cd /; " + stop + "; rm -rf " + folder_.string();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    close(fds[1]);
    setsid();
    for (char byte;;) {
      const ssize_t n = read(fds[0], &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
    }
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  watchdog_pipe_ = fds[1];
  watchdog_pid_ = pid;
}

void PgCluster::stop_and_remove() {
  if (watchdog_pid_ > 0) {
    close(watchdog_pipe_);
    int status = 0;
    while (waitpid(watchdog_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    watchdog_pid_ = -1;
    return;
  }
  std::error_code ec;
  fs::remove_all(folder_, ec);
}

int PgCluster::run(std::vector<std::string> argv, const fs::path& log) const {
  if (as_postgres_) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const std::string log_path = log.string();
  const std::string dir = folder_.string();
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    // postgres may not be allowed into the test's working directory.
    if (chdir(dir.c_str()) != 0) _exit(126);
    int out = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string PgCluster::url(const std::string& name) const {
  return "postgresql:///" + name + "?host=" + folder_.string() + "&port=" + std::to_string(kPort) +
         "&user=postgres";
}

std::string PgCluster::create_database() {
  std::string name;
  {
    std::lock_guard lock(mutex_);
    name = "t_" + std::to_string(++databases_);
  }
  query(url("postgres"), "CREATE DATABASE " + name);
  return url(name);
}

std::vector<std::vector<std::string>> PgCluster::query(const std::string& url,
                                                       const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect to the test cluster: " +
                             std::string(PQerrorMessage(conn.get())));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("\"" + sql + "\" failed: " + PQerrorMessage(conn.get()));
  }
  std::vector<std::vector<std::string>> rows;
  for (int r = 0; r < PQntuples(result.get()); ++r) {
    auto& row = rows.emplace_back();
    for (int c = 0; c < PQnfields(result.get()); ++c)
      row.emplace_back(PQgetvalue(result.get(), r, c));
  }
  return rows;
}
