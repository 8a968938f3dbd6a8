// The decoder against the server's own tool: tables of every column type with edge values are
// written, updated and deleted on a real MariaDB (also with compressed events and partial row
// images), and `dm-binlog --verbose` must print every `###` value that
// `mariadb-binlog --verbose` prints, the same, except where mariadb-binlog's spelling loses the
// value (see protocol/binlog/printer.hpp); those are compared by the rule for their type.
#define BOOST_TEST_MODULE decoder_oracle
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "test/support/harness.hpp"

using namespace dm::test;

namespace {

const char* schema = R"SQL(
CREATE DATABASE types;
USE types;
CREATE TABLE ints (id INT PRIMARY KEY,
  t TINYINT, tu TINYINT UNSIGNED, s SMALLINT, su SMALLINT UNSIGNED, m MEDIUMINT,
  mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, b BIGINT, bu BIGINT UNSIGNED);
INSERT INTO ints VALUES
  (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0),
  (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
      9223372036854775807, 18446744073709551615),
  (3, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE nums (id INT PRIMARY KEY, f FLOAT, d DOUBLE, d65 DECIMAL(65,30), d0 DECIMAL(10,0),
  d52 DECIMAL(5,2), d1 DECIMAL(1,1), bit1 BIT(1), bit7 BIT(7), bit8 BIT(8), bit17 BIT(17),
  bit64 BIT(64), y YEAR);
INSERT INTO nums VALUES
  (1, 1.1, 0.1, 99999999999999999999999999999999999.999999999999999999999999999999,
      9999999999, 999.99, 0.9, 1, 85, 255, 70000, 18446744073709551615, 2155),
  (2, -3.402823466e38, -1.7976931348623157e308,
      -99999999999999999999999999999999999.999999999999999999999999999999,
      -9999999999, -999.99, -0.9, 0, 0, 0, 1, 0, 1901),
  (3, 1.17549435e-38, 2.2250738585072014e-308, 0.000000000000000000000000000001, 0, 0.01,
      0.0, 1, 1, 128, 65536, 9223372036854775808, 0),
  (4, 0, -0.5, -0.000000000000000000000000000001, 1, -0.01, -0.1, 0, 127, 1, 131071,
      1, 2024),
  (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE times (id INT PRIMARY KEY, dt DATE, t0 TIME, t1 TIME(1), t3 TIME(3), t6 TIME(6),
  d0 DATETIME, d2 DATETIME(2), d4 DATETIME(4), d6 DATETIME(6),
  s0 TIMESTAMP NULL, s1 TIMESTAMP(1) NULL, s5 TIMESTAMP(5) NULL, s6 TIMESTAMP(6) NULL);
SET SESSION sql_mode = '', SESSION time_zone = '+00:00';
INSERT INTO times VALUES
  (1, '0000-00-00', '-838:59:59', '-00:00:01.5', '-12:34:56.789', '-838:59:58.999999',
      '0000-00-00 00:00:00', '0000-00-00 00:00:00.00', '1000-01-01 00:00:00.0001',
      '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '1970-01-01 00:00:01.1',
      '2038-01-19 03:14:07.99999', '2038-01-19 03:14:07.999999'),
  (2, '1000-01-01', '838:59:59', '838:59:59.9', '00:00:00.001', '-00:00:00.000001',
      '1000-01-01 00:00:00', '2020-02-29 12:34:56.78', '2021-12-31 23:59:59.9999',
      '2022-06-15 01:02:03.000004', '2000-02-29 00:00:00', '2000-02-29 00:00:00.5',
      '2001-01-01 00:00:00.00001', '2001-01-01 00:00:00.000001'),
  (3, '9999-12-31', '00:00:00', '00:00:00.0', '-00:00:00.001', '123:04:05.000006',
      '9999-12-31 23:59:59', '2000-01-01 00:00:00.01', '2000-01-01 00:00:00.0000',
      '2000-01-01 00:00:00.000000', '0000-00-00 00:00:00', '0000-00-00 00:00:00.0',
      '0000-00-00 00:00:00.00000', '0000-00-00 00:00:00.000000'),
  (4, '2020-02-29', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE strs (id INT PRIMARY KEY, c CHAR(10), c255 CHAR(255), vc VARCHAR(300),
  vsmall VARCHAR(20), tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT,
  latin VARCHAR(10) CHARACTER SET latin1, bin BINARY(16), vb VARBINARY(1000), tb TINYBLOB,
  bl BLOB, mb MEDIUMBLOB, lb LONGBLOB, js JSON) DEFAULT CHARSET=utf8mb4;
INSERT INTO strs VALUES
  (1, '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '{}'),
  (2, 'héllo', REPEAT('é', 255), REPEAT('x', 300), 'a''b\\c"d', 'tiny 😀', 'text 😀🎉',
      REPEAT('mid', 1000), REPEAT('long☃', 20000), 'caf\xe9', UNHEX('00FF00FF000102030405060708090A0B'),
      UNHEX(REPEAT('00FF7F1F20', 150)), UNHEX('00'), UNHEX('0A0D1A5C27'), REPEAT(UNHEX('00'), 70000),
      UNHEX('DEADBEEF'), '{"a": [1, 2.5, {"b": null, "c": "x\\ny"}], "d": true, "e": "😀"}'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 'tab\there', 'line\nbreak', CONCAT('nul', CHAR(0), 'byte'), '\r\n', 'ctl\x01\x1f', 'z',
      'z', 'z', 'z', UNHEX('7F'), UNHEX('80'), UNHEX('FF'), 'z', 'z', 'z', '[[[[[[1]]]]]]');
CREATE TABLE enums (id INT PRIMARY KEY, e ENUM('a','b','c'), s1 SET('a','b','c','d','e','f','g','h'),
  s2 SET('a','b','c','d','e','f','g','h','i'), big_enum ENUM(@@big_enum_members@@),
  big_set SET(@@big_set_members@@));
INSERT INTO enums VALUES
  (1, 'a', '', '', 'm0', ''), (2, 'c', 'a,h', 'a,i', 'm299', 'm0,m63'),
  (3, NULL, NULL, NULL, NULL, NULL), (4, 'b', 'a,b,c,d,e,f,g,h', 'i', 'm255', 'm31,m32');
CREATE TABLE geo (id INT PRIMARY KEY, p POINT, poly POLYGON, g GEOMETRY);
INSERT INTO geo VALUES
  (1, ST_PointFromText('POINT(1 2)'), ST_PolygonFromText('POLYGON((0 0,1 0,1 1,0 0))'),
      ST_GeomFromText('LINESTRING(0 0, 3.5 -2)')),
  (2, NULL, NULL, NULL);
CREATE TABLE wide (@@wide_columns@@);
INSERT INTO wide VALUES (@@wide_values_1@@), (@@wide_values_2@@), (@@wide_values_null@@);
CREATE TABLE nokey (a INT, b VARCHAR(10), c DOUBLE);
INSERT INTO nokey VALUES (1, 'x', 1.5), (1, 'x', 1.5), (NULL, NULL, NULL);
)SQL";

const char* changes = R"SQL(
USE types;
SET SESSION sql_mode = '', SESSION time_zone = '+00:00';
UPDATE ints SET t = t - 1, bu = 18446744073709551614 WHERE id = 2;
UPDATE nums SET f = -f, d65 = -d65, bit64 = 42 WHERE id IN (1, 4);
UPDATE times SET t6 = '-00:00:00.5', s6 = '1999-12-31 23:59:59.999999' WHERE id = 4;
UPDATE strs SET vc = CONCAT(vc, '😀'), bl = NULL WHERE id = 2;
UPDATE enums SET big_enum = 'm100', big_set = 'm1,m62' WHERE id = 1;
UPDATE wide SET c1 = 'changed', c70 = NULL WHERE id = 1;
UPDATE nokey SET b = 'y' WHERE a = 1 LIMIT 1;
DELETE FROM ints WHERE id = 1;
DELETE FROM nums WHERE id = 2;
DELETE FROM times WHERE id = 3;
DELETE FROM strs WHERE id = 4;
DELETE FROM geo WHERE id = 1;
DELETE FROM nokey WHERE a IS NULL;
SET SESSION binlog_row_image = 'MINIMAL';
UPDATE strs SET tt = 'minimal' WHERE id = 1;
DELETE FROM enums WHERE id = 4;
SET SESSION binlog_row_image = 'NOBLOB';
UPDATE strs SET c = 'noblob' WHERE id = 2;
SET SESSION binlog_row_image = 'FULL';
SET GLOBAL log_bin_compress = ON, GLOBAL log_bin_compress_min_len = 10;
INSERT INTO strs (id, tx) VALUES (10, REPEAT('compressed rows ', 100));
UPDATE strs SET tx = 'and updated' WHERE id = 10;
CREATE TABLE compressed_ddl (a INT PRIMARY KEY, note VARCHAR(100) DEFAULT 'a long enough default');
SET GLOBAL log_bin_compress = OFF;
)SQL";

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

std::string expand_schema() {
  std::string s = schema;
  std::string members, set_members, wide_cols = "id INT PRIMARY KEY", v1 = "1", v2 = "2",
                                    vnull = "3";
  for (int i = 0; i < 300; ++i) members += (i ? ",'m" : "'m") + std::to_string(i) + "'";
  for (int i = 0; i < 64; ++i) set_members += (i ? ",'m" : "'m") + std::to_string(i) + "'";
  for (int i = 1; i <= 70; ++i) {
    auto n = std::to_string(i);
    wide_cols += ", c" + n + (i % 2 ? " VARCHAR(10)" : " INT");
    v1 += i % 2 ? ", 'v" + n + "'" : ", " + n;
    v2 += i % 3 == 0 ? ", NULL" : (i % 2 ? ", ''" : ", -" + n);
    vnull += ", NULL";
  }
  replace_all(s, "@@big_enum_members@@", members);
  replace_all(s, "@@big_set_members@@", set_members);
  replace_all(s, "@@wide_columns@@", wide_cols);
  replace_all(s, "@@wide_values_1@@", v1);
  replace_all(s, "@@wide_values_2@@", v2);
  replace_all(s, "@@wide_values_null@@", vnull);
  return s;
}

std::vector<std::string> hash_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("###", 0) == 0) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out.push_back(line);
    }
  return out;
}

