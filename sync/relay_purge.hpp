// Which relay files a purge may remove. Pure logic, no CAF and no I/O.
//
// A file may go only when every task reading the source has moved past it and it is not the
// file the relay is writing; among those, the request decides: files before a named one
// (dmctl purge-relay), files older than `expires_hours`, or every unneeded file (low disk space,
// or enable-relay: false).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/keys.hpp"
#include "storage/relay_log.hpp"

namespace dm {

struct purge_request {
  // Purge files whose upstream name sorts before this one (empty: not a manual purge).
  std::string before_file;
  // Purge every file no task needs.
  bool all_unneeded = false;
  // Purge files whose newest event is older than this many hours (0: never by age).
  int64_t expires_hours = 0;
  // Why, for the report: "purge-relay", "expires", "low disk space", "enable-relay: false".
  std::string reason;
};

struct purge_plan {
  std::vector<storage::relay_file> purge;
  // Files the request covers that a task still needs, with that task's name.
  std::vector<std::pair<storage::relay_file, std::string>> kept;
};

// `files` oldest first; `head` the relay's head; `needed` each task's next key; `now` in Unix
// seconds.
purge_plan plan_purge(const std::vector<storage::relay_file>& files, const relay_key& head,
                      const std::vector<std::pair<std::string, relay_key>>& needed,
                      const purge_request& request, uint32_t now);

}  // namespace dm
