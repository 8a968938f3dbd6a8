#include "protocol/mysql_connection.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <utility>

#include <unistd.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

namespace dm {

namespace {

void init_library_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { mysql_library_init(0, nullptr, nullptr); });
}

// What an operator should do about an error of class `code`.
const char* advice(ec code, server_role role) {
  switch (code) {
    case ec::upstream_unreachable:
      return "check that the upstream server runs and host/port in the source config are right";
    case ec::downstream_unavailable:
      return "check that the downstream server runs and target-database is right";
    case ec::upstream_access_denied:
      return "check user/password under 'from' in the source config and the user's privileges";
    case ec::downstream_access_denied:
      return "check user/password under target-database in the task config and the user's "
             "privileges";
    default:
      return role == server_role::upstream ? "check the upstream server"
                                           : "check the statement and the downstream table";
  }
}

// Where an operator sets the TLS files of a connection in role `role`.
const char* tls_settings(server_role role) {
  return role == server_role::upstream ? "from.security in the source config"
                                       : "target-database.security in the task config";
}

// Connector/C reports an unreadable TLS file as a generic TLS failure; name the file instead.
caf::error check_tls_files(const connection_params& params, server_role role,
                           const std::string& label) {
  const std::pair<const char*, const std::string*> files[] = {
      {"ssl-ca", &params.ssl_ca}, {"ssl-cert", &params.ssl_cert}, {"ssl-key", &params.ssl_key}};
  for (auto& [key, path] : files) {
    if (path->empty() || ::access(path->c_str(), R_OK) == 0) continue;
    return make_error(role == server_role::upstream ? ec::upstream_misconfigured
                                                    : ec::downstream_rejected,
                      label + ": TLS file " + *path + " (" + key + ") cannot be read: " +
                          std::strerror(errno) + "; check " + key + " under " +
                          tls_settings(role));
  }
  return {};
}

}  // namespace

ec classify_mysql_error(unsigned errnum, server_role role) {
  bool up = role == server_role::upstream;
  switch (errnum) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_IPSOCK_ERROR:
    case CR_SOCKET_CREATE_ERROR:
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case ER_QUERY_INTERRUPTED:
    case ER_TOO_MANY_USER_CONNECTIONS:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_ERROR_ON_WRITE:
    case ER_NET_WRITE_INTERRUPTED:
      return up ? ec::upstream_unreachable : ec::downstream_unavailable;
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_TABLE_FULL:
      return up ? ec::upstream_unreachable : ec::downstream_unavailable;
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      return up ? ec::upstream_access_denied : ec::downstream_access_denied;
    case ER_MASTER_FATAL_ERROR_READING_BINLOG:
      return ec::binlog_purged;
    default:
      return up ? ec::upstream_misconfigured : ec::downstream_rejected;
  }
}

void mysql_connection::closer::operator()(MYSQL* m) const { mysql_close(m); }

mysql_connection::mysql_connection(std::unique_ptr<MYSQL, closer> mysql, server_role role,
                                   std::string label)
    : mysql_(std::move(mysql)), role_(role), label_(std::move(label)) {}

mysql_connection::mysql_connection(mysql_connection&&) noexcept = default;
mysql_connection& mysql_connection::operator=(mysql_connection&&) noexcept = default;
mysql_connection::~mysql_connection() = default;

