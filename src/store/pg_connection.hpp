#pragma once
// A thin RAII layer over libpq: a result, a connection with its prepared statements (prepared
// once per connection, on first use), and the mapping of server errors onto StoreError. Values
// travel only as parameters, in text format. Not thread-safe: one connection is used by one
// thread at a time (the pool lends it).

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "store/store.hpp"

namespace store::pg {

// How a SQLSTATE maps onto the store's error kinds, as the SQLite store does: unique, check and
// not-null violations and bad data (class 22) are conflicts, a foreign key violation is
// not_found (the row referred to does not exist), everything else is unavailable.
StoreError::Kind error_kind(std::string_view sqlstate);

// A statement prepared on every connection that runs it, under `name`. The SQL text is a
// constant: values are always parameters ($1, $2, ...).
struct Statement {
  std::string name;
  std::string sql;
};

// Text parameters; nullopt is NULL.
class Params {
 public:
  Params& add(std::int64_t value);
  Params& add(bool value);
  // Refused (StoreError conflict) when it contains a NUL byte: PostgreSQL text cannot hold one,
  // and a C string would silently cut it there.
  Params& add(std::string_view text);
  // Without this, a string literal would convert to bool.
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& add(const std::optional<std::string>& text);
  Params& add(const std::optional<double>& value);
  Params& add_null();

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into this object; valid while it lives and is not changed.
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

class Result {
 public:
  Result() = default;
  explicit Result(PGresult* result) : result_(result) {}

  PGresult* get() const { return result_.get(); }
  explicit operator bool() const { return result_ != nullptr; }
  ExecStatusType status() const { return PQresultStatus(result_.get()); }
  int rows() const { return PQntuples(result_.get()); }

  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  bool boolean(int row, int column) const;
  std::optional<std::string> optional_text(int row, int column) const;
  std::optional<double> optional_double(int row, int column) const;
  // A column written as epoch milliseconds (see kMillis in pg_store.cpp).
  Timestamp timestamp(int row, int column) const;

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

class Connection {
 public:
  // Connects to `url` (a postgres:// or postgresql:// URI or a conninfo string, handed to libpq
  // as is); throws StoreError(unavailable) with libpq's message, which never holds the password.
  explicit Connection(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* get() const { return conn_; }

  // False once the server went away (or a protocol error left the connection unusable): the
  // pool then drops it instead of lending it again.
  bool usable() const;
  // Reads what the server may have sent while the connection sat idle (a FATAL notice before
  // the server closed it); false if the connection turns out to be gone. Never blocks.
  bool still_alive();
  void mark_broken() { broken_ = true; }

  // Runs parameterless SQL with the simple protocol: DDL, BEGIN, COMMIT; several statements
  // may be joined with ';'. Throws StoreError on failure.
  void exec(std::string_view sql);

  // Prepares `stmt` on this connection unless done already.
  void prepare(const Statement& stmt);
  // Runs a prepared statement; returns its result (rows or command status). Throws StoreError.
  Result run(const Statement& stmt, const Params& params);

  // Throws the StoreError that describes `result` (a failure), naming `context`. Marks the
  // connection broken if the failure left it unusable.
  [[noreturn]] void fail(const Result& result, std::string_view context);
  // The same for a failure that produced no result (the connection's own message).
  [[noreturn]] void fail(std::string_view context);

 private:
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  std::unordered_set<std::string> prepared_;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() succeeded. commit() throws
// unless the server answered COMMIT (a transaction that failed answers ROLLBACK to a COMMIT).
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection& conn_;
  bool done_ = false;
};

// Throws StoreError(unavailable) unless the server answered a COMMIT with "COMMIT".
void require_committed(Connection& conn, const Result& result);

}  // namespace store::pg
