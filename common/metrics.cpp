#include "common/metrics.hpp"

#include <cstdio>

namespace dm::metrics {

namespace {

// {a="x",b="y"} with label values escaped as the format requires.
std::string label_text(const labels& l) {
  if (l.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < l.size(); ++i) {
    if (i) out += ',';
    out += l[i].first + "=\"";
    for (char c : l[i].second) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string number(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// "{...}" with one more label inserted (for the _sum/_count series keep the labels as they are).
bool has_label(const std::string& text, const std::string& key, const std::string& value) {
  return text.find(key + "=\"" + value + "\"") != std::string::npos;
}

}  // namespace

registry& registry::global() {
  static registry instance;
  return instance;
}

registry::family& registry::family_of(const std::string& name, kind type,
                                      const std::string& help) {
  auto [it, fresh] = families_.try_emplace(name);
  if (fresh) {
    it->second.type = type;
    it->second.help = help;
  }
  return it->second;
}

counter* registry::get_counter(const std::string& name, const std::string& help,
                               const labels& l) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& slot = family_of(name, kind::counter, help).counters[label_text(l)];
  if (!slot) slot = std::make_unique<counter>();
  return slot.get();
}

gauge* registry::get_gauge(const std::string& name, const std::string& help, const labels& l) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& slot = family_of(name, kind::gauge, help).gauges[label_text(l)];
  if (!slot) slot = std::make_unique<gauge>();
  return slot.get();
}

timing* registry::get_timing(const std::string& name, const std::string& help,
                             const labels& l) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& slot = family_of(name, kind::timing, help).timings[label_text(l)];
  if (!slot) slot = std::make_unique<timing>();
  return slot.get();
}

void registry::remove_labelled(const std::string& key, const std::string& value) {
  // Series are referenced by raw pointer from their users; they are only forgotten from the
  // exposition, never freed, so a late update from a stopping actor stays safe.
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& [name, f] : families_) {
    auto drop = [&](auto& series) {
      for (auto it = series.begin(); it != series.end();)
        if (has_label(it->first, key, value)) {
          it->second.release();
          it = series.erase(it);
        } else {
          ++it;
        }
    };
    drop(f.counters);
    drop(f.gauges);
    drop(f.timings);
  }
}

std::string registry::render() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::string out;
  for (auto& [name, f] : families_) {
    const char* type = f.type == kind::counter ? "counter"
                       : f.type == kind::gauge ? "gauge"
                                               : "summary";
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + type + "\n";
    for (auto& [l, c] : f.counters) out += name + l + " " + std::to_string(c->value()) + "\n";
    for (auto& [l, g] : f.gauges) out += name + l + " " + number(g->value()) + "\n";
    for (auto& [l, t] : f.timings) {
      out += name + "_sum" + l + " " + number(t->sum()) + "\n";
      out += name + "_count" + l + " " + std::to_string(t->count()) + "\n";
    }
  }
  return out;
}

}  // namespace dm::metrics
