// dmctl's commands: each reads its files, asks the workers that hold the object (client.hpp),
// merges their answers and returns what to print, or the one-line error to print instead.
// No command prints its answer itself; warnings about a config file go to stderr.
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "model/config.hpp"

namespace dm::dmctl {

class workers;

// The source config file; its warnings (keys with no effect here) go to stderr.
caf::expected<source_config> read_source(const std::string& path);
// The task config file; its warnings (keys with no effect here) go to stderr.
caf::expected<task_config> read_task(const std::string& path);
// The task name `target` stands for: itself, or the name in the task file it names.
caf::expected<std::string> task_name(const std::string& target);

// A command's answer: as JSON (--json) and as text, and dmctl's exit code (1 when the answer
// itself is a failure, e.g. a precheck item failed).
struct reply {
  nlohmann::json json;
  std::string text;
  int exit_code = 0;
};

// create: binds the source of a source config file to the first worker. show: the sources
// with id `target` (all when empty) on every worker. stop: removes the source. `target` may
// also be a source config file, whose source-id is used.
caf::expected<reply> operate_source(workers& ws, const std::string& action,
                                    const std::string& target);
caf::expected<reply> check_task(workers& ws, const std::string& task_file);
// `start_time`: DM's --start-time ("" for none).
caf::expected<reply> start_task(workers& ws, const std::string& task_file, bool remove_meta,
                                const std::string& start_time);
// `task` empty: every task and source. `sources` not empty: only these sources and the parts
// of tasks that replicate them (DM's query-status -s).
caf::expected<reply> query_status(workers& ws, const std::string& task,
                                  const std::vector<std::string>& sources);
// `sources` in these (DM's -s): only the task's parts on these sources; empty: every part.
// `target`: a task name or its config file. A worker stops a task on all of its sources.
caf::expected<reply> stop_task(workers& ws, const std::string& target,
                               const std::vector<std::string>& sources);
caf::expected<reply> pause_task(workers& ws, const std::string& task,
                                const std::vector<std::string>& sources);
caf::expected<reply> resume_task(workers& ws, const std::string& task,
                                 const std::vector<std::string>& sources);
caf::expected<reply> update_task(workers& ws, const std::string& task_file);
// `binlog_pos`: binlog -b's position (file:pos, or DM's relay form), empty for the event each
// part stopped on; action "revert" withdraws a decision made ahead.
caf::expected<reply> handle_error(workers& ws, const std::string& task, const std::string& action,
                                  const std::string& sql, const std::string& binlog_pos,
                                  const std::vector<std::string>& sources);
caf::expected<reply> purge_relay(workers& ws, const std::string& source, const std::string& file);
// DM's binlog list: each part of `task` paused on a failed event, with the event's position and
// the error (what binlog skip/replace/inject would act on).
caf::expected<reply> list_errors(workers& ws, const std::string& task);
// DM's binlog-schema list|update|delete TASK DB TABLE. The syncer keeps no table structure of
// its own (it reads the binlog's metadata, else the downstream table): list shows the downstream
// table it reads; update --from-target and delete have nothing to do and say so; update with a
// file or --from-source is refused, saying to change the downstream table instead.
caf::expected<reply> binlog_schema(workers& ws, const std::string& op, const std::string& task,
                                   const std::string& db, const std::string& table,
                                   const std::string& file, bool from_source, bool from_target);
// DM's start-relay, stop-relay, pause-relay, resume-relay (`op`: start, stop, pause, resume) on
// each of `sources`, on the worker that holds it.
caf::expected<reply> relay_command(workers& ws, const std::string& op,
                                   const std::vector<std::string>& sources);
// DM's show-ddl-locks: the open shard DDL locks (of `task`, or all) of every worker.
caf::expected<reply> show_ddl_locks(workers& ws, const std::string& task);
// DM's shard-ddl-lock unlock LOCK [--force-remove], on the worker that holds the lock.
caf::expected<reply> unlock_ddl_lock(workers& ws, const std::string& lock_id, bool force_remove);
// Every worker, those that cannot be reached listed as offline.
caf::expected<reply> list_member(workers& ws);
// Needs no worker: the key file must be the workers' secret-key-path.
caf::expected<reply> encrypt(const std::string& key_path, const std::string& plain);

}  // namespace dm::dmctl
