// dmctl's commands: each reads its files, asks the workers that hold the object (client.hpp),
// merges their answers and returns what to print, or the one-line error to print instead.
// No command prints its answer itself; warnings about a config file go to stderr.
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace dm::dmctl {

class workers;

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
caf::expected<reply> start_task(workers& ws, const std::string& task_file, bool remove_meta);
// `task` empty: every task and source. `sources` not empty: only these sources and the parts
// of tasks that replicate them (DM's query-status -s).
caf::expected<reply> query_status(workers& ws, const std::string& task,
                                  const std::vector<std::string>& sources);
// `target`: a task name or its config file.
caf::expected<reply> stop_task(workers& ws, const std::string& target);
caf::expected<reply> pause_task(workers& ws, const std::string& task);
caf::expected<reply> resume_task(workers& ws, const std::string& task);
caf::expected<reply> update_task(workers& ws, const std::string& task_file);
caf::expected<reply> handle_error(workers& ws, const std::string& task, const std::string& action,
                                  const std::string& sql);
caf::expected<reply> purge_relay(workers& ws, const std::string& source, const std::string& file);
// Every worker, those that cannot be reached listed as offline.
caf::expected<reply> list_member(workers& ws);
// Needs no worker: the key file must be the workers' secret-key-path.
caf::expected<reply> encrypt(const std::string& key_path, const std::string& plain);

}  // namespace dm::dmctl
