#include "model/cluster_plan.hpp"

namespace dm {

std::string loading_worker(const cluster_view& view, const std::string& source) {
  for (auto& [part, worker] : view.loading)
    if (part.second == source && view.tasks.count(part.first) && view.alive.count(worker))
      return worker;
  return {};
}

assignment_plan plan_assignments(const cluster_view& view) {
  assignment_plan plan;
  std::map<std::string, int> load;
  for (auto& w : view.alive) load[w] = 0;
  auto live = [&](const std::map<std::string, std::string>& m, const std::string& source) {
    auto it = m.find(source);
    return it != m.end() && view.alive.count(it->second) ? it->second : std::string{};
  };
  // Sources that keep their worker count first, so that new ones go where room is.
  std::set<std::string> kept;
  for (auto& [source, worker] : view.assigned)
    if (!view.sources.count(source)) plan.unassign.insert(source);
  for (auto& [source, config] : view.sources) {
    auto loading = loading_worker(view, source);
    auto assignee = live(view.assigned, source);
    if (!loading.empty() && loading != assignee) plan.assign[source] = loading;
    auto keeps = loading.empty() ? assignee : loading;
    if (!keeps.empty()) {
      kept.insert(source);
      ++load[keeps];
    }
  }
  for (auto& [source, config] : view.sources) {
    if (kept.count(source)) continue;
    auto chosen = live(view.bound, source);
    if (chosen.empty()) chosen = live(view.last_bound, source);
    if (chosen.empty()) {
      int fewest = 0;
      for (auto& [w, n] : load)
        if (chosen.empty() || n < fewest) chosen = w, fewest = n;
    }
    if (chosen.empty()) continue;
    ++load[chosen];
    plan.assign[source] = chosen;
  }
  return plan;
}

}  // namespace dm
