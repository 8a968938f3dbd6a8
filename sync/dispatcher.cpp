#include "sync/dispatcher.hpp"

#include <algorithm>

namespace dm {

dispatcher::dispatcher(dispatch_settings settings)
    : settings_(settings),
      causes_(std::max<uint32_t>(1, settings.appliers)),
      credits_(std::max<uint32_t>(1, settings.appliers), settings.credits),
      open_(std::max<uint32_t>(1, settings.appliers)) {
  settings_.batch_rows = std::max<size_t>(1, settings_.batch_rows);
}

bool dispatcher::applied_before(const std::string& group, const change_origin& origin) const {
  auto mark = marks_.find(group);
  return mark != marks_.end() && origin <= mark->second;
}

dispatcher::verdict dispatcher::offer(row_job& job, const std::vector<std::string>& keys) {
  auto target = causes_.route(keys);
  if (!target) return verdict::wait_conflict;
  if (job.serial_group && applied_before(*job.serial_group, job.origin)) return verdict::skipped;
  auto a = *target;
  auto& batch = open_[a];
  if (batch.jobs.size() >= settings_.batch_rows && credits_[a] == 0) return verdict::wait_credit;
  if (bytes_in_flight_ > settings_.memory_budget) return verdict::wait_memory;
  if (batch.jobs.empty()) {
    batch.seq = commits_.open_batch();
    in_flight_[batch.seq].applier = a;
  }
  auto bytes = estimated_bytes(job);
  batch.jobs.push_back(std::move(job));
  causes_.hold(keys, a);
  auto& f = in_flight_[batch.seq];
  f.keys.insert(f.keys.end(), keys.begin(), keys.end());
  ++f.rows;
  f.bytes += bytes;
  bytes_in_flight_ += bytes;
  return verdict::taken;
}

std::vector<std::pair<uint32_t, job_batch>> dispatcher::take_sendable(bool flush) {
  std::vector<std::pair<uint32_t, job_batch>> out;
  for (uint32_t a = 0; a < open_.size(); ++a) {
    auto& batch = open_[a];
    if (batch.jobs.empty() || credits_[a] == 0) continue;
    if (!flush && batch.jobs.size() < settings_.batch_rows) continue;
    --credits_[a];
    out.emplace_back(a, std::move(batch));
    batch = job_batch{};
  }
  return out;
}

std::optional<job_batch> dispatcher::take_open(uint32_t applier) {
  auto& batch = open_.at(applier);
  if (batch.jobs.empty() || credits_[applier] == 0) return std::nullopt;
  --credits_[applier];
  auto out = std::move(batch);
  batch = job_batch{};
  return out;
}

size_t dispatcher::acknowledge(uint32_t applier, uint64_t seq) {
  ++credits_.at(applier);
  commits_.committed(seq);
  auto it = in_flight_.find(seq);
  if (it == in_flight_.end()) return 0;
  causes_.release(it->second.keys);
  bytes_in_flight_ -= it->second.bytes;
  auto rows = it->second.rows;
  in_flight_.erase(it);
  return rows;
}

size_t estimated_bytes(const row_job& job) {
  size_t bytes = sizeof(row_job);
  for (auto* image : {&job.before, &job.after})
    for (auto& c : *image) bytes += sizeof(c) + c.text.size();
  return bytes;
}

std::optional<relay_key> raise_high_water(const relay_key& cursor, const relay_key& mark,
                                          const relay_key& relay_head, uint32_t step) {
  if (cursor < mark) return std::nullopt;
  auto raised = relay_head;
  raised.offset = raised.offset > UINT32_MAX - step ? UINT32_MAX : raised.offset + step;
  return raised;
}

}  // namespace dm
