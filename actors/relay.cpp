#include "actors/relay.hpp"

#include <chrono>

#include <caf/all.hpp>

#include "protocol/binlog/events.hpp"
#include "protocol/log.hpp"
#include "storage/database.hpp"

namespace dm {

namespace {

using self_ptr = relay_actor::stateful_pointer<relay_actor_state>;

// Bounds of one pump: the actor returns to its mailbox after this many events or this long.
constexpr size_t pump_max_events = 4096;
constexpr auto pump_max_time = std::chrono::milliseconds{200};
// Complete transactions are written once this much is buffered or the stream has nothing more.
constexpr size_t flush_bytes = 4 << 20;
// An unfinished (large) transaction is written in pieces of this size.
constexpr size_t flush_bytes_mid_transaction = 32 << 20;
constexpr auto heartbeat = std::chrono::milliseconds{1000};
constexpr auto read_timeout = std::chrono::seconds{30};

std::string upstream_label(const source_config& cfg) {
  return "upstream of source " + cfg.source_id + " (" + cfg.from.host + ":" +
         std::to_string(cfg.from.port) + ")";
}

void announce(self_ptr self) {
  auto& st = self->state;
  relay_progress p;
  p.head = st.committed.head();
  p.relay = st.committed.next;
  p.relay_gtid = st.committed.gtid_set;
  p.upstream = st.upstream.empty() || (!st.committed.next.empty() && st.upstream < st.committed.next)
                   ? st.committed.next
                   : st.upstream;
  p.events_stored = st.committed.events_stored;
  p.bytes_stored = st.committed.bytes_stored;
  p.last_event_time = st.committed.last_event_time;
  self->send(st.parent, relay_head_atom_v, std::move(p));
}

// Writes the buffered events and, if a transaction boundary was reached, the state at the
// newest one, in one batch.
caf::error flush(self_ptr self) {
  auto& st = self->state;
  if (st.events.empty() && !st.boundary) return caf::none;
  const storage::relay_state* state = st.boundary ? &*st.boundary : nullptr;
  if (auto err = st.log->append(st.keys, st.events, state, false)) return err;
  st.keys.clear();
  st.events.clear();
  st.buffered_bytes = 0;
  if (st.boundary) {
    st.committed = *st.boundary;
    st.boundary.reset();
    announce(self);
  }
  return caf::none;
}

void buffer_event(relay_actor_state& st, const storage::relay_key& key, std::string_view raw) {
  st.keys.push_back(key);
  st.events.emplace_back(raw);
  st.buffered_bytes += raw.size();
}

caf::expected<std::string> query_text(mysql_connection& conn, const std::string& sql) {
  auto v = conn.query_value(sql);
  if (!v) return v.error();
  return v->value_or("");
}

// Connects, checks the upstream's binlog settings, decides where to start and opens the stream.
caf::error connect(self_ptr self) {
  auto& st = self->state;
  const auto& cfg = st.config;
  auto label = upstream_label(cfg);
  connection_params params;
  params.host = cfg.from.host;
  params.port = cfg.from.port;
  params.user = cfg.from.user;
  params.password = cfg.from.password;
  params.read_timeout = read_timeout;
  params.max_allowed_packet = 1ul << 30;
  auto conn = mysql_connection::open(params, server_role::upstream, label);
  if (!conn) return conn.error();

  auto settings = conn->query(
      "SELECT VERSION(), @@global.log_bin, @@global.binlog_format, @@global.server_id");
  if (!settings) return settings.error();
  const auto& row = settings->at(0);
  auto version = row[0].value_or("");
  bool mariadb = cfg.flavor.empty() ? version.find("MariaDB") != std::string::npos
                                    : cfg.flavor == "mariadb";
  if (row[1].value_or("0") != "1")
    return make_error(ec::upstream_misconfigured,
                      label + ": binary logging is off; start the server with --log-bin");
  if (row[2].value_or("") != "ROW")
    return make_error(ec::upstream_misconfigured,
                      label + ": binlog_format is " + row[2].value_or("unset") +
                          "; set binlog_format=ROW on the upstream");
  std::string identity = row[3].value_or("");
  if (!mariadb) {
    auto uuid = query_text(*conn, "SELECT @@global.server_uuid");
    if (!uuid) return uuid.error();
    identity = *uuid;
  }

  auto stored = st.log->load_state();
  if (!stored) return stored.error();
  dump_request request;
  request.server_id = cfg.server_id ? cfg.server_id : default_relay_server_id(cfg.source_id);
  request.heartbeat = heartbeat;
  if (*stored) {
    if ((*stored)->upstream_id != identity)
      return make_error(ec::upstream_misconfigured,
                        label + ": the upstream's identity changed from " +
                            (*stored)->upstream_id + " to " + identity +
                            " (a different server); following a failover is not supported yet, "
                            "re-create the source to start over");
    st.committed = **stored;
    request.start = st.committed.next;
  } else {
    storage::relay_state init;
    init.upstream_id = identity;
    if (cfg.enable_gtid && !cfg.relay_binlog_gtid.empty()) {
      if (!mariadb)
        return make_error(ec::unsupported,
                          label + ": starting the relay from a MySQL GTID set is not implemented "
                                  "yet; give relay-binlog-name instead");
      auto gtids = gtid_set::parse(cfg.relay_binlog_gtid);
      if (!gtids) return gtids.error();
      request.gtid = *gtids;
      init.gtid_set = gtids->to_string();
    } else if (!cfg.relay_binlog_name.empty()) {
      init.next = {cfg.relay_binlog_name, 4};
    } else {
      auto status = conn->query("SHOW MASTER STATUS");
      if (!status) return status.error();
      if (status->empty() || !status->front()[0] || !status->front()[1])
        return make_error(ec::upstream_misconfigured,
                          label + ": SHOW MASTER STATUS returns nothing; is binary logging on?");
      init.next = {*status->front()[0],
                   static_cast<uint32_t>(std::stoul(*status->front()[1]))};
      auto gtid = query_text(*conn, mariadb ? "SELECT @@global.gtid_binlog_pos"
                                            : "SELECT @@global.gtid_executed");
      if (!gtid) return gtid.error();
      init.gtid_set = *gtid;
      // MySQL prints multi-server sets over several lines.
      init.gtid_set.erase(std::remove(init.gtid_set.begin(), init.gtid_set.end(), '\n'),
                          init.gtid_set.end());
    }
    request.start = init.next;
    st.committed = init;
    if (!init.next.empty()) {
      if (auto err = st.log->append({}, {}, &st.committed, true)) return err;
    }
  }
  if (!st.committed.next.empty()) {
    if (auto err = st.log->truncate_from(st.committed.head())) return err;
  }
  auto gtids = gtid_set::parse(st.committed.gtid_set);
  st.gtids = gtids ? *gtids : gtid_set{};
  st.reading = st.committed;
  st.tracker.reset();
  st.started = false;
  auto stream = binlog_stream::open(std::move(*conn), request);
  if (!stream) return stream.error();
  st.stream.emplace(std::move(*stream));
  st.format = binlog::default_format_description(st.stream->checksum());
  DM_INFO("relay {} streams {} from {}", cfg.source_id, label,
          request.gtid ? "GTID " + request.gtid->to_string() : to_string(request.start));
  announce(self);
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
      storage::relay_key key{st.reading.segment, *index, 4};
      std::vector<storage::stored_event> found;
      auto n = st.log->read(key, storage::relay_key{key.segment, key.file_index, 5}, 1, 1, found);
      if (!n) return n.error();
      if (*n == 0) buffer_event(st, key, raw);
    }
  }
  return caf::none;
}

