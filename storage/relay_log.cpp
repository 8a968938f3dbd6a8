#include "storage/relay_log.hpp"

#include <cstdint>
#include <map>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "storage/database.hpp"

namespace dm::storage {

namespace {

std::string encode_state(const relay_state& s) {
  nlohmann::json j{{"segment", s.segment},
                   {"upstream_id", s.upstream_id},
                   {"file", s.next.file},
                   {"pos", s.next.pos},
                   {"gtid_set", s.gtid_set},
                   {"events_stored", s.events_stored},
                   {"bytes_stored", s.bytes_stored},
                   {"last_event_time", s.last_event_time}};
  return j.dump();
}

caf::expected<relay_state> decode_state(const std::string& source, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ec::storage_failed, "relay state of source " + source + " is corrupt");
  relay_state s;
  s.segment = j.value("segment", 0u);
  s.upstream_id = j.value("upstream_id", "");
  s.next.file = j.value("file", "");
  s.next.pos = j.value("pos", 0u);
  s.gtid_set = j.value("gtid_set", "");
  s.events_stored = j.value("events_stored", uint64_t{0});
  s.bytes_stored = j.value("bytes_stored", uint64_t{0});
  s.last_event_time = j.value("last_event_time", 0u);
  return s;
}

}  // namespace

relay_key relay_state::head() const {
  return relay_key{segment, binlog_file_index(next.file).value_or(0), next.pos};
}

relay_log::relay_log(std::shared_ptr<database> db, std::string source)
    : db_(std::move(db)), source_(std::move(source)), state_key_(meta_key("relay", source_)) {}

caf::expected<std::optional<relay_state>> relay_log::load_state() const {
  auto raw = db_->get(family::meta, state_key_);
  if (!raw) return raw.error();
  if (!*raw) return std::optional<relay_state>{};
  auto state = decode_state(source_, **raw);
  if (!state) return state.error();
  return std::optional<relay_state>{std::move(*state)};
}

void add_relay_state(write_batch& batch, std::string_view source, const relay_state& state) {
  if (auto index = binlog_file_index(state.next.file)) {
    batch.put(family::relay_index, relay_file_key(source, state.segment, *index),
              state.next.file);
    std::string time;
    append_be32(time, state.last_event_time);
    batch.put(family::relay_index, relay_file_time_key(source, state.segment, *index), time);
  }
  batch.put(family::relay_index, relay_segment_key(source, state.segment), state.upstream_id);
  batch.put(family::meta, meta_key("relay", source), encode_state(state));
}

caf::error relay_log::write_state(const relay_state& state, bool sync) {
  auto batch = db_->new_batch();
  add_relay_state(batch, source_, state);
  return db_->write(batch, sync);
}

caf::expected<size_t> relay_log::read(const relay_key& from, const relay_key& until,
                                      size_t max_events, size_t max_bytes,
                                      std::vector<stored_event>& out) const {
  size_t count = 0, bytes = 0;
  caf::error bad_key;
  auto err = db_->scan(family::relay, relay_event_key(source_, from),
                       relay_event_key(source_, until),
                       [&](std::string_view key, std::string_view value) {
                         auto k = parse_relay_event_key(source_, key);
                         if (!k) {
                           bad_key = make_error(ec::storage_failed,
                                                "relay log of source " + source_ +
                                                    " holds a malformed key");
                           return false;
                         }
                         out.push_back(stored_event{*k, std::string{value}});
                         ++count;
                         bytes += value.size();
                         return count < max_events && bytes < max_bytes;
                       });
  if (err) return err;
  if (bad_key) return bad_key;
  return count;
}

caf::expected<std::optional<std::string>> relay_log::file_name(uint32_t segment,
                                                               uint32_t file_index) const {
  return db_->get(family::relay_index, relay_file_key(source_, segment, file_index));
}

caf::expected<std::vector<relay_file>> relay_log::files() const {
  std::vector<relay_file> out;
  std::map<std::pair<uint32_t, uint32_t>, relay_file> by_key;
  auto begin = relay_source_begin(source_);
  auto err = db_->scan(family::relay_index, begin, relay_source_end(source_),
                       [&](std::string_view key, std::string_view value) {
                         if (key.size() <= begin.size()) return true;
                         auto kind = key[begin.size()];
                         auto id = parse_relay_file_key(source_, key);
                         if (!id || (kind != 'f' && kind != 't')) return true;
                         auto& f = by_key[*id];
                         f.segment = id->first;
                         f.file_index = id->second;
                         if (kind == 'f') f.name = std::string{value};
                         else if (value.size() == 4) f.last_event_time = read_be32(value);
                         return true;
                       });
  if (err) return err;
  for (auto& [id, f] : by_key)
    if (!f.name.empty()) out.push_back(std::move(f));
  return out;
}

caf::error relay_log::purge_file(uint32_t segment, uint32_t file_index) {
  auto batch = db_->new_batch();
  batch.erase_range(family::relay, relay_event_key(source_, {segment, file_index, 0}),
                    relay_event_key(source_, {segment, file_index + 1, 0}));
  batch.erase(family::relay_index, relay_file_key(source_, segment, file_index));
  batch.erase(family::relay_index, relay_file_time_key(source_, segment, file_index));
  return db_->write(batch, false);
}

caf::expected<std::optional<relay_key>> relay_log::first_key() const {
  std::optional<relay_key> first;
  auto err = db_->scan(family::relay, relay_source_begin(source_), relay_source_end(source_),
                       [&](std::string_view key, std::string_view) {
                         first = parse_relay_event_key(source_, key);
                         return false;
                       });
  if (err) return err;
  return first;
}

caf::expected<std::optional<relay_key>> relay_log::unbroken_start() const {
  auto first = first_key();
  if (!first) return first.error();
  std::vector<stored_event> events;
  if (*first) {
    if ((*first)->offset != 4) return first;
    auto n = read(**first, relay_key{(*first)->segment + 1, 0, 0}, 2, SIZE_MAX, events);
    if (!n) return n.error();
    if (events.size() == 2) {
      const auto& format = events[0];
      const auto& next = events[1];
      bool gap = next.key.file_index == format.key.file_index &&
                 next.key.offset != format.key.offset + format.bytes.size();
      return gap ? std::optional<relay_key>{next.key} : first;
    }
  }
  auto state = load_state();
  if (!state) return state.error();
  if (!*state || (*state)->next.empty()) return *first;
  auto index = binlog_file_index((*state)->next.file);
  if (!index) return *first;
  relay_key resumes{(*state)->segment, *index, (*state)->next.pos};
  // Only a format description is stored: the run begins where the relay goes on, unless that
  // is right after it.
  if (*first && !(resumes.file_index == (*first)->file_index &&
                  resumes.offset > 4 + events.at(0).bytes.size()))
    return *first;
  return std::optional<relay_key>{resumes};
}

caf::error relay_log::truncate_from(const relay_key& head) {
  auto batch = db_->new_batch();
  batch.erase_range(family::relay, relay_event_key(source_, head),
                    relay_event_key(source_, relay_key{head.segment + 1, 0, 0}));
  return db_->write(batch, false);
}

caf::error relay_log::overwrite_event(const relay_key& key, std::string_view event) {
  return db_->put(family::relay, relay_event_key(source_, key), event, true);
}

caf::error relay_log::erase_all() {
  auto batch = db_->new_batch();
  batch.erase_range(family::relay, relay_source_begin(source_), relay_source_end(source_));
  batch.erase_range(family::relay_index, relay_source_begin(source_), relay_source_end(source_));
  batch.erase(family::meta, state_key_);
  return db_->write(batch, true);
}

}  // namespace dm::storage
