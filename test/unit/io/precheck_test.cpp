// The precheck's judgement of upstream settings, on values a real server cannot be made to
// report here: MariaDB >= 10.2.2 adjusts server_id 0 to 1, and only one server version is
// installed. (precheck_test in test/integration runs every item against real servers.)
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "io/precheck.hpp"

using namespace dm;

namespace {

upstream_settings good() { return {"10.11.6-MariaDB-log", "7", "1", "ROW", "FULL"}; }

task_config task(const std::string& mode) {
  task_config t;
  t.name = "t";
  t.task_mode = *task_mode_from(mode);
  return t;
}

// item -> "state: message" of the judged items.
std::map<std::string, std::string> judged(const upstream_settings& s, const task_config& t) {
  std::map<std::string, std::string> out;
  for (auto& item : judge_upstream_settings(s, t, "up")) {
    BOOST_CHECK_EQUAL(item.source_id, "up");
    out[item.name] = item.state + ": " + item.message;
  }
  return out;
}

bool fails_with(const std::string& verdict, const std::string& words) {
  return verdict.rfind("fail: ", 0) == 0 && verdict.find(words) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(precheck_test)

BOOST_AUTO_TEST_CASE(a_good_upstream_passes_every_item) {
  auto items = judged(good(), task("all"));
  BOOST_CHECK_EQUAL(items.size(), 5u);
  for (auto& [item, verdict] : items) BOOST_CHECK_MESSAGE(verdict.rfind("ok: ", 0) == 0, verdict);
}

BOOST_AUTO_TEST_CASE(server_id_zero_fails_naming_the_fix) {
  for (auto id : {"0", ""}) {
    auto s = good();
    s.server_id = id;
    auto items = judged(s, task("incremental"));
    BOOST_CHECK_MESSAGE(fails_with(items["server_id"], "SET GLOBAL server_id = N"),
                        items["server_id"]);
    BOOST_CHECK(items["version"].rfind("ok: ", 0) == 0);
  }
}

BOOST_AUTO_TEST_CASE(versions_before_mysql_5_7_and_mariadb_10_1_fail) {
  for (auto [version, ok] : std::vector<std::pair<std::string, bool>>{
           {"5.6.51-log", false}, {"5.7.44", true}, {"8.0.36", true}, {"8.4.0", true},
           {"10.0.38-MariaDB", false}, {"10.1.48-MariaDB", true}, {"11.4.2-MariaDB", true},
           {"garbage", false}}) {
    auto s = good();
    s.version = version;
    auto verdict = judged(s, task("all"))["version"];
    if (ok) BOOST_CHECK_MESSAGE(verdict.rfind("ok: ", 0) == 0, version << ": " << verdict);
    else BOOST_CHECK_MESSAGE(fails_with(verdict, "upgrade it"), version << ": " << verdict);
  }
}

BOOST_AUTO_TEST_CASE(binlog_settings_matter_only_to_tasks_that_sync) {
  auto s = good();
  s.log_bin = "0";
  s.binlog_format = "MIXED";
  s.binlog_row_image = "MINIMAL";
  auto items = judged(s, task("all"));
  BOOST_CHECK(fails_with(items["binlog_enable"], "log-bin"));
  BOOST_CHECK(fails_with(items["binlog_format"], "SET GLOBAL binlog_format = 'ROW'"));
  BOOST_CHECK(fails_with(items["binlog_row_image"], "SET GLOBAL binlog_row_image = 'FULL'"));
  // Each setting has its one right value (ROW is a format, not a row image).
  s = good();
  s.binlog_format = "FULL";
  s.binlog_row_image = "ROW";
  items = judged(s, task("incremental"));
  BOOST_CHECK(fails_with(items["binlog_format"], "is FULL"));
  BOOST_CHECK(fails_with(items["binlog_row_image"], "is ROW"));
  s.log_bin = "0";
  auto full = judged(s, task("full"));
  BOOST_CHECK_EQUAL(full.size(), 2u);  // version and server_id only
}

BOOST_AUTO_TEST_CASE(ignored_items_are_left_out) {
  auto t = task("all");
  t.ignore_checking_items = {"server_id", "binlog_format"};
  auto s = good();
  s.server_id = "0";
  auto items = judged(s, t);
  BOOST_CHECK(!items.count("server_id"));
  BOOST_CHECK(!items.count("binlog_format"));
  BOOST_CHECK_EQUAL(items.size(), 3u);
  t.ignore_checking_items = {"all"};
  BOOST_CHECK(judged(s, t).empty());
}

BOOST_AUTO_TEST_SUITE_END()
