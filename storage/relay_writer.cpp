#include "storage/relay_writer.hpp"

#include "common/defaults.hpp"

#include <chrono>

#include "storage/database.hpp"

namespace dm::storage {

namespace {

// The writer commits without waiting for a boundary once this much is staged (a transaction
// bigger than this is written in pieces); the reader waits while `staging_limit` is staged and
// not yet taken by the writer, which bounds the relay's memory (see README "memory-budget").
constexpr size_t chunk_bytes = defaults::relay_write_chunk_bytes;
constexpr size_t staging_limit = defaults::relay_staging_limit;

}  // namespace

relay_writer::relay_writer(std::shared_ptr<database> db, std::string source,
                           std::chrono::milliseconds fsync, durable_callback on_durable)
    : db_(std::move(db)),
      source_(std::move(source)),
      fsync_(fsync),
      last_sync_(std::chrono::steady_clock::now()),
      on_durable_(std::move(on_durable)) {
  staging_ = std::make_unique<write_batch>(db_->new_batch());
  writing_ = std::make_unique<write_batch>(db_->new_batch());
  thread_ = std::thread{[this] { run(); }};
}

relay_writer::~relay_writer() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void relay_writer::stage(const relay_key& key, std::string_view event) {
  std::unique_lock<std::mutex> lock{mutex_};
  changed_.wait(lock, [this] { return staged_bytes_ < staging_limit || error_; });
  key_buffer_ = relay_event_key(source_, key);
  staging_->put(family::relay, key_buffer_, event);
  staged_bytes_ += event.size();
  ++staged_events_;
  if (staged_bytes_ >= chunk_bytes) changed_.notify_all();
}

void relay_writer::mark_boundary(const relay_state& state) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    pending_state_ = state;
  }
  changed_.notify_all();
}

caf::error relay_writer::drain() {
  std::unique_lock<std::mutex> lock{mutex_};
  drain_requested_ = true;
  changed_.notify_all();
  changed_.wait(lock, [this] {
    return error_ || (!busy_ && !pending_state_ && staged_events_ == 0);
  });
  drain_requested_ = false;
  return error_;
}

caf::error relay_writer::error() {
  std::lock_guard<std::mutex> guard{mutex_};
  return error_;
}

void relay_writer::run() {
  std::unique_lock<std::mutex> lock{mutex_};
  for (;;) {
    changed_.wait(lock, [this] {
      bool work = pending_state_ || staged_bytes_ >= chunk_bytes ||
                  ((drain_requested_ || stopping_) && staged_events_ > 0);
      return (work && !error_) || stopping_;
    });
    bool work = pending_state_ || staged_events_ > 0;
    if (error_ || !work) {
      if (stopping_) return;
      continue;
    }
    std::swap(staging_, writing_);
    auto state = std::move(pending_state_);
    pending_state_.reset();
    auto bytes = staged_bytes_, events = staged_events_;
    staged_bytes_ = 0;
    staged_events_ = 0;
    busy_ = true;
    changed_.notify_all();  // room to stage again
    lock.unlock();
    if (state) add_relay_state(*writing_, source_, *state);
    auto started = std::chrono::steady_clock::now();
    auto err = db_->write(*writing_, fsync_.count() == 0);
    if (!err && fsync_.count() > 0 && started - last_sync_ >= fsync_) {
      err = db_->sync_wal();
      last_sync_ = started;
    }
    auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    writing_->clear();
    if (!err && state && on_durable_) on_durable_(*state, bytes, events, seconds);
    lock.lock();
    busy_ = false;
    if (err && !error_) error_ = std::move(err);
    changed_.notify_all();
  }
}

}  // namespace dm::storage
