// A pipelined writer for one relay log: the relay's reading thread stages events and marks
// transaction boundaries; a thread of this writer commits whatever is staged in one atomic
// batch (group commit) while reading goes on, and reports each relay state once it is durable.
//
// Durability contract: as relay_log::commit(): a state is written in the same batch as the
// events it covers, so a crash leaves a clean prefix (events past the state are truncated on
// the next start).
//
// Thread-safety: stage(), mark_boundary(), drain() and error() are called by one thread (the
// relay); the durable callback runs on the writer's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <caf/error.hpp>

#include "storage/keys.hpp"
#include "storage/relay_log.hpp"

namespace dm::storage {

class database;
class write_batch;

class relay_writer {
 public:
  // Called on the writer's thread after a state reached RocksDB, with that state, the bytes and
  // events it wrote, and the seconds the write took.
  using durable_callback =
      std::function<void(const relay_state&, size_t bytes, size_t events, double seconds)>;

  // `fsync`: after a write, the WAL is synced if the last sync is at least this old (0: after
  // every write; negative: never, the OS writes it back).
  relay_writer(std::shared_ptr<database> db, std::string source, std::chrono::milliseconds fsync,
               durable_callback on_durable);
  // Writes what is staged, then stops the thread.
  ~relay_writer();

  // Stages an event; waits while more than the staging limit is not yet written.
  void stage(const relay_key& key, std::string_view event);

  // Everything staged so far up to this point is covered by `state`; the writer commits it
  // soon.
  void mark_boundary(const relay_state& state);

  // Waits until everything staged is written; returns the first write error, if any.
  caf::error drain();

  // The first write error so far (writes stop after it).
  caf::error error();

 private:
  void run();

  std::shared_ptr<database> db_;
  std::string source_;
  std::chrono::milliseconds fsync_;
  std::chrono::steady_clock::time_point last_sync_;
  durable_callback on_durable_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::unique_ptr<write_batch> staging_;
  std::unique_ptr<write_batch> writing_;
  size_t staged_bytes_ = 0;
  size_t staged_events_ = 0;
  std::optional<relay_state> pending_state_;
  bool busy_ = false;
  bool drain_requested_ = false;
  bool stopping_ = false;
  caf::error error_;
  std::string key_buffer_;
  std::thread thread_;
};

}  // namespace dm::storage
