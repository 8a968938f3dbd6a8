// The metrics registry's exposition: histograms in Prometheus' format, and series that go away
// by label or one at a time (no stale series after a task or source is removed).
#include <boost/test/unit_test.hpp>

#include "common/metrics.hpp"

using namespace dm::metrics;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_registry)

BOOST_AUTO_TEST_CASE(histograms_render_cumulative_buckets) {
  registry reg;
  auto bounds = exponential_bounds(0.5, 2, 4);
  BOOST_CHECK((bounds == std::vector<double>{0.5, 1, 2, 4}));
  auto* h = reg.get_histogram("lag", "Lag", {{"task", "t"}}, bounds);
  for (double v : {0.1, 0.7, 3.0, 100.0}) h->observe(v);
  auto text = reg.render();
  BOOST_TEST_MESSAGE(text);
  BOOST_CHECK(has_line(text, "# TYPE lag histogram"));
  BOOST_CHECK(has_line(text, "lag_bucket{task=\"t\",le=\"0.5\"} 1"));
  BOOST_CHECK(has_line(text, "lag_bucket{task=\"t\",le=\"1\"} 2"));
  BOOST_CHECK(has_line(text, "lag_bucket{task=\"t\",le=\"2\"} 2"));
  BOOST_CHECK(has_line(text, "lag_bucket{task=\"t\",le=\"4\"} 3"));
  BOOST_CHECK(has_line(text, "lag_bucket{task=\"t\",le=\"+Inf\"} 4"));
  BOOST_CHECK(has_line(text, "lag_sum{task=\"t\"} 103.8"));
  BOOST_CHECK(has_line(text, "lag_count{task=\"t\"} 4"));
}

BOOST_AUTO_TEST_CASE(series_go_away_by_whole_label_or_one_by_one) {
  registry reg;
  reg.get_gauge("state", "S", {{"task", "a"}, {"source_id", "s1"}})->set(2);
  reg.get_gauge("state", "S", {{"task", "ab"}, {"source_id", "s1"}})->set(3);
  reg.get_counter("rows", "R", {{"subtask", "a"}})->add(5);
  auto* kept = reg.get_gauge("pos", "P", {{"node", "relay"}, {"source_id", "s2"}});
  kept->set(7);
  // "task" = "a" only: not task "ab", not label "subtask".
  reg.remove_labelled({{"task", "a"}});
  auto text = reg.render();
  BOOST_CHECK(text.find("state{task=\"a\"") == std::string::npos);
  BOOST_CHECK(has_line(text, "state{task=\"ab\",source_id=\"s1\"} 3"));
  BOOST_CHECK(has_line(text, "rows{subtask=\"a\"} 5"));
  // A series with exactly these labels only; a holder's late update is harmless and unseen.
  auto* gone = reg.get_gauge("state", "S", {{"task", "ab"}, {"source_id", "s1"}});
  reg.remove_series("state", {{"task", "ab"}, {"source_id", "s1"}});
  gone->set(9);
  text = reg.render();
  BOOST_CHECK(text.find("state{") == std::string::npos);
  BOOST_CHECK(has_line(text, "pos{node=\"relay\",source_id=\"s2\"} 7"));
  // Asked for again, it comes back fresh.
  reg.get_gauge("state", "S", {{"task", "ab"}, {"source_id", "s1"}})->set(1);
  BOOST_CHECK(has_line(reg.render(), "state{task=\"ab\",source_id=\"s1\"} 1"));
  reg.remove_labelled({{"source_id", "s2"}});
  BOOST_CHECK(reg.render().find("pos{") == std::string::npos);
  // Every label of the match must be present: one task's part on one source.
  reg.get_gauge("state", "S", {{"task", "c"}, {"source_id", "s1"}})->set(4);
  reg.get_gauge("state", "S", {{"task", "c"}, {"source_id", "s2"}})->set(5);
  reg.remove_labelled({{"task", "c"}, {"source_id", "s1"}});
  text = reg.render();
  BOOST_CHECK(text.find("state{task=\"c\",source_id=\"s1\"}") == std::string::npos);
  BOOST_CHECK(has_line(text, "state{task=\"c\",source_id=\"s2\"} 5"));
}

BOOST_AUTO_TEST_SUITE_END()