// mariadb-binlog shows 4-byte UTF-8 characters as '?'; ours shows them.
std::string four_byte_as_question_marks(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c >> 3) == 30 && i + 3 < s.size()) {
      out += '?';
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// "###   @N=value" as (N, value).
std::optional<std::pair<int, std::string>> value_of(const std::string& line) {
  const std::string prefix = "###   @";
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  auto eq = line.find('=', prefix.size());
  if (eq == std::string::npos) return std::nullopt;
  return std::make_pair(std::stoi(line.substr(prefix.size(), eq - prefix.size())),
                        line.substr(eq + 1));
}

// The table of "### INSERT INTO `types`.`t`" and the like.
std::optional<std::string> table_of(const std::string& line) {
  for (const char* verb : {"### INSERT INTO ", "### UPDATE ", "### DELETE FROM "}) {
    std::string head = std::string{verb} + "`types`.`";
    if (line.rfind(head, 0) == 0) return line.substr(head.size(), line.size() - head.size() - 1);
  }
  return std::nullopt;
}

struct column_kind {
  std::string data_type;
  bool is_unsigned = false;
};

// Whether our value `ours` is the true value behind mariadb-binlog's `theirs` for the column.
bool equivalent(const std::string& theirs, const std::string& ours, const column_kind& kind) {
  if (theirs == ours) return true;
  if (kind.is_unsigned && !theirs.empty() && theirs[0] == '-') {
    // "-1 (255)": the signed reading, then the unsigned one.
    auto open = theirs.find(" (");
    if (open != std::string::npos && theirs.back() == ')' &&
        theirs.substr(open + 2, theirs.size() - open - 3) == ours)
      return true;
  }
  if (kind.data_type == "float") {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%-20g", static_cast<double>(std::strtof(ours.c_str(), nullptr)));
    std::string g = buf;
    while (!g.empty() && g.back() == ' ') g.pop_back();
    if (g == theirs) return true;
  }
  if (kind.data_type == "year" && theirs == "1900" && ours == "0000") return true;
  return four_byte_as_question_marks(ours) == theirs;
}

}  // namespace

