#include "protocol/sql/quote.hpp"

namespace dm::sql {

void append_identifier(std::string& out, std::string_view name) {
  out += '`';
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  out += '`';
}

std::string qualified_name(std::string_view db, std::string_view table) {
  std::string out;
  append_identifier(out, db);
  out += '.';
  append_identifier(out, table);
  return out;
}

void append_escaped(std::string& out, std::string_view bytes) {
  out.reserve(out.size() + bytes.size() + 2);
  out += '\'';
  for (char c : bytes) {
    switch (c) {
      case '\0': out += "\\0"; break;
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\x1a': out += "\\Z"; break;
      default: out += c;
    }
  }
  out += '\'';
}

namespace {

void append_introducer(std::string& out, std::string_view charset) {
  if (charset.empty()) return;
  out += '_';
  // utf8mb3 is spelled utf8 by TiDB and by older MySQL/MariaDB servers.
  out += charset == "utf8mb3" ? std::string_view{"utf8"} : charset;
}

}  // namespace

void append_string_literal(std::string& out, std::string_view bytes, std::string_view charset) {
  append_introducer(out, charset);
  append_escaped(out, bytes);
}

void append_hex_literal(std::string& out, std::string_view bytes, std::string_view charset) {
  static const char* digits = "0123456789ABCDEF";
  append_introducer(out, charset);
  if (!charset.empty()) out += ' ';
  out += "X'";
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xF];
  }
  out += '\'';
}

}  // namespace dm::sql
