#include "storage/dump_store.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "storage/database.hpp"
#include "storage/json_bytes.hpp"
#include "storage/keys.hpp"

namespace dm::storage {

namespace {

constexpr std::string_view table_unit = "dump/table/";
constexpr std::string_view chunk_unit = "dump/chunk/";
constexpr std::string_view finished_unit = "load/finished";
constexpr std::string_view deferred_unit = "load/indexes/";
constexpr std::string_view run_unit = "load/run";

std::string table_unit_key(const std::string& db, const std::string& table) {
  std::string out{table_unit};
  out += db;
  out += '\0';
  out += table;
  return out;
}

std::string deferred_unit_key(const std::string& target_db, const std::string& target_table) {
  std::string out{deferred_unit};
  out += target_db;
  out += '\0';
  out += target_table;
  return out;
}

std::string chunk_unit_key(const dump_chunk& c) {
  char number[16];
  std::snprintf(number, sizeof number, "%08u", c.number);
  auto out = std::string{chunk_unit} + c.db;
  out += '\0';
  out += c.table;
  out += '\0';
  out += number;
  return out;
}

nlohmann::json to_json(const dump_table& t) {
  auto implicit = nlohmann::json::array();
  for (auto& name : t.implicit_indexes) implicit.push_back(bytes_to_json(name));
  return {{"db", t.db},
          {"table", t.table},
          {"target_db", t.target_db},
          {"target_table", t.target_table},
          {"create_database", bytes_to_json(t.create_database)},
          {"create_table", bytes_to_json(t.create_table)},
          {"estimated_rows", t.estimated_rows},
          {"keyless", t.keyless},
          {"fk_group", t.fk_group},
          {"planned", t.planned},
          {"constant_columns", t.constant_columns},
          {"implicit_indexes", implicit}};
}

nlohmann::json to_json(const dump_chunk& c) {
  return {{"id", c.id},
          {"db", c.db},
          {"table", c.table},
          {"number", c.number},
          {"chunks_in_table", c.chunks_in_table},
          {"condition", bytes_to_json(c.condition)},
          {"whole_table", c.whole_table},
          {"reload", c.reload},
          {"files", c.files},
          {"snapshot_file", c.snapshot.file},
          {"snapshot_pos", c.snapshot.pos},
          {"snapshot_gtid", c.snapshot_gtid},
          {"rows", c.rows},
          {"bytes", c.bytes},
          {"crc32", c.crc32},
          {"load_columns", bytes_to_json(c.load_columns)},
          {"stage", static_cast<int>(c.stage)}};
}

// Collects the JSON records under checkpoint unit prefix `unit`, in key order.
caf::expected<std::vector<nlohmann::json>> scan_records(const database& db, const std::string& task,
                                                        const std::string& source,
                                                        std::string_view unit) {
  auto begin = checkpoint_key(task, source, unit);
  auto end = begin;
  end.back() = static_cast<char>(end.back() + 1);  // unit prefixes end in '/'
  std::vector<nlohmann::json> out;
  bool corrupt = false;
  auto err = db.scan(family::checkpoint, begin, end, [&](std::string_view, std::string_view value) {
    auto j = nlohmann::json::parse(value, nullptr, false);
    if (j.is_discarded() || !j.is_object()) corrupt = true;
    else out.push_back(std::move(j));
    return !corrupt;
  });
  if (err) return err;
  if (corrupt)
    return make_error(ec::storage_failed, "a dump record of task " + task + " on source " +
                                              source + " is corrupt; stop and start the task");
  return out;
}

}  // namespace

dump_store::dump_store(std::shared_ptr<database> db, std::string task, std::string source)
    : db_(std::move(db)), task_(std::move(task)), source_(std::move(source)) {}

caf::expected<std::vector<dump_table>> dump_store::tables() const {
  auto records = scan_records(*db_, task_, source_, table_unit);
  if (!records) return records.error();
  std::vector<dump_table> out;
  try {
    for (auto& j : *records) {
      dump_table t;
      t.db = j.at("db").get<std::string>();
      t.table = j.at("table").get<std::string>();
      t.target_db = j.at("target_db").get<std::string>();
      t.target_table = j.at("target_table").get<std::string>();
      t.create_database = bytes_from_json(j.at("create_database"));
      t.create_table = bytes_from_json(j.at("create_table"));
      t.estimated_rows = j.at("estimated_rows").get<uint64_t>();
      t.keyless = j.at("keyless").get<bool>();
      t.fk_group = j.value("fk_group", "");
      t.planned = j.at("planned").get<bool>();
      if (j.contains("constant_columns"))
        t.constant_columns =
            j.at("constant_columns").get<std::vector<std::pair<std::string, std::string>>>();
      if (j.contains("implicit_indexes"))
        for (auto& name : j.at("implicit_indexes"))
          t.implicit_indexes.push_back(bytes_from_json(name));
      out.push_back(std::move(t));
    }
  } catch (const nlohmann::json::exception&) {
    return make_error(ec::storage_failed, "a dump table record of task " + task_ +
                                              " on source " + source_ + " is malformed");
  }
  return out;
}

caf::error dump_store::save_tables(const std::vector<dump_table>& tables) {
  auto batch = db_->new_batch();
  for (auto& t : tables)
    batch.put(family::checkpoint, checkpoint_key(task_, source_, table_unit_key(t.db, t.table)),
              to_json(t).dump());
  return db_->write(batch, true);
}

caf::error dump_store::save_plan(const dump_table& table, const std::vector<dump_chunk>& chunks) {
  auto batch = db_->new_batch();
  for (auto& c : chunks)
    batch.put(family::checkpoint, checkpoint_key(task_, source_, chunk_unit_key(c)),
              to_json(c).dump());
  batch.put(family::checkpoint,
            checkpoint_key(task_, source_, table_unit_key(table.db, table.table)),
            to_json(table).dump());
  return db_->write(batch, true);
}

caf::expected<std::vector<dump_chunk>> dump_store::chunks() const {
  auto records = scan_records(*db_, task_, source_, chunk_unit);
  if (!records) return records.error();
  std::vector<dump_chunk> out;
  try {
    for (auto& j : *records) {
      dump_chunk c;
      c.id = j.at("id").get<std::string>();
      c.db = j.at("db").get<std::string>();
      c.table = j.at("table").get<std::string>();
      c.number = j.at("number").get<uint32_t>();
      c.chunks_in_table = j.at("chunks_in_table").get<uint32_t>();
      c.condition = bytes_from_json(j.at("condition"));
      c.whole_table = j.at("whole_table").get<bool>();
      c.reload = j.value("reload", false);
      c.files = j.at("files").get<std::vector<std::string>>();
      c.snapshot.file = j.at("snapshot_file").get<std::string>();
      c.snapshot.pos = j.at("snapshot_pos").get<uint32_t>();
      c.snapshot_gtid = j.at("snapshot_gtid").get<std::string>();
      c.rows = j.at("rows").get<uint64_t>();
      c.bytes = j.at("bytes").get<uint64_t>();
      c.crc32 = j.at("crc32").get<uint32_t>();
      c.load_columns = bytes_from_json(j.at("load_columns"));
      auto stage = j.at("stage").get<int>();
      if (stage < 0 || stage > 2) throw nlohmann::json::other_error::create(0, "stage", nullptr);
      c.stage = static_cast<chunk_stage>(stage);
      out.push_back(std::move(c));
    }
  } catch (const nlohmann::json::exception&) {
    return make_error(ec::storage_failed, "a dump chunk record of task " + task_ +
                                              " on source " + source_ + " is malformed");
  }
  return out;
}

caf::error dump_store::save_chunk(const dump_chunk& chunk) {
  return db_->put(family::checkpoint, checkpoint_key(task_, source_, chunk_unit_key(chunk)),
                  to_json(chunk).dump(), true);
}

caf::expected<std::vector<deferred_indexes>> dump_store::deferred() const {
  auto records = scan_records(*db_, task_, source_, deferred_unit);
  if (!records) return records.error();
  std::vector<deferred_indexes> out;
  try {
    for (auto& j : *records) {
      std::vector<std::string> definitions;
      for (auto& d : j.at("definitions")) definitions.push_back(bytes_from_json(d));
      out.push_back({j.at("target_db").get<std::string>(), j.at("target_table").get<std::string>(),
                     std::move(definitions)});
    }
  } catch (const nlohmann::json::exception&) {
    return make_error(ec::storage_failed, "a deferred index record of task " + task_ +
                                              " on source " + source_ + " is malformed");
  }
  return out;
}

caf::error dump_store::save_deferred(const deferred_indexes& indexes) {
  auto definitions = nlohmann::json::array();
  for (auto& d : indexes.definitions) definitions.push_back(bytes_to_json(d));
  nlohmann::json j{{"target_db", indexes.target_db},
                   {"target_table", indexes.target_table},
                   {"definitions", definitions}};
  return db_->put(family::checkpoint,
                  checkpoint_key(task_, source_,
                                 deferred_unit_key(indexes.target_db, indexes.target_table)),
                  j.dump(), true);
}

caf::error dump_store::drop_deferred(const std::string& target_db,
                                     const std::string& target_table) {
  return db_->erase(family::checkpoint,
                    checkpoint_key(task_, source_, deferred_unit_key(target_db, target_table)),
                    true);
}

caf::expected<bool> dump_store::load_finished() const {
  auto raw = db_->get(family::checkpoint, checkpoint_key(task_, source_, finished_unit));
  if (!raw) return raw.error();
  return raw->has_value();
}

caf::expected<uint64_t> dump_store::run() const {
  auto raw = db_->get(family::checkpoint, checkpoint_key(task_, source_, run_unit));
  if (!raw) return raw.error();
  if (!*raw) return uint64_t{0};
  try {
    return static_cast<uint64_t>(std::stoull(**raw));
  } catch (const std::exception&) {
    return make_error(ec::storage_failed, "the load run of task " + task_ + " on source " +
                                              source_ + " is corrupt");
  }
}

caf::error dump_store::save_run(uint64_t run) {
  return db_->put(family::checkpoint, checkpoint_key(task_, source_, run_unit),
                  std::to_string(run), true);
}

caf::error dump_store::set_load_finished() {
  return db_->put(family::checkpoint, checkpoint_key(task_, source_, finished_unit), "1", true);
}

}  // namespace dm::storage
