// Progress records of a task's full migration on one source: the tables chosen at the first
// snapshot, each table's chunks with the rows they select, the snapshot each chunk was read at,
// and whether it is dumped and loaded. They make dump and load resumable after a crash: a
// finished chunk is never dumped or loaded again, and an unfinished one is dumped again (from a
// new snapshot if the old one is gone) with the same row selection.
//
// Records live in the checkpoint family under the (task, source), so stop-task removes them.
//
// Thread-safety: safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "common/position.hpp"

namespace dm::storage {

class database;

// One upstream table of the dump.
struct dump_table {
  std::string db;
  std::string table;
  // Where the loader writes it (routes applied).
  std::string target_db;
  std::string target_table;
  // CREATE DATABASE IF NOT EXISTS / CREATE TABLE IF NOT EXISTS for the target.
  std::string create_database;
  std::string create_table;
  // The server's estimate of its rows when it was chosen (progress totals before planning).
  uint64_t estimated_rows = 0;
  // The table has no usable key: its chunk is the whole table (see dump_chunk::whole_table).
  bool keyless = false;
  // The upstream tables foreign keys link it to share this name (empty when none): they are
  // copied at one snapshot, and their row events before it are skipped.
  std::string fk_group;
  // Its chunks are planned (recorded with the table in one batch).
  bool planned = false;
  // Downstream columns its route's extract rules fill, with their values
  // (table_schema::constant_columns).
  std::vector<std::pair<std::string, std::string>> constant_columns;
  // Keys of create_table the upstream made implicitly for a foreign key (io/implicit_fk_indexes):
  // the loader has the downstream make them the same way.
  std::vector<std::string> implicit_indexes;
};

enum class chunk_stage : uint8_t { planned, dumped, loaded };

// A part of one table: the rows a condition on its key selects, or the whole table.
struct dump_chunk {
  // "<db>.<table>.<n>" with the names percent-encoded; unique within the (task, source) and the
  // stem of its data files.
  std::string id;
  std::string db;
  std::string table;
  // Position of the chunk within its table, from 0, and the table's number of chunks.
  uint32_t number = 0;
  uint32_t chunks_in_table = 1;
  // SQL condition selecting the chunk's rows by key range; empty selects the whole table.
  std::string condition;
  // A keyless table's only chunk: its files are loaded in one transaction, and when it is
  // dumped again it is read whole from the new snapshot.
  bool whole_table = false;
  // Loaded at an earlier snapshot and dumped again at a later one (its foreign-key group must
  // be at one snapshot): loading it first deletes the rows of its range.
  bool reload = false;
  // Data files, relative to the dump directory (one per `rows` rows), and the column list and
  // SET clause of the LOAD DATA that loads them (sql::load_column_clause; set when dumped).
  std::vector<std::string> files;
  std::string load_columns;
  // The upstream position of the snapshot the rows were read at (set when dumped).
  binlog_position snapshot;
  // The upstream's executed GTID set at that snapshot (empty when unknown).
  std::string snapshot_gtid;
  // Rows counted when planned (exact for keyed tables, an estimate for keyless ones), then the
  // rows actually dumped; bytes of the data files.
  uint64_t rows = 0;
  uint64_t bytes = 0;
  // CRC32 of the data files' bytes, in `files` order. Dump files are not synced to disk; a
  // resumed dump checks a dumped chunk's files against `bytes` and this, and dumps it again
  // if they differ (after an OS crash).
  uint32_t crc32 = 0;
  chunk_stage stage = chunk_stage::planned;
};

// Secondary indexes the loader left out of a table it created (sql::split_secondary_indexes),
// recorded before the table is created and dropped once they are added back.
struct deferred_indexes {
  std::string target_db;
  std::string target_table;
  // Index definitions as SHOW CREATE TABLE wrote them; each is added by ALTER TABLE ... ADD.
  std::vector<std::string> definitions;
};

class dump_store {
 public:
  dump_store(std::shared_ptr<database> db, std::string task, std::string source);

  // The tables, ordered by name; empty before the first snapshot.
  caf::expected<std::vector<dump_table>> tables() const;
  // Records the chosen tables (at the first snapshot).
  caf::error save_tables(const std::vector<dump_table>& tables);
  // Records a table as planned together with its chunks, atomically.
  caf::error save_plan(const dump_table& table, const std::vector<dump_chunk>& chunks);

  // Every chunk, ordered by table then chunk number.
  caf::expected<std::vector<dump_chunk>> chunks() const;
  // Records a chunk's new stage, files, snapshot and counts.
  caf::error save_chunk(const dump_chunk& chunk);

  // The tables whose secondary indexes are still to be added, ordered by target name.
  caf::expected<std::vector<deferred_indexes>> deferred() const;
  caf::error save_deferred(const deferred_indexes& indexes);
  caf::error drop_deferred(const std::string& target_db, const std::string& target_table);

  // The run of this full migration (downstream load marks of other runs are not its own); 0
  // until save_run.
  caf::expected<uint64_t> run() const;
  caf::error save_run(uint64_t run);

  // Set once every chunk is loaded: the task proceeds to sync (all) or finishes (full).
  caf::expected<bool> load_finished() const;
  caf::error set_load_finished();

 private:
  std::shared_ptr<database> db_;
  std::string task_;
  std::string source_;
};

}  // namespace dm::storage
