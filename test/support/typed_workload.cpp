#include "test/support/typed_workload.hpp"

#include <cstdio>
#include <stdexcept>

#include "common/error.hpp"
#include "protocol/sql/quote.hpp"

namespace dm::test {

namespace {

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string two_digits(int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); }

}  // namespace

typed_workload::typed_workload(std::string db, uint64_t seed) : db_(std::move(db)), rng_(seed) {
  table all{"alltypes", table_kind::primary_key, all_type_columns()};
  table nokey{"nokey", table_kind::no_key, {}};
  nokey.columns = {
      {"a", "INT", nullable(integer(0, 30))},
      {"b", "VARCHAR(20)", nullable([this] {
         static const char* v[] = {"x", "y", "é", "😀 z", ""};
         return quoted(v[range(0, 4)]);
       })},
      {"f", "FLOAT", [this] {
         static const char* v[] = {"1.1", "-2.5", "3.40282e38", "0", "1.17549435e-38"};
         return std::string{v[range(0, 4)]};
       }},
      {"d", "DOUBLE", nullable([this] {
         static const char* v[] = {"0.1", "-1e300", "2.2250738585072014e-308", "42"};
         return std::string{v[range(0, 3)]};
       })},
      {"t", "DATETIME(3)", nullable([this] {
         return "'2024-02-" + two_digits(range(1, 3)) + " 10:00:00." +
                std::to_string(range(100, 102)) + "'";
       })},
      {"bl", "BLOB", nullable([this] { return chance(50) ? "x'00ff'" : "x''"; })},
  };
  table cuk{"cuk", table_kind::composite_unique, {}};
  cuk.columns = {
      {"a", "INT NOT NULL", integer(0, 40)},
      {"b", "VARCHAR(16) NOT NULL", [this] {
         static const char* v[] = {"abc", "ABC", "é", "key 😀", "z"};
         return quoted(v[range(0, 4)]);
       }},
      {"c", "DATE NOT NULL", [this] { return "'2020-01-0" + std::to_string(range(1, 4)) + "'"; }},
      {"v", "TEXT", nullable(text(40))},
      {"n", "DECIMAL(10,2)", nullable([this] {
         return std::to_string(range(-9999999, 9999999)) + "." + two_digits(range(0, 99));
       })},
  };
  tables_ = {std::move(all), std::move(nokey), std::move(cuk)};
}

int64_t typed_workload::range(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
}

bool typed_workload::chance(int percent) { return range(0, 99) < percent; }

typed_workload::generator typed_workload::nullable(generator g, int null_percent) {
  return [this, g, null_percent] { return chance(null_percent) ? std::string{"NULL"} : g(); };
}

typed_workload::generator typed_workload::integer(int64_t lo, int64_t hi) {
  return [this, lo, hi] {
    if (chance(10)) return std::to_string(chance(50) ? lo : hi);
    return std::to_string(range(lo, hi));
  };
}

typed_workload::generator typed_workload::unsigned_integer(uint64_t hi) {
  return [this, hi] {
    if (chance(10)) return std::to_string(chance(50) ? 0 : hi);
    return std::to_string(std::uniform_int_distribution<uint64_t>(0, hi)(rng_));
  };
}

std::string typed_workload::quoted(const std::string& s) {
  std::string out;
  sql::append_escaped(out, s);
  return out;
}

typed_workload::generator typed_workload::text(size_t max_chars, bool latin1) {
  return [this, max_chars, latin1] {
    static const char* pieces[] = {"a", "b", "Z", " ", "0", "_", "%", "'", "\\", "\"",
                                   "\n", "\t", "é", "ß", "中", "😀"};
    size_t n = static_cast<size_t>(range(0, static_cast<int64_t>(max_chars)));
    std::string s;
    for (size_t i = 0; i < n; ++i) s += pieces[range(0, latin1 ? 13 : 15)];
    return quoted(s);
  };
}

typed_workload::generator typed_workload::bytes(size_t max_len) {
  return [this, max_len] {
    static const char* hex = "0123456789ABCDEF";
    size_t n = static_cast<size_t>(range(0, static_cast<int64_t>(max_len)));
    std::string s = "x'";
    for (size_t i = 0; i < n; ++i) {
      int b = chance(20) ? 0 : static_cast<int>(range(0, 255));
      s += hex[b >> 4];
      s += hex[b & 15];
    }
    return s + "'";
  };
}

