// Shard DDL locks of shard-mode: pessimistic (DM's), as pure bookkeeping: the worker's shard
// coordinator (actors/shard_coordinator.hpp) owns one book and persists it after every change.
//
// A lock belongs to one merged table of one task. The first shard table that makes a schema
// change (ALTER TABLE, CREATE INDEX, DROP INDEX) opens it with that change, as it runs on the
// merged table; every shard table of the merge (the members: each source's shard tables, as its
// syncer lists them) must make the same change. A member that arrived waits: its syncer holds
// that table's later changes. The member that completes the lock executes the change downstream,
// once; then the lock is resolved and the waiting syncers replay their held changes.
//
// Arrivals are idempotent: a syncer that replays (after a restart, a crash, or to apply what it
// held) arrives again at the same position and gets the same answer, or `skip` once the lock is
// resolved; a lock is remembered after it resolves for as long as such replays can come.
//
// The operator resolves a lock by hand (DM's shard-ddl-lock unlock): the awaited members are
// excused (arriving later with the same change, they skip it), and the change runs downstream
// when the first waiting member replays; with force_remove it never runs.
//
// Thread-safety: used by one actor.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <caf/expected.hpp>

#include "model/status.hpp"
#include "protocol/sql/lexer.hpp"

namespace dm {

// One shard table: an upstream table of a source.
struct shard_member {
  std::string source;
  std::string db;
  std::string table;

  bool operator<(const shard_member& other) const {
    return std::tie(source, db, table) < std::tie(other.source, other.db, other.table);
  }
  bool operator==(const shard_member& other) const {
    return std::tie(source, db, table) == std::tie(other.source, other.db, other.table);
  }
};

// "source `db`.`table`".
std::string to_string(const shard_member& m);

// What a member's syncer does with its schema change.
struct shard_verdict {
  enum class kind {
    // Hold the table's later changes until the lock resolves.
    wait,
    // Run the change downstream now, then report it executed.
    execute,
    // The change is resolved already (run, or excused by the operator): pass it over.
    skip,
    // The change differs from the lock's: stop on it (`reason`).
    conflict,
  } what = kind::wait;
  std::string lock_id;
  std::string reason;
};

// A syncer's shard tables, as it starts: per merged table `db`.`table` of task `task`, the
// upstream tables of source `source` that its routes write into it.
struct shard_table_list {
  std::string task;
  std::string source;
  std::map<std::string, std::set<shard_member>> by_target;
};

// A shard's schema change of a merged table (shard_lock_book::arrive's arguments).
struct shard_arrival {
  std::string task;
  std::vector<std::string> task_sources;
  std::string target;
  // The change as compared (comparable_ddl), and as shown (its statements on the merged table).
  std::string ddl;
  std::string statement;
  shard_member member;
  std::string position;
};

// The text shards' changes are compared by: statements as they run on the merged table, read
// as tokens (as `mode` says), words and identifiers in upper case, joined by one space.
std::string comparable_ddl(const std::vector<std::string>& statements,
                           const sql::lexer_mode& mode);

class shard_lock_book {
 public:
  // The shard tables of `source` in each merged table (`db`.`table`) of `task`, as its syncer
  // listed them when it started. Locks that were waiting for that source and lack no shard now
  // are to run: answers their merged tables with the sources whose syncers must replay (the
  // first member to arrive again runs the change).
  std::map<std::string, std::set<std::string>> set_shards(
      const std::string& task, const std::string& source,
      const std::map<std::string, std::set<shard_member>>& by_target);

  // Shard table `member` of merged table `target` was created (`present`) or dropped upstream,
  // as its syncer passed the statement. A dropped shard is no longer awaited: answers, as
  // set_shards does, the locks that are to run now.
  std::map<std::string, std::set<std::string>> shard_changed(const std::string& task,
                                                             const std::string& target,
                                                             const shard_member& member,
                                                             bool present);

