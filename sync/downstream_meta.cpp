#include "sync/downstream_meta.hpp"

#include <random>

#include "protocol/sql/quote.hpp"

namespace dm {

uint64_t new_run_id() {
  std::random_device device;
  std::mt19937_64 generator{(static_cast<uint64_t>(device()) << 32) ^ device()};
  uint64_t id = 0;
  while (id == 0) id = generator();
  return id;
}

std::string meta_table(const std::string& meta_schema, const char* table) {
  return sql::qualified_name(meta_schema, table);
}

std::vector<std::string> meta_tables_ddl(const std::string& meta_schema) {
  std::string db = "CREATE DATABASE IF NOT EXISTS ";
  sql::append_identifier(db, meta_schema);
  // Key lengths stay within InnoDB's and TiDB's 3072 bytes.
  return {db,
          "CREATE TABLE IF NOT EXISTS " + meta_table(meta_schema, "load_marks") +
              " (task VARBINARY(128) NOT NULL, source VARBINARY(128) NOT NULL, chunk "
              "VARBINARY(2048) NOT NULL, run BIGINT UNSIGNED NOT NULL, PRIMARY KEY (task, "
              "source, chunk))",
          "CREATE TABLE IF NOT EXISTS " + meta_table(meta_schema, "apply_marks") +
              " (task VARBINARY(128) NOT NULL, source VARBINARY(128) NOT NULL, grp "
              "VARBINARY(2048) NOT NULL, run BIGINT UNSIGNED NOT NULL, segment INT UNSIGNED NOT "
              "NULL, file_index INT UNSIGNED NOT NULL, event_offset INT UNSIGNED NOT NULL, "
              "row_index INT UNSIGNED NOT NULL, PRIMARY KEY (task, source, grp))",
          "CREATE TABLE IF NOT EXISTS " + meta_table(meta_schema, "sync_checkpoints") +
              " (task VARBINARY(128) NOT NULL, source VARBINARY(128) NOT NULL, writer INT NOT "
              "NULL, epoch BIGINT NOT NULL, run BIGINT UNSIGNED NOT NULL, segment INT UNSIGNED NOT "
              "NULL, file_index INT "
              "UNSIGNED NOT NULL, event_offset INT UNSIGNED NOT NULL, binlog_name VARBINARY(512) "
              "NOT NULL, binlog_pos INT UNSIGNED NOT NULL, gtid_set LONGBLOB NOT NULL, "
              "safe_segment INT UNSIGNED NOT NULL, safe_file_index INT UNSIGNED NOT NULL, "
              "safe_offset INT UNSIGNED NOT NULL, updated TIMESTAMP(6) NOT NULL DEFAULT "
              "CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), PRIMARY KEY (task, source, "
              "epoch, writer))",
          "CREATE TABLE IF NOT EXISTS " + meta_table(meta_schema, "fence_slots") +
              " (task VARBINARY(128) NOT NULL, source VARBINARY(128) NOT NULL, slot INT NOT "
              "NULL, epoch BIGINT NOT NULL, raised TIMESTAMP(6) NOT NULL DEFAULT "
              "CURRENT_TIMESTAMP(6), PRIMARY KEY (task, source, slot))"};
}

std::string scope_condition(const meta_scope& scope) {
  std::string out = " WHERE task = ";
  sql::append_escaped(out, scope.task);
  out += " AND source = ";
  sql::append_escaped(out, scope.source);
  return out;
}

}  // namespace dm
