#include "actors/dump_reader.hpp"

#include "common/defaults.hpp"

#include <mysqld_error.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <caf/all.hpp>

#include "protocol/binlog/event_header.hpp"
#include "common/log.hpp"
#include "protocol/schema_loader.hpp"
#include "protocol/sql/dump_rows.hpp"
#include "protocol/sql/quote.hpp"

namespace dm {

namespace {

using self_ptr = dump_reader_actor::stateful_pointer<dump_reader_state>;

// Rows are written to the file in blocks of about this size.
constexpr size_t block_bytes = defaults::dump_block_bytes;

caf::expected<const table_schema*> schema_of(self_ptr self, const std::string& db,
                                             const std::string& table) {
  auto& st = self->state;
  auto key = std::make_pair(db, table);
  auto it = st.schemas.find(key);
  if (it == st.schemas.end()) {
    auto schema = load_table_schema(*st.conn, db, table);
    if (!schema) return schema.error();
    it = st.schemas.emplace(key, std::move(*schema)).first;
  }
  return &it->second;
}

// A failed read of db.table at the snapshot, named for what it is when the table's definition
// changed after the snapshot was taken (InnoDB cannot read it there): no retry at another
// snapshot copies it consistently with the tables read at this one.
caf::error read_failure(self_ptr self, const storage::dump_table& t, caf::error err) {
  if (self->state.conn->last_errno() != ER_TABLE_DEF_CHANGED) return err;
  return make_error(ec::invalid_state,
                    "table " + sql::qualified_name(t.db, t.table) +
                        " changed its definition upstream (a schema change) after the dump's "
                        "snapshot was taken, so it cannot be copied at that snapshot; once the "
                        "schema change is done, drop the table downstream if the task created "
                        "it, then stop-task and start-task again (a new copy at a new snapshot) "
                        "(" + describe(err) + ")");
}

std::string chunk_id(const storage::dump_table& t, uint32_t number) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%05u", number);
  return sql::file_name_part(t.db) + "." + sql::file_name_part(t.table) + "." + digits;
}

// Writes one data file: rows go to "<path>.tmp", which is renamed on close. The file is
// not synced: a process crash keeps what was written, and after an OS crash the dumper finds a
// damaged file by its chunk's size and CRC32 and dumps the chunk again.
class data_file {
 public:
  static caf::expected<data_file> create(const std::string& path) {
    data_file f;
    f.path_ = path;
    f.file_ = std::fopen((path + ".tmp").c_str(), "wb");
    if (!f.file_)
      return make_error(ec::io_failed, "cannot create dump file " + path + ".tmp: " +
                                           std::strerror(errno) + "; check the loader's dir");
    return f;
  }
  data_file() = default;
  data_file(data_file&& o) noexcept : path_(std::move(o.path_)), file_(o.file_) {
    o.file_ = nullptr;
  }
  data_file& operator=(data_file&& o) noexcept {
    std::swap(path_, o.path_);
    std::swap(file_, o.file_);
    return *this;
  }
  ~data_file() {
    if (file_) std::fclose(file_);
  }
  caf::error write(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), file_) == text.size()) return caf::none;
    return make_error(ec::io_failed, "cannot write dump file " + path_ + ": " +
                                         std::strerror(errno) + "; check the free disk space");
  }
  caf::error close() {
    bool ok = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!ok || std::rename((path_ + ".tmp").c_str(), path_.c_str()) != 0)
      return make_error(ec::io_failed, "cannot complete dump file " + path_ + ": " +
                                           std::strerror(errno));
    return caf::none;
  }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

caf::expected<std::vector<storage::dump_chunk>> plan(self_ptr self,
                                                     const storage::dump_table& t) {
  auto& st = self->state;
  auto schema = schema_of(self, t.db, t.table);
  if (!schema) return schema.error();
  const auto& key = (*schema)->identity_key();
  std::vector<storage::dump_chunk> chunks;
  auto add = [&](std::string condition, uint64_t rows) {
    storage::dump_chunk c;
    c.number = static_cast<uint32_t>(chunks.size());
    c.id = chunk_id(t, c.number);
    c.db = t.db;
    c.table = t.table;
    c.condition = std::move(condition);
    c.whole_table = key.empty();
    c.rows = rows;
    chunks.push_back(std::move(c));
  };
  if (key.empty()) {
    add("", t.estimated_rows);
  } else {
    // Every rows_per_chunk-th key (in key order) ends a chunk; the last chunk is open-ended, so
    // the ranges cover every key, also ones written after this snapshot.
    std::string order;
    for (auto i : key) {
      if (!order.empty()) order += ',';
      sql::append_identifier(order, (*schema)->columns[i].name);
    }
    auto query = "SELECT " + sql::dump_select_list(**schema, key) + " FROM " +
                 sql::qualified_name(t.db, t.table) + " ORDER BY " + order;
    std::vector<std::string> lower;
    uint64_t in_chunk = 0;
    auto err = st.conn->stream_query(query, [&](const auto& fields) {
      if (++in_chunk < st.rows_per_chunk) return true;
      std::vector<std::string> upper(key.size());
      for (size_t k = 0; k < key.size(); ++k)
        sql::append_dump_value(upper[k], fields[k], (*schema)->columns[key[k]]);
      add(sql::key_range_condition(**schema, key, lower, upper), in_chunk);
      lower = std::move(upper);
      in_chunk = 0;
      return true;
    });
    if (err) return read_failure(self, t, std::move(err));
    add(sql::key_range_condition(**schema, key, lower, {}), in_chunk);
  }
  for (auto& c : chunks) c.chunks_in_table = static_cast<uint32_t>(chunks.size());
  return chunks;
}