caf::error handle_event(self_ptr self, std::string_view raw) {
  auto& st = self->state;
  auto hdr = binlog::parse_header(raw);
  if (!hdr) return hdr.error();
  if (hdr->type == binlog::event_type::heartbeat || hdr->type == binlog::event_type::heartbeat_v2) {
    if (!st.reading.next.file.empty()) st.upstream = {st.reading.next.file, hdr->log_pos};
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
  buffer_event(st, storage::relay_key{st.reading.segment, *index, offset}, raw);
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
  if (st.upstream.empty() || st.upstream < next) st.upstream = next;
  if (outcome->at_boundary) {
    st.reading.gtid_set = st.gtids.to_string();
    st.boundary = st.reading;
  }
  return caf::none;
}

void fail(self_ptr self, caf::error err) {
  auto& st = self->state;
  // Whole transactions read before the failure are still worth keeping.
  if (auto flush_err = flush(self))
    DM_ERROR("relay {} could not store its last events: {}", st.config.source_id,
             describe(flush_err));
  DM_WARN("relay {} stopped: {}", st.config.source_id, describe(err));
  self->quit(std::move(err));
}

}  // namespace

uint32_t default_relay_server_id(const std::string& source_id) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : source_id) h = (h ^ c) * 16777619u;
  return 0x40000000u | (h & 0x3fffffffu);
}

relay_actor::behavior_type relay(relay_actor::stateful_pointer<relay_actor_state> self,
                                 source_config config, std::shared_ptr<storage::database> db,
                                 source_actor parent) {
  auto& st = self->state;
  st.log = std::make_unique<storage::relay_log>(std::move(db), config.source_id);
  st.config = std::move(config);
  st.parent = std::move(parent);
  self->send(self, pump_atom_v);
  return {
      [=](pump_atom) {
        auto& st = self->state;
        if (!st.stream) {
          if (auto err = connect(self)) return fail(self, std::move(err));
        }
        auto deadline = std::chrono::steady_clock::now() + pump_max_time;
        for (size_t n = 0; n < pump_max_events; ++n) {
          auto raw = st.stream->next();
          if (!raw) return fail(self, raw.error());
          auto type = raw->size() > 4 ? static_cast<binlog::event_type>((*raw)[4])
                                      : binlog::event_type::unknown;
          if (auto err = handle_event(self, *raw)) return fail(self, std::move(err));
          if (type == binlog::event_type::heartbeat) {
            // The upstream is idle: everything is stored; report the upstream's position.
            if (auto err = flush(self)) return fail(self, std::move(err));
            announce(self);
            break;
          }
          bool flushed_enough = st.buffered_bytes >= flush_bytes || !st.stream->has_pending_data();
          if ((st.boundary && flushed_enough) || st.buffered_bytes >= flush_bytes_mid_transaction) {
            if (auto err = flush(self)) return fail(self, std::move(err));
          }
          if (std::chrono::steady_clock::now() >= deadline) break;
        }
        if (auto err = flush(self)) return fail(self, std::move(err));
        self->send(self, pump_atom_v);
      },
  };
}

}  // namespace dm
