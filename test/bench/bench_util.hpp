// Small helpers shared by the benchmark programs.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace dm::bench {

// The median of `v` (the upper one for an even count); v must not be empty.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The value of the Prometheus sample `series` (full name with labels) in `text`; -1 if absent.
inline double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
}

}  // namespace dm::bench
