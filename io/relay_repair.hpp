// Repairs one relay log event that fails its CRC32 check when a syncer reads it (bytes damaged
// on the local disk after the relay verified them on arrival): fetches the event again from the
// source's upstream and stores it over the damaged copy.
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "model/config.hpp"
#include "storage/keys.hpp"

namespace dm {

namespace storage {
class relay_log;
}

// Fetches the event at `key` (upstream file `file`) of `source`'s relay log again from the
// upstream, checks it (an event starting at that offset, of the stored length, with a valid
// checksum), stores it over the damaged copy and returns its bytes.
// Errors, each one line saying what to do: the event is from an earlier upstream server than
// the relay's current one; the upstream no longer has the file (purged); the upstream is
// unreachable (resumable: tried again with the task's backoff); the upstream sends something
// else at that offset.
caf::expected<std::string> refetch_relay_event(const source_config& source,
                                               storage::relay_log& relay,
                                               const relay_key& key,
                                               const std::string& file, size_t stored_size);

}  // namespace dm
