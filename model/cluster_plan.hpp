// The cluster as the scheduling worker sees it in etcd, and its pure decision: which live
// worker each source goes to.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace dm {

struct cluster_view {
  // Registered workers (name -> admin address) and those whose lease is alive.
  std::map<std::string, std::string> workers;
  std::set<std::string> alive;
  // Source id -> its config (JSON, as dmctl wrote it).
  std::map<std::string, std::string> sources;
  // Source id -> the worker the scheduler assigned it to.
  std::map<std::string, std::string> assigned;
  // Source id -> the worker that holds its binding now (under that worker's lease).
  std::map<std::string, std::string> bound;
  // Source id -> the lease its binding is attached to, and the binding's create revision (its
  // epoch: a later binding has a larger one).
  std::map<std::string, int64_t> bound_lease;
  std::map<std::string, int64_t> bound_revision;
  // Source id -> the worker that held it last (never removed by a failure).
  std::map<std::string, std::string> last_bound;
  // Task name -> its config (JSON, as dmctl wrote it) and the create revision of its record
  // (which names this start of the task).
  std::map<std::string, std::string> tasks;
  std::map<std::string, int64_t> task_revision;
  // Task name -> the sources whose part the operator paused, and the revision that stage was
  // written at; only stages written for the task's current record (its create revision).
  std::map<std::string, std::vector<std::string>> task_paused;
  std::map<std::string, int64_t> task_stage_revision;
  // (task, source) -> the worker whose full migration of that part began loading and has not
  // reached sync: its dump files are on that worker, which alone can finish it.
  std::map<std::pair<std::string, std::string>, std::string> loading;
  // The elected scheduling worker, empty when none.
  std::string leader;
};

// What the scheduler writes: a new assignment per source, and assignments to drop.
struct assignment_plan {
  std::map<std::string, std::string> assign;
  std::set<std::string> unassign;
};

// Every source gets exactly one live worker. A source with a part whose full migration is
// loading on a live worker goes to that worker (the first such part of an existing task, in
// name order). Else a source keeps a live assignee; else it goes to the live worker that still
// holds it, else to the one that held it last if alive, else to the live worker with the fewest
// sources (ties: the name first in order). Assignments of removed sources go. With no live
// worker, a source stays unassigned.
assignment_plan plan_assignments(const cluster_view& view);

// The live worker loading a full migration of a part of an existing task on `source`, "" when
// none (see cluster_view::loading).
std::string loading_worker(const cluster_view& view, const std::string& source);

}  // namespace dm
