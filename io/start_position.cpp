#include "io/start_position.hpp"

#include <ctime>
#include <functional>
#include <vector>

#include "common/error.hpp"
#include "protocol/binlog/event_header.hpp"
#include "protocol/binlog/event_type.hpp"
#include "protocol/binlog/transaction_tracker.hpp"
#include "protocol/gtid_set.hpp"
#include "storage/relay_log.hpp"

namespace dm {

namespace {

std::string utc_text(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// Events that do not begin a transaction: file bookkeeping.
bool is_bookkeeping(binlog::event_type type) {
  using binlog::event_type;
  return type == event_type::format_description || type == event_type::rotate ||
         type == event_type::previous_gtids || type == event_type::heartbeat ||
         type == event_type::heartbeat_v2 || type == event_type::mariadb_gtid_list ||
         type == event_type::binlog_checkpoint;
}

// The first event of a transaction, after the tracker saw it.
struct transaction_head {
  const binlog::event_header& header;
  const binlog::transaction_tracker& tracker;
  // The first transaction of the relay log.
  bool first;
};

// What a scan makes of a transaction: go on, start there, or fail.
using verdict = caf::expected<bool>;

// Walks `source`'s relay log from its start and returns the position of the first transaction
// `starts_here` takes; the end of the relay log when it takes none. `what` names the request in
// messages.
caf::expected<relay_start> scan(const std::shared_ptr<storage::database>& db,
                                const std::string& source, const std::string& what,
                                const std::function<verdict(const transaction_head&)>& starts_here) {
  storage::relay_log log{db, source};
  auto state = log.load_state();
  if (!state) return state.error();
  auto first = log.first_key();
  if (!first) return first.error();
  if (!*state || !*first)
    return make_error(ec::not_found, what + ": the relay log is empty; wait until the relay "
                                            "has read the upstream");
  auto head = (*state)->head();
  auto fde = binlog::default_format_description(binlog::checksum_alg::undefined);
  binlog::transaction_tracker tracker;
  bool first_transaction = true;
  for (relay_key at = **first; at < head;) {
    std::vector<storage::stored_event> batch;
    auto n = log.read(at, head, 1000, 16u << 20, batch);
    if (!n) return n.error();
    if (*n == 0) break;
    for (auto& event : batch) {
      auto header = binlog::parse_header(event.bytes);
      if (!header) return header.error();
      if (header->type == binlog::event_type::format_description) {
        auto parsed = binlog::parse_format_description(event.bytes);
        if (!parsed) return parsed.error();
        fde = *parsed;
      }
      bool begins = !tracker.in_transaction() && !is_bookkeeping(header->type);
      auto view = binlog::split_event(event.bytes, fde, false);
      if (!view) return view.error();
      if (auto observed = tracker.observe(*view, fde); !observed) return observed.error();
      if (!begins) continue;
      auto taken = starts_here({*header, tracker, first_transaction});
      if (!taken) return taken.error();
      first_transaction = false;
      if (!*taken) continue;
      auto file = log.file_name(event.key.segment, event.key.file_index);
      if (!file) return file.error();
      if (!*file)
        return make_error(ec::storage_failed,
                          what + ": the relay log has no file name for the transaction found");
      return relay_start{{**file, event.key.offset}, (*state)->next};
    }
    at = batch.back().key;
    at.offset += 1;
  }
  return relay_start{(*state)->next, (*state)->next};
}

}  // namespace

caf::expected<relay_start> position_at_time(const std::shared_ptr<storage::database>& db,
                                            const std::string& source, int64_t unix_seconds) {
  auto what = "source " + source + ": --start-time " + utc_text(unix_seconds);
  return scan(db, source, what, [&](const transaction_head& t) -> verdict {
    if (t.header.timestamp < unix_seconds) return false;
    if (t.first && t.header.timestamp > unix_seconds)
      return make_error(ec::not_found,
                        what + ": the relay log begins at " + utc_text(t.header.timestamp) +
                            ", after that time; create the source with relay-binlog-name at "
                            "or before it, or give a later time");
    return true;
  });
}

caf::expected<relay_start> position_after_gtids(const std::shared_ptr<storage::database>& db,
                                                const std::string& source,
                                                const gtid_set& executed) {
  auto what = "source " + source + ": meta binlog-gtid " + executed.to_string();
  return scan(db, source, what, [&](const transaction_head& t) -> verdict {
    if (t.tracker.current_gtid().empty() || t.tracker.current_in(executed)) return false;
    if (t.first && !t.tracker.previous_in(executed))
      return make_error(ec::not_found,
                        what + ": the relay log begins at GTID " + t.tracker.current_gtid() +
                            ", and transactions between the set and it are not there; create "
                            "the source with relay-binlog-gtid at or before the set");
    return true;
  });
}

}  // namespace dm
