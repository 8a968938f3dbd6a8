// The relay log of one source: the upstream's binlog events stored verbatim (checksum included)
// at their upstream offsets, plus the relay state that says how far the copy goes.
//
// Durability contract: append() writes events and the state that covers them in one atomic
// batch, so after a crash the log holds exactly the events the state covers: a clean prefix of
// the upstream binlog, without gaps or duplicates.
//
// Thread-safety: one writer (the source's relay, through relay_writer) and any number of
// concurrent readers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "common/position.hpp"
#include "storage/keys.hpp"

namespace dm::storage {

class database;
class write_batch;

struct relay_state {
  // Current segment; a new one starts when the upstream's identity changes (failover).
  uint32_t segment = 0;
  // The upstream identity of the segment (MySQL server_uuid, MariaDB server_id).
  std::string upstream_id;
  // Upstream position just after the last stored event: where fetching resumes.
  binlog_position next;
  // GTID set executed through the last stored transaction (text form; empty when unknown).
  std::string gtid_set;
  // Totals over the life of the relay log, for status.
  uint64_t events_stored = 0;
  uint64_t bytes_stored = 0;
  // Unix time of the upstream's last stored event.
  uint32_t last_event_time = 0;

  // Key just past the last stored event; readers read events with keys below it.
  relay_key head() const;
};

// One upstream binlog file (within a segment) the relay log holds.
struct relay_file {
  uint32_t segment = 0;
  uint32_t file_index = 0;
  std::string name;
  // Upstream time of the newest event stored from the file.
  uint32_t last_event_time = 0;
};

// Adds the records that make `state` the relay state of `source` to `batch` (relay_writer
// uses this to commit a state with the events it covers).
void add_relay_state(write_batch& batch, std::string_view source, const relay_state& state);

struct stored_event {
  relay_key key;
  std::string bytes;
};

class relay_log {
 public:
  relay_log(std::shared_ptr<database> db, std::string source);

  const std::string& source() const { return source_; }

  // The persisted state, or nullopt for a relay log that never stored anything.
  caf::expected<std::optional<relay_state>> load_state() const;

  // Writes `state` alone (a new relay log or segment). Events are written by relay_writer,
  // with the state that covers them.
  caf::error write_state(const relay_state& state, bool sync);

  // Appends to `out` the events with from <= key < until, at most `max_events` of them and
  // stopping after the one that crosses `max_bytes`. Returns how many were appended.
  caf::expected<size_t> read(const relay_key& from, const relay_key& until, size_t max_events,
                             size_t max_bytes, std::vector<stored_event>& out) const;

  // The upstream binlog file name of (segment, file_index), if the relay saw that file.
  caf::expected<std::optional<std::string>> file_name(uint32_t segment,
                                                      uint32_t file_index) const;

  // The files the relay log holds (some events of), oldest first.
  caf::expected<std::vector<relay_file>> files() const;

  // Removes the events and records of one file. REQUIRES: no reader needs them.
  caf::error purge_file(uint32_t segment, uint32_t file_index);

  // The key of the first stored event, or nullopt when the log is empty.
  caf::expected<std::optional<relay_key>> first_key() const;

  // Where the log's unbroken run of events begins: its first event, except that the format
  // description kept at offset 4 of a file the relay started in the middle of stands apart
  // from the events after it; when the log holds no more than that, where the relay goes on.
  // Nullopt when the log is empty and has no state.
  caf::expected<std::optional<relay_key>> unbroken_start() const;

  // Removes events of `head`'s segment at or after `head`: the tail of a transaction that was
  // being stored when the process died (the state never covers it).
  caf::error truncate_from(const relay_key& head);

  // Stores `event` over the event at `key` (a copy that failed its checksum, fetched again from
  // the upstream). REQUIRES: `event` is the upstream's event at that offset, of the same length.
  caf::error overwrite_event(const relay_key& key, std::string_view event);

  // Removes every event, file name and the state of this source.
  caf::error erase_all();

 private:
  std::shared_ptr<database> db_;
  std::string source_;
  std::string state_key_;
};

}  // namespace dm::storage
