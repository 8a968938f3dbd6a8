#include "storage/database.hpp"

#include <sys/statvfs.h>

#include <array>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "common/error.hpp"

namespace dm::storage {

namespace {

constexpr std::array<const char*, 5> family_names = {"relay", "relay_index", "checkpoint", "meta",
                                                     "schema"};

caf::error to_error(const rocksdb::Status& s, const std::string& what) {
  return make_error(ec::storage_failed,
                    "local store: " + what + " failed: " + s.ToString() +
                        "; check the data-dir's disk space and permissions");
}

rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

struct database::impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;

  rocksdb::ColumnFamilyHandle* cf(family f) const { return handles[static_cast<size_t>(f)]; }

  ~impl() {
    if (!db) return;
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db->Close();
  }
};

struct write_batch::impl {
  const database::impl* db;
  rocksdb::WriteBatch batch;
};

write_batch::write_batch(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}
write_batch::~write_batch() = default;
write_batch::write_batch(write_batch&&) noexcept = default;
write_batch& write_batch::operator=(write_batch&&) noexcept = default;

void write_batch::put(family f, std::string_view key, std::string_view value) {
  impl_->batch.Put(impl_->db->cf(f), slice(key), slice(value));
}

void write_batch::erase(family f, std::string_view key) {
  impl_->batch.Delete(impl_->db->cf(f), slice(key));
}

void write_batch::erase_range(family f, std::string_view begin, std::string_view end) {
  impl_->batch.DeleteRange(impl_->db->cf(f), slice(begin), slice(end));
}

void write_batch::clear() { impl_->batch.Clear(); }

size_t write_batch::count() const { return impl_->batch.Count(); }

size_t write_batch::size_bytes() const { return impl_->batch.GetDataSize(); }

database::database(std::unique_ptr<impl> impl, std::string path)
    : impl_(std::move(impl)), path_(std::move(path)) {}

database::~database() = default;

caf::expected<std::shared_ptr<database>> database::open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  // A crash may cut the WAL mid-record; recover everything before the cut.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  options.keep_log_file_num = 4;

  rocksdb::ColumnFamilyOptions relay_options;
  // Relay events are written once and read in order a few times; big memtables, no bloom.
  // Flushes stay uncompressed (cheap on the ingest path); the bottommost level, where events
  // that stay long end up, is compressed.
  relay_options.write_buffer_size = 64 << 20;
  relay_options.compression = rocksdb::kNoCompression;
  relay_options.bottommost_compression = rocksdb::kLZ4Compression;
  rocksdb::ColumnFamilyOptions small_options;
  small_options.write_buffer_size = 4 << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, small_options);
  for (size_t i = 0; i < family_names.size(); ++i)
    families.emplace_back(family_names[i], i == 0 ? relay_options : small_options);

  auto state = std::make_unique<impl>();
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(options, dir, families, &handles, &raw);
  if (!status.ok()) {
    // LZ4 may be missing from a RocksDB build; fall back to its default compression.
    if (status.IsInvalidArgument() && status.ToString().find("ompression") != std::string::npos) {
      families[1].options.bottommost_compression = rocksdb::kSnappyCompression;
      status = rocksdb::DB::Open(options, dir, families, &handles, &raw);
    }
    if (!status.ok() && status.IsIOError() &&
        status.ToString().find("lock") != std::string::npos)
      return make_error(ec::storage_failed,
                        "local store: " + dir + " is in use by another process (" +
                            status.ToString() + "); another dm-worker runs on this data-dir: "
                            "stop it, or give this worker a data-dir of its own");
    if (!status.ok()) return to_error(status, "opening " + dir);
  }
  state->db.reset(raw);
  // Keep our families only; the default family is unused.
  raw->DestroyColumnFamilyHandle(handles[0]);
  state->handles.assign(handles.begin() + 1, handles.end());
  return std::shared_ptr<database>{new database(std::move(state), dir)};
}

caf::expected<std::shared_ptr<database>> database::open_read_only(const std::string& dir) {
  rocksdb::Options options;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions{});
  for (auto* name : family_names) families.emplace_back(name, rocksdb::ColumnFamilyOptions{});
  auto state = std::make_unique<impl>();
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::OpenForReadOnly(options, dir, families, &handles, &raw);
  if (!status.ok()) return to_error(status, "opening " + dir + " for reading");
  state->db.reset(raw);
  raw->DestroyColumnFamilyHandle(handles[0]);
  state->handles.assign(handles.begin() + 1, handles.end());
  return std::shared_ptr<database>{new database(std::move(state), dir)};
}

