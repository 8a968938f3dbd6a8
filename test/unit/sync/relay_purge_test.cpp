// Which relay files a purge removes: never one a task still needs nor the one being written;
// among the others, what the request asks for.
#include <boost/test/unit_test.hpp>

#include "sync/relay_purge.hpp"

using namespace dm;

namespace {

// binlog.000001 .. binlog.000005 in segment 0, the newest event of file n at time n * 3600.
std::vector<storage::relay_file> files() {
  std::vector<storage::relay_file> out;
  for (uint32_t n = 1; n <= 5; ++n) out.push_back({0, n, "binlog.00000" + std::to_string(n), n * 3600});
  return out;
}

std::vector<std::string> names(const std::vector<storage::relay_file>& fs) {
  std::vector<std::string> out;
  for (auto& f : fs) out.push_back(f.name);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_purge_test)

BOOST_AUTO_TEST_CASE(a_purge_takes_what_is_asked_and_no_task_needs) {
  struct row {
    const char* what;
    purge_request request;
    std::vector<std::pair<std::string, relay_key>> needed;
    std::vector<std::string> purged;
    std::vector<std::string> kept;
  };
  relay_key head{0, 5, 400};  // the relay writes binlog.000005
  const std::vector<row> table = {
      {"purge-relay before a file", {"binlog.000003", false, 0, "purge-relay"}, {},
       {"binlog.000001", "binlog.000002"}, {}},
      {"a task still reading file 2 keeps it and what follows",
       {"binlog.000004", false, 0, "purge-relay"}, {{"t1", {0, 2, 100}}},
       {"binlog.000001"}, {"binlog.000002", "binlog.000003"}},
      {"every unneeded file, but never the one being written", {"", true, 0, "low disk space"},
       {}, {"binlog.000001", "binlog.000002", "binlog.000003", "binlog.000004"}, {}},
      {"by age: older than 2 hours at 6 h", {"", false, 2, "expires"}, {},
       {"binlog.000001", "binlog.000002", "binlog.000003"}, {}},
      {"nothing asked, nothing purged", {"", false, 0, "expires"}, {}, {}, {}},
      {"the slowest task decides", {"", true, 0, "enable-relay: false"},
       {{"fast", {0, 4, 4}}, {"slow", {0, 1, 4}}}, {}, {"binlog.000001", "binlog.000002",
                                                       "binlog.000003", "binlog.000004"}},
      {"a task in a later segment needs nothing of this one", {"", true, 0, "low disk space"},
       {{"t", {1, 1, 4}}}, {"binlog.000001", "binlog.000002", "binlog.000003", "binlog.000004"},
       {}},
  };
  for (auto& r : table) {
    auto plan = plan_purge(files(), head, r.needed, r.request, 6 * 3600);
    BOOST_CHECK_MESSAGE(names(plan.purge) == r.purged, r.what);
    std::vector<std::string> kept;
    for (auto& [f, task] : plan.kept) kept.push_back(f.name);
    BOOST_CHECK_MESSAGE(kept == r.kept, r.what);
  }
}

BOOST_AUTO_TEST_SUITE_END()
