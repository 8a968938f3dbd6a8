// The session of a schema change's query event (sync/ddl_session.hpp) set on a downstream
// connection, and what the upstream's collation ids mean. Blocking.
#pragma once

#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "protocol/mysql_connection.hpp"
#include "sync/ddl_session.hpp"

namespace dm {

// Sets `session` on `conn`, adapting what the downstream spells otherwise: a utf8mb3_*
// collation or charset as utf8_*, sql_mode names only one flavor knows left out (logged once
// per call with `label`). Blocking.
caf::error set_event_session(mysql_connection& conn, const event_session& session,
                             const std::string& label);

// Puts `conn` back in the appliers' session (downstream_session.hpp). Blocking.
caf::error restore_applier_session(mysql_connection& conn);

// The upstream's collations (with each set's default) and system time zone. Blocking.
caf::expected<upstream_session_facts> read_session_facts(mysql_connection& upstream);

}  // namespace dm
