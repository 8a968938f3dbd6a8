// Every tunable of dm-worker in one place, with what it trades. Values a config file can set
// (worker-count, batch, memory-budget, ...) have their defaults in model/config.hpp; these are
// the ones it cannot. Protocol constants (command bytes, key sizes) stay where they are used.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "common/restart_policy.hpp"

namespace dm::defaults {

using std::chrono::milliseconds;
using std::chrono::seconds;

// --- Relay (upstream binlog -> RocksDB) ---
// One pump of the relay reads at most this many events or this long before it yields.
inline constexpr size_t relay_pump_max_events = 4096;
inline constexpr milliseconds relay_pump_max_time{200};
// Bytes the relay writer hands RocksDB per write batch, and the most it stages while one is
// written (bounds the relay's memory: see the memory_bound test).
inline constexpr size_t relay_write_chunk_bytes = 8 << 20;
inline constexpr size_t relay_staging_limit = 32 << 20;
// Restarting a relay that failed: transient failures back off from 0.5 s to 30 s; an error
// retrying cannot fix quickly (an upstream setting, a privilege) is retried every minute.
inline const restart_settings relay_restart{milliseconds{500}, milliseconds{30000}, 0.2, 0,
                                            std::chrono::minutes{10}};
inline constexpr milliseconds relay_paused_retry{60000};

// --- Syncer (relay log -> appliers) ---
// One pump reads and processes at most this many events before yielding to the mailbox; one
// read from the relay log at most this many events or bytes.
inline constexpr size_t sync_pump_max_events = 2048;
inline constexpr size_t sync_read_max_events = 1024;
inline constexpr size_t sync_read_max_bytes = 8 << 20;
// Batches each applier may have in flight (credits).
inline constexpr uint32_t applier_credits = 2;
// How often the syncer persists its checkpoint (unsynced) and reports progress.
inline constexpr milliseconds sync_tick{500};
// In a cluster, the downstream ends an applier's session idle this long (wait_timeout): a frozen
// worker's open transaction, which holds the fence's shared lock, is rolled back then, and the
// new owner raising the fence waits no longer. Appliers reopen sessions idle for most of it.
inline constexpr seconds fenced_session_idle{10};
// How long a stopping syncer waits for its appliers to end their batches (less than the task's
// shutdown grace, after which the task kills it).
inline constexpr seconds applier_stop_grace{15};
// Least time between two writes of the idle syncer's checkpoint row downstream.
inline constexpr milliseconds downstream_checkpoint_interval{5000};
// How far past the relay head the safe-mode high-water mark moves at once: one synced write per
// this much binlog, at the price of replaying up to this much in safe mode after a crash.
inline constexpr uint32_t high_water_step = 16 << 20;

// --- Applier (one downstream connection) ---
// Statements are split and joined into round trips of at most this size, or a quarter of the
// downstream's max_allowed_packet when that is smaller.
inline constexpr size_t max_statement_bytes = 4 << 20;
// Room left in a packet beside the statement (command byte, BEGIN/COMMIT, separators).
inline constexpr size_t packet_overhead = 1024;
// Retrying a batch after a transient failure: 0.2 s doubling to 6.4 s, at most 8 attempts
// within 10 minutes before the applier gives up (the task then restarts the syncer).
inline const restart_settings applier_retry{milliseconds{200}, milliseconds{6400}, 0.2, 8,
                                            std::chrono::minutes{10}};

// --- Task (supervising its units) ---
// Restarting a failed unit: 1 s doubling to 60 s; 10 failures within 10 minutes pause the task.
inline const restart_settings unit_restart{milliseconds{1000}, milliseconds{60000}, 0.2, 10,
                                           std::chrono::minutes{10}};
// How often a task publishes its metrics.
inline constexpr seconds task_metrics_interval{1};

// --- Worker ---
// Respawning a source or task actor that ended unexpectedly (a bug): 1 s doubling to 60 s.
inline const restart_settings actor_respawn{milliseconds{1000}, milliseconds{60000}, 0.2, 0,
                                            std::chrono::minutes{10}};
// Waiting for a blocking check (precheck, connection probe, meta removal) and for a status.
inline constexpr seconds probe_timeout{30};
inline constexpr seconds status_timeout{5};
// A syncer waiting for the worker's shard DDL locks to answer (they only write RocksDB).
inline constexpr seconds shard_coordinator_timeout{30};
// Shutdown: how long the worker waits for its tasks and sources to stop before it kills them.
inline constexpr seconds shutdown_grace{20};

// --- Dump ---
// Bytes a dump reader buffers before writing a data file block.
inline constexpr size_t dump_block_bytes = 1 << 20;

// --- dmctl ---
inline constexpr seconds dmctl_request_timeout{90};
inline constexpr milliseconds dmctl_connect_timeout{5000};

}  // namespace dm::defaults
