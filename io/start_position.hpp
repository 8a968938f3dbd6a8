// Where a task part without a checkpoint starts in its source's relay log, when it is given by
// something other than a binlog file and offset: a time (DM's start-task --start-time) or a GTID
// set (DM's `meta` with `binlog-gtid` alone). Blocking: reads the relay log from its start;
// detached actors call it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "common/position.hpp"

namespace dm {

namespace storage {
class database;
}

class gtid_set;

struct relay_start {
  // The upstream position of the first transaction to apply; the end of the relay log when
  // there is none yet.
  binlog_position start;
  // The end of the relay log now.
  binlog_position relay_end;
};

// The first transaction of `source`'s relay log written at or after `unix_seconds`. Fails,
// saying what to do, when the relay log is empty or begins after that time (the transactions
// before its start are not there to be checked).
caf::expected<relay_start> position_at_time(const std::shared_ptr<storage::database>& db,
                                            const std::string& source, int64_t unix_seconds);

// The first transaction of `source`'s relay log whose GTID `executed` lacks. Fails, saying
// what to do, when the relay log is empty or begins with a transaction that does not follow
// `executed` (transactions between them would be missing).
caf::expected<relay_start> position_after_gtids(const std::shared_ptr<storage::database>& db,
                                                const std::string& source,
                                                const gtid_set& executed);

}  // namespace dm