std::vector<typed_workload::column> typed_workload::all_type_columns() {
  auto decimal = [this](int integer_digits, int scale) -> generator {
    return [this, integer_digits, scale] {
      std::string s = chance(50) ? "-" : "";
      int digits = static_cast<int>(range(1, integer_digits));
      for (int i = 0; i < digits; ++i) s += static_cast<char>('0' + range(i == 0 ? 1 : 0, 9));
      if (scale > 0) {
        s += '.';
        for (int i = 0; i < scale; ++i) s += static_cast<char>('0' + range(0, 9));
      }
      return s;
    };
  };
  auto date = [this] {
    return std::to_string(range(1000, 9999)) + "-" + two_digits(range(1, 12)) + "-" +
           two_digits(range(1, 28));
  };
  auto clock = [this] {
    return two_digits(range(0, 23)) + ":" + two_digits(range(0, 59)) + ":" +
           two_digits(range(0, 59));
  };
  auto fraction = [this](int digits) {
    std::string f = ".";
    for (int i = 0; i < digits; ++i) f += static_cast<char>('0' + range(0, 9));
    return f;
  };
  auto time = [this, fraction](int digits) -> generator {
    return [this, fraction, digits] {
      std::string t = (chance(30) ? "-" : "") + std::to_string(range(0, 838)) + ":" +
                      two_digits(range(0, 59)) + ":" + two_digits(range(0, 58));
      return "'" + t + (digits ? fraction(digits) : "") + "'";
    };
  };
  auto datetime = [this, date, clock, fraction](int digits) -> generator {
    return [this, date, clock, fraction, digits] {
      if (chance(5)) return std::string{"'0000-00-00 00:00:00'"};
      return "'" + date() + " " + clock() + (digits ? fraction(digits) : "") + "'";
    };
  };
  auto timestamp = [this, clock, fraction](int digits) -> generator {
    return [this, clock, fraction, digits] {
      return "'" + std::to_string(range(1971, 2037)) + "-" + two_digits(range(1, 12)) + "-" +
             two_digits(range(1, 28)) + " " + clock() + (digits ? fraction(digits) : "") + "'";
    };
  };
  auto json = [this] {
    static const char* docs[] = {"{}", "[]", "{\"a\": 1, \"b\": [true, null, 2.5]}",
                                 "\"a string with \\\"quotes\\\" and é\"", "[[[[1]]], {\"x\": {}}]",
                                 "{\"emoji\": \"😀\", \"n\": -12345678901234567890}"};
    return quoted(docs[range(0, 5)]);
  };
  std::vector<column> c = {
      {"id", "INT NOT NULL PRIMARY KEY", nullptr},
      {"ti", "TINYINT", nullable(integer(-128, 127))},
      {"tiu", "TINYINT UNSIGNED", nullable(unsigned_integer(255))},
      {"si", "SMALLINT", nullable(integer(-32768, 32767))},
      {"siu", "SMALLINT UNSIGNED", nullable(unsigned_integer(65535))},
      {"mi", "MEDIUMINT", nullable(integer(-8388608, 8388607))},
      {"miu", "MEDIUMINT UNSIGNED", nullable(unsigned_integer(16777215))},
      {"i", "INT", nullable(integer(INT32_MIN, INT32_MAX))},
      {"iu", "INT UNSIGNED", nullable(unsigned_integer(UINT32_MAX))},
      {"bi", "BIGINT", nullable(integer(INT64_MIN + 1, INT64_MAX))},
      {"biu", "BIGINT UNSIGNED", nullable(unsigned_integer(UINT64_MAX))},
      {"f", "FLOAT", nullable([this] {
         float v = std::uniform_real_distribution<float>(-1e6f, 1e6f)(rng_);
         if (chance(10)) v = chance(50) ? 3.40282e38f : -1.17549435e-38f;
         return format("%.9g", v);
       })},
      {"d", "DOUBLE", nullable([this] {
         double v = std::uniform_real_distribution<double>(-1e12, 1e12)(rng_);
         if (chance(10)) v = chance(50) ? 1.7976931348623157e308 : -2.2250738585072014e-308;
         return format("%.17g", v);
       })},
      {"dec65", "DECIMAL(65,30)", nullable(decimal(35, 30))},
      {"dec10", "DECIMAL(10,0)", nullable(decimal(10, 0))},
      {"dec52", "DECIMAL(5,2)", nullable(decimal(3, 2))},
      {"bit1", "BIT(1)", nullable([this] { return std::to_string(range(0, 1)); })},
      {"bit17", "BIT(17)", nullable(unsigned_integer(131071))},
      {"bit64", "BIT(64)", nullable(bytes(8))},
      {"y", "YEAR", nullable([this] { return std::to_string(chance(5) ? 0 : range(1901, 2155)); })},
      {"dt", "DATE", nullable([this, date] { return chance(5) ? "'0000-00-00'" : "'" + date() + "'"; })},
      {"t0", "TIME", nullable(time(0))},
      {"t3", "TIME(3)", nullable(time(3))},
      {"t6", "TIME(6)", nullable(time(6))},
      {"dt0", "DATETIME", nullable(datetime(0))},
      {"dt6", "DATETIME(6)", nullable(datetime(6))},
      {"ts0", "TIMESTAMP NULL", nullable(timestamp(0))},
      {"ts4", "TIMESTAMP(4) NULL", nullable(timestamp(4))},
      {"c", "CHAR(10)", nullable(text(10))},
      {"vc", "VARCHAR(300)", nullable(text(300))},
      {"tt", "TINYTEXT", nullable(text(60))},
      {"tx", "TEXT", nullable(text(500))},
      {"mt", "MEDIUMTEXT", nullable(text(2000))},
      {"lt", "LONGTEXT", nullable([this] {
         return chance(3) ? "REPEAT('long ☃ text ', " + std::to_string(range(1000, 20000)) + ")"
                          : text(100)();
       })},
      {"latin", "VARCHAR(20) CHARACTER SET latin1", nullable(text(20, true))},
      {"bin", "BINARY(8)", nullable(bytes(8))},
      {"vb", "VARBINARY(100)", nullable(bytes(100))},
      {"tb", "TINYBLOB", nullable(bytes(255))},
      {"bl", "BLOB", nullable(bytes(1000))},
      {"mb", "MEDIUMBLOB", nullable(bytes(3000))},
      {"lb", "LONGBLOB", nullable([this] {
         return chance(3) ? "REPEAT(x'00ff', " + std::to_string(range(10000, 80000)) + ")"
                          : bytes(100)();
       })},
      {"js", "JSON", nullable(json)},
      {"e", "ENUM('a','b','c')", nullable([this] { return quoted(std::string(1, 'a' + range(0, 2))); })},
      {"st", "SET('x','y','z','w')", nullable([this] {
         static const char* v[] = {"", "x", "y,z", "x,y,z,w", "w"};
         return quoted(v[range(0, 4)]);
       })},
      {"p", "POINT", nullable([this] {
         return "ST_PointFromText('POINT(" + std::to_string(range(-180, 180)) + ".5 " +
                std::to_string(range(-90, 90)) + ")')";
       })},
      {"g", "GEOMETRY", nullable([this] {
         return chance(50) ? std::string{"ST_GeomFromText('LINESTRING(0 0, 1.5 -2, 3 3)')"}
                           : "ST_GeomFromText('POINT(" + std::to_string(range(0, 9)) + " 1)')";
       })},
  };
  // Enough small columns for a NULL bitmap of more than 64 columns.
  for (int i = 1; i <= 20; ++i)
    c.push_back({"w" + std::to_string(i), i % 2 ? "INT" : "VARCHAR(8)",
                 nullable(i % 2 ? integer(-1000, 1000) : text(8), 30)});
  return c;
}