caf::expected<std::optional<std::string>> database::get(family f, std::string_view key) const {
  std::string value;
  auto s = impl_->db->Get(rocksdb::ReadOptions{}, impl_->cf(f), slice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return to_error(s, "reading");
  return std::optional<std::string>{std::move(value)};
}

caf::error database::put(family f, std::string_view key, std::string_view value, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto s = impl_->db->Put(wo, impl_->cf(f), slice(key), slice(value));
  return s.ok() ? caf::none : to_error(s, "writing");
}

caf::error database::erase(family f, std::string_view key, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto s = impl_->db->Delete(wo, impl_->cf(f), slice(key));
  return s.ok() ? caf::none : to_error(s, "deleting");
}

write_batch database::new_batch() const {
  auto b = std::make_unique<write_batch::impl>();
  b->db = impl_.get();
  return write_batch{std::move(b)};
}

caf::error database::write(write_batch& batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto s = impl_->db->Write(wo, &batch.impl_->batch);
  return s.ok() ? caf::none : to_error(s, "writing a batch");
}

caf::error database::scan(family f, std::string_view begin, std::string_view end,
                          const std::function<bool(std::string_view, std::string_view)>& visit)
    const {
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper = slice(end);
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(ro, impl_->cf(f))};
  for (it->Seek(slice(begin)); it->Valid(); it->Next()) {
    auto k = it->key();
    auto v = it->value();
    if (!visit({k.data(), k.size()}, {v.data(), v.size()})) break;
  }
  return it->status().ok() ? caf::none : to_error(it->status(), "scanning");
}

caf::error database::scan_reverse(
    family f, std::string_view begin, std::string_view end,
    const std::function<bool(std::string_view, std::string_view)>& visit) const {
  rocksdb::ReadOptions ro;
  rocksdb::Slice lower = slice(begin);
  ro.iterate_lower_bound = &lower;
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(ro, impl_->cf(f))};
  if (end.empty())
    it->SeekToLast();
  else
    it->SeekForPrev(slice(end));
  // SeekForPrev lands on a key <= end; `end` itself is excluded.
  if (it->Valid() && !end.empty() && it->key() == slice(end)) it->Prev();
  for (; it->Valid(); it->Prev()) {
    auto k = it->key();
    auto v = it->value();
    if (!visit({k.data(), k.size()}, {v.data(), v.size()})) break;
  }
  return it->status().ok() ? caf::none : to_error(it->status(), "scanning");
}

uint64_t database::approximate_size(family f, std::string_view begin, std::string_view end) const {
  rocksdb::Range range{slice(begin), slice(end)};
  uint64_t size = 0;
  rocksdb::SizeApproximationOptions opts;
  opts.include_memtables = true;
  opts.include_files = true;
  impl_->db->GetApproximateSizes(opts, impl_->cf(f), &range, 1, &size);
  return size;
}

caf::error database::compact(family f, std::string_view begin, std::string_view end) {
  rocksdb::Slice b = slice(begin), e = slice(end);
  auto s = impl_->db->CompactRange(rocksdb::CompactRangeOptions{}, impl_->cf(f), &b, &e);
  return s.ok() ? caf::none : to_error(s, "compacting");
}

caf::expected<uint64_t> database::free_disk_bytes() const {
  struct statvfs info {};
  if (::statvfs(path_.c_str(), &info) != 0)
    return make_error(ec::storage_failed, "local store: cannot read the free space of " + path_);
  return static_cast<uint64_t>(info.f_bavail) * info.f_frsize;
}

caf::expected<uint64_t> database::disk_capacity_bytes() const {
  struct statvfs info {};
  if (::statvfs(path_.c_str(), &info) != 0)
    return make_error(ec::storage_failed, "local store: cannot read the size of " + path_);
  return static_cast<uint64_t>(info.f_blocks) * info.f_frsize;
}

caf::error database::sync_wal() {
  auto s = impl_->db->SyncWAL();
  return s.ok() ? caf::none : to_error(s, "syncing the WAL");
}

}  // namespace dm::storage
