// Message payloads exchanged between the actors of one worker process (never across hosts).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "protocol/binlog/cell.hpp"
#include "protocol/binlog/event_type.hpp"
#include "common/position.hpp"
#include "protocol/table_schema.hpp"

namespace dm {

// relay -> source: the relay log grew (or the relay learned a newer upstream position).
struct relay_progress {
  // Key just past the last stored event: readers may read everything below it.
  relay_key head;
  // Upstream position just after the last stored event, and the GTIDs up to it.
  binlog_position relay;
  std::string relay_gtid;
  // Newest upstream position seen (events or heartbeats).
  binlog_position upstream;
  uint64_t events_stored = 0;
  uint64_t bytes_stored = 0;
  // Upstream timestamp of the last stored event.
  uint32_t last_event_time = 0;
  // relay -> source: `upstream` is the upstream's own end of binlog, learned from a heartbeat
  // (the upstream sends one when it has nothing more to send). source -> syncers: the relay runs
  // and has heard such a heartbeat since it connected, so `relay == upstream` means the relay
  // has everything; false while the relay connects, retries or is paused.
  bool upstream_confirmed = false;
};

// syncer -> task: what has been applied downstream.
struct sync_progress {
  binlog_position synced;
  std::string synced_gtid;
  binlog_position relay;
  // The syncer has applied everything the relay holds, and the relay everything the upstream
  // has written.
  bool caught_up = false;
  uint32_t last_event_time = 0;
  uint64_t events_applied = 0;
  uint64_t rows_applied = 0;
  bool safe_mode = false;
  uint64_t bytes_in_flight = 0;
  // Tables replicated by all-column match (no primary key or NOT NULL unique key).
  std::vector<std::string> keyless_tables;
  // Set when the syncer stops on an event: the event's relay key and upstream position.
  bool failed = false;
  relay_key failed_key;
  binlog_position failed_position;
};

// dumper -> task: how far the dump is. Totals grow as tables are planned (rows of unplanned
// tables are the server's estimate).
struct dump_counters {
  uint32_t tables_total = 0;
  uint32_t chunks_total = 0;
  uint32_t chunks_dumped = 0;
  uint64_t rows_total = 0;
  uint64_t rows_dumped = 0;
  uint64_t bytes_dumped = 0;
  bool finished = false;
};

// loader -> task: how far the load is.
struct load_counters {
  uint32_t tables_loaded = 0;
  uint32_t chunks_loaded = 0;
  uint64_t rows_loaded = 0;
  uint64_t bytes_loaded = 0;
};

// Where a row change came from: its rows event and the row's index in it.
struct change_origin {
  relay_key event;
  uint32_t row = 0;

  friend bool operator<(const change_origin& a, const change_origin& b) {
    if (a.event != b.event) return a.event < b.event;
    return a.row < b.row;
  }
  friend bool operator<=(const change_origin& a, const change_origin& b) { return !(b < a); }
};

// One row change ready to be written downstream.
struct row_job {
  // Upstream structure of the table (names, signedness, charsets, keys).
  std::shared_ptr<const table_schema> schema;
  // Quoted downstream `db`.`table`.
  std::string target;
  binlog::rows_kind kind = binlog::rows_kind::write;
  // Write idempotently: INSERT as REPLACE, UPDATE as DELETE + REPLACE.
  bool safe = false;
  // The serial group of the table (apply_marks.hpp): the applier records the group's last change
  // in the same transaction. Null for tables whose changes are keyed.
  std::shared_ptr<const std::string> serial_group;
  // The table is in a foreign-key group (fk_groups.hpp): its changes are written in order, with
  // foreign key checks on (cascades run) unless the upstream ran them with checks off.
  bool fk_table = false;
  bool fk_checks = false;
  // Where the change came from (named when applying it fails; apply marks record it).
  change_origin origin;
  std::vector<binlog::cell> before;
  std::vector<binlog::cell> after;
};

// event-based actor -> store: blocking work to run on the store's thread.
struct blocking_job {
  std::function<caf::error()> run;
};

// A sync checkpoint as written downstream (sync/downstream_checkpoint.hpp): everything before
// `next` is applied; nothing at or beyond `safe_until` was.
struct checkpoint_mark {
  relay_key next;
  // The upstream position of `next` and the GTID set executed before it.
  binlog_position position;
  std::string gtid_set;
  relay_key safe_until;
};

// syncer -> applier: jobs to apply in one downstream transaction, in order.
struct job_batch {
  // Sequence number the applier acknowledges once the transaction committed.
  uint64_t seq = 0;
  // The run of the syncer's checkpoint, which the batch's apply marks carry.
  uint64_t run = 0;
  // The checkpoint the syncer knew applied when the batch left, with a high-water mark just
  // past the batch's last event: written in the batch's own transaction.
  checkpoint_mark mark;
  std::vector<row_job> jobs;
};

}  // namespace dm