std::string typed_workload::schema_sql() const {
  auto d = "`" + db_ + "`";
  std::string sql = "CREATE DATABASE " + d + " DEFAULT CHARSET utf8mb4";
  for (auto& t : tables_) {
    sql += ";CREATE TABLE " + d + ".`" + t.name + "` (";
    for (size_t i = 0; i < t.columns.size(); ++i)
      sql += (i ? ", `" : "`") + t.columns[i].name + "` " + t.columns[i].type;
    if (t.kind == table_kind::composite_unique) sql += ", UNIQUE KEY uk (a, b, c)";
    sql += ")";
  }
  return sql;
}

typed_workload::column& typed_workload::find(table& t, const std::string& name) {
  for (auto& c : t.columns)
    if (c.name == name) return c;
  throw std::logic_error("typed_workload: no column " + name + " in " + t.name);
}

std::string typed_workload::assignments(table& t, size_t how_many) {
  std::string out;
  for (size_t i = 0; i < how_many; ++i) {
    auto& c = t.columns[static_cast<size_t>(range(0, static_cast<int64_t>(t.columns.size()) - 1))];
    if (!c.value) continue;  // the primary key stays
    bool key_column = c.name == "a" || c.name == "b" || c.name == "c";
    if (t.kind == table_kind::composite_unique && key_column && chance(70)) continue;
    out += (out.empty() ? "`" : ", `") + c.name + "` = " + c.value();
  }
  if (out.empty()) {
    auto& c = t.columns.back();
    out = "`" + c.name + "` = " + c.value();
  }
  return out;
}

