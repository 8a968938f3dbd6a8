#include "actors/relay.hpp"

#include <chrono>

#include <caf/all.hpp>

#include "common/defaults.hpp"
#include "common/numbers.hpp"
#include "io/connection_settings.hpp"
#include "io/upstream_position.hpp"
#include "protocol/binlog/events.hpp"
#include "common/log.hpp"
#include "storage/database.hpp"

namespace dm {

namespace {

using self_ptr = relay_actor::stateful_pointer<relay_actor_state>;

// Bounds of one pump: the actor returns to its mailbox after this many events or this long.

std::string upstream_label(const source_config& cfg) {
  return "upstream of source " + cfg.source_id + " (" + cfg.from.host + ":" +
         std::to_string(cfg.from.port) + ")";
}

relay_progress make_progress(const storage::relay_state& state, const binlog_position& upstream) {
  relay_progress p;
  p.head = state.head();
  p.relay = state.next;
  p.relay_gtid = state.gtid_set;
  p.upstream =
      upstream.empty() || (!state.next.empty() && upstream < state.next) ? state.next : upstream;
  p.events_stored = state.events_stored;
  p.bytes_stored = state.bytes_stored;
  p.last_event_time = state.last_event_time;
  return p;
}

// The newest upstream position changed: its metric (node "master") follows.
void set_upstream(relay_actor_state& st, binlog_position position) {
  if (position.file != st.upstream.file)
    st.upstream_file->set(binlog_file_index(position.file).value_or(0));
  st.upstream = std::move(position);
  st.upstream_pos->set(st.upstream.pos);
}

// Reports the durable state with the newest upstream position the reader knows; `confirmed`
// when that position comes from a heartbeat (see relay_progress::upstream_confirmed).
void announce(self_ptr self, bool confirmed) {
  auto& st = self->state;
  auto p = make_progress(st.committed, st.upstream);
  p.upstream_confirmed = confirmed;
  self->send(st.parent, relay_head_atom_v, std::move(p));
}

// Waits until everything read is written; then `committed` is the newest durable state.
caf::error drain(self_ptr self) {
  auto& st = self->state;
  if (!st.writer) return caf::none;
  if (auto err = st.writer->drain()) return err;
  st.committed = st.last_boundary.value_or(st.committed);
  return caf::none;
}

// The writer: commits on its own thread and tells the source about each durable state.
std::unique_ptr<storage::relay_writer> make_writer(self_ptr self,
                                                   std::shared_ptr<storage::database> db) {
  auto& st = self->state;
  auto parent = st.parent;
  auto bytes_written = st.bytes_written, events_written = st.events_written;
  auto write_time = st.write_time;
  auto relay_file = st.relay_file, relay_pos = st.relay_pos;
  return std::make_unique<storage::relay_writer>(
      std::move(db), st.config.source_id, st.fsync,
      [=](const storage::relay_state& state, size_t bytes, size_t events, double seconds) {
        bytes_written->add(bytes);
        events_written->add(events);
        write_time->observe(seconds);
        relay_file->set(binlog_file_index(state.next.file).value_or(0));
        relay_pos->set(state.next.pos);
        // Runs on the writer's thread: a message is the only thing it may send.
        caf::anon_send(parent, relay_head_atom_v, make_progress(state, binlog_position{}));
      });
}

// Fails with ec::disk_full when the data-dir's disk has less free space than the source's
// purge.remain-space (0 disables the check).
caf::error check_disk(self_ptr self) {
  auto& st = self->state;
  auto free = st.db->free_disk_bytes();
  if (!free) return free.error();
  st.space_available->set(static_cast<double>(*free));
  if (auto capacity = st.db->disk_capacity_bytes())
    st.space_capacity->set(static_cast<double>(*capacity));
  auto limit = static_cast<uint64_t>(st.config.purge.remain_space) << 30;
  if (limit == 0) return caf::none;
  if (*free >= limit) return caf::none;
  return make_error(ec::disk_full,
                    "relay of source " + st.config.source_id + " paused: the data-dir's disk has " +
                        std::to_string(*free >> 20) + " MiB free, less than purge.remain-space (" +
                        std::to_string(st.config.purge.remain_space) +
                        " GiB), and tasks still need the relay log; free disk space or lower "
                        "remain-space");
}

caf::expected<std::string> query_text(mysql_connection& conn, const std::string& sql) {
  auto v = conn.query_value(sql);
  if (!v) return v.error();
  return v->value_or("");
}

// What the upstream is and how it is set up.
struct upstream_facts {
  bool mariadb = false;
  // MariaDB server_id or MySQL server_uuid: a change means another server.
  std::string identity;
  uint32_t server_id = 0;
};

caf::expected<upstream_facts> check_upstream(mysql_connection& conn, const source_config& cfg,
                                             const std::string& label, uint32_t our_id,
                                             const std::string& report_host) {
  auto settings = conn.query(
      "SELECT VERSION(), @@global.log_bin, @@global.binlog_format, @@global.server_id");
  if (!settings) return settings.error();
  const auto& row = settings->at(0);
  upstream_facts facts;
  auto version = row[0].value_or("");
  // The server says what it is; a `flavor` in the source config that disagrees is corrected.
  facts.mariadb = version.find("MariaDB") != std::string::npos;
  if (!cfg.flavor.empty() && (cfg.flavor == "mariadb") != facts.mariadb)
    DM_WARN("{}: the source config says flavor {}, but the upstream is {} ({}); replicating "
            "it as {}; correct the flavor in the source config",
            label, cfg.flavor, facts.mariadb ? "MariaDB" : "MySQL", version,
            facts.mariadb ? "mariadb" : "mysql");
  if (row[1].value_or("0") != "1")
    return make_error(ec::upstream_misconfigured,
                      label + ": binary logging is off; start the server with --log-bin");
  if (row[2].value_or("") != "ROW")
    return make_error(ec::upstream_misconfigured,
                      label + ": binlog_format is " + row[2].value_or("unset") +
                          "; set binlog_format=ROW on the upstream");
  facts.server_id = static_cast<uint32_t>(to_unsigned(row[3].value_or("0")).value_or(0));
  facts.identity = row[3].value_or("");
  if (!facts.mariadb) {
    auto uuid = query_text(conn, "SELECT @@global.server_uuid");
    if (!uuid) return uuid.error();
    facts.identity = *uuid;
  }
  if (facts.server_id == our_id)
    return make_error(ec::upstream_misconfigured,
                      label + ": server-id " + std::to_string(our_id) +
                          " of source " + cfg.source_id +
                          " is the upstream's own server_id; set another server-id in the "
                          "source config");
  // Another replica registered with our id would make the upstream drop one of us. Our own
  // earlier registration (same report host) is replaced by the server, so it does not count.
  if (auto hosts = conn.query("SHOW SLAVE HOSTS")) {
    for (auto& h : *hosts) {
      if (h.size() < 3 || h[0].value_or("") != std::to_string(our_id)) continue;
      if (h[1].value_or("") == report_host) continue;
      return make_error(ec::upstream_misconfigured,
                        label + ": server-id " + std::to_string(our_id) +
                            " is already used by replica " + h[1].value_or("?") + ":" +
                            h[2].value_or("?") +
                            "; set server-id in the source config to an unused value");
    }
  }
  return facts;
}

// Explains the errors of registering and requesting the binlog.
caf::error explain_dump_error(caf::error err, const std::string& label, const std::string& from,
                              const std::string& user) {
  auto text = describe(err);
  switch (code_of(err)) {
    case ec::upstream_access_denied:
      return make_error(ec::upstream_access_denied,
                        text + "; grant it with GRANT REPLICATION SLAVE, REPLICATION CLIENT ON "
                               "*.* TO '" +
                            user + "'@'%'");
    case ec::binlog_purged:
      return make_error(ec::binlog_purged,
                        text + "; the upstream cannot send the binlog from " + from +
                            ": if it purged it, re-create the source from a binlog it still has "
                            "(SHOW BINARY LOGS on the upstream)");
    default:
      return err;
  }
}

// Connects, checks the upstream's binlog settings, decides where to start and opens the stream.
caf::error connect(self_ptr self) {
  auto& st = self->state;
  const auto& cfg = st.config;
  auto label = upstream_label(cfg);
  auto params = to_connection_params(cfg.from);
  params.read_timeout = std::chrono::seconds{cfg.read_timeout};
  params.max_allowed_packet = 1ul << 30;
  auto conn = mysql_connection::open(params, server_role::upstream, label);
  if (!conn) return conn.error();

  dump_request request;
  request.server_id = relay_server_id(cfg);
  request.heartbeat = std::chrono::seconds{cfg.heartbeat_period};
  request.report_host = "dm-worker:" + cfg.source_id;
  auto facts = check_upstream(*conn, cfg, label, request.server_id, request.report_host);
  if (!facts) return facts.error();

  auto stored = st.log->load_state();
  if (!stored) return stored.error();
  if (*stored && (*stored)->upstream_id != facts->identity) {
    // Another server behind the same address (a promoted replica): only GTIDs say where to go
    // on. The unfinished tail of the old segment goes; the new segment starts empty.
    const auto& old = **stored;
    auto gtids = gtid_set::parse(old.gtid_set);
    if (!gtids || gtids->empty())
      return make_error(ec::upstream_misconfigured,
                        label + ": the upstream changed from server " + old.upstream_id + " to " +
                            facts->identity +
                            ", and without GTIDs the relay cannot tell where to continue; "
                            "re-create the source, or use GTIDs (gtid_strict_mode on MariaDB)");
    if (auto err = st.log->truncate_from(old.head())) return err;
    storage::relay_state next;
    next.segment = old.segment + 1;
    next.upstream_id = facts->identity;
    next.gtid_set = old.gtid_set;
    next.events_stored = old.events_stored;
    next.bytes_stored = old.bytes_stored;
    if (auto err = st.log->write_state(next, true)) return err;
    DM_WARN("relay {}: the upstream changed from server {} to {}; continuing in segment {} "
            "after GTID set {}",
            cfg.source_id, old.upstream_id, facts->identity, next.segment, next.gtid_set);
    *stored = next;
  }
  if (*stored) {
    st.committed = **stored;
    if (st.committed.next.empty()) {
      auto resume = gtid_set::parse(st.committed.gtid_set);
      request.gtid = resume ? *resume : gtid_set{};
    } else {
      request.start = st.committed.next;
    }
  } else {
    storage::relay_state init;
    init.upstream_id = facts->identity;
    if (cfg.enable_gtid && !cfg.relay_binlog_gtid.empty()) {
      auto gtids = gtid_set::parse(cfg.relay_binlog_gtid);
      if (!gtids) return gtids.error();
      request.gtid = *gtids;
      init.gtid_set = gtids->to_string();
      // MySQL marks the start with a Previous_gtids event; the stream says where it is.
    } else if (!cfg.relay_binlog_name.empty()) {
      init.next = {cfg.relay_binlog_name, 4};
    } else {
      auto now = current_binlog_position(*conn);
      if (!now) return explain_dump_error(now.error(), label, "now", cfg.from.user);
      if (now->empty())
        return make_error(ec::upstream_misconfigured,
                          label + ": SHOW MASTER STATUS returns nothing; is binary logging on?");
      init.next = *now;
      init.gtid_set = executed_gtid_set(*conn);
    }
    request.start = init.next;
    st.committed = init;
    if (auto err = st.log->write_state(st.committed, true)) return err;
  }
  if (request.gtid && request.gtid->kind() == gtid_set::flavor::mariadb && !facts->mariadb)
    return make_error(ec::upstream_misconfigured,
                      label + ": the GTID set " + request.gtid->to_string() +
                          " is MariaDB's, but the upstream is MySQL");
  if (request.gtid && request.gtid->kind() == gtid_set::flavor::mysql && facts->mariadb)
    return make_error(ec::upstream_misconfigured,
                      label + ": the GTID set " + request.gtid->to_string() +
                          " is MySQL's (server-uuid:ranges), but the upstream is MariaDB; give a "
                          "MariaDB GTID list (domain-server-sequence, as in SELECT "
                          "@@gtid_binlog_pos) in relay-binlog-gtid");
  if (!st.committed.next.empty()) {
    if (auto err = st.log->truncate_from(st.committed.head())) return err;
  }
  auto gtids = gtid_set::parse(st.committed.gtid_set);
  st.gtids = gtids ? *gtids : gtid_set{};
  st.reading = st.committed;
  st.last_boundary.reset();
  st.tracker.reset();
  st.started = false;
  st.writer = make_writer(self, st.db);
  auto from = request.gtid ? "GTID " + request.gtid->to_string() : to_string(request.start);
  st.stream_from = from;
  auto stream = binlog_stream::open(std::move(*conn), request);
  if (!stream) return explain_dump_error(stream.error(), label, from, cfg.from.user);
  st.stream.emplace(std::move(*stream));
  st.format = binlog::default_format_description(st.stream->checksum());
  DM_INFO("relay {} streams {} from {} as replica {}", cfg.source_id, label, from,
          request.server_id);
  announce(self, false);
  return caf::none;
}

// Handles an event the server made up for the stream (fake rotate, re-sent format description).
caf::error handle_artificial(self_ptr self, const binlog::event_header& hdr, std::string_view raw) {
  auto& st = self->state;
  if (hdr.type == binlog::event_type::rotate) {
    auto view = binlog::split_event(raw, st.format, false);
    if (!view) return view.error();
    auto rot = binlog::decode_rotate(*view, st.format);
    if (!rot) return rot.error();
    st.reading.next = {rot->next_file, static_cast<uint32_t>(rot->position)};
    return caf::none;
  }
  if (hdr.type == binlog::event_type::format_description) {
    auto fde = binlog::parse_format_description(raw);
    if (!fde) return fde.error();
    st.format = *fde;
    // Re-sent when the stream starts mid-file: keep it at offset 4, where readers look for the
    // format of the file, if the relay log does not have it yet.
    auto index = binlog_file_index(st.reading.next.file);
    if (index) {
      relay_key key{st.reading.segment, *index, 4};
      std::vector<storage::stored_event> found;
      auto n = st.log->read(key, relay_key{key.segment, key.file_index, 5}, 1, 1, found);
      if (!n) return n.error();
      if (*n == 0) st.writer->stage(key, raw);
    }
  }
  return caf::none;
}

caf::error handle_event(self_ptr self, std::string_view raw) {
  auto& st = self->state;
  auto hdr = binlog::parse_header(raw);
  if (!hdr) return hdr.error();
  if (hdr->type == binlog::event_type::heartbeat || hdr->type == binlog::event_type::heartbeat_v2) {
    if (!st.reading.next.file.empty()) set_upstream(st, {st.reading.next.file, hdr->log_pos});
    return caf::none;
  }
  if ((hdr->flags & binlog::flag_artificial) || hdr->log_pos == 0)
    return handle_artificial(self, *hdr, raw);

  auto view = binlog::split_event(raw, st.format, true);
  if (!view) {
    if (code_of(view.error()) == ec::checksum_mismatch)
      return make_error(ec::upstream_unreachable, upstream_label(st.config) + ": " +
                                                      describe(view.error()) +
                                                      " in transit; reconnecting");
    return view.error();
  }
  auto& next = st.reading.next;
  if (hdr->log_pos < hdr->event_size)
    return make_error(ec::decode_failed, upstream_label(st.config) + ": event at " +
                                             to_string(next) + " has an impossible end position");
  uint32_t offset = hdr->log_pos - hdr->event_size;
  bool contiguous = offset == next.pos || (!st.started && st.committed.next.empty());
  if (!contiguous)
    return make_error(ec::upstream_unreachable,
                      upstream_label(st.config) + ": the binlog stream jumped from " +
                          to_string(next) + " to offset " + std::to_string(offset) +
                          "; reconnecting");
  auto index = binlog_file_index(next.file);
  if (!index)
    return make_error(ec::decode_failed, upstream_label(st.config) + ": binlog file name '" +
                                             next.file + "' has no numeric suffix");
  st.writer->stage(relay_key{st.reading.segment, *index, offset}, raw);
  st.started = true;
  next.pos = hdr->log_pos;
  st.reading.events_stored += 1;
  st.reading.bytes_stored += raw.size();
  st.reading.last_event_time = hdr->timestamp;

  switch (hdr->type) {
    case binlog::event_type::format_description: {
      auto fde = binlog::parse_format_description(raw);
      if (!fde) return fde.error();
      st.format = *fde;
      break;
    }
    case binlog::event_type::mariadb_gtid_list:
      if (st.gtids.empty()) {
        auto list = binlog::decode_mariadb_gtid_list(*view);
        if (!list) return list.error();
        for (auto& g : list->gtids) st.gtids.add(g);
      }
      break;
    default:
      break;
  }
  auto outcome = st.tracker.observe(*view, st.format);
  if (!outcome) return outcome.error();
  if (outcome->closed_group) st.tracker.add_closed_gtid(st.gtids);
  if (hdr->type == binlog::event_type::rotate) {
    auto rot = binlog::decode_rotate(*view, st.format);
    if (!rot) return rot.error();
    next = {rot->next_file, static_cast<uint32_t>(rot->position)};
  }
  if (st.upstream.empty() || st.upstream < next) set_upstream(st, next);
  if (outcome->at_boundary) {
    st.reading.gtid_set = st.gtids.to_string();
    st.writer->mark_boundary(st.reading);
    st.last_boundary = st.reading;
  }
  return caf::none;
}

void fail(self_ptr self, caf::error err) {
  auto& st = self->state;
  metrics::registry::global()
      .get_counter("dm_relay_exit_with_error_count",
                   "Times the relay stopped on an error (it reconnects after resumable ones)",
                   {{"source_id", st.config.source_id},
                    {"resumable_err", is_resumable(err) ? "true" : "false"}})
      ->add();
  // Whole transactions read before the failure are still worth keeping.
  if (auto drain_err = drain(self))
    DM_ERROR("relay {} could not store its last events: {}", st.config.source_id,
             describe(drain_err));
  st.writer.reset();
  DM_WARN("relay {} stopped: {}", st.config.source_id, describe(err));
  self->quit(std::move(err));
}

}  // namespace

relay_actor::behavior_type relay(relay_actor::stateful_pointer<relay_actor_state> self,
                                 source_config config, std::shared_ptr<storage::database> db,
                                 source_actor parent, std::chrono::milliseconds fsync) {
  auto& st = self->state;
  st.db = db;
  st.fsync = fsync;
  st.log = std::make_unique<storage::relay_log>(std::move(db), config.source_id);
  st.config = std::move(config);
  st.parent = std::move(parent);
  auto& reg = metrics::registry::global();
  // DM's names and labels (node "relay" or "master"), with the source: a worker may relay several.
  metrics::labels l{{"source_id", st.config.source_id}};
  metrics::labels relay_node{{"node", "relay"}, {"source_id", st.config.source_id}};
  metrics::labels master_node{{"node", "master"}, {"source_id", st.config.source_id}};
  st.bytes_written = reg.get_counter("dm_relay_bytes_written_total",
                                     "Bytes of binlog events the relay stored", l);
  st.events_written = reg.get_counter("dm_relay_events_written_total",
                                      "Binlog events the relay stored", l);
  st.write_time = reg.get_timing("dm_relay_write_seconds",
                                 "Time the relay spent writing to RocksDB", l);
  constexpr const char* file_help =
      "Binlog file index the relay log reaches (node relay) or the upstream has (node master)";
  constexpr const char* pos_help =
      "Binlog offset the relay log reaches (node relay) or the upstream has (node master)";
  st.relay_file = reg.get_gauge("dm_relay_binlog_file", file_help, relay_node);
  st.relay_pos = reg.get_gauge("dm_relay_binlog_pos", pos_help, relay_node);
  st.upstream_file = reg.get_gauge("dm_relay_binlog_file", file_help, master_node);
  st.upstream_pos = reg.get_gauge("dm_relay_binlog_pos", pos_help, master_node);
  constexpr const char* space_help = "Bytes of the data-dir's file system: capacity, available";
  st.space_capacity = reg.get_gauge("dm_relay_space", space_help, {{"type", "capacity"}});
  st.space_available = reg.get_gauge("dm_relay_space", space_help, {{"type", "available"}});
  self->send(self, pump_atom_v);
  return {
      [=](pump_atom) {
        auto& st = self->state;
        if (auto err = check_disk(self)) return fail(self, std::move(err));
        if (!st.stream) {
          if (auto err = connect(self)) return fail(self, std::move(err));
        }
        if (auto err = st.writer->error()) return fail(self, std::move(err));
        auto deadline = std::chrono::steady_clock::now() + defaults::relay_pump_max_time;
        for (size_t n = 0; n < defaults::relay_pump_max_events; ++n) {
          auto raw = st.stream->next();
          if (!raw) {
            // Refusals of the dump request arrive as the stream's first packet.
            auto err = st.started ? raw.error()
                                  : explain_dump_error(raw.error(), upstream_label(st.config),
                                                       st.stream_from, st.config.from.user);
            return fail(self, std::move(err));
          }
          auto type = raw->size() > 4 ? static_cast<binlog::event_type>((*raw)[4])
                                      : binlog::event_type::unknown;
          if (auto err = handle_event(self, *raw)) return fail(self, std::move(err));
          if (type == binlog::event_type::heartbeat) {
            // The upstream is idle: once everything is written, report its position.
            if (auto err = drain(self)) return fail(self, std::move(err));
            announce(self, true);
            break;
          }
          if (std::chrono::steady_clock::now() >= deadline) break;
        }
        self->send(self, pump_atom_v);
      },
  };
}

}  // namespace dm
