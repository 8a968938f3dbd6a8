// MySQL-only binlog formats, on byte vectors built from MySQL's documented layouts: binary JSON,
// GTID and previous-GTIDs events, v2 rows events with extra data.
#include <boost/test/unit_test.hpp>

#include <cstring>

#include "protocol/binlog/events.hpp"
#include "protocol/binlog/json_binary.hpp"
#include "protocol/binlog/rows_event.hpp"
#include "protocol/binlog/stream_decoder.hpp"
#include "test/unit/test_util.hpp"

using namespace dm;
using namespace dm::binlog;

namespace {

struct bytes {
  std::string b;
  bytes& u8(uint8_t v) {
    b += static_cast<char>(v);
    return *this;
  }
  bytes& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  bytes& raw(std::string_view s) {
    b += s;
    return *this;
  }
};

std::string json(const bytes& doc) {
  auto text = json_binary_to_text(doc.b);
  DM_REQUIRE_OK(text);
  return *text;
}

// A v4 event of `type` with `body`, without checksum.
std::string event(event_type type, const std::string& body, uint32_t log_pos = 1000) {
  bytes e;
  e.le(1700000000, 4).u8(static_cast<uint8_t>(type)).le(1, 4).le(19 + body.size(), 4);
  e.le(log_pos, 4).le(0, 2).raw(body);
  return e.b;
}

format_description mysql8_format() {
  auto fde = default_format_description(checksum_alg::off);
  fde.server_version = "8.0.36";
  fde.post_header_lengths[static_cast<uint8_t>(event_type::table_map)] = 8;
  fde.post_header_lengths[static_cast<uint8_t>(event_type::write_rows_v2)] = 10;
  fde.post_header_lengths[static_cast<uint8_t>(event_type::update_rows_v2)] = 10;
  return fde;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mysql_formats_test)

BOOST_AUTO_TEST_CASE(small_object_with_inlined_scalars_nested_array_string_and_double) {
  // {"a": 1, "b": [true, null, "x"], "c": 1.5}
  bytes array;  // offsets relative to the array's start
  array.le(3, 2).le(15, 2);
  array.u8(0x04).le(1, 2);   // true, inlined
  array.u8(0x04).le(0, 2);   // null, inlined
  array.u8(0x0c).le(13, 2);  // string at 13
  array.u8(1).raw("x");
  double c = 1.5;
  uint64_t c_bits;
  std::memcpy(&c_bits, &c, 8);
  bytes doc;
  doc.u8(0x00);                     // small object
  doc.le(3, 2).le(51, 2);           // count, size
  doc.le(25, 2).le(1, 2);           // key "a"
  doc.le(26, 2).le(1, 2);           // key "b"
  doc.le(27, 2).le(1, 2);           // key "c"
  doc.u8(0x05).le(1, 2);            // a: int16 1, inlined
  doc.u8(0x02).le(28, 2);           // b: small array at 28
  doc.u8(0x0b).le(43, 2);           // c: double at 43
  doc.raw("abc").raw(array.b).le(c_bits, 8);
  BOOST_CHECK_EQUAL(json(doc), R"({"a": 1, "b": [true, null, "x"], "c": 1.5})");
}

BOOST_AUTO_TEST_CASE(scalars_large_containers_and_opaque_values) {
  BOOST_CHECK_EQUAL(json(bytes{}.u8(0x04).u8(2)), "false");
  BOOST_CHECK_EQUAL(json(bytes{}.u8(0x09).le(static_cast<uint64_t>(-5), 8)), "-5");
  BOOST_CHECK_EQUAL(json(bytes{}.u8(0x0a).le(UINT64_MAX, 8)), "18446744073709551615");
  BOOST_CHECK_EQUAL(json(bytes{}.u8(0x0c).u8(5).raw("a\"b\\\n")), R"("a\"b\\\n")");
  // Large array [70000, -1]: int32/uint32 are inlined in 4-byte slots.
  bytes large;
  large.u8(0x03).le(2, 4).le(18, 4).u8(0x08).le(70000, 4).u8(0x07).le(0xffffffff, 4);
  BOOST_CHECK_EQUAL(json(large), "[70000, -1]");
  // Opaque DECIMAL(5,2) -12.34: precision, scale, then the binary decimal.
  bytes dec;
  dec.u8(0x0f).u8(246).u8(5).u8(5).u8(2).raw(std::string{"\x7f\xf3\xdd", 3});
  BOOST_CHECK_EQUAL(json(dec), "-12.34");
  // Opaque DATETIME 2020-01-02 03:04:05.000006: packed (ymd<<17 | hms) << 24 | usec.
  uint64_t ymd = ((2020ull * 13 + 1) << 5) | 2, hms = (3 << 12) | (4 << 6) | 5;
  bytes dt;
  dt.u8(0x0f).u8(12).u8(8).le(((ymd << 17 | hms) << 24) | 6, 8);
  BOOST_CHECK_EQUAL(json(dt), R"("2020-01-02 03:04:05.000006")");
  // The most negative packed TIME (only corrupt bytes hold it) renders rather than overflowing.
  bytes min_time;
  min_time.u8(0x0f).u8(11).u8(8).le(uint64_t{1} << 63, 8);
  BOOST_CHECK_EQUAL(json(min_time), R"("-00:00:00.000000")");
}

BOOST_AUTO_TEST_CASE(malformed_json_fails_without_reading_out_of_bounds) {
  for (std::string bad : {std::string{}, std::string{"\x00\x05\x00", 3},
                          std::string{"\x0c\x85", 2}, std::string{"\x04\x07", 2},
                          std::string{"\x02\x02\x00\x09\x00\x0c\xff\x00", 8}}) {
    BOOST_CHECK(!json_binary_to_text(bad));
  }
  // Nesting deeper than 100 levels is refused rather than recursed into.
  bytes deep;
  for (int i = 0; i < 150; ++i) deep.u8(0x02).le(1, 2).le(7, 2).u8(0x02).le(7, 2);
  BOOST_CHECK(!json_binary_to_text(deep.b));
}

BOOST_AUTO_TEST_CASE(mysql_gtid_and_previous_gtids_events) {
  bytes body;
  body.u8(1).raw(std::string{"\x3e\x11\xfa\x47\x71\xca\x11\xe1\x9e\x33\xc8\x0a\xa9\x42\x95\x62",
                             16});
  body.le(42, 8).u8(2).le(7, 8).le(8, 8);
  auto raw = event(event_type::mysql_gtid, body.b);
  auto fde = mysql8_format();
  auto view = split_event(raw, fde, true);
  DM_REQUIRE_OK(view);
  auto gtid = decode_mysql_gtid(*view);
  DM_REQUIRE_OK(gtid);
  BOOST_CHECK_EQUAL(gtid->uuid, "3e11fa47-71ca-11e1-9e33-c80aa9429562");
  BOOST_CHECK_EQUAL(gtid->gno, 42u);
  BOOST_CHECK_EQUAL(gtid->last_committed.value_or(0), 7);
  BOOST_CHECK_EQUAL(gtid->sequence_number.value_or(0), 8);

  bytes prev;
  prev.le(1, 8).raw(std::string(16, '\x11')).le(2, 8).le(1, 8).le(6, 8).le(10, 8).le(11, 8);
  auto prev_raw = event(event_type::previous_gtids, prev.b);
  auto prev_view = split_event(prev_raw, fde, true);
  DM_REQUIRE_OK(prev_view);
  auto set = decode_previous_gtids(*prev_view);
  DM_REQUIRE_OK(set);
  BOOST_CHECK_EQUAL(set->gtids.to_string(), "11111111-1111-1111-1111-111111111111:1-5:10");
}

BOOST_AUTO_TEST_CASE(v2_rows_event_with_extra_data_and_a_json_column) {
  // Table map: db "d", table "t", columns INT, JSON (4 length bytes).
  bytes tm;
  tm.le(77, 6).le(1, 2).u8(1).raw("d").u8(0).u8(1).raw("t").u8(0);
  tm.u8(2).u8(3).u8(245).u8(1).u8(4).u8(0x02);
  bytes rows;
  rows.le(77, 6).le(1, 2).le(2 + 3, 2).raw("xyz").u8(2).u8(0x03);  // extra data "xyz"
  std::string doc{"\x04\x01", 2};                                    // JSON true
  rows.u8(0x00).le(5, 4).le(doc.size(), 4).raw(doc);
  stream_decoder decoder;
  auto fde = mysql8_format();
  // Feed the format first so the decoder knows MySQL's post-header lengths.
  bytes fde_body;
  fde_body.le(4, 2).raw(std::string{"8.0.36"}.append(44, '\0')).le(0, 4).u8(19);
  std::string lengths(41, '\0');
  lengths[static_cast<uint8_t>(event_type::table_map) - 1] = 8;
  lengths[static_cast<uint8_t>(event_type::write_rows_v2) - 1] = 10;
  fde_body.raw(lengths).u8(0).le(0, 4);
  auto format = decoder.decode(event(event_type::format_description, fde_body.b));
  DM_REQUIRE_OK(format);
  auto map = decoder.decode(event(event_type::table_map, tm.b));
  DM_REQUIRE_OK(map);
  // The decoded event points into its bytes: they must outlive it.
  auto rows_bytes = event(event_type::write_rows_v2, rows.b);
  auto ev = decoder.decode(rows_bytes);
  DM_REQUIRE_OK(ev);
  auto& r = std::get<rows_event>(ev->body);
  BOOST_CHECK_EQUAL(r.extra_data, "xyz");
  auto changes = decode_rows(r, *ev->table);
  DM_REQUIRE_OK(changes);
  BOOST_REQUIRE_EQUAL(changes->size(), 1u);
  auto& after = changes->front().after;
  BOOST_CHECK_EQUAL(after[0].u, 5u);
  BOOST_CHECK(after[1].kind == cell_kind::json_binary);
  auto text = json_binary_to_text(after[1].text);
  DM_REQUIRE_OK(text);
  BOOST_CHECK_EQUAL(*text, "true");
}

BOOST_AUTO_TEST_SUITE_END()
