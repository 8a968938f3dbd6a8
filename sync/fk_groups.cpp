#include "sync/fk_groups.hpp"

namespace dm {

std::map<std::string, std::string> fk_groups(const std::vector<fk_edge>& edges) {
  // Union-find over table names; each set's representative is its smallest name.
  std::map<std::string, std::string> parent;
  auto find = [&](std::string name) {
    while (parent.at(name) != name) name = parent.at(name);
    return name;
  };
  for (auto& e : edges) {
    parent.try_emplace(e.child, e.child);
    parent.try_emplace(e.parent, e.parent);
    auto a = find(e.child), b = find(e.parent);
    if (a == b) continue;
    if (b < a) std::swap(a, b);
    parent[b] = a;
  }
  std::map<std::string, std::string> groups;
  for (auto& [name, unused] : parent) groups[name] = "foreign keys of " + find(name);
  return groups;
}

}  // namespace dm
