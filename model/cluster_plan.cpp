#include "model/cluster_plan.hpp"

namespace dm {

assignment_plan plan_assignments(const cluster_view& view) {
  assignment_plan plan;
  std::map<std::string, int> load;
  for (auto& w : view.alive) load[w] = 0;
  auto live = [&](const std::map<std::string, std::string>& m, const std::string& source) {
    auto it = m.find(source);
    return it != m.end() && view.alive.count(it->second) ? it->second : std::string{};
  };
  // Sources that keep their live assignee count first, so that new ones go where room is.
  for (auto& [source, worker] : view.assigned) {
    if (!view.sources.count(source)) plan.unassign.insert(source);
    else if (view.alive.count(worker)) ++load[worker];
  }
  for (auto& [source, config] : view.sources) {
    if (!live(view.assigned, source).empty()) continue;
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
