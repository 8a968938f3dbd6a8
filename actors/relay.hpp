// The relay of one source: streams the upstream binlog as a replica and stores every event in
// the source's relay log (storage/relay_log.hpp).
//
// Detached: it blocks on the upstream socket. Each pump reads a bounded number of events, so the
// actor returns to its mailbox at least once per heartbeat period (and can be stopped). Writing
// is pipelined: a relay_writer commits staged events on its own thread while reading goes on,
// and announces each relay state once it is durable.
// Contract: the relay state advances only at transaction boundaries, in the same write batch as
// the events it covers; on restart it truncates the unfinished tail and resumes exactly at the
// state's position. Staged events are bounded (relay_writer's staging limit).
// Any failure ends the actor with an error; its source restarts it with backoff.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/interfaces.hpp"
#include "common/metrics.hpp"
#include "protocol/binlog/event_header.hpp"
#include "protocol/binlog/transaction_tracker.hpp"
#include "protocol/binlog_stream.hpp"
#include "protocol/gtid_set.hpp"
#include "storage/relay_log.hpp"
#include "storage/relay_writer.hpp"

namespace dm {

namespace storage {
class database;
}

struct relay_actor_state {
  static inline const char* name = "relay";

  source_config config;
  source_actor parent;
  std::unique_ptr<storage::relay_log> log;
  // Exists while streaming (created after connect() has truncated the old tail).
  std::unique_ptr<storage::relay_writer> writer;
  std::optional<binlog_stream> stream;
  binlog::format_description format;
  binlog::transaction_tracker tracker;

  // The relay state persisted when the stream started.
  storage::relay_state committed;
  // The state advanced by every event read so far (handed to the writer at each boundary).
  storage::relay_state reading;
  // The newest state handed to the writer.
  std::optional<storage::relay_state> last_boundary;
  gtid_set gtids;

  // Newest upstream position seen in events and heartbeats.
  binlog_position upstream;
  // Whether the stream delivered its first event since connecting.
  bool started = false;
  // Where the stream was asked to start, for messages.
  std::string stream_from;
  std::shared_ptr<storage::database> db;
  std::chrono::milliseconds fsync{1000};

  // Metrics of this source's relay (owned by the registry).
  metrics::counter* bytes_written = nullptr;
  metrics::counter* events_written = nullptr;
  metrics::timing* write_time = nullptr;
  metrics::gauge* relay_file = nullptr;
  metrics::gauge* relay_pos = nullptr;
  metrics::gauge* upstream_file = nullptr;
  metrics::gauge* upstream_pos = nullptr;
  metrics::gauge* space_capacity = nullptr;
  metrics::gauge* space_available = nullptr;
};

// `fsync`: how often the relay log's writes are made durable (see worker_settings).
relay_actor::behavior_type relay(relay_actor::stateful_pointer<relay_actor_state> self,
                                 source_config config, std::shared_ptr<storage::database> db,
                                 source_actor parent, std::chrono::milliseconds fsync);

}  // namespace dm
