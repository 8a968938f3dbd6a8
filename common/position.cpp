#include "common/position.hpp"

#include <charconv>

#include "common/error.hpp"

namespace dm {

std::optional<uint32_t> binlog_file_index(std::string_view file) {
  auto dot = file.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == file.size()) return std::nullopt;
  uint32_t index = 0;
  auto first = file.data() + dot + 1;
  auto last = file.data() + file.size();
  auto [ptr, err] = std::from_chars(first, last, index);
  if (err != std::errc{} || ptr != last) return std::nullopt;
  return index;
}

int compare(const binlog_position& a, const binlog_position& b) {
  auto ia = binlog_file_index(a.file).value_or(0);
  auto ib = binlog_file_index(b.file).value_or(0);
  if (ia != ib) return ia < ib ? -1 : 1;
  if (a.pos != b.pos) return a.pos < b.pos ? -1 : 1;
  return 0;
}

bool comes_before(const binlog_position& a, const binlog_position& b) {
  return binlog_file_index(a.file) && binlog_file_index(b.file) && compare(a, b) < 0;
}

std::string to_string(const binlog_position& x) {
  if (x.empty()) return "(none)";
  return x.file + ":" + std::to_string(x.pos);
}

caf::expected<binlog_position> parse_binlog_position(std::string_view text) {
  auto colon = text.rfind(':');
  binlog_position result;
  if (colon != std::string_view::npos) {
    result.file = std::string{text.substr(0, colon)};
    auto digits = text.substr(colon + 1);
    auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), result.pos);
    if (err == std::errc{} && ptr == digits.data() + digits.size() &&
        binlog_file_index(result.file))
      return result;
  }
  return make_error(ec::invalid_argument, "binlog position '" + std::string{text} +
                                              "' is not of the form FILE.NNNNNN:OFFSET");
}

std::string to_string(const relay_key& k) {
  return std::to_string(k.segment) + "/" + std::to_string(k.file_index) + "/" +
         std::to_string(k.offset);
}

}  // namespace dm
