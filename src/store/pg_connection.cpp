#include "store/pg_connection.hpp"

#include <poll.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <utility>

namespace store::pg {

namespace {

// Failures after which the connection cannot be used again: the server closed it (admin or
// crash shutdown, pg_terminate_backend) or the link itself broke (class 08).
bool ends_connection(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

std::string trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "no message" : text;
}

[[noreturn]] void malformed(std::string_view what, std::string_view text) {
  throw StoreError(StoreError::Kind::unavailable,
                   "postgres: malformed " + std::string(what) + " '" + std::string(text) + "'");
}

// libpq prints notices (e.g. "relation already exists, skipping") on stderr by default; here
// they are dropped, except that a FATAL one, which libpq passes on when it arrives on an idle
// connection, is the server's last word before it closes the connection.
void on_notice(void* arg, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr &&
      (std::strcmp(severity, "FATAL") == 0 || std::strcmp(severity, "PANIC") == 0)) {
    static_cast<Connection*>(arg)->mark_broken();
  }
}

bool readable_now(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

}  // namespace

StoreError::Kind error_kind(std::string_view sqlstate) {
  if (sqlstate == "23503") return StoreError::Kind::not_found;  // foreign_key_violation
  if (sqlstate.starts_with("23") || sqlstate.starts_with("22")) return StoreError::Kind::conflict;
  return StoreError::Kind::unavailable;
}

// --- Params ---

Params& Params::add(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

Params& Params::add(bool value) {
  values_.emplace_back(value ? "true" : "false");
  return *this;
}

Params& Params::add(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    throw StoreError(StoreError::Kind::conflict,
                     "postgres: text with a NUL character cannot be stored");
  }
  values_.emplace_back(std::string(text));
  return *this;
}

Params& Params::add(const std::optional<std::string>& text) {
  if (!text) return add_null();
  return add(std::string_view(*text));
}

Params& Params::add(const std::optional<double>& value) {
  if (!value) return add_null();
  // The shortest text that reads back as the same double; PostgreSQL (extra_float_digits >= 1,
  // the default since 12) writes float8 the same way, so values round-trip exactly.
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *value);
  if (ec != std::errc()) malformed("number", "?");
  values_.emplace_back(std::string(buffer, end));
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back();
  return *this;
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

// --- Result ---

bool Result::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string Result::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t Result::int64(int row, int column) const {
  const char* begin = PQgetvalue(result_.get(), row, column);
  const char* end = begin + PQgetlength(result_.get(), row, column);
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end) malformed("integer", std::string_view(begin, end - begin));
  return value;
}

bool Result::boolean(int row, int column) const {
  const std::string_view v = PQgetvalue(result_.get(), row, column);
  if (v == "t") return true;
  if (v == "f") return false;
  malformed("boolean", v);
}

std::optional<std::string> Result::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::optional<double> Result::optional_double(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  const char* begin = PQgetvalue(result_.get(), row, column);
  const char* end = begin + PQgetlength(result_.get(), row, column);
  double value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end) malformed("number", std::string_view(begin, end - begin));
  return value;
}

Timestamp Result::timestamp(int row, int column) const {
  return Timestamp{std::chrono::milliseconds{int64(row, column)}};
}

// --- Connection ---

