// Finds transaction boundaries in a binlog event sequence, for both GTID flavors and for streams
// without GTID events. The relay persists only up to a boundary, and the syncer checkpoints only
// at one, so that neither ever splits a transaction.
#pragma once

#include <optional>
#include <string>

#include <caf/expected.hpp>

#include "protocol/binlog/event_header.hpp"
#include "protocol/gtid_set.hpp"

namespace dm::binlog {

class transaction_tracker {
 public:
  struct outcome {
    // After this event the stream is between transactions.
    bool at_boundary = false;
    // The event closed a transaction group (as opposed to being outside any).
    bool closed_group = false;
  };

  // Observes the next event. Decodes only GTID and query events, and only as far as needed.
  caf::expected<outcome> observe(const event_view& ev, const format_description& fde);

  bool in_transaction() const { return state_ != state::idle; }

  // The GTID of the group being read or just closed (MariaDB "d-s-n" or MySQL "uuid:n");
  // empty for groups without a GTID event.
  const std::string& current_gtid() const { return gtid_; }

  // Adds the GTID of the group just closed to `set`. REQUIRES: the last outcome closed a group.
  void add_closed_gtid(gtid_set& set) const;

  // Whether the GTID of the group being read (or just closed) is in `set`, and whether the one
  // just before it (same domain or server, one sequence number less) is. False without a GTID.
  bool current_in(const gtid_set& set) const;
  bool previous_in(const gtid_set& set) const;

  // Forgets any open group (used when a stream restarts at a boundary).
  void reset();

 private:
  enum class state : uint8_t {
    idle,
    // after a GTID event, before the first statement
    gtid_seen,
    // after a standalone GTID (MariaDB FL_STANDALONE) or a MySQL GTID: the next query may be the
    // whole group
    single_statement,
    // between BEGIN and COMMIT/XID
    in_transaction,
  };
  state state_ = state::idle;
  std::string gtid_;
  std::optional<mariadb_gtid> mariadb_;
  std::string mysql_uuid_;
  uint64_t mysql_gno_ = 0;
};

// The first keyword of a statement, upper-cased, after comments and whitespace ("BEGIN").
std::string first_keyword(std::string_view sql);

}  // namespace dm::binlog
