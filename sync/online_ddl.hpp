// Online schema changes (DM's online-ddl). pt-online-schema-change and gh-ost change a table t
// without locking it: they create a shadow table beside it (_t_new, _t_gho), alter the shadow,
// copy every row into it and keep it current, then swap the names (RENAME TABLE t TO _t_old,
// _t_new TO t) and drop the old copy; trash tables (_t_old, _t_del, gh-ost's changelog _t_ghc)
// come and go on the way. Replicated as logged, the downstream would copy the table a second
// time. Instead no row or schema change of those tables is replicated: the shadow's ALTERs are
// recorded, and at the swap applied to the real table downstream, once.
//
// Which statement does what is decided here, without I/O; the syncer stores the records (they
// must survive restarts: io/shadow_migration_store.hpp) and runs the statements.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>

#include "common/position.hpp"
#include "model/config.hpp"
#include "protocol/sql/ddl.hpp"
#include "sync/ddl_session.hpp"
#include "sync/table_rules.hpp"

namespace dm {

// The task's online-ddl rules, compiled. Default-constructed: online-ddl off. Answers are
// cached per table name (rows events ask for every one).
class online_ddl_rules {
 public:
  // Fails naming the rule for an invalid regular expression, or a shadow rule without the
  // group that captures the real table's name.
  static caf::expected<online_ddl_rules> compile(const online_ddl_config& config);

  bool enabled() const { return enabled_; }
  // When `table` is a shadow table: the name of the table it stands for.
  std::optional<std::string> real_of_shadow(const std::string& table) const;
  bool is_trash(const std::string& table) const;
  // A shadow or trash table, neither of which is ever replicated itself.
  bool is_helper(const std::string& table) const;

 private:
  struct verdict {
    std::optional<std::string> real;
    bool trash = false;
  };
  const verdict& judge(const std::string& table) const;

  bool enabled_ = false;
  std::vector<std::regex> shadow_, trash_;
  mutable std::unordered_map<std::string, verdict> cache_;
};

// DM's rules for online-ddl: true, and for the older online-ddl-scheme values pt and gh-ost.
online_ddl_config default_online_ddl(const std::string& scheme = "");

// One schema change of a shadow table, to be applied to its real table at the swap.
struct recorded_alter {
  // Where it is in the relay log (a replay records it again at the same place).
  relay_key at;
  // The statement, naming the real table where it named the shadow.
  std::string statement;
  std::string default_db;
  sql::lexer_mode mode;
  // The session it ran in upstream.
  event_session session;
};

// An online schema change in progress: the shadow table of a replicated table, and what was
// done to it.
struct shadow_migration {
  std::string db;
  std::string shadow;
  std::string real;
  // The shadow's CREATE was read by this task, so `alters` holds every change made to it.
  bool complete = false;
  // In relay log order, one per place.
  std::vector<recorded_alter> alters;
  // At the swap: how many of `alters` ran downstream already (a swap run again after a failure
  // or a crash goes on from there).
  size_t applied = 0;
  // The real table was dropped upstream while the shadow was being filled (pt-online-schema-
  // change's drop_swap): the downstream keeps it for the swap, and drops it if the shadow is
  // dropped instead.
  bool real_dropped = false;
};

// One recorded change to run at a swap: the `index`-th of migration `migration` (shadow_key).
struct swap_alter {
  std::string migration;
  size_t index = 0;
  recorded_alter alter;
};

// The migrations in progress of one (task, source), by shadow_key.
using shadow_migrations = std::map<std::string, shadow_migration>;
std::string shadow_key(const std::string& db, const std::string& shadow);

// What one schema change means when online-ddl is on.
struct online_ddl_step {
  // False: the statement names no shadow or trash table and is planned as any other.
  bool handled = false;
  // Stop the task on this statement, for this reason.
  std::string fail_reason;
  // The migration to store, with this statement's change (its session left to the caller):
  // nothing runs downstream.
  std::optional<shadow_migration> record;
  // Migrations that end here (swapped in, or dropped), by shadow_key.
  std::vector<std::string> finished;
  // The swap: the recorded changes still to run on the real tables, in order.
  std::vector<swap_alter> alters;
  // The statement reduced to the tables that are not shadow or trash tables ("" when none is
  // left), to plan as any other statement.
  std::string rest;
  // Why nothing of the statement runs downstream, for the log.
  std::string skip_reason;
};

// Reads statement `text` (analyzed as `ddl`, logged at `at` with default database
// `default_db` under `mode`) given the migrations in progress. `rules` say which real tables
// are replicated.
online_ddl_step plan_online_ddl(const sql::ddl_statement& ddl, std::string_view text,
                                const std::string& default_db, const sql::lexer_mode& mode,
                                const relay_key& at, const online_ddl_rules& online,
                                table_rules& rules, const shadow_migrations& migrations);

}  // namespace dm
