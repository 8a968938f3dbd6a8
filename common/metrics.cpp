#include "common/metrics.hpp"

#include <algorithm>
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

// Whether the label text "{a="x",b="y"}" holds `key`="`value`" (a whole label, not a suffix of
// another).
bool has_label(const std::string& text, const std::string& key, const std::string& value) {
  std::string want = key + label_text({{"", value}}).substr(1);
  want.pop_back();  // label_text's closing brace
  for (char before : {'{', ','}) {
    auto at = text.find(before + want);
    if (at == std::string::npos) continue;
    char after = text[at + 1 + want.size()];
    if (after == ',' || after == '}') return true;
  }
  return false;
}

// "{a="x"}" plus le="bound" for one histogram bucket.
std::string with_bound(const std::string& label_set, const std::string& bound) {
  auto le = "le=\"" + bound + "\"";
  if (label_set.empty()) return "{" + le + "}";
  return label_set.substr(0, label_set.size() - 1) + "," + le + "}";
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

histogram* registry::get_histogram(const std::string& name, const std::string& help,
                                   const labels& l, const std::vector<double>& bounds) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& slot = family_of(name, kind::histogram, help).histograms[label_text(l)];
  if (!slot) slot = std::make_unique<histogram>(bounds);
  return slot.get();
}

std::vector<double> exponential_bounds(double first, double factor, size_t n) {
  std::vector<double> out;
  for (double b = first; out.size() < n; b *= factor) out.push_back(b);
  return out;
}

void registry::remove_series(const std::string& name, const labels& l) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto f = families_.find(name);
  if (f == families_.end()) return;
  auto key = label_text(l);
  auto drop = [&](auto& series) {
    if (auto it = series.find(key); it != series.end()) {
      it->second.release();  // never freed: see remove_labelled
      series.erase(it);
    }
  };
  drop(f->second.counters);
  drop(f->second.gauges);
  drop(f->second.timings);
  drop(f->second.histograms);
}

void registry::remove_labelled(const labels& match) {
  // Series are referenced by raw pointer from their users; they are only forgotten from the
  // exposition, never freed, so a late update from a stopping actor stays safe.
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& [name, f] : families_) {
    auto drop = [&](auto& series) {
      for (auto it = series.begin(); it != series.end();)
        if (std::all_of(match.begin(), match.end(), [&](const auto& label) {
              return has_label(it->first, label.first, label.second);
            })) {
          it->second.release();
          it = series.erase(it);
        } else {
          ++it;
        }
    };
    drop(f.counters);
    drop(f.gauges);
    drop(f.timings);
    drop(f.histograms);
  }
}

std::string registry::render() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::string out;
  for (auto& [name, f] : families_) {
    const char* type = f.type == kind::counter     ? "counter"
                       : f.type == kind::gauge     ? "gauge"
                       : f.type == kind::histogram ? "histogram"
                                                   : "summary";
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + type + "\n";
    for (auto& [l, c] : f.counters) out += name + l + " " + std::to_string(c->value()) + "\n";
    for (auto& [l, g] : f.gauges) out += name + l + " " + number(g->value()) + "\n";
    for (auto& [l, t] : f.timings) {
      out += name + "_sum" + l + " " + number(t->sum()) + "\n";
      out += name + "_count" + l + " " + std::to_string(t->count()) + "\n";
    }
    for (auto& [l, h] : f.histograms) {
      for (size_t i = 0; i < h->bounds().size(); ++i)
        out += name + "_bucket" + with_bound(l, number(h->bounds()[i])) + " " +
               std::to_string(h->at_or_below(i)) + "\n";
      out += name + "_bucket" + with_bound(l, "+Inf") + " " + std::to_string(h->count()) + "\n";
      out += name + "_sum" + l + " " + number(h->sum()) + "\n";
      out += name + "_count" + l + " " + std::to_string(h->count()) + "\n";
    }
  }
  return out;
}

}  // namespace dm::metrics
