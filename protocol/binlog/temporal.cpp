#include "protocol/binlog/temporal.hpp"

#include <charconv>

namespace dm::binlog {

void append_padded(std::string& out, uint64_t value, int width) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  for (auto n = end - buf; n < width; ++n) out += '0';
  out.append(buf, end);
}

void append_fraction(std::string& out, uint32_t usec, int fsp) {
  if (fsp <= 0 || fsp > 6) return;
  static const uint32_t div[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
  out += '.';
  append_padded(out, usec / div[fsp], fsp);
}

namespace {

void append_ymd(std::string& out, uint64_t ymd, char separator) {
  append_padded(out, ymd / 10000 % 10000, 4);
  out += separator;
  append_padded(out, ymd / 100 % 100, 2);
  out += separator;
  append_padded(out, ymd % 100, 2);
}

void append_hms(std::string& out, uint64_t hours, uint64_t minutes, uint64_t seconds) {
  append_padded(out, hours, 2);
  out += ':';
  append_padded(out, minutes, 2);
  out += ':';
  append_padded(out, seconds, 2);
}

}  // namespace

void append_date(std::string& out, const cell& value, char separator) {
  append_ymd(out, value.u, separator);
}

void append_datetime(std::string& out, const cell& value) {
  append_ymd(out, value.u / 1000000, '-');
  out += ' ';
  auto hms = value.u % 1000000;
  append_hms(out, hms / 10000, hms / 100 % 100, hms % 100);
  append_fraction(out, value.frac, value.width);
}

void append_time(std::string& out, const cell& value) {
  if (value.negative) out += '-';
  append_hms(out, value.u / 3600, value.u / 60 % 60, value.u % 60);
  append_fraction(out, value.frac, value.width);
}

}  // namespace dm::binlog