std::string typed_workload::where_of(table& t) {
  switch (t.kind) {
    case table_kind::primary_key: {
      auto id = range(1, std::max<int64_t>(1, t.next_id));
      if (chance(20))
        return "`id` BETWEEN " + std::to_string(id) + " AND " + std::to_string(id + range(1, 4));
      return "`id` = " + std::to_string(id);
    }
    case table_kind::no_key:
      return "`a` " + (chance(10) ? std::string{"IS NULL"} : "= " + std::to_string(range(0, 30)));
    case table_kind::composite_unique:
      return "`a` = " + std::to_string(range(0, 40)) +
             (chance(50) ? " AND `b` = " + find(t, "b").value() : std::string{});
  }
  return "1=0";
}

std::string typed_workload::insert(table& t) {
  std::string names, values;
  for (auto& c : t.columns) {
    names += (names.empty() ? "`" : ", `") + c.name + "`";
    values += (values.empty() ? "" : ", ") + (c.value ? c.value() : std::to_string(t.next_id));
  }
  auto target = "`" + db_ + "`.`" + t.name + "`";
  if (t.kind == table_kind::primary_key) {
    ++t.next_id;
    if (chance(10))  // an upsert of an existing row
      return "INSERT INTO " + target + " (" + names + ") VALUES (" + values +
             ") ON DUPLICATE KEY UPDATE " + assignments(t, 2);
  }
  auto verb = t.kind == table_kind::composite_unique ? "INSERT IGNORE INTO " : "INSERT INTO ";
  return verb + target + " (" + names + ") VALUES (" + values + ")";
}

std::string typed_workload::update(table& t) {
  auto target = "`" + db_ + "`.`" + t.name + "`";
  auto limit = t.kind == table_kind::no_key && chance(70) ? " LIMIT 1" : "";
  auto verb = t.kind == table_kind::composite_unique ? "UPDATE IGNORE " : "UPDATE ";
  return verb + target + " SET " + assignments(t, static_cast<size_t>(range(1, 4))) + " WHERE " +
         where_of(t) + limit;
}

std::string typed_workload::remove(table& t) {
  auto target = "`" + db_ + "`.`" + t.name + "`";
  auto limit = t.kind == table_kind::no_key && chance(70) ? " LIMIT 1" : "";
  return "DELETE FROM " + target + " WHERE " + where_of(t) + limit;
}

std::string typed_workload::statement() {
  auto& t = tables_[static_cast<size_t>(range(0, static_cast<int64_t>(tables_.size()) - 1))];
  int op = static_cast<int>(range(0, 99));
  if (op < 50 || (t.kind == table_kind::primary_key && t.next_id < 20)) return insert(t);
  if (op < 80) return update(t);
  return remove(t);
}

