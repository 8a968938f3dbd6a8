// Exactly-once for tables without a usable key. Replaying a change to such a table is not
// idempotent (an INSERT adds a second copy), so safe mode cannot cover it. Instead, every
// downstream transaction that changes such a table also records, in the same transaction, the
// last change it applied to it: a row of `<meta-schema>`.`keyless_marks` per (task, source,
// target table). After an unclean stop the syncer loads the marks and skips replayed changes at
// or before them. Changes to one keyless table are applied in order by one applier (causality
// gives the whole table one key), so a single mark per table is exact.
//
// Pure SQL text and comparison; the syncer and appliers run it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/messages.hpp"
#include "protocol/mysql_connection.hpp"

namespace dm {

// Names the marks of one (task, source) in one downstream meta schema.
struct keyless_mark_scope {
  std::string meta_schema;
  std::string task;
  std::string source;
};

// CREATE DATABASE / TABLE IF NOT EXISTS for the marks table.
std::vector<std::string> keyless_marks_ddl(const std::string& meta_schema);

// The upsert recording that `target` (quoted `db`.`table`) has every change up to `origin`.
std::string keyless_mark_sql(const keyless_mark_scope& scope, const std::string& target,
                             const change_origin& origin);

// The marks of the scope, by target; empty when the table does not exist yet.
caf::expected<std::map<std::string, change_origin>> load_keyless_marks(
    mysql_connection& conn, const keyless_mark_scope& scope);

}  // namespace dm
