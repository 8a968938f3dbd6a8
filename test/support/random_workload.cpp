#include "test/support/random_workload.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>

#include "common/error.hpp"

namespace dm::test {

namespace {

enum class base_type {
  tinyint,
  smallint,
  int_,
  bigint,
  decimal,
  float_,
  double_,
  char_,
  varchar,
  text,
  mediumtext,
  binary,
  varbinary,
  blob,
  mediumblob,
  date,
  datetime,
  timestamp,
  time,
  year,
  enum_,
  set_,
  bit,
  json
};

// Where a column's values come from. Keys draw from a table's counter (`k<N>` for strings) or
// from a few tags, so that statements by key find rows and foreign keys find parents.
enum class domain { free, counter_int, counter_str, tag, group };

struct column_type {
  base_type base = base_type::int_;
  bool is_unsigned = false;
  // CHAR/VARCHAR/BINARY/VARBINARY length, BIT width, DECIMAL precision.
  int length = 0;
  // DECIMAL scale; fractional digits of DATETIME, TIMESTAMP and TIME.
  int scale = 0;
  // String types: an explicit CHARACTER SET and COLLATE (empty: the table's default).
  std::string charset;
  std::string collation;
  // ENUM and SET members (latin1-representable, so any session can spell them).
  std::vector<std::string> members;
};

struct column {
  std::string name;
  column_type type;
  bool nullable = true;
  // The DEFAULT clause's SQL text (latin1-representable); empty: none.
  std::string default_value;
  // DEFAULT / ON UPDATE CURRENT_TIMESTAMP with the column's precision.
  bool default_now = false;
  bool on_update_now = false;
  std::string comment;
  domain dom = domain::free;
  // counter_int / counter_str: the table whose counter the values come from.
  int domain_table = -1;
};

struct index_part {
  std::string column;
  int prefix = 0;
};

struct index_def {
  std::string name;
  bool unique = false;
  std::vector<index_part> parts;
};

struct foreign_key {
  std::string name;
  std::vector<std::string> columns;
  int parent = -1;
  std::vector<std::string> parent_columns;
  std::string on_delete;
};

struct table {
  int id = 0;
  std::string db, name;
  // The default character set of columns without one, and an explicit table collation.
  std::string charset;
  std::string collation;
  bool explicit_charset = false;
  std::vector<column> columns;
  std::vector<std::string> primary_key;
  // Unique keys and secondary indexes (the primary key aside).
  std::vector<index_def> indexes;
  std::vector<foreign_key> fks;
  // Next fresh key number; keys 1 .. next_key-1 have been handed out.
  int64_t next_key = 1;
  // Level in its foreign key chain: 0 for a table without a parent.
  int depth = 0;
  int next_column = 1;
};

struct database {
  std::string name, charset, collation;
};

// The session settings a schema change runs under.
struct session {
  bool latin1 = false;
  bool ansi_quotes = false;
  bool empty_mode = false;
  bool time_zone = false;
  bool collation_server = false;
  // SET timestamp (microseconds since the epoch); 0: the server's clock.
  int64_t timestamp_us = 0;
};

struct charset_info {
  const char* name;
  std::vector<const char*> collations;  // the first is the default
};

const std::vector<charset_info>& charsets() {
  static const std::vector<charset_info> all = {
      {"utf8mb4",
       {"utf8mb4_general_ci", "utf8mb4_bin", "utf8mb4_unicode_ci", "utf8mb4_unicode_520_ci",
        "utf8mb4_general_nopad_ci", "utf8mb4_nopad_bin", "utf8mb4_german2_ci"}},
      {"latin1",
       {"latin1_swedish_ci", "latin1_bin", "latin1_general_cs", "latin1_german2_ci",
        "latin1_spanish_ci"}},
      {"utf8mb3",
       {"utf8mb3_general_ci", "utf8mb3_bin", "utf8mb3_unicode_ci", "utf8mb3_unicode_520_ci"}},
  };
  return all;
}

const charset_info& charset_named(const std::string& name) {
  for (auto& c : charsets())
    if (name == c.name) return c;
  throw std::logic_error("random_workload: unknown charset " + name);
}

bool is_integer(base_type b) {
  return b == base_type::tinyint || b == base_type::smallint || b == base_type::int_ ||
         b == base_type::bigint;
}

bool is_text(base_type b) {
  return b == base_type::char_ || b == base_type::varchar || b == base_type::text ||
         b == base_type::mediumtext;
}

// Types an index needs a prefix length on.
bool needs_prefix(base_type b) {
  return b == base_type::text || b == base_type::mediumtext || b == base_type::blob ||
         b == base_type::mediumblob || b == base_type::json;
}

bool takes_now(base_type b) {
  return b == base_type::datetime || b == base_type::timestamp;
}

bool is_connection_loss(unsigned errnum) {
  // CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST,
  // CR_SERVER_LOST_EXTENDED, ER_CONNECTION_KILLED, ER_SERVER_SHUTDOWN.
  return errnum == 2002 || errnum == 2003 || errnum == 2006 || errnum == 2013 || errnum == 2055 ||
         errnum == 1927 || errnum == 1053;
}

// The test's own quoting, independent of the product's: a string literal in the default
// sql_mode (backslash escapes on).
std::string literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    switch (c) {
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\0':
        out += "\\0";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\x1a':
        out += "\\Z";
        break;
      default:
        out += c;
    }
  }
  return out + "'";
}

// UTF-8 text as latin1 bytes; every character must be in latin1.
std::string to_latin1(const std::string& utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
      unsigned cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
      if (cp <= 0xFF) {
        out += static_cast<char>(cp);
        i += 2;
        continue;
      }
    }
    throw std::logic_error("random_workload: text not in latin1: " + utf8);
  }
  return out;
}

std::string two(int64_t v) {
  return (v < 10 ? "0" : "") + std::to_string(v);
}

std::string fsp_suffix(int fsp) {
  return fsp ? "(" + std::to_string(fsp) + ")" : "";
}

std::string now_sql(int fsp) {
  return "CURRENT_TIMESTAMP" + fsp_suffix(fsp);
}

// A schema change ready to run: an optional USE, the statement, and the model change to make
// once the server accepted it.
struct ddl_plan {
  std::string use_db;
  std::string sql;
  std::string what;
  std::function<void()> apply;
};

}  // namespace

struct random_workload::model {
  std::mt19937_64 rng;
  random_workload_counts& counts;
  std::vector<database> dbs;
  std::vector<table> tables;
  std::vector<std::string> initial_sql;
  int next_table_id = 1, next_table_no = 1, next_index_no = 1, next_fk_no = 1, next_db_no = 1;
  unsigned last_errno = 0;
  std::string last_message;

  model(uint64_t seed, random_workload_counts& c) : rng(seed), counts(c) {}

  // ---- randomness -------------------------------------------------------------------------

