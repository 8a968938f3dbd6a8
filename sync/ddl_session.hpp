// The session a schema change ran in upstream, rebuilt downstream. A query event records its
// session: the character set its text is in (character_set_client), collation_connection,
// collation_server (the default of a CREATE DATABASE without one), sql_mode (how quotes,
// defaults and conversions are read), time_zone and the statement's timestamp (what
// CURRENT_TIMESTAMP fills existing rows with in ALTER TABLE ... ADD ... DEFAULT
// CURRENT_TIMESTAMP). The syncer runs each schema change under those, as a replica's SQL
// thread does, then goes back to the appliers' session (downstream_session.hpp).
//
// Pure: what an event's status variables mean. io/event_session.hpp sets such a session on a
// connection.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "protocol/binlog/events.hpp"
#include "protocol/sql/lexer.hpp"
#include "protocol/sql/pinned_collations.hpp"

namespace dm {

// A collation id of the upstream, by name.
struct collation_name {
  std::string charset;
  std::string collation;
};

// What the upstream's ids and defaults mean (read once from the upstream).
struct upstream_session_facts {
  std::map<uint16_t, collation_name> collations;
  // The upstream's system time zone as an offset ("+01:00"), for events logged with time_zone
  // SYSTEM (which downstream would mean the downstream's own).
  std::string system_time_zone = "+00:00";
  // Each character set's default collation (collation_compatible: strict).
  sql::default_collations default_collations;
};

// The session of one query event, as names the downstream understands.
struct event_session {
  std::optional<std::string> character_set_client;
  std::optional<std::string> collation_connection;
  std::optional<std::string> collation_server;
  std::optional<std::vector<std::string>> sql_mode;
  std::optional<std::string> time_zone;
  // The statement's time: "SECONDS[.MICROSECONDS]".
  std::string timestamp;
};

// The sql_mode names of a query event's bitmask as the upstream flavor numbers them; bits the
// flavor does not define are left out.
std::vector<std::string> sql_mode_names(uint64_t mode, bool mariadb);

// How a statement logged under `sql_mode` reads quotes.
sql::lexer_mode lexer_mode_of(const std::optional<uint64_t>& sql_mode);

// The session of a query event with status variables `status` and header timestamp
// `timestamp`. Fails naming the id when the event uses a collation `facts` lacks.
caf::expected<event_session> session_of(const binlog::query_status& status, uint32_t timestamp,
                                        bool mariadb, const upstream_session_facts& facts);

}  // namespace dm
