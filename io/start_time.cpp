#include "io/start_time.hpp"

#include <ctime>
#include <vector>

#include "common/error.hpp"
#include "protocol/binlog/event_header.hpp"
#include "protocol/binlog/event_type.hpp"
#include "protocol/binlog/transaction_tracker.hpp"
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

}  // namespace

caf::expected<time_start> position_at_time(const std::shared_ptr<storage::database>& db,
                                           const std::string& source, int64_t unix_seconds) {
  storage::relay_log log{db, source};
  auto state = log.load_state();
  if (!state) return state.error();
  auto first = log.first_key();
  if (!first) return first.error();
  auto where = "source " + source + ": --start-time " + utc_text(unix_seconds);
  if (!*state || !*first)
    return make_error(ec::not_found, where + ": the relay log is empty; wait until the relay "
                                             "has read the upstream, or start without it");
  auto head = (*state)->head();
  binlog::format_description fde =
      binlog::default_format_description(binlog::checksum_alg::undefined);
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
      if (!tracker.in_transaction() && !is_bookkeeping(header->type)) {
        if (header->timestamp >= unix_seconds) {
          if (first_transaction && header->timestamp > unix_seconds)
            return make_error(ec::not_found,
                              where + ": the relay log begins at " +
                                  utc_text(header->timestamp) +
                                  ", after that time; create the source with relay-binlog-name "
                                  "at or before it, or give a later time");
          auto file = log.file_name(event.key.segment, event.key.file_index);
          if (!file) return file.error();
          if (!*file)
            return make_error(ec::storage_failed, where + ": the relay log has no file name for "
                                                          "the event found");
          return time_start{{**file, event.key.offset}, (*state)->next};
        }
        first_transaction = false;
      }
      auto view = binlog::split_event(event.bytes, fde, false);
      if (!view) return view.error();
      if (auto observed = tracker.observe(*view, fde); !observed) return observed.error();
    }
    at = batch.back().key;
    at.offset += 1;
  }
  return time_start{(*state)->next, (*state)->next};
}

}  // namespace dm