caf::expected<mysql_connection> mysql_connection::open(const connection_params& params,
                                                       server_role role, std::string label) {
  init_library_once();
  std::unique_ptr<MYSQL, closer> m{mysql_init(nullptr)};
  if (!m) return make_error(ec::unavailable, label + ": out of memory creating a connection");
  unsigned connect_timeout = static_cast<unsigned>(params.connect_timeout.count());
  unsigned read_timeout = static_cast<unsigned>(params.read_timeout.count());
  unsigned write_timeout = static_cast<unsigned>(params.write_timeout.count());
  mysql_options(m.get(), MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  if (read_timeout) mysql_options(m.get(), MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  if (write_timeout) mysql_options(m.get(), MYSQL_OPT_WRITE_TIMEOUT, &write_timeout);
  mysql_options(m.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (params.local_files) {
    unsigned on = 1;
    mysql_options(m.get(), MYSQL_OPT_LOCAL_INFILE, &on);
  }
  if (!params.init_command.empty())
    mysql_options(m.get(), MYSQL_INIT_COMMAND, params.init_command.c_str());
  if (params.max_allowed_packet)
    mysql_optionsv(m.get(), MYSQL_OPT_MAX_ALLOWED_PACKET, &params.max_allowed_packet);
  if (!params.ssl_ca.empty() || !params.ssl_cert.empty()) {
    if (auto err = check_tls_files(params, role, label)) return err;
    auto or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    mysql_ssl_set(m.get(), or_null(params.ssl_key), or_null(params.ssl_cert),
                  or_null(params.ssl_ca), nullptr, nullptr);
    my_bool on = 1;
    mysql_optionsv(m.get(), MYSQL_OPT_SSL_ENFORCE, &on);
    if (!params.ssl_ca.empty()) mysql_optionsv(m.get(), MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
  }
  // Never read option files: the connection is exactly what the config says.
  if (!mysql_real_connect(m.get(), params.host.c_str(), params.user.c_str(),
                          params.password.c_str(), nullptr, params.port, nullptr,
                          CLIENT_MULTI_STATEMENTS)) {
    mysql_connection failed{std::move(m), role, std::move(label)};
    return failed.last_error("connecting as user '" + params.user + "'");
  }
  return mysql_connection{std::move(m), role, std::move(label)};
}

caf::error mysql_connection::execute(std::string_view sql, size_t* failed_statement) {
  size_t index = 0;
  if (failed_statement) *failed_statement = 0;
  if (mysql_real_query(mysql_.get(), sql.data(), static_cast<unsigned long>(sql.size())) != 0)
    return last_error("running a statement");
  // Drain every result of a multi-statement string so the connection stays usable.
  for (;;) {
    if (MYSQL_RES* res = mysql_store_result(mysql_.get())) mysql_free_result(res);
    else if (mysql_field_count(mysql_.get()) != 0) return last_error("reading a result");
    ++index;
    auto more = mysql_next_result(mysql_.get());
    if (more > 0) {
      if (failed_statement) *failed_statement = index;
      return last_error("running a statement");
    }
    if (more < 0) break;
  }
  return caf::none;
}

namespace {

// The one file a load_local_file call may send; the callbacks of Connector/C's local infile
// handler, which refuse any other name the server asks for.
struct local_file {
  const std::string* path = nullptr;
  std::FILE* file = nullptr;
  std::string error;
};

int local_file_init(void** handle, const char* requested, void* user) {
  auto* f = static_cast<local_file*>(user);
  *handle = f;
  if (*f->path != requested) {
    f->error = std::string{"the server asked for file "} + requested + " instead of " + *f->path;
    return 1;
  }
  f->file = std::fopen(f->path->c_str(), "rb");
  if (!f->file) {
    f->error = "cannot open " + *f->path + ": " + std::strerror(errno);
    return 1;
  }
  return 0;
}

int local_file_read(void* handle, char* buffer, unsigned int length) {
  auto* f = static_cast<local_file*>(handle);
  auto n = std::fread(buffer, 1, length, f->file);
  if (n == 0 && std::ferror(f->file)) {
    f->error = "cannot read " + *f->path + ": " + std::strerror(errno);
    return -1;
  }
  return static_cast<int>(n);
}

void local_file_end(void* handle) {
  auto* f = static_cast<local_file*>(handle);
  if (f->file) std::fclose(f->file);
  f->file = nullptr;
}

int local_file_error(void* handle, char* message, unsigned int length) {
  auto* f = static_cast<local_file*>(handle);
  std::snprintf(message, length, "%s", f->error.c_str());
  return CR_UNKNOWN_ERROR;
}

}  // namespace

caf::error mysql_connection::load_local_file(std::string_view statement,
                                             const std::string& path) {
  local_file f;
  f.path = &path;
  mysql_set_local_infile_handler(mysql_.get(), local_file_init, local_file_read, local_file_end,
                                 local_file_error, &f);
  auto err = execute(statement);
  mysql_set_local_infile_default(mysql_.get());
  return err;
}

unsigned mysql_connection::warning_count() const { return mysql_warning_count(mysql_.get()); }

caf::expected<result_rows> mysql_connection::query(std::string_view sql) {
  if (mysql_real_query(mysql_.get(), sql.data(), static_cast<unsigned long>(sql.size())) != 0)
    return last_error("running a query");
  MYSQL_RES* res = mysql_store_result(mysql_.get());
  if (!res) {
    if (mysql_field_count(mysql_.get()) == 0) return result_rows{};
    return last_error("reading a result");
  }
  result_rows rows;
  auto fields = mysql_num_fields(res);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    auto lengths = mysql_fetch_lengths(res);
    result_row out(fields);
    for (unsigned i = 0; i < fields; ++i)
      if (row[i]) out[i] = std::string{row[i], lengths[i]};
    rows.push_back(std::move(out));
  }
  mysql_free_result(res);
  while (mysql_next_result(mysql_.get()) == 0)
    if (MYSQL_RES* extra = mysql_store_result(mysql_.get())) mysql_free_result(extra);
  return rows;
}

caf::error mysql_connection::stream_query(
    std::string_view sql,
    const std::function<bool(const std::vector<std::optional<std::string_view>>&)>& on_row) {
  if (mysql_real_query(mysql_.get(), sql.data(), static_cast<unsigned long>(sql.size())) != 0)
    return last_error("running a query");
  MYSQL_RES* res = mysql_use_result(mysql_.get());
  if (!res) {
    if (mysql_field_count(mysql_.get()) == 0) return caf::none;
    return last_error("reading a result");
  }
  auto fields = mysql_num_fields(res);
  std::vector<std::optional<std::string_view>> values(fields);
  bool stopped = false;
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    auto lengths = mysql_fetch_lengths(res);
    for (unsigned i = 0; i < fields; ++i)
      values[i] = row[i] ? std::optional<std::string_view>{std::string_view{row[i], lengths[i]}}
                         : std::nullopt;
    if (!on_row(values)) {
      stopped = true;
      break;
    }
  }
  // A fetch that ended on an error (not the end of the rows) leaves an error number.
  caf::error err;
  if (!stopped && mysql_errno(mysql_.get()) != 0) err = last_error("reading a result");
  mysql_free_result(res);  // with mysql_use_result, this also reads away unread rows
  if (!err)
    while (mysql_next_result(mysql_.get()) == 0)
      if (MYSQL_RES* extra = mysql_store_result(mysql_.get())) mysql_free_result(extra);
  return err;
}

caf::expected<std::optional<std::string>> mysql_connection::query_value(std::string_view sql) {
  auto rows = query(sql);
  if (!rows) return rows.error();
  if (rows->empty() || rows->front().empty()) return std::optional<std::string>{};
  return rows->front().front();
}

uint64_t mysql_connection::affected_rows() const { return mysql_affected_rows(mysql_.get()); }

unsigned mysql_connection::last_errno() const { return mysql_errno(mysql_.get()); }

caf::error mysql_connection::last_error(std::string_view what) const {
  auto errnum = mysql_errno(mysql_.get());
  auto code = classify_mysql_error(errnum, role_);
  std::string text = label_ + ": " + std::string{what} + " failed: [" + std::to_string(errnum) +
                     "] " + mysql_error(mysql_.get()) + "; " +
                     (errnum == CR_SSL_CONNECTION_ERROR
                          ? std::string{"check that the server accepts TLS and the files under "} +
                                tls_settings(role_)
                          : std::string{advice(code, role_)});
  return make_error(code, std::move(text));
}

}  // namespace dm
