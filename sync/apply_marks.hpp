// Exactly-once for changes that safe mode cannot make idempotent. Replaying an INSERT into a
// table without a NOT NULL key adds a second copy; replaying changes to tables linked by
// foreign keys re-runs cascades the downstream has already run. Such tables form *serial
// groups* (a keyless table alone; the tables one foreign-key graph connects together): every
// change of a group goes to one applier, in binlog order, and every downstream transaction that
// changes a group also records, in the same transaction, the last change of that group it
// applied: a row of `<meta-schema>`.`apply_marks` per (task, source, group) (downstream_meta.hpp).
// After an unclean stop the syncer loads the marks of its run and skips replayed changes at or
// before them; the changes after them are applied as they are, never in safe mode.
//
// Pure SQL text; io/meta_tables.hpp reads the marks back.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sync/downstream_meta.hpp"
#include "model/messages.hpp"

namespace dm {

// The upsert recording that `group` has every change up to `origin`, in run `run`.
std::string apply_mark_sql(const meta_scope& scope, uint64_t run, const std::string& group,
                           const change_origin& origin);

}  // namespace dm
