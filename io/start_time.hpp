// Where `start-task --start-time` starts a source's part: the first transaction in the source's
// relay log whose events the upstream wrote at or after a time (DM's --start-time). Blocking:
// reads the relay log from its start; detached actors call it.
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

struct time_start {
  // The upstream position of the first transaction written at or after the time; the end of
  // the relay log when none is.
  binlog_position start;
  // The end of the relay log now: the downstream may already hold changes up to here, so they
  // are replayed in safe mode.
  binlog_position relay_end;
};

// Where `source`'s part starts for `unix_seconds`. Fails, saying what to do, when the relay log
// is empty or begins after that time (the transactions before its start are not there to be
// checked).
caf::expected<time_start> position_at_time(const std::shared_ptr<storage::database>& db,
                                           const std::string& source, int64_t unix_seconds);

}  // namespace dm
