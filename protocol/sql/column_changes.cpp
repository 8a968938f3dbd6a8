#include "protocol/sql/column_changes.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/ascii_case.hpp"

namespace dm::sql {

namespace {

// A string literal's value: its quotes removed, doubled quotes and backslash escapes undone
// (either spelling reaches the same element).
std::string unquote(const std::string& literal) {
  if (literal.size() < 2) return literal;
  char quote = literal.front();
  std::string out;
  for (size_t i = 1; i + 1 < literal.size(); ++i) {
    if (literal[i] == '\\' && i + 2 < literal.size()) {
      out += literal[++i];
      continue;
    }
    if (literal[i] == quote && literal[i + 1] == quote) ++i;
    out += literal[i];
  }
  return out;
}

struct alias {
  const char* spelled;
  const char* canonical;
};

// Other spellings of a type, each as the type the server makes of it.
constexpr alias aliases[] = {
    {"INTEGER", "INT"},       {"INT1", "TINYINT"},      {"INT2", "SMALLINT"},
    {"INT3", "MEDIUMINT"},    {"MIDDLEINT", "MEDIUMINT"}, {"INT4", "INT"},
    {"INT8", "BIGINT"},       {"BOOL", "TINYINT"},      {"BOOLEAN", "TINYINT"},
    {"DEC", "DECIMAL"},       {"NUMERIC", "DECIMAL"},   {"FIXED", "DECIMAL"},
    {"REAL", "DOUBLE"},       {"FLOAT4", "FLOAT"},      {"FLOAT8", "DOUBLE"},
    {"CHARACTER", "CHAR"},    {"NCHAR", "CHAR"},        {"NVARCHAR", "VARCHAR"},
    {"VARCHARACTER", "VARCHAR"}, {"VARCHAR2", "VARCHAR"}, {"NUMBER", "DECIMAL"},
};

std::optional<uint64_t> number(const token& t) {
  if (t.type != token::kind::number || t.text.empty() ||
      !std::all_of(t.text.begin(), t.text.end(), ::isdigit))
    return std::nullopt;
  return std::strtoull(t.text.c_str(), nullptr, 10);
}

bool is_integer(const std::string& n) {
  return n == "TINYINT" || n == "SMALLINT" || n == "MEDIUMINT" || n == "INT" || n == "BIGINT";
}
bool is_character_string(const std::string& n) {
  return n == "CHAR" || n == "VARCHAR" || n == "TINYTEXT" || n == "TEXT" || n == "MEDIUMTEXT" ||
         n == "LONGTEXT";
}
bool is_byte_string(const std::string& n) {
  return n == "BINARY" || n == "VARBINARY" || n == "TINYBLOB" || n == "BLOB" ||
         n == "MEDIUMBLOB" || n == "LONGBLOB";
}
bool is_floating(const std::string& n) { return n == "FLOAT" || n == "DOUBLE"; }
bool is_date_time(const std::string& n) {
  return n == "DATE" || n == "DATETIME" || n == "TIMESTAMP" || n == "TIME";
}

int integer_bytes(const std::string& n) {
  if (n == "TINYINT") return 1;
  if (n == "SMALLINT") return 2;
  if (n == "MEDIUMINT") return 3;
  if (n == "INT") return 4;
  return 8;
}

// Whether integer type `after` holds every value of `before`.
bool integer_range_kept(const declared_type& before, const declared_type& after) {
  int b = integer_bytes(before.name), a = integer_bytes(after.name);
  if (before.is_unsigned == after.is_unsigned) return a >= b;
  if (after.is_unsigned) return false;  // negatives lost
  return a > b;                         // unsigned into signed needs a wider type
}

// The declared maximum length of a string type (characters or bytes, as declared).
uint64_t string_length(const declared_type& t) {
  const auto& n = t.name;
  if (n == "CHAR" || n == "BINARY") return t.length.value_or(1);
  if (n == "VARCHAR" || n == "VARBINARY") return t.length.value_or(0);
  if (n == "TINYTEXT" || n == "TINYBLOB") return 255;
  if (n == "TEXT" || n == "BLOB") return 65535;
  if (n == "MEDIUMTEXT" || n == "MEDIUMBLOB") return 16777215;
  return 4294967295ull;
}

// TEXT(M) and BLOB(M) are the smallest TEXT or BLOB type that holds M bytes.
void settle_sized_lob(declared_type& t) {
  if ((t.name != "TEXT" && t.name != "BLOB") || !t.length) return;
  bool text = t.name == "TEXT";
  auto m = *t.length;
  t.length.reset();
  if (m <= 255) t.name = text ? "TINYTEXT" : "TINYBLOB";
  else if (m <= 65535) t.name = text ? "TEXT" : "BLOB";
  else if (m <= 16777215) t.name = text ? "MEDIUMTEXT" : "MEDIUMBLOB";
  else t.name = text ? "LONGTEXT" : "LONGBLOB";
}

uint64_t fsp(const declared_type& t) { return t.name == "DATE" ? 0 : t.length.value_or(0); }

}  // namespace

std::optional<declared_type> parse_declared_type(const std::vector<token>& tokens, size_t at,
                                                 size_t end) {
  end = std::min(end, tokens.size());
  if (at >= end || tokens[at].type != token::kind::word) return std::nullopt;
  declared_type t;
  t.name = ascii_upper(tokens[at++].text);
  auto next_is = [&](std::string_view w) { return at < end && tokens[at].is_keyword(w); };
  if (t.name == "NATIONAL" && at < end) t.name = ascii_upper(tokens[at++].text);
  if (t.name == "NCHAR" && (next_is("VARCHAR") || next_is("VARYING"))) {
    ++at;
    t.name = "VARCHAR";
  }
  if (t.name == "DOUBLE" && next_is("PRECISION")) ++at;
  if ((t.name == "CHARACTER" || t.name == "CHAR") && next_is("VARYING")) {
    ++at;
    t.name = "VARCHAR";
  }
  if (t.name == "LONG") {
    t.name = "MEDIUMTEXT";
    if (next_is("VARBINARY")) t.name = "MEDIUMBLOB";
    if (next_is("VARCHAR") || next_is("VARBINARY")) ++at;
  }
  if (t.name == "SERIAL") {
    t.name = "BIGINT";
    t.is_unsigned = true;
    t.auto_increment = true;
  }
  for (auto& a : aliases)
    if (t.name == a.spelled) t.name = a.canonical;
  if (at < end && tokens[at].is('(')) {
    std::vector<uint64_t> numbers;
    for (++at; at < end && !tokens[at].is(')'); ++at) {
      if (tokens[at].type == token::kind::string) t.elements.push_back(unquote(tokens[at].text));
      else if (auto n = number(tokens[at])) numbers.push_back(*n);
    }
    ++at;
    if (!numbers.empty()) t.length = numbers[0];
    if (numbers.size() > 1) t.scale = numbers[1];
  }
  // FLOAT(p): a FLOAT up to 24 bits of precision, a DOUBLE beyond.
  if (t.name == "FLOAT" && t.length && !t.scale) {
    if (*t.length > 24) t.name = "DOUBLE";
    t.length.reset();
  }
  if (t.name == "DECIMAL") {
    if (!t.length) t.length = 10;
    if (!t.scale) t.scale = 0;
  }
  settle_sized_lob(t);
  int depth = 0;
  for (; at < end; ++at) {
    const auto& k = tokens[at];
    if (k.is('(')) ++depth;
    else if (k.is(')')) --depth;
    else if (depth > 0) continue;
    else if (k.is_keyword("UNSIGNED") || k.is_keyword("ZEROFILL")) t.is_unsigned = true;
    else if (k.is_keyword("AUTO_INCREMENT")) t.auto_increment = true;
  }
  return t;
}

std::optional<declared_type> parse_declared_type(std::string_view text) {
  auto tokens = tokenize(text);
  return parse_declared_type(tokens, 0, tokens.size());
}

bool same_declared_type(const declared_type& a, const declared_type& b) {
  return a.name == b.name && a.is_unsigned == b.is_unsigned && a.elements == b.elements &&
         (is_integer(a.name) || (a.length == b.length && a.scale == b.scale));
}

bool same_type_family(const declared_type& a, const declared_type& b) {
  const auto &x = a.name, &y = b.name;
  return (is_integer(x) && is_integer(y)) || (x == "DECIMAL" && y == "DECIMAL") ||
         (is_floating(x) && is_floating(y)) ||
         (is_character_string(x) && is_character_string(y)) ||
         (is_byte_string(x) && is_byte_string(y)) || x == y ||
         (is_date_time(x) && is_date_time(y) && (x == "TIME") == (y == "TIME"));
}

std::vector<const char*> column_change_parts(const declared_type& before,
                                            const declared_type& after) {
  std::vector<const char*> parts;
  bool range = false, precision = false;
  const auto &b = before.name, &a = after.name;
  if (is_integer(b) && is_integer(a)) {
    range = !integer_range_kept(before, after);
  } else if (b == "DECIMAL" && a == "DECIMAL") {
    auto b_int = *before.length - std::min(*before.length, *before.scale);
    auto a_int = *after.length - std::min(*after.length, *after.scale);
    range = a_int < b_int || (after.is_unsigned && !before.is_unsigned);
    precision = *after.scale < *before.scale;
  } else if (is_floating(b) && is_floating(a)) {
    precision = b == "DOUBLE" && a == "FLOAT";
    if (before.length && before.scale && after.length && after.scale) {
      precision |= *after.scale < *before.scale;
      range = *after.length - std::min(*after.length, *after.scale) <
              *before.length - std::min(*before.length, *before.scale);
    }
    range |= after.is_unsigned && !before.is_unsigned;
  } else if ((is_character_string(b) && is_character_string(a)) ||
             (is_byte_string(b) && is_byte_string(a))) {
    range = string_length(after) < string_length(before);
    precision = b == "BINARY" && a == "BINARY" && string_length(after) != string_length(before);
  } else if ((b == "ENUM" && a == "ENUM") || (b == "SET" && a == "SET")) {
    range = after.elements.size() < before.elements.size() ||
            !std::equal(before.elements.begin(), before.elements.end(), after.elements.begin());
  } else if (is_date_time(b) && is_date_time(a) && (b == "TIME") == (a == "TIME")) {
    precision = fsp(after) < fsp(before) || (b != "DATE" && a == "DATE");
    range = a == "TIMESTAMP" && b != "TIMESTAMP";
  } else if (b == "BIT" && a == "BIT") {
    range = after.length.value_or(1) < before.length.value_or(1);
  }
  if (range) parts.push_back("value range decrease");
  if (precision) parts.push_back("precision decrease");
  if (before.auto_increment && !after.auto_increment) parts.push_back("remove auto increment");
  return parts;
}

}  // namespace dm::sql