BOOST_AUTO_TEST_CASE(dm_binlog_prints_every_value_mariadb_binlog_prints) {
  mariadb_sandbox server{sandbox_options::with_server_id(11)};
  auto conn = server.connect();
  if (auto err = conn.execute(expand_schema())) BOOST_FAIL(dm::describe(err));
  if (auto err = conn.execute(changes)) BOOST_FAIL(dm::describe(err));
  server.execute("FLUSH BINARY LOGS");

  // (table, 1-based column) -> type, for the comparison rules.
  std::map<std::pair<std::string, int>, column_kind> kinds;
  for (auto& r : server.query("SELECT TABLE_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE FROM "
                              "information_schema.COLUMNS WHERE TABLE_SCHEMA = 'types'"))
    kinds[{*r[0], std::stoi(*r[1])}] = {*r[2],
                                        r[3]->find("unsigned") != std::string::npos};

  auto file = server.dir() + "/data/binlog.000001";
  auto theirs = run_command({"mariadb-binlog", "--no-defaults", "--verbose",
                             "--base64-output=decode-rows", file});
  BOOST_REQUIRE_EQUAL(theirs.exit_code, 0);
  auto ours = run_command({build_dir() + "/app/dm-binlog", "--verbose", file});
  BOOST_REQUIRE_MESSAGE(ours.exit_code == 0, ours.err);
  auto a = hash_lines(theirs.out), b = hash_lines(ours.out);
  BOOST_REQUIRE_EQUAL(a.size(), b.size());

  std::string table;
  size_t values = 0, mismatches = 0;
  std::map<std::string, size_t> per_table;
  for (size_t i = 0; i < a.size(); ++i) {
    if (auto t = table_of(a[i])) table = *t;
    auto m = value_of(a[i]), n = value_of(b[i]);
    if (m && n && m->first == n->first) {
      ++values;
      ++per_table[table];
      auto kind = kinds[{table, m->first}];
      if (!equivalent(m->second, n->second, kind)) {
        ++mismatches;
        BOOST_ERROR("table " << table << " @" << m->first << " (" << kind.data_type
                             << "): mariadb-binlog " << m->second.substr(0, 200)
                             << ", dm-binlog " << n->second.substr(0, 200));
      }
      continue;
    }
    if (a[i] != b[i]) {
      ++mismatches;
      BOOST_ERROR("line " << i << ": mariadb-binlog '" << a[i].substr(0, 200) << "', dm-binlog '"
                          << b[i].substr(0, 200) << "'");
    }
  }
  std::string summary;
  for (auto& [t, n] : per_table) summary += " " + t + ":" + std::to_string(n);
  BOOST_TEST_MESSAGE("compared " << values << " values in " << a.size() << " ### lines ("
                                 << summary << "), " << mismatches << " differ");
  std::printf("decoder oracle: compared %zu values with mariadb-binlog, %zu differ\n", values,
              mismatches);
  BOOST_CHECK_GT(values, 500u);
  BOOST_CHECK_EQUAL(mismatches, 0u);

  // One flipped byte inside an event: the CRC32 check names the file and the event's position.
  auto copy = server.dir() + "/corrupt.binlog";
  std::filesystem::copy_file(file, copy);
  auto events = run_command({build_dir() + "/app/dm-binlog", file});
  auto at = events.out.find("Table_map");
  BOOST_REQUIRE(at != std::string::npos);
  auto line = events.out.rfind("# at ", at);
  auto position = std::stoul(events.out.substr(line + 5));
  {
    std::fstream f{copy, std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(static_cast<std::streamoff>(position + 25));
    char c;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(position + 25));
    c ^= 0x10;
    f.write(&c, 1);
  }
  auto corrupt = run_command({build_dir() + "/app/dm-binlog", copy});
  BOOST_CHECK_NE(corrupt.exit_code, 0);
  BOOST_CHECK_MESSAGE(corrupt.err.find(copy + " at " + std::to_string(position)) !=
                              std::string::npos &&
                          corrupt.err.find("CRC32") != std::string::npos,
                      corrupt.err);
}
