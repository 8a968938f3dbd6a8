#include "protocol/gtid_set.hpp"

#include <boost/test/unit_test.hpp>

#include "protocol/binlog/events.hpp"
#include "common/error.hpp"
#include "common/position.hpp"

using namespace dm;

BOOST_AUTO_TEST_SUITE(gtid_set_test)

BOOST_AUTO_TEST_CASE(mariadb_sets_parse_advance_and_print_canonically) {
  auto s = gtid_set::parse(" 1-2-30,0-1-100 ");
  BOOST_REQUIRE(s);
  BOOST_CHECK(s->kind() == gtid_set::flavor::mariadb);
  BOOST_CHECK_EQUAL(s->to_string(), "0-1-100,1-2-30");
  s->add({0, 3, 101});
  BOOST_CHECK_EQUAL(s->to_string(), "0-3-101,1-2-30");
  BOOST_CHECK(s->contains({0, 1, 50}));
  BOOST_CHECK(!s->contains({0, 1, 102}));
  BOOST_CHECK(!s->contains({5, 1, 1}));
}

BOOST_AUTO_TEST_CASE(mysql_sets_merge_intervals) {
  auto s = gtid_set::parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7,"
                           "0a0b0c0d-0000-1111-2222-333344445555:9");
  BOOST_REQUIRE(s);
  s->add_mysql("3e11fa47-71ca-11e1-9e33-c80aa9429562", 6);
  BOOST_CHECK_EQUAL(s->to_string(),
                    "0a0b0c0d-0000-1111-2222-333344445555:9,"
                    "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-7");
  BOOST_CHECK(s->contains_mysql("3e11fa47-71ca-11e1-9e33-c80aa9429562", 4));
  BOOST_CHECK(!s->contains_mysql("3e11fa47-71ca-11e1-9e33-c80aa9429562", 8));
}

BOOST_AUTO_TEST_CASE(mysql_binary_form_round_trips_through_previous_gtids) {
  auto s = gtid_set::parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,"
                           "0a0b0c0d-0000-1111-2222-333344445555:9");
  BOOST_REQUIRE(s);
  auto body = s->mysql_binary();
  // count, then per server: uuid, interval count, [first, last + 1) pairs
  BOOST_CHECK_EQUAL(body.size(), 8u + (16 + 8 + 16) + (16 + 8 + 2 * 16));
  std::string event(19, '\0');
  event[4] = static_cast<char>(binlog::event_type::previous_gtids);
  uint32_t size = static_cast<uint32_t>(19 + body.size());
  for (int i = 0; i < 4; ++i) event[9 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  event += body;
  auto view = binlog::split_event(event, binlog::default_format_description(
                                             binlog::checksum_alg::off),
                                  false);
  BOOST_REQUIRE(view);
  auto decoded = binlog::decode_previous_gtids(*view);
  BOOST_REQUIRE(decoded);
  BOOST_CHECK_EQUAL(decoded->gtids.to_string(), s->to_string());
}

BOOST_AUTO_TEST_CASE(invalid_sets_are_rejected_with_the_text) {
  for (auto bad : {"0-1", "a-b-c", "0-1-2,0-1-3", "uuid:1-2", "0-1-2,3e11fa47-71ca-11e1-9e33-"
                                                               "c80aa9429562:1",
                   "3e11fa47-71ca-11e1-9e33-c80aa9429562:5-2"}) {
    auto s = gtid_set::parse(bad);
    BOOST_CHECK_MESSAGE(!s, "accepted " << bad);
    if (!s) BOOST_CHECK(describe(s.error()).find(bad) != std::string::npos);
  }
  BOOST_CHECK(gtid_set::parse("")->empty());
}

BOOST_AUTO_TEST_CASE(binlog_positions_order_by_file_index_then_offset) {
  BOOST_CHECK(binlog_position({"b.000009", 900}) < binlog_position({"b.000010", 4}));
  BOOST_CHECK(binlog_position({"b.999999", 4}) < binlog_position({"b.1000000", 4}));
  BOOST_CHECK(binlog_position({"b.000010", 4}) < binlog_position({"b.000010", 5}));
  BOOST_CHECK_EQUAL(binlog_file_index("mysql-bin.000123").value(), 123u);
  BOOST_CHECK(!binlog_file_index("mysql-bin"));
  BOOST_CHECK(!binlog_file_index("mysql-bin.12a"));
  auto p = parse_binlog_position("mysql-bin.000002:1234");
  BOOST_REQUIRE(p);
  BOOST_CHECK_EQUAL(p->pos, 1234u);
  BOOST_CHECK(!parse_binlog_position("mysql-bin.000002"));
}

BOOST_AUTO_TEST_SUITE_END()
