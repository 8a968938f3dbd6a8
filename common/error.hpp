// Project-wide error codes, shared by protocol/, storage/, actors/ and app/.
//
// Every fallible function returns caf::expected<T> or caf::error built with make_error(ec, text).
// The text is the one-line message an operator reads: what failed, on which object (source, task,
// table, binlog position), the server's own error code and text where there is one, and what to
// do. Supervisors decide between retrying and pausing with is_resumable() alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace dm {

enum class ec : uint8_t {
  // Not an error; required by CAF as value 0.
  none = 0,
  // A configuration file or value is malformed, has an unknown key or an unsupported DM key.
  invalid_config,
  // A command or request argument is invalid.
  invalid_argument,
  // A named object (source, task, relay position) does not exist.
  not_found,
  // An object with this name already exists.
  already_exists,
  // The request is not allowed in the object's current state.
  invalid_state,
  // The upstream server cannot be reached or the connection dropped; retrying can help.
  upstream_unreachable,
  // The upstream refused our credentials or privileges; needs the operator.
  upstream_access_denied,
  // The upstream answered with an error that retrying will not fix (binlog disabled, wrong format).
  upstream_misconfigured,
  // The upstream no longer has the binlog position we need (purged); needs the operator.
  binlog_purged,
  // The downstream server cannot be reached, or failed transiently (deadlock, lock wait timeout).
  downstream_unavailable,
  // The downstream refused our credentials or privileges.
  downstream_access_denied,
  // The downstream rejected a statement; needs the operator (handle-error).
  downstream_rejected,
  // Binlog bytes could not be decoded (truncated, corrupt, or inconsistent with table maps).
  decode_failed,
  // A binlog event's CRC32 does not match its bytes.
  checksum_mismatch,
  // The local RocksDB store failed.
  storage_failed,
  // The data-dir's disk has less free space than the relay must leave; retrying helps once
  // space is freed.
  disk_full,
  // The feature exists in DM but dm-worker does not support it yet.
  unsupported,
  // The admin request carried no or a wrong token.
  unauthorized,
  // A request to another actor timed out or the actor is gone; retrying can help.
  unavailable,
  // A local file (dump files) cannot be created, written or read; needs the operator.
  io_failed,
  // Not a failure: the syncer stopped to replay from its checkpoint what it held back (a shard
  // DDL lock resolved); its task starts it again at once.
  replay_requested,
};

// The CAF error category of `ec`.
constexpr caf::atom_value error_category = caf::atom("dm");

// Symbolic name of `x`, e.g. "upstream_unreachable".
std::string to_string(ec x);

// True when retrying the same operation later can succeed without operator action.
bool is_resumable(ec x);

// True when `err` is in the dm category and resumable; CAF system errors (a peer actor that is
// gone, a request timeout) are resumable as well.
bool is_resumable(const caf::error& err);

// Builds an error of our category whose context is the operator-facing message `text`.
caf::error make_error(ec code, std::string text);

// The operator-facing one-line message of `err` (its text for our errors, CAF's rendering else).
std::string describe(const caf::error& err);

// The code of `err` if it is of our category, ec::none otherwise.
ec code_of(const caf::error& err);

// A printable excerpt of `text` for messages: valid UTF-8 is kept, control characters and
// invalid bytes become \xNN, and the result is cut after `max` bytes of input with "...".
std::string excerpt(std::string_view text, size_t max = 200);

}  // namespace dm
