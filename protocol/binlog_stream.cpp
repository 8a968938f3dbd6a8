#include "protocol/binlog_stream.hpp"

#include <mysql.h>

#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

constexpr uint8_t com_binlog_dump = 0x12;
constexpr uint8_t com_register_slave = 0x15;
constexpr uint8_t com_binlog_dump_gtid = 0x1e;
// COM_BINLOG_DUMP_GTID flag: the GTID set decides the start, not file and position.
constexpr uint16_t dump_through_gtid = 0x04;
// Ask MariaDB for GTID events, annotate-rows events and binlog checkpoints as they are in the
// file (MARIA_SLAVE_CAPABILITY_GTID).
constexpr int mariadb_slave_capability = 4;
// COM_BINLOG_DUMP flag: send Annotate_rows events (MariaDB).
constexpr uint16_t dump_send_annotate_rows = 2;

void put_le(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

int send_command(MYSQL* m, uint8_t command, const std::string& payload) {
  return m->methods->db_command(m, static_cast<enum_server_command>(command), payload.data(),
                                payload.size(), 1, nullptr);
}

}  // namespace

caf::expected<binlog_stream> binlog_stream::open(mysql_connection conn,
                                                 const dump_request& request) {
  auto checksum_name = conn.query_value("SELECT @@global.binlog_checksum");
  if (!checksum_name) return checksum_name.error();
  auto checksum = checksum_name->value_or("NONE") == "CRC32" ? binlog::checksum_alg::crc32
                                                             : binlog::checksum_alg::off;
  std::string setup = "SET @master_binlog_checksum = @@global.binlog_checksum, "
                      "@mariadb_slave_capability = " +
                      std::to_string(mariadb_slave_capability) +
                      ", @master_heartbeat_period = " +
                      std::to_string(std::chrono::nanoseconds{request.heartbeat}.count());
  bool mysql_gtid = request.gtid && request.gtid->kind() == gtid_set::flavor::mysql;
  if (request.gtid && !mysql_gtid) {
    setup += ", @slave_connect_state = ";
    sql::append_escaped(setup, request.gtid->to_string());
    setup += ", @slave_gtid_strict_mode = 1, @slave_gtid_ignore_duplicates = 0";
  }
  if (auto err = conn.execute(setup)) return err;

  MYSQL* m = conn.handle();
  // COM_REGISTER_SLAVE: server id, host, user, password, port, rank, master id.
  std::string reg;
  put_le(reg, request.server_id, 4);
  auto host = request.report_host.substr(0, 255);
  reg += static_cast<char>(host.size());
  reg += host;
  reg += '\0';  // user
  reg += '\0';  // password
  put_le(reg, request.report_port, 2);
  put_le(reg, 0, 4);
  put_le(reg, 0, 4);
  if (send_command(m, com_register_slave, reg) != 0 || mysql_net_read_packet(m) == packet_error)
    return conn.last_error("registering as replica with server id " +
                           std::to_string(request.server_id));

  if (mysql_gtid) {
    // COM_BINLOG_DUMP_GTID: flags, server id, file name (empty), position, SID block.
    std::string dump;
    put_le(dump, dump_through_gtid, 2);
    put_le(dump, request.server_id, 4);
    put_le(dump, 0, 4);
    put_le(dump, 4, 8);
    auto sids = request.gtid->mysql_binary();
    put_le(dump, sids.size(), 4);
    dump += sids;
    if (send_command(m, com_binlog_dump_gtid, dump) != 0)
      return conn.last_error("requesting the binlog after GTID set " + request.gtid->to_string());
    return binlog_stream{std::move(conn), checksum};
  }
  // COM_BINLOG_DUMP: position, flags, server id, file name (empty with a GTID connect state).
  std::string dump;
  put_le(dump, request.gtid ? 4 : request.start.pos, 4);
  put_le(dump, dump_send_annotate_rows, 2);
  put_le(dump, request.server_id, 4);
  if (!request.gtid) dump += request.start.file;
  if (send_command(m, com_binlog_dump, dump) != 0)
    return conn.last_error("requesting the binlog from " +
                           (request.gtid ? "GTID " + request.gtid->to_string()
                                         : to_string(request.start)));
  return binlog_stream{std::move(conn), checksum};
}

caf::expected<std::string_view> binlog_stream::next() {
  MYSQL* m = conn_.handle();
  auto len = mysql_net_read_packet(m);
  if (len == packet_error || len == 0) return conn_.last_error("reading the binlog stream");
  auto* p = reinterpret_cast<const char*>(m->net.read_pos);
  auto status = static_cast<uint8_t>(p[0]);
  if (status == 0xfe && len < 9)
    return make_error(ec::upstream_unreachable,
                      conn_.label() + ": the server ended the binlog stream; dm-worker "
                                      "reconnects");
  if (status == 0xff) {
    // Error packet: code (2), '#', SQL state (5), message.
    unsigned errnum = len >= 3 ? (static_cast<uint8_t>(p[1]) | static_cast<uint8_t>(p[2]) << 8) : 0;
    std::string message = len > 9 ? std::string{p + 9, len - 9} : std::string{};
    auto code = classify_mysql_error(errnum, server_role::upstream);
    return make_error(code, conn_.label() + ": the server stopped the binlog stream: [" +
                                std::to_string(errnum) + "] " + message);
  }
  return std::string_view{p + 1, len - 1};
}

}  // namespace dm

