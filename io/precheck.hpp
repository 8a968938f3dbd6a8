// The precheck of a task on one source (check-task; start-task runs it and refuses a task with
// a failed item): what the units will need of the upstream and the downstream, checked before
// anything starts, each failure naming what is missing and the GRANT or setting that fixes it.
//
// Upstream: a supported version; server_id set; for tasks that sync (incremental, all) the
// binary log on, binlog_format ROW and binlog_row_image FULL, and REPLICATION SLAVE and
// REPLICATION CLIENT; for tasks that dump (full, all) SELECT on the replicated databases and
// RELOAD (unless the dump takes no lock: --consistency none). Privileges are read from SHOW
// GRANTS of the connected user and of its active roles, global and database-level. Tables the
// task replicates without a primary or unique key are a warning; collations they use that the
// downstream lacks fail. Tables that routes merge into one downstream table fail when their
// structures differ or an auto-increment key would make their rows collide. With online-ddl on, shadow tables of online schema changes in progress
// fail a task that copies the tables (warn one that only syncs).
// Downstream: SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER and INDEX on each target
// database and the meta schema; local_infile ON for tasks that load.
//
// Items named in the task's ignore-checking-items are not run. Blocking: run it on a thread of
// its own.
#pragma once

#include <string>
#include <vector>

#include "model/config.hpp"
#include "model/status.hpp"

namespace dm {

// What the upstream answers to SELECT VERSION(), @@server_id, @@log_bin, @@binlog_format,
// @@binlog_row_image.
struct upstream_settings {
  std::string version;
  std::string server_id;
  std::string log_bin;
  std::string binlog_format;
  std::string binlog_row_image;
};

// The version and server_id items, and for a task that syncs binlog_enable, binlog_format and
// binlog_row_image, judged from `settings` (the items ignore-checking-items names left out).
std::vector<check_item> judge_upstream_settings(const upstream_settings& settings,
                                               const task_config& task,
                                               const std::string& source_id);

// `task` and `source` with their passwords usable (decrypted).
std::vector<check_item> precheck(const task_config& task, const source_config& source);

// The failed items as one line ("item: message; item: message"), empty when none failed.
std::string describe_failures(const std::vector<check_item>& items);

}  // namespace dm
