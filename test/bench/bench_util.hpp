// Small helpers shared by the benchmark programs.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "test/support/mariadb_sandbox.hpp"

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

// CHECKSUM TABLE of sbtest.sbtest1..`tables` on `server`, joined; equal strings mean equal data.
inline std::string sbtest_checksums(const test::mariadb_sandbox& server, int tables) {
  std::string out;
  for (int t = 1; t <= tables; ++t)
    out += *server.query("CHECKSUM TABLE sbtest.sbtest" + std::to_string(t))[0][1] + " ";
  return out;
}

}  // namespace dm::bench