  // Member `a.member` of task `a.task` made schema change `a.ddl` to merged table `a.target` at
  // `a.position` ("file:pos"); `a.task_sources` are every source of the task (a source whose
  // shard tables are not known yet is awaited as a whole).
  shard_verdict arrive(const shard_arrival& a, int64_t now);

  // The owner ran the change of the lock on `target` downstream: the lock is resolved. Answers
  // the sources of the members that arrived (their syncers replay what they held).
  caf::expected<std::set<std::string>> executed(const std::string& task,
                                                const std::string& target);

  // DM's shard-ddl-lock unlock: the awaited members are excused; the change runs when the first
  // arrived member replays, or never (force_remove). Answers the lock as it was, and the
  // sources whose syncers must replay.
  caf::expected<std::pair<shard_lock_status, std::set<std::string>>> unlock(
      const std::string& lock_id, bool force_remove, int64_t now);

  // The open locks (of `task`, or all when empty); overdue when waiting longer than
  // `report_after` seconds.
  std::vector<shard_lock_status> show(const std::string& task, int64_t now,
                                      int64_t report_after) const;

  // Forgets a task's locks (stop-task).
  void forget(const std::string& task) { tasks_.erase(task); }
  // stop-task -s: the task no longer has `source`; its shards are no longer awaited (answers,
  // as set_shards does, the locks that are to run now).
  std::map<std::string, std::set<std::string>> forget_source(const std::string& task,
                                                             const std::string& source);

  // The tasks that have records (for persistence, one record per task).
  std::vector<std::string> tasks() const;
  // The merged tables of `task` the book knows (with shards, or locks open or resolved).
  std::set<std::string> targets(const std::string& task) const;
  // One task's locks as JSON, and back (replacing what the book had of the task). With
  // `with_shards`, also the shard tables the sources' syncers listed (a cluster's record, which
  // the workers of the task's sources share; a worker alone lists them again at each start).
  std::string save(const std::string& task, bool with_shards = false) const;
  caf::error load(const std::string& task, const std::string& text);

  // The id DM gives the lock of `target` in `task`.
  static std::string lock_id(const std::string& task, const std::string& target) {
    return task + "-" + target;
  }

 private:
  struct lock {
    std::string target;
    std::string ddl;
    // The first member's statement, shown.
    std::string statement;
    int64_t since = 0;
    std::map<shard_member, std::string> arrived;
    std::set<shard_member> expected;
    // Sources of the task whose shard tables were not known when the lock opened.
    std::set<std::string> unknown_sources;
    // Members, and sources, the operator excused (unlock).
    std::set<shard_member> excused;
    std::set<std::string> excused_sources;
    // Executing: the owner runs the change (an empty owner: the first member to arrive again).
    bool executing = false;
    bool has_owner = false;
    shard_member owner;
    // Resolved locks only: how ("executed", "unlocked", "force-removed").
    std::string resolution;
  };
  struct task_locks {
    // Sources whose syncers listed their shard tables, and those tables per merged table and
    // source (persisted only with_shards: alone, every syncer lists them again when it starts).
    std::set<std::string> reported;
    // Sources stop-task -s removed from the task (a syncer that has not restarted since still
    // names them).
    std::set<std::string> removed;
    std::map<std::string, std::map<std::string, std::set<shard_member>>> shards;
    std::map<std::string, lock> open;
    // Resolved locks per merged table, newest last (bounded).
    std::map<std::string, std::deque<lock>> resolved;
  };

  static bool complete(const lock& l);
  // A lock that lacks no shard but has no member at hand to run it: the first member to arrive
  // again runs it; adds the sources whose syncers must replay to `replaying`.
  static void run_without_owner(lock& l, std::set<std::string>& replaying);
  static bool excused(const lock& l, const shard_member& m) {
    return l.excused.count(m) || l.excused_sources.count(m.source);
  }
  void resolve(task_locks& t, const std::string& target, std::string how);
  shard_lock_status status_of(const std::string& task, const lock& l, int64_t now,
                              int64_t report_after) const;

  std::map<std::string, task_locks> tasks_;
};

}  // namespace dm
