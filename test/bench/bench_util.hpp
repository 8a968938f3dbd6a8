// Small helpers shared by the benchmark programs.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/position.hpp"
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

// Where binlog positions of `server` lie in its whole binlog, in bytes: file number -> bytes of
// the files before it (SHOW BINARY LOGS when constructed; later files are not known).
class binlog_offsets {
 public:
  explicit binlog_offsets(const test::mariadb_sandbox& server) {
    uint64_t before = 0;
    for (auto& row : server.query("SHOW BINARY LOGS")) {
      start_[file_number(*row[0])] = before;
      before += std::stoull(*row[1]);
    }
  }
  // Bytes from the start of the first file to position `pos` of file number `file`.
  double at(uint32_t file, uint64_t pos) const {
    auto it = start_.find(file);
    if (it == start_.end())
      throw std::runtime_error("binlog file number " + std::to_string(file) + " is not known");
    return static_cast<double>(it->second + pos);
  }
  double at(const std::string& file, uint64_t pos) const { return at(file_number(file), pos); }

 private:
  static uint32_t file_number(const std::string& file) {
    auto n = binlog_file_index(file);
    if (!n) throw std::runtime_error("not a binlog file name: " + file);
    return *n;
  }
  std::map<uint32_t, uint64_t> start_;
};

// Progress over time of the timed runs, for the report's plots (test/bench/run.sh). Appends CSV
// lines "series,run,seconds,progress,rate" to a file: `progress` is what the caller measures
// (MB relayed, MB applied, MB left), `rate` its growth per second over the trailing 0.25 s (or
// since the start, when younger), which smooths the steps of group commits. Lines are at least
// 0.05 s apart per series and run, but for the first and the last. Without a path it records
// nothing.
class series_log {
 public:
  explicit series_log(const std::string& path) {
    if (path.empty()) return;
    out_.open(path, std::ios::app);
    if (!out_) throw std::runtime_error("cannot write the series file " + path);
  }

  // Starts the clock of `series` in `run`, at `progress`.
  void start(const std::string& series, int run, double progress = 0) {
    auto now = std::chrono::steady_clock::now();
    starts_[{series, run}] = now;
    auto& h = history_[{series, run}];
    h.clear();
    h.push_back({now, progress});
    if (out_.is_open()) out_ << series << "," << run << ",0," << progress << ",0\n";
  }

  // Records `progress` of a started series, unless its previous line is under 0.05 s old and
  // this is not the `last` one.
  void add(const std::string& series, int run, double progress, bool last = false) {
    if (!out_.is_open()) return;
    using seconds = std::chrono::duration<double>;
    auto now = std::chrono::steady_clock::now();
    auto& h = history_.at({series, run});
    if (seconds(now - h.back().first).count() < 0.05 && !last) return;
    // The oldest kept point at least 0.25 s back (the start is kept while younger).
    while (h.size() > 1 && seconds(now - h[1].first).count() >= 0.25) h.pop_front();
    double since = seconds(now - h.front().first).count();
    double t = seconds(now - starts_.at({series, run})).count();
    out_ << series << "," << run << "," << t << "," << progress << ","
         << (since > 0 ? (progress - h.front().second) / since : 0.0) << "\n";
    h.push_back({now, progress});
  }

 private:
  using key = std::pair<std::string, int>;
  using point = std::pair<std::chrono::steady_clock::time_point, double>;

  std::ofstream out_;
  std::map<key, std::deque<point>> history_;
  std::map<key, std::chrono::steady_clock::time_point> starts_;
};

}  // namespace dm::bench
