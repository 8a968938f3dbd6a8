#include "sync/relay_purge.hpp"

#include "common/position.hpp"

namespace dm {

purge_plan plan_purge(const std::vector<storage::relay_file>& files, const relay_key& head,
                      const std::vector<std::pair<std::string, relay_key>>& needed,
                      const purge_request& request, uint32_t now) {
  purge_plan plan;
  for (auto& f : files) {
    std::pair<uint32_t, uint32_t> id{f.segment, f.file_index};
    // The file being written, and everything after it, stay.
    if (id >= std::make_pair(head.segment, head.file_index)) break;
    bool wanted = request.all_unneeded;
    if (!request.before_file.empty())
      wanted = wanted || compare(binlog_position{f.name, 0},
                                 binlog_position{request.before_file, 0}) < 0;
    if (request.expires_hours > 0 && now > f.last_event_time &&
        now - f.last_event_time > request.expires_hours * 3600)
      wanted = true;
    if (!wanted) continue;
    const std::string* holder = nullptr;
    for (auto& [task, key] : needed)
      if (id >= std::make_pair(key.segment, key.file_index)) {
        holder = &task;
        break;
      }
    if (holder)
      plan.kept.emplace_back(f, *holder);
    else
      plan.purge.push_back(f);
  }
  return plan;
}

}  // namespace dm
