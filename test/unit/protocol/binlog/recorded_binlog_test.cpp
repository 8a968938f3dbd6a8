// Decoding of a binlog file recorded from MariaDB 10.11 (test/unit/data/): the statements that
// made it are in the comment below; the expected values are what mariadb-binlog --verbose
// prints for the same file.
//
//   CREATE TABLE rec.t (id INT PRIMARY KEY, s VARCHAR(20), d DECIMAL(10,3), dt DATETIME(3),
//                       u BIGINT UNSIGNED, n INT NULL, e ENUM('a','b'), b BINARY(3));
//   INSERT INTO rec.t VALUES (1, 'héllo', -12.345, '2020-01-02 03:04:05.678',
//                             18446744073709551615, NULL, 'b', x'00ff27'),
//                            (2, '', 0, '0000-00-00 00:00:00.000', 0, -2147483648, NULL, NULL);
//   UPDATE rec.t SET s = 'x', n = 7 WHERE id = 2;
//   DELETE FROM rec.t WHERE id = 1;
#include <boost/test/unit_test.hpp>

#include "test/unit/test_util.hpp"

#include <fstream>
#include <sstream>

#include "protocol/binlog/byte_reader.hpp"
#include "protocol/binlog/stream_decoder.hpp"
#include "protocol/binlog/transaction_tracker.hpp"
#include "common/error.hpp"
#include "protocol/sql/literal.hpp"

using namespace dm;
using namespace dm::binlog;

