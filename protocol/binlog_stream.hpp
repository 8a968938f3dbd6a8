// A replica's binlog stream from an upstream server: registers as a replica, asks for the binlog
// from a file position or a MariaDB GTID position, and hands out raw event bytes one at a time.
//
// Thread-safety: used by one thread. The stream owns its connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "protocol/binlog/event_header.hpp"
#include "protocol/gtid_set.hpp"
#include "protocol/mysql_connection.hpp"
#include "common/position.hpp"

namespace dm {

struct dump_request {
  // Our server id as a replica; must differ from every server and replica of the topology.
  uint32_t server_id = 0;
  // Where to start when `gtid` is not set. REQUIRES: non-empty file unless `gtid` is set.
  binlog_position start;
  // MariaDB GTID position to start after (the server finds the file and offset).
  std::optional<gtid_set> gtid;
  // The server sends a heartbeat event after this much idle time; it bounds how long next()
  // blocks on a quiet upstream.
  std::chrono::milliseconds heartbeat{1000};
  // Shown in the upstream's SHOW SLAVE HOSTS.
  std::string report_host = "dm-worker";
  uint16_t report_port = 0;
};

class binlog_stream {
 public:
  // Prepares `conn` (checksum, MariaDB GTID capability, heartbeat), registers as a replica and
  // requests the binlog. Fails with the server's error when the request is refused.
  static caf::expected<binlog_stream> open(mysql_connection conn, const dump_request& request);

  // Blocks until the next event and returns its bytes (header to checksum), valid until the next
  // call. Heartbeats and artificial events are returned like any other event.
  // Errors: ec::binlog_purged when the server cannot serve the position, ec::upstream_unreachable
  // when the connection drops or the server ends the stream.
  caf::expected<std::string_view> next();

  // The checksum algorithm the events carry (negotiated at open()).
  binlog::checksum_alg checksum() const { return checksum_; }

  const mysql_connection& connection() const { return conn_; }

 private:
  binlog_stream(mysql_connection conn, binlog::checksum_alg checksum)
      : conn_(std::move(conn)), checksum_(checksum) {}

  mysql_connection conn_;
  binlog::checksum_alg checksum_;
};

}  // namespace dm
