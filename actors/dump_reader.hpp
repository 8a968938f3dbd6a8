// One upstream connection of a dump, inside the dump's snapshot. It plans tables into chunks
// (key ranges of `rows` rows, found by reading the key in order) and writes chunks to data
// files. The connection arrives with its snapshot transaction open, `SET NAMES binary` and UTC
// (protocol/sql/dump_rows.hpp).
//
// Data files (the dump format, see README "Dump files"): one row per line in LOAD DATA's text
// format (protocol/sql/dump_rows.hpp); the chunk record holds the LOAD DATA column clause, the
// files' size and CRC32. A file is written as "<name>.tmp" and renamed when complete.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "actors/interfaces.hpp"
#include "protocol/mysql_connection.hpp"
#include "protocol/table_schema.hpp"

namespace dm {

struct dump_reader_state {
  static inline const char* name = "dump_reader";

  std::shared_ptr<mysql_connection> conn;
  // The snapshot the connection reads (binlog position and GTID set at it).
  binlog_position snapshot;
  std::string snapshot_gtid;
  std::string dir;
  uint32_t rows_per_chunk = 0;
  std::map<std::pair<std::string, std::string>, table_schema> schemas;
};

dump_reader_actor::behavior_type dump_reader(
    dump_reader_actor::stateful_pointer<dump_reader_state> self,
    std::shared_ptr<mysql_connection> conn, binlog_position snapshot, std::string snapshot_gtid,
    std::string dir, uint32_t rows_per_chunk);

}  // namespace dm