namespace {

std::string read_data(const std::string& name) {
  std::ifstream in{std::string{DM_TEST_DATA_DIR} + "/" + name, std::ios::binary};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Splits a binlog file into its events.
std::vector<std::string_view> events_of(const std::string& file) {
  std::vector<std::string_view> out;
  size_t pos = 4;
  while (pos + header_size <= file.size()) {
    auto h = parse_header(std::string_view{file}.substr(pos));
    if (!h) break;
    out.push_back(std::string_view{file}.substr(pos, h->event_size));
    pos += h->event_size;
  }
  return out;
}

struct decoded_rows {
  std::vector<rows_kind> kinds;
  std::vector<row_change> changes;
  table_map_event table;
};

decoded_rows decode_file(const std::string& file) {
  stream_decoder decoder;
  decoded_rows out;
  for (auto raw : events_of(file)) {
    auto ev = decoder.decode(raw);
    DM_REQUIRE_OK(ev);
    if (auto* rows = std::get_if<rows_event>(&ev->body)) {
      auto changes = decode_rows(*rows, *ev->table);
      DM_REQUIRE_OK(changes);
      out.table = *ev->table;
      for (auto& c : *changes) {
        out.kinds.push_back(rows->kind);
        out.changes.push_back(c);
      }
    }
  }
  return out;
}

std::string literal(const cell& c, bool is_unsigned = false, std::string charset = "") {
  column_def def;
  def.is_unsigned = is_unsigned;
  def.charset = std::move(charset);
  std::string out;
  BOOST_REQUIRE(!sql::append_literal(out, c, def));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recorded_binlog_test)

BOOST_AUTO_TEST_CASE(every_event_decodes_with_verified_checksums) {
  auto file = read_data("mariadb-10.11-rows.binlog");
  BOOST_REQUIRE_EQUAL(file.substr(0, 4), std::string{binlog_magic});
  stream_decoder decoder;
  size_t count = 0;
  transaction_tracker tracker;
  size_t groups = 0;
  for (auto raw : events_of(file)) {
    auto ev = decoder.decode(raw);
    DM_REQUIRE_OK(ev);
    auto outcome = tracker.observe(ev->view, decoder.format());
    BOOST_REQUIRE(outcome);
    groups += outcome->closed_group;
    ++count;
  }
  BOOST_CHECK(decoder.format().checksum == checksum_alg::crc32);
  BOOST_CHECK(decoder.format().is_mariadb());
  // CREATE DATABASE, CREATE TABLE, INSERT, UPDATE, DELETE
  BOOST_CHECK_EQUAL(groups, 5u);
  BOOST_CHECK_GT(count, 15u);
}

BOOST_AUTO_TEST_CASE(table_map_carries_full_metadata) {
  auto rows = decode_file(read_data("mariadb-10.11-rows.binlog"));
  const auto& t = rows.table;
  BOOST_CHECK_EQUAL(t.db, "rec");
  BOOST_CHECK_EQUAL(t.table, "t");
  BOOST_REQUIRE_EQUAL(t.columns.size(), 8u);
  BOOST_CHECK(t.has_column_names);
  BOOST_CHECK_EQUAL(t.columns[4].name, "u");
  BOOST_CHECK(t.columns[4].is_unsigned.value_or(false));
  BOOST_CHECK(!t.columns[5].is_unsigned.value_or(true));
  BOOST_CHECK(t.columns[6].real_type == column_type::enum_);
  BOOST_REQUIRE_EQUAL(t.columns[6].enum_values.size(), 2u);
  BOOST_CHECK_EQUAL(t.columns[6].enum_values[1], "b");
  BOOST_REQUIRE_EQUAL(t.primary_key.size(), 1u);
  BOOST_CHECK_EQUAL(t.primary_key[0].first, 0u);
}

BOOST_AUTO_TEST_CASE(row_values_decode_exactly) {
  auto rows = decode_file(read_data("mariadb-10.11-rows.binlog"));
  BOOST_REQUIRE_EQUAL(rows.changes.size(), 4u);
  BOOST_CHECK(rows.kinds[0] == rows_kind::write);
  BOOST_CHECK(rows.kinds[2] == rows_kind::update);
  BOOST_CHECK(rows.kinds[3] == rows_kind::delete_);
  const auto& first = rows.changes[0].after;
  BOOST_CHECK_EQUAL(literal(first[0]), "1");
  BOOST_CHECK_EQUAL(literal(first[1], false, "utf8mb4"), "_utf8mb4'h\xc3\xa9llo'");
  BOOST_CHECK_EQUAL(literal(first[2]), "-12.345");
  BOOST_CHECK_EQUAL(literal(first[3]), "'2020-01-02 03:04:05.678'");
  BOOST_CHECK_EQUAL(literal(first[4], true), "18446744073709551615");
  BOOST_CHECK_EQUAL(literal(first[4], false), "-1");
  BOOST_CHECK(first[5].is_null());
  BOOST_CHECK_EQUAL(literal(first[6]), "2");
  BOOST_CHECK_EQUAL(literal(first[7], false, "binary"), "_binary'\\0\xff\\''");
  const auto& second = rows.changes[1].after;
  BOOST_CHECK_EQUAL(literal(second[2]), "0.000");
  BOOST_CHECK_EQUAL(literal(second[3]), "'0000-00-00 00:00:00.000'");
  BOOST_CHECK_EQUAL(literal(second[5]), "-2147483648");
  const auto& update = rows.changes[2];
  BOOST_CHECK_EQUAL(update.before[1].text, "");
  BOOST_CHECK_EQUAL(update.after[1].text, "x");
  BOOST_CHECK_EQUAL(literal(update.after[5]), "7");
  BOOST_CHECK_EQUAL(literal(rows.changes[3].before[0]), "1");
}

BOOST_AUTO_TEST_CASE(corrupted_and_truncated_events_fail_cleanly) {
  auto file = read_data("mariadb-10.11-rows.binlog");
  auto events = events_of(file);
  stream_decoder decoder;
  size_t checked = 0;
  for (auto raw : events) {
    std::string copy{raw};
    // A flipped byte in the body fails the CRC32 check.
    if (copy.size() > header_size + 5) {
      copy[header_size + 1] ^= 0x40;
      stream_decoder fresh{checksum_alg::crc32};
      auto bad = fresh.decode(copy);
      if (raw[4] != static_cast<char>(event_type::format_description)) {
        BOOST_CHECK(!bad);
        if (!bad) BOOST_CHECK(code_of(bad.error()) == ec::checksum_mismatch);
        ++checked;
      }
    }
    // Every truncation is an error, never a crash.
    for (size_t cut = 0; cut < raw.size(); cut += 7) {
      stream_decoder fresh{checksum_alg::crc32, false};
      auto r = fresh.decode(raw.substr(0, cut));
      BOOST_CHECK(!r);
    }
    BOOST_REQUIRE(decoder.decode(raw));
  }
  BOOST_CHECK_GT(checked, 10u);
}

BOOST_AUTO_TEST_SUITE_END()