caf::expected<storage::dump_chunk> dump(self_ptr self, const storage::dump_table& t,
                                        storage::dump_chunk chunk) {
  auto& st = self->state;
  auto schema = schema_of(self, t.db, t.table);
  if (!schema) return schema.error();
  auto columns = sql::dumped_columns(**schema);
  auto query = "SELECT " + sql::dump_select_list(**schema, columns) + " FROM " +
               sql::qualified_name(t.db, t.table);
  if (!chunk.condition.empty()) query += " WHERE " + chunk.condition;
  chunk.load_columns = sql::load_column_clause(**schema, columns, t.constant_columns);
  chunk.files.clear();
  chunk.rows = 0;
  chunk.bytes = 0;
  chunk.crc32 = 0;
  data_file file;
  bool file_open = false;
  uint64_t rows_in_file = 0;
  std::string block;
  caf::error failure;
  auto write_block = [&]() -> caf::error {
    if (block.empty()) return caf::none;
    chunk.bytes += block.size();
    chunk.crc32 = binlog::crc32_of(block, chunk.crc32);
    auto err = file.write(block);
    block.clear();
    return err;
  };
  auto open_file = [&]() -> caf::error {
    auto name = chunk.id;
    if (chunk.whole_table) name += "." + std::to_string(chunk.files.size());
    name += ".tsv";
    auto created = data_file::create(st.dir + "/" + name);
    if (!created) return created.error();
    file = std::move(*created);
    file_open = true;
    rows_in_file = 0;
    chunk.files.push_back(name);
    return caf::none;
  };
  auto close_file = [&]() -> caf::error {
    if (auto err = write_block()) return err;
    file_open = false;
    return file.close();
  };
  if (auto err = open_file()) return err;
  auto err = st.conn->stream_query(query, [&](const auto& fields) {
    if (chunk.whole_table && rows_in_file == st.rows_per_chunk) {
      if ((failure = close_file()) || (failure = open_file())) return false;
    }
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) block += '\t';
      sql::append_load_field(block, fields[i]);
    }
    block += '\n';
    ++chunk.rows;
    ++rows_in_file;
    if (block.size() >= block_bytes && (failure = write_block())) return false;
    return true;
  });
  if (err) return read_failure(self, t, std::move(err));
  if (failure) return failure;
  if (file_open)
    if (auto close_err = close_file()) return close_err;
  chunk.snapshot = st.snapshot;
  chunk.snapshot_gtid = st.snapshot_gtid;
  chunk.stage = storage::chunk_stage::dumped;
  return chunk;
}

}  // namespace

dump_reader_actor::behavior_type dump_reader(
    dump_reader_actor::stateful_pointer<dump_reader_state> self,
    std::shared_ptr<mysql_connection> conn, binlog_position snapshot, std::string snapshot_gtid,
    std::string dir, uint32_t rows_per_chunk) {
  auto& st = self->state;
  st.conn = std::move(conn);
  st.snapshot = std::move(snapshot);
  st.snapshot_gtid = std::move(snapshot_gtid);
  st.dir = std::move(dir);
  st.rows_per_chunk = rows_per_chunk;
  return {
      [=](plan_atom, const storage::dump_table& t)
          -> caf::result<std::vector<storage::dump_chunk>> {
        auto chunks = plan(self, t);
        if (!chunks) {
          self->quit(chunks.error());
          return chunks.error();
        }
        return std::move(*chunks);
      },
      [=](dump_atom, const storage::dump_table& t,
          storage::dump_chunk& chunk) -> caf::result<storage::dump_chunk> {
        auto dumped = dump(self, t, std::move(chunk));
        if (!dumped) {
          self->quit(dumped.error());
          return dumped.error();
        }
        return std::move(*dumped);
      },
  };
}

}  // namespace dm