void typed_workload::run(mysql_connection& conn, size_t changes) {
  if (auto err = conn.execute("SET SESSION time_zone = '+00:00', SESSION sql_mode = "
                              "'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'"))
    throw std::runtime_error("typed workload: " + describe(err));
  size_t done = 0;
  while (done < changes) {
    auto n = std::min(static_cast<size_t>(range(1, 5)), changes - done);
    std::string sql = "BEGIN";
    for (size_t i = 0; i < n; ++i) sql += ";" + statement();
    sql += ";COMMIT";
    if (auto err = conn.execute(sql))
      throw std::runtime_error("typed workload: " + describe(err) + "\n" + sql.substr(0, 2000));
    done += n;
  }
}

std::string typed_workload::next_schema_change(mysql_connection& conn) {
  auto d = "`" + db_ + "`";
  auto& all = tables_[0];
  auto& nokey = tables_[1];
  auto& cuk = tables_[2];
  std::string sql, what;
  switch (plan_step_++) {
    case 0:
      sql = "ALTER TABLE " + d + ".alltypes ADD COLUMN extra VARCHAR(20) DEFAULT 'x' AFTER id";
      all.columns.insert(all.columns.begin() + 1, {"extra", "VARCHAR(20)", nullable(text(20))});
      what = "ADD COLUMN (after the key)";
      break;
    case 1:
      sql = "ALTER TABLE " + d + ".alltypes ADD INDEX idx_i (i);CREATE INDEX idx_a ON " + d +
            ".nokey (a)";
      what = "ADD INDEX, CREATE INDEX";
      break;
    case 2:
      sql = "ALTER TABLE " + d + ".alltypes MODIFY si INT, MODIFY iu BIGINT UNSIGNED, MODIFY vc "
            "VARCHAR(500)";
      what = "MODIFY (widen three columns)";
      break;
    case 3:
      sql = "USE " + d + ";ALTER TABLE nokey ADD COLUMN n2 INT FIRST";
      nokey.columns.insert(nokey.columns.begin(), {"n2", "INT", nullable(integer(-5, 5))});
      what = "ADD COLUMN FIRST (unqualified, after USE)";
      break;
    case 4:
      sql = "RENAME TABLE " + d + ".cuk TO " + d + ".cuk_renamed";
      cuk.name = "cuk_renamed";
      what = "RENAME TABLE";
      break;
    case 5:
      sql = "TRUNCATE TABLE " + d + ".nokey";
      what = "TRUNCATE TABLE";
      break;
    case 6: {
      auto tmp = "`" + db_ + "_tmp`", extra = "`" + db_ + "_extra`";
      sql = "CREATE DATABASE " + tmp + ";CREATE TABLE " + tmp +
            ".t (id INT PRIMARY KEY, v VARCHAR(10));INSERT INTO " + tmp +
            ".t VALUES (1, 'a'), (2, 'b');CREATE DATABASE " + extra + ";CREATE TABLE " + extra +
            ".kept (id INT PRIMARY KEY, v VARCHAR(10), k INT, KEY (k));INSERT INTO " + extra +
            ".kept VALUES (1, 'kept', 1), (2, 'é', NULL);UPDATE " + tmp +
            ".t SET v = 'c' WHERE id = 1";
      what = "CREATE DATABASE (two, with tables and rows)";
      break;
    }
    case 7:
      sql = "DROP DATABASE `" + db_ + "_tmp`";
      what = "DROP DATABASE";
      break;
    case 8:
      sql = "ALTER TABLE " + d + ".alltypes DROP COLUMN extra, DROP INDEX idx_i";
      all.columns.erase(all.columns.begin() + 1);
      what = "DROP COLUMN, DROP INDEX";
      break;
    case 9:
      sql = "ALTER TABLE " + d + ".cuk_renamed ADD COLUMN added DATETIME(6) NULL, MODIFY v "
            "MEDIUMTEXT;DROP INDEX idx_a ON " + d + ".nokey";
      cuk.columns.push_back({"added", "DATETIME(6) NULL", nullable([this] {
                               return "'2031-07-0" + std::to_string(range(1, 9)) +
                                      " 08:09:10." + std::to_string(range(100000, 999999)) + "'";
                             })});
      what = "ADD COLUMN + MODIFY in one ALTER, DROP INDEX";
      break;
    default:
      return "";
  }
  if (auto err = conn.execute(sql))
    throw std::runtime_error("typed workload: " + describe(err) + "\n" + sql);
  return what;
}

}  // namespace dm::test
