// Table structures for decoding and applying row events. The binlog's table map always gives the
// column types; the rest comes from, in order:
//   1. the table map's optional metadata (binlog_row_metadata=FULL): names, signedness,
//      charsets, primary key, exact at the event's position;
//   2. the downstream table the rows go to: the syncer applies schema changes in binlog order,
//      so the downstream stands where the binlog stands (unique keys, generated columns,
//      fractional digits; everything when the binlog lacks metadata);
//   3. the upstream's current table, when the downstream has none that fits.
// Structures are cached per table until the next schema change.
//
// Thread-safety: used by one actor.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/expected.hpp>

#include "model/config.hpp"
#include "protocol/binlog/table_map.hpp"
#include "protocol/mysql_connection.hpp"
#include "protocol/schema_loader.hpp"
#include "protocol/table_schema.hpp"

namespace dm {

class schema_resolver {
 public:
  schema_resolver(db_config upstream, db_config downstream, std::string label);

  // The structure of the table `table` describes, whose rows go to target_db.target_table,
  // with `constant_columns` (table_schema) added; they must be the same at every call for one
  // table (they come from its route).
  caf::expected<std::shared_ptr<const table_schema>> resolve(
      const binlog::table_map_event& table, const std::string& target_db,
      const std::string& target_table,
      const std::vector<std::pair<std::string, std::string>>& constant_columns = {});

  // The serial group (fk_groups.hpp) of downstream table `target_db`.`target_table` when a
  // foreign key touches it, else an empty string. Read from the downstream once, until the next
  // invalidate().
  caf::expected<std::string> fk_group(const std::string& target_db,
                                      const std::string& target_table);

  // Forgets every structure and the foreign keys (after a schema change).
  void invalidate() {
    cache_.clear();
    fk_groups_.reset();
  }

  // The table map with the fractional digits of MariaDB 5.3 hires temporal columns filled in
  // from `schema` (the binlog does not carry them); nullopt when the table has none.
  static std::optional<binlog::table_map_event> with_legacy_fsp(
      const binlog::table_map_event& table, const table_schema& schema);

 private:
  caf::expected<mysql_connection*> connection(bool upstream);

  db_config upstream_, downstream_;
  std::string label_;
  std::optional<mysql_connection> upstream_conn_, downstream_conn_;
  std::optional<collation_charsets> charsets_;
  std::unordered_map<std::string, std::shared_ptr<const table_schema>> cache_;
  std::optional<std::map<std::string, std::string>> fk_groups_;
};

}  // namespace dm
