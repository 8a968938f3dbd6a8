// The worker's own tables in a task's meta schema downstream (`meta-schema`, default dm_meta),
// which the appliers and loaders write in the same transactions as the data they cover:
//
//   load_marks   (task, source, chunk)  -> run                 a chunk's rows are loaded
//   apply_marks  (task, source, grp)    -> run, last change    exactly-once marks (apply_marks.hpp)
//   sync_checkpoints (task, source, epoch, writer) -> run, checkpoint, high-water mark
//                                                      (downstream_checkpoint.hpp)
//   fence_slots  (task, source, slot)   -> epoch, raised   the owner in a cluster, since when
//                                                      (downstream_fence.hpp)
//
// Every name is a binary string, compared byte for byte: tables whose names differ only in
// letter case are different tables (lower_case_table_names=0), and so are their marks.
//
// `run` names one incarnation of a (task, source): the dump (load marks) or the sync checkpoint
// (apply marks) it belongs to, a random number made when that was first created. A mark of
// another run is never trusted, so rows a stopped task left behind cannot make a new task with
// the same name skip anything, even where stop-task could not reach the downstream to remove
// them.
//
// Pure SQL text; io/meta_tables.hpp runs what needs a connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dm {

// The rows of one (task, source) in one meta schema.
struct meta_scope {
  std::string meta_schema;
  std::string task;
  std::string source;
};

// A fresh run number: random, never 0 (0 stands for "none yet").
uint64_t new_run_id();

// `meta_schema`.`table`, quoted.
std::string meta_table(const std::string& meta_schema, const char* table);

// CREATE DATABASE / TABLE IF NOT EXISTS for every table.
std::vector<std::string> meta_tables_ddl(const std::string& meta_schema);

// " WHERE task = '...' AND source = '...'" for the scope's rows.
std::string scope_condition(const meta_scope& scope);

}  // namespace dm
