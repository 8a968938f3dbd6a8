// A client connection to an upstream or downstream server (MariaDB Connector/C), with every
// failure turned into a project error that keeps the server's own code and text.
//
// Thread-safety: one connection is used by one thread at a time. Not copyable; movable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "common/error.hpp"

typedef struct st_mysql MYSQL;

namespace dm {

struct connection_params {
  std::string host = "127.0.0.1";
  uint16_t port = 3306;
  std::string user = "root";
  std::string password;
  std::chrono::seconds connect_timeout{10};
  // 0 disables the timeout.
  std::chrono::seconds read_timeout{0};
  std::chrono::seconds write_timeout{0};
  // Largest packet the client accepts; 0 keeps the library default. Binlog streams raise it to
  // 1 GiB so that any event the server can write can be read.
  unsigned long max_allowed_packet = 0;
  // Lets the connection send files for LOAD DATA LOCAL INFILE; it then sends only the file
  // named to load_local_file, whatever file the server asks for.
  bool local_files = false;
  // TLS: set ssl_ca to require TLS and verify the server's certificate (its name must match
  // host); ssl_cert and ssl_key present a client certificate. PEM files; empty: no TLS.
  std::string ssl_ca;
  std::string ssl_cert;
  std::string ssl_key;
  // Statement the server runs on every (re)connect before any other, e.g. "SET SESSION a = 1";
  // empty: none.
  std::string init_command;
};

// Which side a connection talks to; decides how server errors are classified.
enum class server_role : uint8_t { upstream, downstream };

using result_row = std::vector<std::optional<std::string>>;
using result_rows = std::vector<result_row>;

class mysql_connection {
 public:
  // Connects with utf8mb4 as the connection charset. `label` names the object for messages,
  // e.g. "upstream of source mysql-01 (127.0.0.1:3306)".
  static caf::expected<mysql_connection> open(const connection_params& params, server_role role,
                                              std::string label);

  mysql_connection(mysql_connection&&) noexcept;
  mysql_connection& operator=(mysql_connection&&) noexcept;
  ~mysql_connection();

  // Runs one or several ';'-separated statements (results, if any, are discarded). On failure,
  // `failed_statement` (if given) receives the 0-based index of the statement that failed.
  caf::error execute(std::string_view sql, size_t* failed_statement = nullptr);

  // Runs a query and returns all its rows (NULL as nullopt).
  caf::expected<result_rows> query(std::string_view sql);

  // Runs a query and hands its rows to `on_row` as they arrive, without buffering the result
  // (mysql_use_result): `fields[i]` is the i-th value, nullopt for NULL, valid only during the
  // call. `on_row` returns false to stop early (the rest of the result is then discarded).
  caf::error stream_query(
      std::string_view sql,
      const std::function<bool(const std::vector<std::optional<std::string_view>>& fields)>&
          on_row);

  // Runs a query expected to return one row with one value; nullopt when it returns no row.
  caf::expected<std::optional<std::string>> query_value(std::string_view sql);

  // Runs `statement`, a LOAD DATA LOCAL INFILE naming `path`, and sends the server that file.
  // Needs connection_params::local_files. Warnings are left for warning_count/SHOW WARNINGS.
  caf::error load_local_file(std::string_view statement, const std::string& path);

  // Rows changed by the last statement.
  uint64_t affected_rows() const;

  // Warnings the last statement raised.
  unsigned warning_count() const;

  // The server's error number of the last failed call, 0 if none.
  unsigned last_errno() const;

  // An error describing the connection's current server error for operation `what`.
  caf::error last_error(std::string_view what) const;

  // The underlying handle, for binlog streaming. Valid while this object lives.
  MYSQL* handle() const { return mysql_.get(); }

  const std::string& label() const { return label_; }
  server_role role() const { return role_; }

 private:
  struct closer {
    void operator()(MYSQL* m) const;
  };
  mysql_connection(std::unique_ptr<MYSQL, closer> mysql, server_role role, std::string label);

  std::unique_ptr<MYSQL, closer> mysql_;
  server_role role_;
  std::string label_;
};

// Classifies a server or client error number for `role` (see common/error.hpp).
ec classify_mysql_error(unsigned errnum, server_role role);

}  // namespace dm
