#include "io/relay_repair.hpp"

#include "io/connection_settings.hpp"
#include "protocol/binlog/event_header.hpp"
#include "protocol/binlog_stream.hpp"
#include "common/error.hpp"
#include "storage/relay_log.hpp"

namespace dm {

namespace {

// A replica id for the short repair stream: not the relay's own (the upstream would drop the
// relay's connection for a second replica with its id), in the same rarely used range.
uint32_t repair_server_id(const source_config& source) {
  uint32_t relay_id = relay_server_id(source);
  return 0x40000000u | ((relay_id + 0x1000u) & 0x3fffffffu);
}

}  // namespace

caf::expected<std::string> refetch_relay_event(const source_config& source,
                                               storage::relay_log& relay,
                                               const relay_key& key,
                                               const std::string& file, size_t stored_size) {
  auto where = "relay event at " + file + ":" + std::to_string(key.offset) + " of source " +
               source.source_id;
  auto state = relay.load_state();
  if (!state) return state.error();
  if (!*state || (*state)->segment != key.segment)
    return make_error(ec::checksum_mismatch,
                      where + " fails its CRC32 check and was stored from an earlier upstream "
                              "server, so it cannot be fetched again; restart the task from a "
                              "new full copy (task-mode all)");
  auto params = to_connection_params(source.from);
  params.max_allowed_packet = 1ul << 30;
  auto label = "upstream of source " + source.source_id;
  auto conn = mysql_connection::open(params, server_role::upstream, label);
  if (!conn) return conn.error();
  dump_request request;
  request.server_id = repair_server_id(source);
  request.start = {file, key.offset};
  request.report_host = "dm-worker:" + source.source_id + ":repair";
  auto purged = [&] {
    return make_error(ec::checksum_mismatch,
                      where + " fails its CRC32 check and the upstream no longer has " + file +
                          " to fetch it again; restore the file upstream, or restart the task "
                          "from a new full copy (task-mode all)");
  };
  auto stream = binlog_stream::open(std::move(*conn), request);
  if (!stream) return code_of(stream.error()) == ec::binlog_purged ? purged() : stream.error();
  auto format = binlog::default_format_description(stream->checksum());
  for (;;) {
    auto raw = stream->next();
    if (!raw) return code_of(raw.error()) == ec::binlog_purged ? purged() : raw.error();
    auto hdr = binlog::parse_header(*raw);
    if (!hdr) return hdr.error();
    if (hdr->type == binlog::event_type::heartbeat || hdr->type == binlog::event_type::heartbeat_v2)
      continue;
    if ((hdr->flags & binlog::flag_artificial) || hdr->log_pos == 0) {
      // The fake rotate to the file, and the file's format description re-sent.
      if (hdr->type == binlog::event_type::format_description) {
        auto fde = binlog::parse_format_description(*raw);
        if (!fde) return fde.error();
        format = *fde;
      }
      continue;
    }
    bool same_place = hdr->log_pos >= hdr->event_size &&
                      hdr->log_pos - hdr->event_size == key.offset && raw->size() == stored_size;
    auto checked = binlog::split_event(*raw, format, true);
    if (!same_place || !checked)
      return make_error(ec::checksum_mismatch,
                        where + " fails its CRC32 check, and the upstream sends no matching event "
                                "at that offset (" +
                            (checked ? std::string{"another event"} : describe(checked.error())) +
                            "); restart the task from a new full copy (task-mode all)");
    std::string event{*raw};
    if (auto err = relay.overwrite_event(key, event)) return err;
    return event;
  }
}

}  // namespace dm