  int64_t range(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }
  bool chance(int percent) { return range(0, 99) < percent; }
  template <typename T>
  T& pick(std::vector<T>& v) {
    return v[static_cast<size_t>(range(0, static_cast<int64_t>(v.size()) - 1))];
  }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(range(0, static_cast<int64_t>(v.size()) - 1))];
  }

  // ---- model lookups ----------------------------------------------------------------------

  table* find_table(int id) {
    for (auto& t : tables)
      if (t.id == id) return &t;
    return nullptr;
  }
  bool name_taken(const std::string& db, const std::string& name) const {
    for (auto& t : tables)
      if (t.db == db && t.name == name) return true;
    return false;
  }
  database* find_db(const std::string& name) {
    for (auto& d : dbs)
      if (d.name == name) return &d;
    return nullptr;
  }
  column* find_column(table& t, const std::string& name) {
    for (auto& c : t.columns)
      if (c.name == name) return &c;
    return nullptr;
  }
  // The columns that identify a row: the primary key, else the first unique key (possibly
  // nullable), else none.
  std::vector<std::string> identity(const table& t) const {
    if (!t.primary_key.empty()) return t.primary_key;
    for (auto& i : t.indexes)
      if (i.unique) {
        std::vector<std::string> cols;
        for (auto& p : i.parts) cols.push_back(p.column);
        return cols;
      }
    return {};
  }
  bool in_identity(const table& t, const std::string& col) const {
    auto id = identity(t);
    return std::find(id.begin(), id.end(), col) != id.end();
  }
  bool is_fk_column(const table& t, const std::string& col) const {
    for (auto& fk : t.fks)
      if (std::find(fk.columns.begin(), fk.columns.end(), col) != fk.columns.end()) return true;
    return false;
  }
  // Tables whose foreign keys reference `t`.
  bool has_children(const table& t) const {
    for (auto& o : tables)
      for (auto& fk : o.fks)
        if (fk.parent == t.id) return true;
    return false;
  }
  bool referenced_column(const table& t, const std::string& col) const {
    for (auto& o : tables)
      for (auto& fk : o.fks)
        if (fk.parent == t.id && std::find(fk.parent_columns.begin(), fk.parent_columns.end(),
                                           col) != fk.parent_columns.end())
          return true;
    return false;
  }
  bool in_some_index(const table& t, const std::string& col) const {
    if (std::find(t.primary_key.begin(), t.primary_key.end(), col) != t.primary_key.end())
      return true;
    for (auto& i : t.indexes)
      for (auto& p : i.parts)
        if (p.column == col) return true;
    return false;
  }
  // The charset values of a text column are drawn for.
  std::string value_charset(const table& t, const column& c) const {
    if (c.type.base == base_type::json) return "utf8mb4";
    return c.type.charset.empty() ? t.charset : c.type.charset;
  }
  // Floats and doubles must compare equal to their literal where rows are matched by value:
  // tables without a NOT NULL key get exact binary fractions only.
  bool has_not_null_key(const table& t) const {
    if (!t.primary_key.empty()) return true;
    for (auto& i : t.indexes) {
      if (!i.unique) continue;
      bool all = true;
      for (auto& p : i.parts) {
        for (auto& c : t.columns)
          if (c.name == p.column && c.nullable) all = false;
      }
      if (all) return true;
    }
    return false;
  }

  // ---- names --------------------------------------------------------------------------------

  static std::string flip_case(const std::string& s) {
    std::string out = s;
    for (auto& ch : out) {
      if (ch >= 'a' && ch <= 'z')
        ch = static_cast<char>(ch - 'a' + 'A');
      else if (ch >= 'A' && ch <= 'Z')
        ch = static_cast<char>(ch - 'A' + 'a');
    }
    return out;
  }

  // A table name free in `db`: often a case-only variant of a name in use there.
  std::string new_table_name(const std::string& db) {
    if (chance(30)) {
      std::vector<std::string> twins;
      for (auto& t : tables) {
        if (t.db != db) continue;
        auto variant =
            chance(50) ? flip_case(t.name) : flip_case(t.name.substr(0, 1)) + t.name.substr(1);
        if (variant != t.name && !name_taken(db, variant)) twins.push_back(variant);
      }
      if (!twins.empty()) return pick(twins);
    }
    for (;;) {
      // Now and then a name outside ASCII (but in latin1, so that a latin1 session can spell it).
      static const std::vector<std::string> stems = {"t", "T", "t", "t", "t", "té", "Ümlaut_"};
      auto name = pick(stems) + std::to_string(next_table_no++);
      if (!name_taken(db, name)) return name;
    }
  }

  // ---- SQL rendering ------------------------------------------------------------------------

  static std::string q(const std::string& name, const session& s = {}) {
    if (s.ansi_quotes) return "\"" + name + "\"";
    return "`" + name + "`";
  }
  static std::string qt(const table& t, const session& s = {}) {
    return q(t.db, s) + "." + q(t.name, s);
  }

  static std::string type_sql(const column_type& t) {
    std::string s;
    auto n = [](int v) { return "(" + std::to_string(v) + ")"; };
    auto members = [&t] {
      std::string out;
      for (auto& m : t.members) out += (out.empty() ? "" : ",") + literal(m);
      return "(" + out + ")";
    };
    switch (t.base) {
      case base_type::tinyint:
        s = "TINYINT";
        break;
      case base_type::smallint:
        s = "SMALLINT";
        break;
      case base_type::int_:
        s = "INT";
        break;
      case base_type::bigint:
        s = "BIGINT";
        break;
      case base_type::decimal:
        s = "DECIMAL(" + std::to_string(t.length) + "," + std::to_string(t.scale) + ")";
        break;
      case base_type::float_:
        s = "FLOAT";
        break;
      case base_type::double_:
        s = "DOUBLE";
        break;
      case base_type::char_:
        s = "CHAR" + n(t.length);
        break;
      case base_type::varchar:
        s = "VARCHAR" + n(t.length);
        break;
      case base_type::text:
        s = "TEXT";
        break;
      case base_type::mediumtext:
        s = "MEDIUMTEXT";
        break;
      case base_type::binary:
        s = "BINARY" + n(t.length);
        break;
      case base_type::varbinary:
        s = "VARBINARY" + n(t.length);
        break;
      case base_type::blob:
        s = "BLOB";
        break;
      case base_type::mediumblob:
        s = "MEDIUMBLOB";
        break;
      case base_type::date:
        s = "DATE";
        break;
      case base_type::datetime:
        s = "DATETIME" + fsp_suffix(t.scale);
        break;
      case base_type::timestamp:
        s = "TIMESTAMP" + fsp_suffix(t.scale);
        break;
      case base_type::time:
        s = "TIME" + fsp_suffix(t.scale);
        break;
      case base_type::year:
        s = "YEAR";
        break;
      case base_type::enum_:
        s = "ENUM" + members();
        break;
      case base_type::set_:
        s = "SET" + members();
        break;
      case base_type::bit:
        s = "BIT" + n(t.length);
        break;
      case base_type::json:
        s = "JSON";
        break;
    }
    if (t.is_unsigned && is_integer(t.base)) s += " UNSIGNED";
    if (!t.charset.empty()) s += " CHARACTER SET " + t.charset;
    if (!t.collation.empty()) s += " COLLATE " + t.collation;
    return s;
  }

  static std::string column_sql(const column& c, const session& s = {}) {
    std::string out = q(c.name, s) + " " + type_sql(c.type) + (c.nullable ? " NULL" : " NOT NULL");
    if (c.default_now)
      out += " DEFAULT " + now_sql(c.type.scale);
    else if (!c.default_value.empty())
      out += " DEFAULT " + c.default_value;
    if (c.on_update_now) out += " ON UPDATE " + now_sql(c.type.scale);
    if (!c.comment.empty()) out += " COMMENT " + literal(c.comment);
    return out;
  }

  static std::string parts_sql(const std::vector<index_part>& parts, const session& s) {
    std::string out;
    for (auto& p : parts)
      out += (out.empty() ? "" : ", ") + q(p.column, s) +
             (p.prefix ? "(" + std::to_string(p.prefix) + ")" : "");
    return "(" + out + ")";
  }

  static std::string names_sql(const std::vector<std::string>& names, const session& s) {
    std::string out;
    for (auto& n : names) out += (out.empty() ? "" : ", ") + q(n, s);
    return "(" + out + ")";
  }

  std::string fk_sql(const foreign_key& fk, const session& s) {
    auto* parent = find_table(fk.parent);
    if (!parent) throw std::logic_error("random_workload: foreign key to a dropped table");
    return "CONSTRAINT " + q(fk.name, s) + " FOREIGN KEY " + names_sql(fk.columns, s) +
           " REFERENCES " + qt(*parent, s) + " " + names_sql(fk.parent_columns, s) + " ON DELETE " +
           fk.on_delete + " ON UPDATE CASCADE";
  }

  std::string create_table_sql(const table& t, const session& s = {}) {
    std::string body;
    for (auto& c : t.columns) body += (body.empty() ? "" : ", ") + column_sql(c, s);
    if (!t.primary_key.empty()) body += ", PRIMARY KEY " + names_sql(t.primary_key, s);
    for (auto& i : t.indexes)
      body += std::string{", "} + (i.unique ? "UNIQUE KEY " : "KEY ") + q(i.name, s) + " " +
              parts_sql(i.parts, s);
    for (auto& fk : t.fks) body += ", " + fk_sql(fk, s);
    std::string out = "CREATE TABLE " + qt(t, s) + " (" + body + ") ENGINE=InnoDB";
    if (t.explicit_charset) out += " DEFAULT CHARSET=" + t.charset;
    if (!t.collation.empty()) out += " COLLATE=" + t.collation;
    return out;
  }

  // ---- types, defaults and values -----------------------------------------------------------

  // An explicit charset and one of its collations (empty collation: the charset's default).
  std::pair<std::string, std::string> random_charset() {
    auto& cs = pick(charsets());
    std::string coll = chance(30) ? std::string{} : std::string{pick(cs.collations)};
    return {cs.name, coll};
  }

  std::vector<std::string> random_members() {
    static const std::vector<std::vector<std::string>> sets = {
        {"a", "b", "c"}, {"x", "é", "z z", "ß"}, {"small", "medium", "large", "x-large"}};
    return pick(sets);
  }

  column_type random_type() {
    column_type t;
    switch (range(0, 23)) {
      case 0:
        t.base = base_type::tinyint;
        t.is_unsigned = chance(50);
        break;
      case 1:
        t.base = base_type::smallint;
        t.is_unsigned = chance(30);
        break;
      case 2:
        t.base = base_type::int_;
        t.is_unsigned = chance(50);
        break;
      case 3:
        t.base = base_type::bigint;
        t.is_unsigned = chance(50);
        break;
      case 4:
        t.base = base_type::decimal;
        t.length = static_cast<int>(range(2, 30));
        t.scale = static_cast<int>(range(0, std::min(t.length - 1, 10)));
        break;
      case 5:
        t.base = base_type::float_;
        break;
      case 6:
        t.base = base_type::double_;
        break;
      case 7:
        t.base = base_type::char_;
        t.length = static_cast<int>(range(1, 30));
        break;
      case 8:
      case 9:
        t.base = base_type::varchar;
        t.length = static_cast<int>(range(1, 200));
        break;
      case 10:
        t.base = chance(70) ? base_type::text : base_type::mediumtext;
        break;
      case 11:
        t.base = base_type::binary;
        t.length = static_cast<int>(range(1, 16));
        break;
      case 12:
        t.base = base_type::varbinary;
        t.length = static_cast<int>(range(1, 64));
        break;
      case 13:
        t.base = chance(70) ? base_type::blob : base_type::mediumblob;
        break;
      case 14:
        t.base = base_type::date;
        break;
      case 15:
        t.base = base_type::datetime;
        t.scale = static_cast<int>(range(0, 6));
        break;
      case 16:
        t.base = base_type::timestamp;
        t.scale = static_cast<int>(range(0, 6));
        break;
      case 17:
        t.base = base_type::time;
        t.scale = static_cast<int>(range(0, 6));
        break;
      case 18:
        t.base = base_type::year;
        break;
      case 19:
        t.base = base_type::enum_;
        t.members = random_members();
        break;
      case 20:
        t.base = base_type::set_;
        t.members = random_members();
        break;
      case 21:
        t.base = base_type::bit;
        t.length = static_cast<int>(range(1, 64));
        break;
      case 22:
        t.base = base_type::json;
        break;
      default:
        t.base = base_type::varchar;
        t.length = static_cast<int>(range(10, 60));
        break;
    }
    if (is_text(t.base) && chance(60)) std::tie(t.charset, t.collation) = random_charset();
    return t;
  }

  // A DEFAULT value for `t` in SQL, latin1-representable.
  std::string random_default(const column_type& t) {
    switch (t.base) {
      case base_type::tinyint:
      case base_type::smallint:
      case base_type::int_:
      case base_type::bigint:
        return std::to_string(range(0, 100));
      case base_type::decimal:
        return "0";
      case base_type::float_:
      case base_type::double_:
        return chance(50) ? "1.5" : "-0.25";
      case base_type::char_:
      case base_type::varchar:
      case base_type::text:
      case base_type::mediumtext: {
        static const std::vector<std::string> v = {"x", "é", "", "ß", "'", "d"};
        return literal(pick(v));
      }
      case base_type::binary:
      case base_type::varbinary:
      case base_type::blob:
      case base_type::mediumblob:
        return chance(50) ? "''" : "x'00'";
      case base_type::date:
        return "'2000-01-01'";
      case base_type::datetime:
      case base_type::timestamp:
        return "'2001-02-03 04:05:06'";
      case base_type::time:
        return "'12:34:56'";
      case base_type::year:
        return "2000";
      case base_type::enum_:
        return literal(t.members.front());
      case base_type::set_:
        return chance(50) ? "''" : literal(t.members.back());
      case base_type::bit:
        return "b'1'";
      case base_type::json:
        return "'{}'";
    }
    return "NULL";
  }

  // A free (non-key) column named `name` of a random type, nullable or not, with or without a
  // DEFAULT.
  column random_column(const std::string& name) {
    column c;
    c.name = name;
    c.type = random_type();
    c.nullable = chance(60);
    if (takes_now(c.type.base) && chance(25)) {
      c.default_now = true;
      c.on_update_now = chance(30);
    } else if (chance(40)) {
      c.default_value = random_default(c.type);
    }
    // A TIMESTAMP NOT NULL always gets a default: without one its meaning varies with
    // explicit_defaults_for_timestamp.
    if (c.type.base == base_type::timestamp && !c.nullable && !c.default_now &&
        c.default_value.empty())
      c.default_value = random_default(c.type);
    if (chance(10)) c.comment = chance(50) ? "café" : "note";
    return c;
  }

  std::string text_value(const std::string& charset, int64_t max_chars) {
    static const std::vector<std::string> latin = {"a",  "b",  "Z",  " ",  "0", "_", "%", "'",
                                                   "\\", "\"", "\n", "\t", "é", "ß", "ü", "¿"};
    static const std::vector<std::string> bmp = {"中", "ą", "Ж"};
    static const std::vector<std::string> astral = {"😀", "𝄞"};
    auto n = range(0, max_chars);
    std::string s;
    for (int64_t i = 0; i < n; ++i) {
      int r = static_cast<int>(range(0, 99));
      if (charset == "utf8mb4" && r < 5)
        s += pick(astral);
      else if (charset != "latin1" && r < 12)
        s += pick(bmp);
      else
        s += pick(latin);
    }
    return literal(s);
  }

  std::string bytes_value(int64_t max_len) {
    static const char* hex = "0123456789ABCDEF";
    auto n = range(0, max_len);
    std::string s = "x'";
    for (int64_t i = 0; i < n; ++i) {
      int b = chance(20) ? 0 : static_cast<int>(range(0, 255));
      s += hex[b >> 4];
      s += hex[b & 15];
    }
    return s + "'";
  }

  std::string fraction(int digits) {
    if (digits == 0) return "";
    std::string f = ".";
    for (int i = 0; i < digits; ++i) f += static_cast<char>('0' + range(0, 9));
    return f;
  }

  std::string clock() {
    return two(range(0, 23)) + ":" + two(range(0, 59)) + ":" + two(range(0, 59));
  }

  std::string integer_value(const column_type& t) {
    int bits = t.base == base_type::tinyint    ? 8
               : t.base == base_type::smallint ? 16
               : t.base == base_type::int_     ? 32
                                               : 64;
    if (t.is_unsigned) {
      uint64_t hi = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
      if (chance(10)) return std::to_string(chance(50) ? 0 : hi);
      if (chance(50))
        return std::to_string(range(0, static_cast<int64_t>(std::min<uint64_t>(1000, hi))));
      return std::to_string(std::uniform_int_distribution<uint64_t>(0, hi)(rng));
    }
    int64_t hi = bits == 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
    int64_t lo = -hi - 1;
    if (chance(10)) return std::to_string(chance(50) ? lo : hi);
    if (chance(50))
      return std::to_string(range(std::max<int64_t>(lo, -1000), std::min<int64_t>(hi, 1000)));
    return std::to_string(range(lo, hi));
  }

  std::string float_value(bool is_double, bool exact) {
    if (!exact && chance(15)) {
      static const std::vector<std::string> f = {"0.1", "3.4e38", "-1.17549435e-38", "1e-10",
                                                 "123456.789"};
      static const std::vector<std::string> d = {"0.1", "1e300", "-2.2250738585072014e-308",
                                                 "3.141592653589793", "-7.5e-300"};
      return pick(is_double ? d : f);
    }
    // k/8 with |k| < 2^23: exact in a FLOAT, and printed exactly.
    auto k = range(-8000000, 8000000);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(k) / 8.0);
    return buf;
  }

  std::string free_value(const table& t, const column& c) {
    auto& ty = c.type;
    switch (ty.base) {
      case base_type::tinyint:
      case base_type::smallint:
      case base_type::int_:
      case base_type::bigint:
        return integer_value(ty);
      case base_type::decimal: {
        std::string s = chance(40) ? "-" : "";
        auto digits = range(1, std::max(1, ty.length - ty.scale));
        if (ty.length == ty.scale) s += "0";
        for (int64_t i = 0; i < digits && ty.length > ty.scale; ++i)
          s += static_cast<char>('0' + range(i == 0 ? 1 : 0, 9));
        return s + fraction(ty.scale);
      }
      case base_type::float_:
        return float_value(false, !has_not_null_key(t));
      case base_type::double_:
        return float_value(true, !has_not_null_key(t));
      case base_type::char_:
      case base_type::varchar:
        return text_value(value_charset(t, c), ty.length);
      case base_type::text:
        return text_value(value_charset(t, c), 60);
      case base_type::mediumtext:
        if (chance(3)) return "REPEAT('ab é ', " + std::to_string(range(100, 3000)) + ")";
        return text_value(value_charset(t, c), 100);
      case base_type::binary:
      case base_type::varbinary:
        return bytes_value(ty.length);
      case base_type::blob:
        return bytes_value(60);
      case base_type::mediumblob:
        if (chance(3)) return "REPEAT(x'00ff', " + std::to_string(range(100, 5000)) + ")";
        return bytes_value(200);
      case base_type::date:
        if (chance(3)) return "'0000-00-00'";
        return "'" + std::to_string(range(1000, 9999)) + "-" + two(range(1, 12)) + "-" +
               two(range(1, 28)) + "'";
      case base_type::datetime:
        if (chance(3)) return "'0000-00-00 00:00:00'";
        return "'" + std::to_string(range(1000, 9999)) + "-" + two(range(1, 12)) + "-" +
               two(range(1, 28)) + " " + clock() + fraction(ty.scale) + "'";
      case base_type::timestamp:
        return "'" + std::to_string(range(1971, 2037)) + "-" + two(range(1, 12)) + "-" +
               two(range(1, 28)) + " " + clock() + fraction(ty.scale) + "'";
      case base_type::time:
        return std::string{"'"} + (chance(30) ? "-" : "") + std::to_string(range(0, 837)) + ":" +
               two(range(0, 59)) + ":" + two(range(0, 59)) + fraction(ty.scale) + "'";
      case base_type::year:
        return std::to_string(chance(3) ? 0 : range(1901, 2155));
      case base_type::enum_:
        return literal(pick(ty.members));
      case base_type::set_: {
        std::string v;
        for (auto& m : ty.members)
          if (chance(40)) v += (v.empty() ? "" : ",") + m;
        return literal(v);
      }
      case base_type::bit: {
        std::string b = "b'";
        auto n = range(1, ty.length);
        for (int64_t i = 0; i < n; ++i) b += chance(50) ? '1' : '0';
        return b + "'";
      }
      case base_type::json: {
        static const std::vector<std::string> docs = {
            "{}",
            "[]",
            "{\"a\": 1, \"b\": [true, null, 2.5]}",
            "\"é and \\\"quotes\\\"\"",
            "[[[1]], {\"x\": {}}]",
            "{\"emoji\": \"😀\", \"n\": -12345678901234567890}",
            "null"};
        return literal(pick(docs));
      }
    }
    return "NULL";
  }

  std::string tag_value() {
    static const std::vector<std::string> tags = {"a", "b", "c", "é"};
    return literal(chance(10) ? std::string{"A"} : pick(tags));
  }

  int64_t existing_key(const table& t) { return range(1, std::max<int64_t>(1, t.next_key - 1)); }

  int64_t existing_key_of(int table_id) {
    auto* t = find_table(table_id);
    return t ? existing_key(*t) : range(1, 50);
  }

  std::string key_string(int64_t n) {
    return literal((chance(10) ? "K" : "k") + std::to_string(n));
  }

  // A value for `c` of a row of `t` whose own key number is `row_key`.
  std::string value(const table& t, const column& c, int64_t row_key) {
    bool own = c.domain_table == t.id;
    if (c.nullable && chance(own ? 15 : 10)) return "NULL";
    switch (c.dom) {
      case domain::counter_int:
        return std::to_string(own ? row_key : existing_key_of(c.domain_table));
      case domain::counter_str:
        return key_string(own ? row_key : existing_key_of(c.domain_table));
      case domain::tag:
        return tag_value();
      case domain::group:
        return std::to_string(range(0, 20));
      case domain::free:
        return free_value(t, c);
    }
    return "NULL";
  }

  static std::string equals(const std::string& col, const std::string& v) {
    return v == "NULL" ? q(col) + " IS NULL" : q(col) + " = " + v;
  }

  // ---- tables -----------------------------------------------------------------------------

  // Columns of a parent that a foreign key can reference: its primary key, else its first
  // unique key.
  std::vector<std::string> referable(const table& t) const { return identity(t); }

  bool can_be_parent(const table& t) const { return t.depth < 2 && !referable(t).empty(); }

  std::string new_column_name(table& t) { return "c" + std::to_string(t.next_column++); }

  // A new random table in `db` (a child of `parent` when given).
  table make_table(const database& db, const std::string& name, const table* parent) {
    table t;
    t.id = next_table_id++;
    t.db = db.name;
    t.name = name;
    t.charset = db.charset;
    if (chance(40)) {
      auto [cs, coll] = random_charset();
      t.charset = cs;
      t.collation = coll;
      t.explicit_charset = true;
    }
    auto key_string_type = [this](int length) {
      column_type ty;
      ty.base = chance(70) ? base_type::varchar : base_type::char_;
      ty.length = length;
      auto& cs = charsets()[static_cast<size_t>(range(0, 1))];  // utf8mb4 or latin1
      ty.charset = cs.name;
      ty.collation = pick(cs.collations);
      return ty;
    };
    auto key_int_type = [this] {
      column_type ty;
      ty.base = chance(60) ? base_type::int_ : base_type::bigint;
      ty.is_unsigned = chance(40);
      return ty;
    };
    auto key_column = [&](const std::string& n, column_type ty, domain d, bool nullable) {
      column c;
      c.name = n;
      c.type = std::move(ty);
      c.nullable = nullable;
      c.dom = d;
      c.domain_table = d == domain::tag ? -1 : t.id;
      t.columns.push_back(c);
    };
    switch (range(0, 5)) {
      case 0:  // integer primary key
        key_column("id", key_int_type(), domain::counter_int, false);
        t.primary_key = {"id"};
        break;
      case 1:  // string primary key
        key_column("k", key_string_type(static_cast<int>(range(12, 40))), domain::counter_str,
                   false);
        t.primary_key = {"k"};
        break;
      case 2:  // composite primary key
        key_column("id", key_int_type(), domain::counter_int, false);
        key_column("code", key_string_type(4), domain::tag, false);
        t.primary_key = chance(70) ? std::vector<std::string>{"id", "code"}
                                   : std::vector<std::string>{"code", "id"};
        break;
      case 3:  // no key at all
        break;
      case 4:  // only a nullable unique key
        key_column("u", key_int_type(), domain::counter_int, true);
        t.indexes.push_back({"uk_u", true, {{"u", 0}}});
        break;
      default:  // only a NOT NULL composite unique key
        key_column("a", key_int_type(), domain::counter_int, false);
        key_column("b", key_string_type(4), domain::tag, false);
        t.indexes.push_back({"uk_ab", true, {{"a", 0}, {"b", 0}}});
        break;
    }
    column g;
    g.name = "g";
    g.type.base = chance(50) ? base_type::tinyint : base_type::int_;
    g.type.is_unsigned = chance(50);
    g.nullable = chance(30);
    g.dom = domain::group;
    if (chance(50)) g.default_value = "0";
    t.columns.push_back(g);
    if (parent) {
      foreign_key fk;
      fk.name = "fk_" + std::to_string(next_fk_no++);
      fk.parent = parent->id;
      static const std::vector<std::string> actions = {"CASCADE", "SET NULL", "RESTRICT"};
      fk.on_delete = pick(actions);
      for (auto& pc_name : referable(*parent)) {
        const column* pc = nullptr;
        for (auto& c : parent->columns)
          if (c.name == pc_name) pc = &c;
        if (!pc) throw std::logic_error("random_workload: parent key column missing");
        column c;
        c.name = "p_" + pc->name;
        c.type = pc->type;
        // SET NULL needs a nullable column; so does ON UPDATE CASCADE from a nullable parent
        // column (InnoDB refuses the key otherwise).
        c.nullable = fk.on_delete == "SET NULL" || pc->nullable || chance(40);
        c.dom = pc->dom;
        c.domain_table = pc->dom == domain::tag ? -1 : parent->id;
        t.columns.push_back(c);
        fk.columns.push_back(c.name);
        fk.parent_columns.push_back(pc->name);
      }
      t.fks.push_back(fk);
      t.depth = parent->depth + 1;
    }
    auto free_columns = range(2, 7);
    for (int64_t i = 0; i < free_columns; ++i)
      t.columns.push_back(random_column(new_column_name(t)));
    // Shuffle the free columns in among the others now and then.
    if (chance(30)) std::shuffle(t.columns.begin(), t.columns.end(), rng);
    auto secondary = range(0, 2);
    for (int64_t i = 0; i < secondary; ++i) {
      auto idx = random_index(t);
      if (idx) t.indexes.push_back(*idx);
    }
    return t;
  }

  std::optional<index_def> random_index(table& t) {
    std::vector<const column*> candidates;
    for (auto& c : t.columns) candidates.push_back(&c);
    if (candidates.empty()) return std::nullopt;
    index_def idx;
    idx.name = "idx_" + std::to_string(next_index_no++);
    auto n = range(1, 2);
    std::set<std::string> used;
    for (int64_t i = 0; i < n; ++i) {
      auto* c = pick(candidates);
      if (!used.insert(c->name).second) continue;
      idx.parts.push_back({c->name, needs_prefix(c->type.base) ? 10 : 0});
    }
    return idx;
  }

  // ---- initial schema -----------------------------------------------------------------------

  void build_initial_schema() {
    dbs.push_back({"rw_a", "utf8mb4", "utf8mb4_general_ci"});
    {
      auto [cs, coll] = random_charset();
      if (coll.empty()) coll = charset_named(cs).collations.front();
      dbs.push_back({"RW_a", cs, coll});
    }
    dbs.push_back({"rw_b", "utf8mb3", "utf8mb3_unicode_ci"});
    for (auto& d : dbs)
      initial_sql.push_back("CREATE DATABASE " + q(d.name) + " CHARACTER SET " + d.charset +
                            " COLLATE " + d.collation);
    auto add = [this](table t) {
      initial_sql.push_back(create_table_sql(t));
      tables.push_back(std::move(t));
    };
    // A case-only pair in one database; often the one references the other.
    auto orders = make_table(dbs[0], "orders", nullptr);
    while (!can_be_parent(orders)) orders = make_table(dbs[0], "orders", nullptr);
    add(orders);
    add(make_table(dbs[0], "Orders", chance(60) ? &tables.back() : nullptr));
    for (auto& d : dbs) {
      auto n = range(2, 3);
      for (int64_t i = 0; i < n; ++i) add(random_table_in(d));
    }
    // At least one chain of three levels.
    bool chain = false;
    for (auto& t : tables) chain = chain || t.depth == 2;
    while (!chain) {
      std::vector<int> middles;
      for (auto& t : tables)
        if (t.depth == 1 && can_be_parent(t)) middles.push_back(t.id);
      if (middles.empty()) {
        std::vector<int> roots;
        for (auto& t : tables)
          if (t.depth == 0 && can_be_parent(t)) roots.push_back(t.id);
        if (roots.empty()) {
          add(make_table(dbs[0], new_table_name(dbs[0].name), nullptr));
          continue;
        }
        auto& root = *find_table(pick(roots));
        auto& d = *find_db(root.db);
        add(make_table(d, new_table_name(d.name), &root));
        continue;
      }
      auto& middle = *find_table(pick(middles));
      auto& d = chance(75) ? *find_db(middle.db) : pick(dbs);
      add(make_table(d, new_table_name(d.name), &middle));
      chain = true;
    }
  }

  // A random table in `d`, a child of a random table (of any database) two times in five.
  table random_table_in(const database& d) {
    std::vector<int> parents;
    for (auto& t : tables)
      if (can_be_parent(t) && (t.db == d.name || chance(25))) parents.push_back(t.id);
    const table* parent = !parents.empty() && chance(40) ? find_table(pick(parents)) : nullptr;
    return make_table(d, new_table_name(d.name), parent);
  }

  // ---- running statements -----------------------------------------------------------------

  // Runs one statement; false when the server refused it (counted by error number). Throws
  // connection_lost when the connection broke.
  bool exec(mysql_connection& conn, const std::string& sql) {
    auto err = conn.execute(sql);
    if (!err) {
      last_errno = 0;
      return true;
    }
    last_errno = conn.last_errno();
    last_message = describe(err);
    if (is_connection_loss(last_errno))
      throw connection_lost(last_message + "\nstatement: " + sql.substr(0, 500));
    ++counts.refusals[last_errno];
    if (!counts.refusal_examples.count(last_errno))
      counts.refusal_examples[last_errno] = last_message + "\nstatement: " + sql.substr(0, 600);
    return false;
  }

  // A statement that must succeed (session settings); a refusal is a bug of the workload.
  void exec_setup(mysql_connection& conn, const std::string& sql) {
    if (!exec(conn, sql))
      throw std::runtime_error("random_workload: " + last_message + "\nstatement: " + sql);
  }

  // ---- row changes --------------------------------------------------------------------------

  // The columns an INSERT names: every key, foreign key and NOT NULL column without a default,
  // and the others at random (the rest take their defaults).
  std::vector<const column*> insert_columns(const table& t, bool all) {
    std::vector<const column*> out;
    for (auto& c : t.columns) {
      bool required =
          c.dom != domain::free || (!c.nullable && c.default_value.empty() && !c.default_now);
      if (all || required || chance(70)) out.push_back(&c);
    }
    return out;
  }

  std::string row_sql(table& t, const std::vector<const column*>& cols, bool fresh) {
    int64_t key = fresh ? t.next_key++ : existing_key(t);
    std::string out;
    for (auto* c : cols) out += (out.empty() ? "" : ", ") + value(t, *c, key);
    return "(" + out + ")";
  }

  static std::string column_list(const std::vector<const column*>& cols) {
    std::string out;
    for (auto* c : cols) out += (out.empty() ? "" : ", ") + q(c->name);
    return "(" + out + ")";
  }

  // Assignments to 1-3 columns that are not the row's identity.
  std::string assignments(table& t, size_t how_many) {
    std::vector<const column*> candidates;
    for (auto& c : t.columns)
      if (!in_identity(t, c.name) &&
          (c.dom == domain::free || c.dom == domain::group || chance(30)))
        candidates.push_back(&c);
    std::string out;
    std::set<std::string> used;
    for (size_t i = 0; i < how_many && !candidates.empty(); ++i) {
      auto* c = pick(candidates);
      if (!used.insert(c->name).second) continue;
      out += (out.empty() ? "" : ", ") + q(c->name) + " = " + value(t, *c, existing_key(t));
    }
    return out;
  }

  // WHERE text naming one row by its identity (an existing key number).
  std::string key_condition(table& t) {
    int64_t key = existing_key(t);
    std::string out;
    for (auto& name : identity(t)) {
      auto* c = find_column(t, name);
      std::string v = c->dom == domain::tag           ? tag_value()
                      : c->dom == domain::counter_str ? key_string(key)
                                                      : std::to_string(key);
      out += (out.empty() ? "" : " AND ") + equals(name, v);
    }
    return out;
  }

  // WHERE text for a range of rows: by the first identity column when it is a counter, else by
  // the group column.
  std::string range_condition(table& t) {
    auto id = identity(t);
    if (!id.empty()) {
      auto* c = find_column(t, id.front());
      auto from = existing_key(t);
      auto to = from + range(0, 8);
      if (c->dom == domain::counter_int)
        return q(c->name) + " BETWEEN " + std::to_string(from) + " AND " + std::to_string(to);
      if (c->dom == domain::counter_str)
        return q(c->name) + " BETWEEN " + literal("k" + std::to_string(from)) + " AND " +
               literal("k" + std::to_string(from) + "~");
    }
    if (!find_column(t, "g")) return "1 = 0";
    auto g = range(0, 20);
    switch (range(0, 3)) {
      case 0:
        return "`g` = " + std::to_string(g);
      case 1:
        return "`g` BETWEEN " + std::to_string(g) + " AND " + std::to_string(g + 1);
      case 2:
        return "`g` IS NULL";
      default:
        return "`g` > " + std::to_string(g) + " AND `g` < " + std::to_string(g + 3);
    }
  }

  std::string insert(table& t, size_t rows, const char* verb, bool fresh) {
    auto cols = insert_columns(t, chance(30));
    std::string values;
    for (size_t i = 0; i < rows; ++i)
      values += (values.empty() ? "" : ", ") + row_sql(t, cols, fresh || chance(70));
    return std::string{verb} + " " + qt(t) + " " + column_list(cols) + " VALUES " + values;
  }

  std::string upsert(table& t) {
    auto cols = insert_columns(t, true);
    auto row = row_sql(t, cols, chance(30));
    std::string set;
    for (auto* c : cols) {
      if (in_identity(t, c->name) || !chance(40)) continue;
      set += (set.empty() ? "" : ", ") + q(c->name) + " = " +
             (chance(50) ? "VALUES(" + q(c->name) + ")" : value(t, *c, existing_key(t)));
    }
    // Now and then the duplicate's key moves (its children follow by ON UPDATE CASCADE).
    auto id = identity(t);
    if (!id.empty() && chance(15)) {
      auto* c = find_column(t, id.front());
      if (c->dom == domain::counter_int || c->dom == domain::counter_str)
        set += (set.empty() ? "" : ", ") + q(c->name) + " = " + value(t, *c, t.next_key++);
    }
    if (set.empty()) set = q(cols.front()->name) + " = " + q(cols.front()->name);
    return "INSERT INTO " + qt(t) + " " + column_list(cols) + " VALUES " + row +
           " ON DUPLICATE KEY UPDATE " + set;
  }

  // A child row whose foreign key takes an existing parent's key (INSERT ... SELECT).
  std::string insert_child_from_parent(table& t) {
    auto& fk = t.fks.front();
    auto* parent = find_table(fk.parent);
    if (!parent) return insert(t, 1, "INSERT INTO", true);
    auto cols = insert_columns(t, false);
    int64_t key = t.next_key++;
    std::string names, select;
    for (auto* c : cols) {
      if (is_fk_column(t, c->name)) continue;
      names += (names.empty() ? "" : ", ") + q(c->name);
      select += (select.empty() ? "" : ", ") + value(t, *c, key);
    }
    for (size_t i = 0; i < fk.columns.size(); ++i) {
      names += (names.empty() ? "" : ", ") + q(fk.columns[i]);
      select += (select.empty() ? "" : ", ") + std::string{"p."} + q(fk.parent_columns[i]);
    }
    auto* first = find_column(*parent, fk.parent_columns.front());
    auto from = existing_key(*parent);
    std::string bound = first->dom == domain::counter_str ? literal("k" + std::to_string(from))
                        : first->dom == domain::tag       ? literal("a")
                                                          : std::to_string(from);
    return "INSERT INTO " + qt(t) + " (" + names + ") SELECT " + select + " FROM " + qt(*parent) +
           " p WHERE p." + q(first->name) + " >= " + bound + " ORDER BY " +
           [&] {
             std::string order;
             for (auto& pc : fk.parent_columns) order += (order.empty() ? "p." : ", p.") + q(pc);
             return order;
           }() +
           " LIMIT 1";
  }

  // Moves one row's key to a fresh value (cascading to its children).
  std::string key_update(table& t) {
    auto id = identity(t);
    std::vector<const column*> movable;
    for (auto& name : id) {
      auto* c = find_column(t, name);
      if (c->dom == domain::counter_int || c->dom == domain::counter_str || c->dom == domain::tag)
        movable.push_back(c);
    }
    if (movable.empty()) return "DELETE FROM " + qt(t) + " WHERE " + key_condition(t);
    auto* c = pick(movable);
    auto v = c->dom == domain::tag           ? tag_value()
             : c->dom == domain::counter_str ? key_string(t.next_key++)
                                             : std::to_string(t.next_key++);
    return "UPDATE " + qt(t) + " SET " + q(c->name) + " = " + v + " WHERE " + key_condition(t);
  }

  std::string statement() {
    auto& t = pick(tables);
    bool keyed = !identity(t).empty();
    int op = static_cast<int>(range(0, 99));
    if (!keyed) {
      if (op < 40) return insert(t, static_cast<size_t>(range(1, 4)), "INSERT INTO", true);
      auto limit = chance(50) ? " LIMIT " + std::to_string(range(1, 3)) : std::string{};
      if (op < 75) {
        auto set = assignments(t, static_cast<size_t>(range(1, 3)));
        if (set.empty()) return insert(t, 1, "INSERT INTO", true);
        return "UPDATE " + qt(t) + " SET " + set + " WHERE " + range_condition(t) + limit;
      }
      return "DELETE FROM " + qt(t) + " WHERE " + range_condition(t) + limit;
    }
    if (op < 18) {
      if (!t.fks.empty() && chance(40)) return insert_child_from_parent(t);
      return insert(t, 1, "INSERT INTO", true);
    }
    if (op < 26) return insert(t, static_cast<size_t>(range(2, 8)), "INSERT INTO", true);
    if (op < 31) return insert(t, static_cast<size_t>(range(1, 5)), "INSERT IGNORE INTO", false);
    if (op < 39) return upsert(t);
    if (op < 45) return insert(t, static_cast<size_t>(range(1, 3)), "REPLACE INTO", false);
    if (op < 70) {
      auto set = assignments(t, static_cast<size_t>(range(1, 3)));
      if (set.empty()) return key_update(t);
      bool by_range = op >= 63;
      return "UPDATE " + qt(t) + " SET " + set + " WHERE " +
             (by_range ? range_condition(t) : key_condition(t));
    }
    if (op < 78) return key_update(t);
    if (op < 93) return "DELETE FROM " + qt(t) + " WHERE " + key_condition(t);
    return "DELETE FROM " + qt(t) + " WHERE " + range_condition(t);
  }

  void run_dml(mysql_connection& conn, size_t statements) {
    exec_setup(conn, "SET SESSION time_zone = '+00:00', SESSION sql_mode = DEFAULT");
    size_t done = 0;
    while (done < statements) {
      auto n = std::min<size_t>(static_cast<size_t>(range(1, 10)), statements - done);
      bool explicit_transaction = n > 1 || chance(50);
      if (explicit_transaction) exec_setup(conn, "BEGIN");
      bool aborted = false;
      for (size_t i = 0; i < n; ++i) {
        ++done;
        if (exec(conn, statement())) {
          ++counts.statements;
          continue;
        }
        ++counts.refused;
        // A deadlock or lock wait timeout: InnoDB may have rolled the transaction back.
        if (last_errno == 1213 || last_errno == 1205) {
          aborted = true;
          break;
        }
      }
      if (!explicit_transaction) continue;
      ++counts.transactions;
      if (aborted || chance(5)) {
        exec_setup(conn, "ROLLBACK");
        ++counts.rollbacks;
      } else if (!exec(conn, "COMMIT")) {
        exec_setup(conn, "ROLLBACK");
        ++counts.rollbacks;
      }
    }
  }

  // ---- population ---------------------------------------------------------------------------

  void populate(mysql_connection& conn, size_t rows, size_t large_tables) {
    exec_setup(conn, "SET SESSION time_zone = '+00:00', SESSION sql_mode = DEFAULT");
    std::vector<table*> order;
    for (auto& t : tables) order.push_back(&t);
    std::stable_sort(order.begin(), order.end(),
                     [](const table* a, const table* b) { return a->depth < b->depth; });
    // The large tables have a NOT NULL key, so that the dump splits them into chunks.
    std::vector<table*> keyed;
    for (auto* t : order)
      if (has_not_null_key(*t)) keyed.push_back(t);
    std::shuffle(keyed.begin(), keyed.end(), rng);
    std::set<int> large;
    for (size_t i = 0; i < keyed.size() && i < large_tables; ++i) large.insert(keyed[i]->id);
    size_t rest = rows - std::min(rows, large.size() * (rows / 4));
    size_t per_table = order.size() > large.size() ? rest / (order.size() - large.size()) : 0;
    for (auto* t : order) {
      size_t n = large.count(t->id)
                     ? rows / 4
                     : static_cast<size_t>(range(static_cast<int64_t>(per_table / 2),
                                                 static_cast<int64_t>(per_table * 3 / 2)));
      while (n > 0) {
        auto batch = std::min<size_t>(n, 100);
        auto cols = insert_columns(*t, true);
        std::string values;
        for (size_t i = 0; i < batch; ++i) values += (i ? ", " : "") + row_sql(*t, cols, true);
        exec(conn, "INSERT IGNORE INTO " + qt(*t) + " " + column_list(cols) + " VALUES " + values);
        n -= batch;
      }
    }
  }

  // ---- schema changes -----------------------------------------------------------------------

  session random_session() {
    session s;
    if (chance(45)) return s;
    auto settings = chance(30) ? 2 : 1;
    for (int i = 0; i < settings; ++i) {
      switch (range(0, 4)) {
        case 0:
          s.latin1 = true;
          break;
        case 1:
          s.ansi_quotes = !s.empty_mode;
          break;
        case 2:
          s.empty_mode = !s.ansi_quotes;
          break;
        case 3:
          s.time_zone = true;
          break;
        default:
          // A fixed past moment between 2000 and 2020, with microseconds now and then.
          s.timestamp_us =
              range(946684800, 1577836800) * 1000000 + (chance(50) ? range(0, 999999) : 0);
          break;
      }
    }
    return s;
  }

  std::vector<std::string> session_statements(const session& s) const {
    std::vector<std::string> out;
    if (s.latin1) out.push_back("SET NAMES latin1");
    if (s.collation_server) out.push_back("SET SESSION collation_server = utf8mb3_general_ci");
    if (s.ansi_quotes) out.push_back("SET SESSION sql_mode = 'ANSI_QUOTES'");
    if (s.empty_mode) out.push_back("SET SESSION sql_mode = ''");
    if (s.time_zone) out.push_back("SET SESSION time_zone = '+05:30'");
    if (s.timestamp_us) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "SET SESSION timestamp = %lld.%06lld",
                    static_cast<long long>(s.timestamp_us / 1000000),
                    static_cast<long long>(s.timestamp_us % 1000000));
      out.push_back(buf);
    }
    return out;
  }

  std::string session_text(const session& s) const {
    std::string out;
    for (auto& st : session_statements(s)) out += (out.empty() ? "" : "; ") + st;
    return out.empty() ? "default session" : out;
  }

  // `ALTER TABLE t` qualified, or unqualified after a USE of its database.
  std::string alter_target(ddl_plan& p, const table& t, const session& s) {
    if (chance(25)) {
      p.use_db = t.db;
      return q(t.name, s);
    }
    return qt(t, s);
  }

  table* random_table() { return tables.empty() ? nullptr : &pick(tables); }

  std::optional<ddl_plan> add_column(const session& s, bool now_default) {
    auto* t = random_table();
    if (!t) return std::nullopt;
    int id = t->id;
    ddl_plan p;
    column c = random_column(new_column_name(*t));
    c.comment = chance(15) ? "ajouté" : "";
    std::string variant;
    if (now_default && s.time_zone && chance(35)) {
      // A TIMESTAMP literal is read in the session's time zone: the stored default (and the value
      // existing rows get) depends on it.
      c.type = column_type{};
      c.type.base = base_type::timestamp;
      c.type.scale = static_cast<int>(range(0, 6));
      c.default_now = false;
      c.on_update_now = false;
      c.default_value = "'2001-02-03 04:05:06'";
      c.nullable = chance(50);
      variant = "TIMESTAMP with a literal DEFAULT";
    } else if (now_default || chance(20)) {
      c.type.base = chance(50) ? base_type::datetime : base_type::timestamp;
      c.type.scale = static_cast<int>(range(0, 6));
      c.type.charset.clear();
      c.type.collation.clear();
      c.default_value.clear();
      c.default_now = true;
      c.on_update_now = chance(20);
      c.nullable = chance(40);
      variant = "DEFAULT CURRENT_TIMESTAMP";
    } else if (chance(40)) {
      c.default_now = false;
      c.on_update_now = false;
      c.default_value = random_default(c.type);
      variant = "with DEFAULT";
    } else if (chance(70)) {
      c.nullable = true;
      c.default_now = false;
      c.on_update_now = false;
      c.default_value.clear();
      variant = "nullable";
    } else {
      variant = "as generated";
    }
    // Existing rows get the implicit default of a NOT NULL column without one: for a TIMESTAMP
    // that depends on explicit_defaults_for_timestamp, for JSON it is '', which its CHECK
    // (json_valid) refuses on every later change of the row.
    if ((c.type.base == base_type::timestamp || c.type.base == base_type::json) && !c.nullable &&
        !c.default_now && c.default_value.empty())
      c.default_value = random_default(c.type);
    std::string position;
    size_t at = t->columns.size();
    if (chance(15)) {
      position = " FIRST";
      at = 0;
    } else if (chance(25)) {
      at = static_cast<size_t>(range(0, static_cast<int64_t>(t->columns.size()) - 1));
      position = " AFTER " + q(t->columns[at].name, s);
      ++at;
    }
    p.sql = "ALTER TABLE " + alter_target(p, *t, s) + " ADD COLUMN " + column_sql(c, s) + position;
    p.what = "ADD COLUMN " + variant + " " + t->db + "." + t->name + "." + c.name;
    p.apply = [this, id, c, at] {
      auto* t = find_table(id);
      t->columns.insert(t->columns.begin() + static_cast<std::ptrdiff_t>(at), c);
    };
    return p;
  }

  std::optional<ddl_plan> drop_column(const session& s) {
    auto* t = random_table();
    if (!t || t->columns.size() <= 3) return std::nullopt;
    std::vector<std::string> candidates;
    for (auto& c : t->columns)
      if (c.dom == domain::free && !in_some_index(*t, c.name) && !is_fk_column(*t, c.name) &&
          !referenced_column(*t, c.name))
        candidates.push_back(c.name);
    if (candidates.empty()) return std::nullopt;
    auto name = pick(candidates);
    int id = t->id;
    ddl_plan p;
    p.sql = "ALTER TABLE " + alter_target(p, *t, s) + " DROP COLUMN " + q(name, s);
    p.what = "DROP COLUMN " + t->db + "." + t->name + "." + name;
    p.apply = [this, id, name] {
      auto* t = find_table(id);
      t->columns.erase(std::remove_if(t->columns.begin(), t->columns.end(),
                                      [&](const column& c) { return c.name == name; }),
                       t->columns.end());
    };
    return p;
  }

  std::optional<ddl_plan> add_index(const session& s) {
    auto* t = random_table();
    if (!t) return std::nullopt;
    auto idx = random_index(*t);
    if (!idx || idx->parts.empty()) return std::nullopt;
    // Known limitation (README, "Full migration"): an index InnoDB made by itself for a foreign
    // key is copied as an explicit one, as mysqldump and mydumper copy it; a later index that
    // leads with the same column makes InnoDB drop its own index upstream but not the copied
    // one downstream (a difference of indexes only). Such indexes are left out here.
    if (is_fk_column(*t, idx->parts.front().column)) return std::nullopt;
    int id = t->id;
    ddl_plan p;
    if (chance(50))
      p.sql = "ALTER TABLE " + alter_target(p, *t, s) + " ADD INDEX " + q(idx->name, s) + " " +
              parts_sql(idx->parts, s);
    else
      p.sql = "CREATE INDEX " + q(idx->name, s) + " ON " + alter_target(p, *t, s) + " " +
              parts_sql(idx->parts, s);
    p.what = "ADD INDEX " + idx->name + " on " + t->db + "." + t->name;
    p.apply = [this, id, idx] { find_table(id)->indexes.push_back(*idx); };
    return p;
  }

  std::optional<ddl_plan> drop_index(const session& s) {
    auto* t = random_table();
    if (!t) return std::nullopt;
    std::vector<std::string> candidates;
    for (auto& i : t->indexes) {
      if (i.unique || i.name.rfind("idx_", 0) != 0) continue;
      bool fk = false;
      for (auto& part : i.parts) fk = fk || is_fk_column(*t, part.column);
      if (!fk) candidates.push_back(i.name);
    }
    if (candidates.empty()) return std::nullopt;
    auto name = pick(candidates);
    int id = t->id;
    ddl_plan p;
    if (chance(50))
      p.sql = "ALTER TABLE " + alter_target(p, *t, s) + " DROP INDEX " + q(name, s);
    else
      p.sql = "DROP INDEX " + q(name, s) + " ON " + alter_target(p, *t, s);
    p.what = "DROP INDEX " + name + " on " + t->db + "." + t->name;
    p.apply = [this, id, name] {
      auto& idx = find_table(id)->indexes;
      idx.erase(std::remove_if(idx.begin(), idx.end(),
                               [&](const index_def& i) { return i.name == name; }),
                idx.end());
    };
    return p;
  }

  // A type that holds every value of `t` and more.
  std::optional<column_type> wider(const column_type& t) {
    column_type w = t;
    switch (t.base) {
      case base_type::tinyint:
        w.base = base_type::smallint;
        return w;
      case base_type::smallint:
        w.base = base_type::int_;
        return w;
      case base_type::int_:
        w.base = base_type::bigint;
        return w;
      case base_type::decimal:
        if (t.length > 60) return std::nullopt;
        w.length = t.length + static_cast<int>(range(1, 4));
        return w;
      case base_type::float_:
        w.base = base_type::double_;
        return w;
      case base_type::char_:
        if (t.length >= 200) return std::nullopt;
        w.length = t.length + static_cast<int>(range(1, 20));
        return w;
      case base_type::varchar:
        if (t.length >= 250) return std::nullopt;
        w.length = std::min(255, t.length * 2);
        return w;
      case base_type::text:
        w.base = base_type::mediumtext;
        return w;
      case base_type::varbinary:
        if (t.length >= 250) return std::nullopt;
        w.length = std::min(255, t.length * 2);
        return w;
      case base_type::blob:
        w.base = base_type::mediumblob;
        return w;
      case base_type::datetime:
      case base_type::timestamp:
      case base_type::time:
        if (t.scale >= 6) return std::nullopt;
        w.scale = static_cast<int>(range(t.scale + 1, 6));
        return w;
      case base_type::enum_:
      case base_type::set_:
        if (t.members.size() >= 20) return std::nullopt;
        w.members.push_back("m" + std::to_string(t.members.size()));
        return w;
      case base_type::bit:
        if (t.length >= 64) return std::nullopt;
        w.length = std::min(64, t.length + static_cast<int>(range(1, 16)));
        return w;
      default:
        return std::nullopt;
    }
  }

  // A type that loses values of `t`: they are clamped, truncated or rounded when the column
  // changes to it in a session without strict mode.
  std::optional<column_type> narrower(const column_type& t) {
    column_type n = t;
    switch (t.base) {
      case base_type::smallint:
        n.base = base_type::tinyint;
        return n;
      case base_type::int_:
        n.base = base_type::smallint;
        return n;
      case base_type::bigint:
        n.base = base_type::int_;
        return n;
      case base_type::decimal:
        if (t.length - t.scale <= 2) return std::nullopt;
        n.length = t.length - 2;
        return n;
      case base_type::double_:
        n.base = base_type::float_;
        return n;
      case base_type::char_:
      case base_type::varchar:
        if (t.length <= 4) return std::nullopt;
        n.length = t.length / 2;
        return n;
      case base_type::text:
        n.base = base_type::varchar;
        n.length = 20;
        return n;
      case base_type::datetime:
      case base_type::timestamp:
      case base_type::time:
        if (t.scale == 0) return std::nullopt;
        n.scale = static_cast<int>(range(0, t.scale - 1));
        return n;
      default:
        return std::nullopt;
    }
  }

  // MODIFY COLUMN to a wider type, or (`narrow`, for a session without strict mode) to a
  // narrower one of a column in no index.
  std::optional<ddl_plan> modify_column(const session& s, bool narrow = false) {
    auto* t = random_table();
    if (!t) return std::nullopt;
    std::vector<std::pair<std::string, column_type>> candidates;
    for (auto& c : t->columns) {
      if (is_fk_column(*t, c.name) || referenced_column(*t, c.name)) continue;
      if (narrow && (c.dom != domain::free || in_some_index(*t, c.name))) continue;
      if (auto w = narrow ? narrower(c.type) : wider(c.type)) candidates.emplace_back(c.name, *w);
    }
    if (candidates.empty()) return std::nullopt;
    auto [name, type] = pick(candidates);
    column c = *find_column(*t, name);
    c.type = type;
    int id = t->id;
    ddl_plan p;
    auto target = alter_target(p, *t, s);
    if (chance(70))
      p.sql = "ALTER TABLE " + target + " MODIFY COLUMN " + column_sql(c, s);
    else
      p.sql = "ALTER TABLE " + target + " CHANGE COLUMN " + q(name, s) + " " + column_sql(c, s);
    p.what = std::string{narrow ? "MODIFY COLUMN (narrower) " : "MODIFY COLUMN "} + t->db + "." +
             t->name + "." + name + " to " + type_sql(type);
    p.apply = [this, id, c] { *find_column(*find_table(id), c.name) = c; };
    return p;
  }

  std::optional<ddl_plan> rename_table(const session& s) {
    auto* t = random_table();
    if (!t) return std::nullopt;
    bool linked = !t->fks.empty() || has_children(*t);
    std::string db = t->db;
    if (!linked && chance(30)) db = pick(dbs).name;
    auto name = new_table_name(db);
    int id = t->id;
    ddl_plan p;
    if (chance(70))
      p.sql = "RENAME TABLE " + qt(*t, s) + " TO " + q(db, s) + "." + q(name, s);
    else
      p.sql = "ALTER TABLE " + qt(*t, s) + " RENAME TO " + q(db, s) + "." + q(name, s);
    p.what = "RENAME TABLE " + t->db + "." + t->name + " TO " + db + "." + name +
             (linked ? " (linked by foreign keys)" : "");
    p.apply = [this, id, db, name] {
      auto* t = find_table(id);
      t->db = db;
      t->name = name;
    };
    return p;
  }

  std::optional<ddl_plan> create_table(const session& s) {
    // Databases with few tables first, so that created databases fill up.
    std::vector<database*> sparse;
    for (auto& d : dbs) {
      size_t n = 0;
      for (auto& t : tables) n += t.db == d.name;
      if (n < 2) sparse.push_back(&d);
    }
    auto& d = !sparse.empty() && chance(70) ? *pick(sparse) : pick(dbs);
    auto t = random_table_in(d);
    ddl_plan p;
    p.sql = create_table_sql(t, s);
    p.what = "CREATE TABLE " + t.db + "." + t.name +
             (t.fks.empty() ? "" : " (child of " + find_table(t.fks[0].parent)->name + ")");
    p.apply = [this, t] { tables.push_back(t); };
    return p;
  }

  std::optional<ddl_plan> create_table_like(const session& s) {
    auto* src = random_table();
    if (!src) return std::nullopt;
    auto& d = chance(70) ? *find_db(src->db) : pick(dbs);
    table t = *src;
    t.id = next_table_id++;
    t.db = d.name;
    t.name = new_table_name(d.name);
    t.next_key = 1;
    t.depth = 0;
    t.fks.clear();  // LIKE copies no foreign keys (but the index each one had)
    for (auto& c : t.columns)
      if (c.domain_table == src->id) c.domain_table = t.id;
    ddl_plan p;
    p.sql = "CREATE TABLE " + qt(t, s) + " LIKE " + qt(*src, s);
    p.what = "CREATE TABLE " + t.db + "." + t.name + " LIKE " + src->db + "." + src->name;
    p.apply = [this, t] { tables.push_back(t); };
    return p;
  }

  std::optional<ddl_plan> drop_table(const session& s) {
    if (tables.size() <= 6) return std::nullopt;
    std::vector<int> leaves;
    for (auto& t : tables)
      if (!has_children(t)) leaves.push_back(t.id);
    if (leaves.empty()) return std::nullopt;
    auto& t = *find_table(pick(leaves));
    int id = t.id;
    ddl_plan p;
    p.sql = std::string{chance(30) ? "DROP TABLE IF EXISTS " : "DROP TABLE "} + qt(t, s);
    p.what = "DROP TABLE " + t.db + "." + t.name;
    p.apply = [this, id] {
      tables.erase(
          std::remove_if(tables.begin(), tables.end(), [&](const table& t) { return t.id == id; }),
          tables.end());
    };
    return p;
  }

  std::optional<ddl_plan> truncate_table(const session& s) {
    std::vector<int> candidates;
    for (auto& t : tables)
      if (!has_children(t)) candidates.push_back(t.id);
    if (candidates.empty()) return std::nullopt;
    auto& t = *find_table(pick(candidates));
    ddl_plan p;
    p.sql = std::string{chance(70) ? "TRUNCATE TABLE " : "TRUNCATE "} + alter_target(p, t, s);
    p.what = "TRUNCATE TABLE " + t.db + "." + t.name;
    p.apply = [] {};
    return p;
  }

  std::optional<ddl_plan> create_database(session& s) {
    std::string name;
    if (chance(35)) {
      std::vector<std::string> twins;
      for (auto& d : dbs) {
        auto v = flip_case(d.name);
        if (!find_db(v)) twins.push_back(v);
      }
      if (!twins.empty()) name = pick(twins);
    }
    if (name.empty()) name = "rw_n" + std::to_string(next_db_no++);
    database d{name, "", ""};
    ddl_plan p;
    if (chance(35)) {
      // No charset: the session's collation_server decides.
      s.collation_server = true;
      d.charset = "utf8mb3";
      d.collation = "utf8mb3_general_ci";
      p.sql = "CREATE DATABASE " + q(name, s);
      p.what = "CREATE DATABASE " + name + " under collation_server utf8mb3_general_ci";
    } else {
      auto& cs = pick(charsets());
      d.charset = cs.name;
      d.collation = chance(30) ? cs.collations.front() : pick(cs.collations);
      switch (range(0, 2)) {
        case 0:
          p.sql = "CREATE DATABASE " + q(name, s) + " CHARACTER SET " + d.charset + " COLLATE " +
                  d.collation;
          break;
        case 1:
          d.collation = cs.collations.front();
          p.sql = "CREATE DATABASE " + q(name, s) + " DEFAULT CHARSET=" + d.charset;
          break;
        default:
          p.sql = "CREATE SCHEMA " + q(name, s) + " COLLATE " + d.collation;
          break;
      }
      p.what = "CREATE DATABASE " + name + " " + d.charset + "/" + d.collation;
    }
    p.apply = [this, d] { dbs.push_back(d); };
    return p;
  }

  ddl_plan random_plan(session& s) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::optional<ddl_plan> p;
      // The statement's time and time zone show in CURRENT_TIMESTAMP fills above all.
      if ((s.timestamp_us || s.time_zone) && chance(60)) p = add_column(s, true);
      // Without strict mode a narrowing MODIFY clamps and truncates values instead of failing.
      else if (s.empty_mode && chance(40))
        p = modify_column(s, true);
      else
        switch (range(0, 17)) {
          case 0:
          case 1:
          case 2:
            p = add_column(s, false);
            break;
          case 3:
            p = drop_column(s);
            break;
          case 4:
          case 5:
            p = add_index(s);
            break;
          case 6:
            p = drop_index(s);
            break;
          case 7:
          case 8:
            p = modify_column(s);
            break;
          case 9:
          case 10:
            p = rename_table(s);
            break;
          case 11:
          case 12:
            p = create_table(s);
            break;
          case 13:
            p = create_table_like(s);
            break;
          case 14:
            p = drop_table(s);
            break;
          case 15:
            p = truncate_table(s);
            break;
          case 16:
            p = add_column(s, false);
            break;
          default:
            p = create_database(s);
            break;
        }
      if (p) return std::move(*p);
    }
    throw std::logic_error("random_workload: no schema change applies");
  }

  std::string run_ddl(mysql_connection& conn) {
    auto s = random_session();
    auto p = random_plan(s);
    for (auto& set : session_statements(s)) exec_setup(conn, set);
    if (!p.use_db.empty()) exec_setup(conn, "USE " + q(p.use_db, s));
    auto sql = s.latin1 ? to_latin1(p.sql) : p.sql;
    bool ok = exec(conn, sql);
    auto outcome = ok ? std::string{} : " -> refused: " + last_message;
    exec_setup(conn, "SET NAMES utf8mb4");
    exec_setup(conn,
               "SET SESSION collation_server = DEFAULT, SESSION sql_mode = DEFAULT, "
               "SESSION time_zone = '+00:00', SESSION timestamp = DEFAULT");
    if (ok) {
      p.apply();
      ++counts.ddl;
    } else {
      ++counts.ddl_refused;
    }
    return p.what + " [" + session_text(s) + "]" +
           (p.use_db.empty() ? "" : " [USE " + p.use_db + "]") + ": " + p.sql.substr(0, 400) +
           outcome;
  }
};

random_workload::random_workload(uint64_t seed)
    : seed_(seed), model_(std::make_unique<model>(seed, counts_)) {
  model_->build_initial_schema();
}

random_workload::~random_workload() = default;

std::vector<std::string> random_workload::schema_sql() const {
  return model_->initial_sql;
}

void random_workload::create_schema(mysql_connection& conn) {
  for (auto& sql : model_->initial_sql) model_->exec_setup(conn, sql);
}

void random_workload::populate(mysql_connection& conn, size_t rows, size_t large_tables) {
  model_->populate(conn, rows, large_tables);
}

void random_workload::run_dml(mysql_connection& conn, size_t statements) {
  model_->run_dml(conn, statements);
}

std::string random_workload::run_ddl(mysql_connection& conn) {
  return model_->run_ddl(conn);
}

std::vector<std::string> random_workload::databases() const {
  std::vector<std::string> out;
  for (auto& d : model_->dbs) out.push_back(d.name);
  return out;
}

std::vector<std::string> random_workload::tables() const {
  std::vector<std::string> out;
  for (auto& t : model_->tables) out.push_back(t.db + "." + t.name);
  return out;
}

}  // namespace dm::test
