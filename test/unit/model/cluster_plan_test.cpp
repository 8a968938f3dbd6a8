// plan_assignments: where the scheduling worker puts each source of the cluster.
#include <boost/test/unit_test.hpp>

#include "model/cluster_plan.hpp"

using namespace dm;

namespace {

cluster_view three_workers() {
  cluster_view v;
  for (auto w : {"w1", "w2", "w3"}) {
    v.workers[w] = std::string{w} + ":8262";
    v.alive.insert(w);
  }
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster_plan)

BOOST_AUTO_TEST_CASE(new_sources_spread_over_the_least_loaded_live_workers) {
  auto v = three_workers();
  for (auto s : {"a", "b", "c", "d"}) v.sources[s] = "{}";
  v.assigned["a"] = "w2";
  auto plan = plan_assignments(v);
  BOOST_TEST(plan.unassign.empty());
  BOOST_TEST(!plan.assign.count("a"));  // a live assignee stays
  std::map<std::string, int> load{{"w2", 1}};
  for (auto& [source, worker] : plan.assign) ++load[worker];
  BOOST_TEST(plan.assign.size() == 3u);
  BOOST_TEST(load["w1"] + load["w2"] + load["w3"] == 4);
  for (auto& [worker, n] : load) BOOST_TEST(n <= 2, worker << " got " << n);
  BOOST_TEST(load["w1"] >= 1);
  BOOST_TEST(load["w3"] >= 1);
}

BOOST_AUTO_TEST_CASE(a_dead_assignee_is_replaced_by_the_holder_then_the_last_owner) {
  auto v = three_workers();
  v.sources["a"] = "{}";
  v.sources["b"] = "{}";
  v.sources["c"] = "{}";
  v.alive.erase("w1");
  v.assigned = {{"a", "w1"}, {"b", "w1"}, {"c", "w1"}};
  // a: still bound to a live worker (a transfer's old owner): stays there.
  v.bound["a"] = "w3";
  // b: held last by w2, which lives.
  v.last_bound["b"] = "w2";
  // c: held last by the dead worker: any live worker.
  v.last_bound["c"] = "w1";
  auto plan = plan_assignments(v);
  BOOST_TEST(plan.assign.at("a") == "w3");
  BOOST_TEST(plan.assign.at("b") == "w2");
  BOOST_TEST(plan.assign.count("c") == 1u);
  BOOST_TEST(plan.assign.at("c") != "w1");
}

BOOST_AUTO_TEST_CASE(removed_sources_lose_their_assignment_and_nothing_goes_to_no_worker) {
  auto v = three_workers();
  v.assigned["gone"] = "w1";
  v.sources["new"] = "{}";
  v.alive.clear();
  auto plan = plan_assignments(v);
  BOOST_TEST(plan.unassign.count("gone") == 1u);
  BOOST_TEST(plan.assign.empty());
}

BOOST_AUTO_TEST_CASE(a_source_goes_back_to_the_live_worker_loading_its_full_migration) {
  auto v = three_workers();
  for (auto s : {"a", "b", "c"}) v.sources[s] = "{}";
  v.tasks["t"] = "{}";
  v.assigned = {{"a", "w2"}, {"b", "w2"}, {"c", "w3"}};
  // a: its copy is loading on w1, back from the dead: the source returns there.
  v.loading[{"t", "a"}] = "w1";
  // b: the loading worker is dead: the live assignee keeps it.
  v.loading[{"t", "b"}] = "w9";
  // c: a record of a task that no longer exists does not count.
  v.loading[{"gone", "c"}] = "w1";
  auto plan = plan_assignments(v);
  BOOST_TEST(plan.assign.size() == 1u);
  BOOST_TEST(plan.assign.at("a") == "w1");
  BOOST_TEST(loading_worker(v, "a") == "w1");
  BOOST_TEST(loading_worker(v, "b").empty());
  BOOST_TEST(loading_worker(v, "c").empty());
  // An unassigned source with a loading worker goes there, not to the least loaded.
  v.assigned.erase("a");
  v.alive.erase("w2");
  plan = plan_assignments(v);
  BOOST_TEST(plan.assign.at("a") == "w1");
}

BOOST_AUTO_TEST_SUITE_END()