Connection::Connection(const std::string& url) {
  // Earlier keywords are defaults the URL may override; later ones are forced. The URL goes to
  // libpq as is (expand_dbname), with whatever parameters it carries (sslmode, host=/socket).
  // Over TCP, a server that vanished without closing the connection (a dead host, a partition)
  // is noticed within about a minute instead of the system's two hours: keepalives on idle
  // connections, and tcp_user_timeout for data the server never acknowledges.
  // Server-side bounds: a node that dies in the middle of a comment batch leaves its transaction
  // open, holding the lock that orders comment ids, until the server notices; ended after a
  // minute of idleness instead, and no statement waits more than 10 s for a lock (it fails as
  // unavailable, a 503, rather than holding a worker thread).
  const std::pair<const char*, const char*> settings[] = {
      {"connect_timeout", "5"},
      {"application_name", "reportd"},
      {"keepalives_idle", "30"},
      {"keepalives_interval", "10"},
      {"keepalives_count", "3"},
      {"tcp_user_timeout", "60000"},
      {"options", "-c lock_timeout=10000 -c idle_in_transaction_session_timeout=60000"},
      {"dbname", url.c_str()},
      {"client_encoding", "UTF8"},
  };
  std::vector<const char*> keywords, values;
  for (const auto& [keyword, value] : settings) {
    keywords.push_back(keyword);
    values.push_back(value);
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (conn_ == nullptr) {
    throw StoreError(StoreError::Kind::unavailable, "postgres: cannot connect: out of memory");
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string what = "postgres: cannot connect: " + trimmed(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw StoreError(StoreError::Kind::unavailable, what);
  }
  PQsetNoticeReceiver(conn_, on_notice, this);
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool Connection::usable() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK;
}

bool Connection::still_alive() {
  // An idle connection receives nothing but the odd notice: whatever is waiting is read (a
  // FATAL notice marks the connection broken, and the end of the stream makes it BAD). Each
  // read takes what is there; the end of the stream shows on the next one.
  for (int reads = 0; reads < 4 && usable() && readable_now(PQsocket(conn_)); ++reads) {
    if (PQconsumeInput(conn_) == 0) broken_ = true;
  }
  return usable();
}

void Connection::exec(std::string_view sql) {
  Result result(PQexec(conn_, std::string(sql).c_str()));
  if (!result || (result.status() != PGRES_COMMAND_OK && result.status() != PGRES_TUPLES_OK)) {
    fail(result, sql.substr(0, 48));
  }
}

void Connection::prepare(const Statement& stmt) {
  if (prepared_.contains(stmt.name)) return;
  Result result(PQprepare(conn_, stmt.name.c_str(), stmt.sql.c_str(), 0, nullptr));
  if (!result || result.status() != PGRES_COMMAND_OK) fail(result, "prepare " + stmt.name);
  prepared_.insert(stmt.name);
}

Result Connection::run(const Statement& stmt, const Params& params) {
  prepare(stmt);
  const auto values = params.pointers();
  Result result(
      PQexecPrepared(conn_, stmt.name.c_str(), params.size(), values.data(), nullptr, nullptr, 0));
  if (!result || (result.status() != PGRES_COMMAND_OK && result.status() != PGRES_TUPLES_OK)) {
    fail(result, stmt.name);
  }
  return result;
}

void Connection::fail(const Result& result, std::string_view context) {
  if (!result) fail(context);
  const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
  const std::string_view sqlstate = state != nullptr ? state : "";
  if (ends_connection(sqlstate) || PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  std::string what =
      "postgres: " + std::string(context) + ": " + trimmed(PQresultErrorMessage(result.get()));
  if (!sqlstate.empty()) what += " (SQLSTATE " + std::string(sqlstate) + ")";
  throw StoreError(broken_ ? StoreError::Kind::unavailable : error_kind(sqlstate), what);
}

void Connection::fail(std::string_view context) {
  if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  throw StoreError(StoreError::Kind::unavailable,
                   "postgres: " + std::string(context) + ": " + trimmed(PQerrorMessage(conn_)));
}

// --- Transaction ---

Transaction::Transaction(Connection& conn) : conn_(conn) {
  conn_.exec("BEGIN");
}

Transaction::~Transaction() {
  if (done_ || !conn_.usable()) return;
  Result result(PQexec(conn_.get(), "ROLLBACK"));
  if (!result || result.status() != PGRES_COMMAND_OK) conn_.mark_broken();
}

void Transaction::commit() {
  done_ = true;  // whatever the answer, the transaction is over (or the connection is gone)
  Result result(PQexec(conn_.get(), "COMMIT"));
  require_committed(conn_, result);
}

void require_committed(Connection& conn, const Result& result) {
  if (!result || result.status() != PGRES_COMMAND_OK) conn.fail(result, "COMMIT");
  if (std::strcmp(PQcmdStatus(result.get()), "COMMIT") != 0) {
    throw StoreError(StoreError::Kind::unavailable,
                     "postgres: the transaction was rolled back instead of committed");
  }
}

}  // namespace store::pg
