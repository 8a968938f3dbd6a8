// Process-wide metrics in Prometheus' text format. Series are created once (under a lock) and
// then updated lock-free from any thread; rendering takes the lock only to walk the families.
//
// Usage: auto* bytes = metrics::registry::global().counter("dm_relay_bytes_written_total",
//            "Bytes of binlog events stored", {{"source", id}});  bytes->add(n);
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace dm::metrics {

using labels = std::vector<std::pair<std::string, std::string>>;

class counter {
 public:
  void add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Durations: total seconds and count (a Prometheus summary without quantiles).
class timing {
 public:
  void observe(double seconds) {
    micros_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  double sum() const { return micros_.load(std::memory_order_relaxed) / 1e6; }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> micros_{0};
  std::atomic<uint64_t> count_{0};
};

// Prometheus histogram: counts of observations at or below each upper bound, their sum and count.
class histogram {
 public:
  explicit histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), counts_(bounds_.size()) {}
  void observe(double v) {
    for (size_t i = 0; i < bounds_.size(); ++i)
      if (v <= bounds_[i]) counts_[i].fetch_add(1, std::memory_order_relaxed);
    micros_.fetch_add(static_cast<uint64_t>(v * 1e6), std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  const std::vector<double>& bounds() const { return bounds_; }
  // Observations at or below bounds()[i] (cumulative, as the format wants).
  uint64_t at_or_below(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  double sum() const { return micros_.load(std::memory_order_relaxed) / 1e6; }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;
  std::atomic<uint64_t> micros_{0};
  std::atomic<uint64_t> count_{0};
};

// `n` bounds starting at `first`, each `factor` times the one before.
std::vector<double> exponential_bounds(double first, double factor, size_t n);

class registry {
 public:
  static registry& global();

  // The series of `name` with `labels`, created on first use; valid for the process lifetime.
  // REQUIRES: a name is always used with the same kind and help text.
  counter* get_counter(const std::string& name, const std::string& help, const labels& l);
  gauge* get_gauge(const std::string& name, const std::string& help, const labels& l);
  timing* get_timing(const std::string& name, const std::string& help, const labels& l);
  // REQUIRES: a name is always used with the same bounds.
  histogram* get_histogram(const std::string& name, const std::string& help, const labels& l,
                           const std::vector<double>& bounds);

  // Removes every series carrying all the labels of `match` (when a source, a task or one
  // task's part on a source goes away).
  void remove_labelled(const labels& match);
  // Removes the one series of `name` with exactly `l` (a task that finished, as DM drops its
  // state series). A later get_* creates it afresh.
  void remove_series(const std::string& name, const labels& l);

  // The text exposition format (version 0.0.4).
  std::string render() const;

 private:
  enum class kind { counter, gauge, timing, histogram };
  struct family {
    kind type;
    std::string help;
    std::map<std::string, std::unique_ptr<counter>> counters;
    std::map<std::string, std::unique_ptr<gauge>> gauges;
    std::map<std::string, std::unique_ptr<timing>> timings;
    std::map<std::string, std::unique_ptr<histogram>> histograms;
  };
  family& family_of(const std::string& name, kind type, const std::string& help);

  mutable std::mutex mutex_;
  std::map<std::string, family> families_;
};

}  // namespace dm::metrics
