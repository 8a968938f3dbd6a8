// The worker's single RocksDB instance under data-dir, with the column families of DESIGN.md.
// RocksDB types never leave storage/; their Status becomes ec::storage_failed here.
//
// Thread-safety: all members may be called from any thread concurrently (RocksDB's guarantee).
// A batch is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace dm::storage {

enum class family : uint8_t {
  // raw relay events, keyed by source, segment, file index, offset
  relay,
  // relay segment and file names, GTID starts
  relay_index,
  // per task, source and unit progress
  checkpoint,
  // source and task configs, stages, relay state
  meta,
  // table structures per task and source
  schema,
};

class database;

// Several writes applied atomically by database::write. Made by database::new_batch().
class write_batch {
 public:
  ~write_batch();
  write_batch(write_batch&&) noexcept;
  write_batch& operator=(write_batch&&) noexcept;

  void put(family f, std::string_view key, std::string_view value);
  void erase(family f, std::string_view key);
  // Erases keys in [begin, end).
  void erase_range(family f, std::string_view begin, std::string_view end);
  // Removes every operation, keeping the memory for reuse.
  void clear();
  // Number of operations so far.
  size_t count() const;
  // Approximate bytes of the batch.
  size_t size_bytes() const;

 private:
  friend class database;
  struct impl;
  explicit write_batch(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

class database {
 public:
  // Opens (creating if needed) the store under `dir` with every column family.
  // Fails with ec::storage_failed naming `dir` and RocksDB's reason (e.g. locked by another
  // worker).
  static caf::expected<std::shared_ptr<database>> open(const std::string& dir);

  // Opens an existing store for reading only (a snapshot as of opening; also works while a
  // worker holds it). Writes fail.
  static caf::expected<std::shared_ptr<database>> open_read_only(const std::string& dir);

  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  const std::string& path() const { return path_; }

  caf::expected<std::optional<std::string>> get(family f, std::string_view key) const;
  caf::error put(family f, std::string_view key, std::string_view value, bool sync = false);
  caf::error erase(family f, std::string_view key, bool sync = false);

  // An empty batch for this database.
  write_batch new_batch() const;

  // Applies `batch` atomically; `sync` waits for the WAL to reach the disk.
  caf::error write(write_batch& batch, bool sync = false);

  // Calls `visit(key, value)` for keys in [begin, end) in order until it returns false. An empty
  // `end` means "to the end of the family". The views are valid during the call only.
  caf::error scan(family f, std::string_view begin, std::string_view end,
                  const std::function<bool(std::string_view, std::string_view)>& visit) const;

  // Calls `visit` for keys in [begin, end) in reverse order, starting at the last key < end.
  caf::error scan_reverse(family f, std::string_view begin, std::string_view end,
                          const std::function<bool(std::string_view, std::string_view)>& visit)
      const;

  // Approximate on-disk bytes of keys in [begin, end).
  uint64_t approximate_size(family f, std::string_view begin, std::string_view end) const;

  // Flushes the WAL to disk (for fsync policies that sync on an interval).
  caf::error sync_wal();

  // Compacts keys in [begin, end) so that deleted ranges give their disk space back.
  caf::error compact(family f, std::string_view begin, std::string_view end);

  // Free bytes on the file system of the store's directory.
  caf::expected<uint64_t> free_disk_bytes() const;
  // Size in bytes of that file system.
  caf::expected<uint64_t> disk_capacity_bytes() const;

 private:
  friend class write_batch;
  struct impl;
  explicit database(std::unique_ptr<impl> impl, std::string path);
  std::unique_ptr<impl> impl_;
  std::string path_;
};

}  // namespace dm::storage
